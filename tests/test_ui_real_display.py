"""Drawing on a real X display (a virtual one, Xvfb), with the pointer moved from outside by
xdotool, as a person's mouse moves it: what the offscreen platform of the other tests
cannot show. The window is kept busy 30 ms in every 35, as it is beside a retrain on a
small machine, and a quick stroke must still keep (nearly: 50 of 52, for a slow machine)
every position the pointer passed; X11's merging would keep a dozen."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

APP = textwrap.dedent(r"""
    import json, sys, time
    from pathlib import Path
    from PySide6.QtCore import Qt, QTimer
    from digitpad.ui.app import create_application
    from digitpad.ui.canvas import DrawingCanvas

    app = create_application([])
    canvas = DrawingCanvas()
    canvas.setWindowFlag(Qt.WindowType.FramelessWindowHint)
    canvas.setGeometry(0, 0, 280, 280)
    canvas.show()

    def busy():
        end = time.perf_counter() + 0.03
        while time.perf_counter() < end:
            pass

    def finished():
        print(json.dumps([len(stroke) for stroke in canvas.strokes()]))
        app.quit()

    def ready():
        if canvas.windowHandle().isExposed():  # on screen: the pointer can reach it
            watch.stop()
            Path(sys.argv[1]).touch()
            timer.start(35)

    timer = QTimer()
    timer.timeout.connect(busy)
    watch = QTimer()
    watch.timeout.connect(ready)
    watch.start(20)
    canvas.strokeFinished.connect(finished)
    QTimer.singleShot(60_000, app.quit)
    app.exec()
""")

# A 7: the press, 26 moves along the top, then 25 down to the left: 52 positions.
DRIVER = textwrap.dedent(r"""
    set -e
    "$PYTHON" -c "$APP" "$READY" > "$OUT" &
    app=$!
    for _ in $(seq 600); do [ -e "$READY" ] && break; sleep 0.05; done
    [ -e "$READY" ] || { echo "the canvas never came on screen" >&2; kill "$app"; exit 1; }
    xdotool mousemove 40 40 mousedown 1
    for x in $(seq 48 8 248); do xdotool mousemove "$x" 40; done
    for i in $(seq 1 25); do xdotool mousemove $((248 - i * 4)) $((40 + i * 8)); done
    xdotool mouseup 1
    wait "$app"
""")


def test_a_quick_stroke_keeps_every_position_while_the_window_is_busy(tmp_path: Path):
    for tool in ("xvfb-run", "xdotool"):
        assert shutil.which(tool), f"{tool} is missing: install Debian's xvfb and xdotool"
    out = tmp_path / "strokes.json"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DIGITPAD_DATA_DIR": str(tmp_path / "data"),
        "QT_QPA_PLATFORM": "xcb",
        "PYTHON": sys.executable,
        "APP": APP,
        "READY": str(tmp_path / "ready"),
        "OUT": str(out),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }
    subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 640x480x24", "bash", "-c", DRIVER],
        env=env,
        check=True,
        timeout=120,
    )
    said = out.read_text().strip()
    assert said, "the stroke never finished: the press or the release did not arrive"
    (points,) = json.loads(said)
    assert points >= 50, f"{points} of 52 positions kept"
