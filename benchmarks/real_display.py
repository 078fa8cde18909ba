"""The app on a real X display, driven as a person drives it, checked from screenshots.

    xvfb-run -a -s "-screen 0 1280x800x24" python benchmarks/real_display.py [--keep DIR]

Starts ``python -m digitpad`` (own data and settings folders), finds its window
with xdotool, draws a 7 with the mouse, presses Escape, draws again, undoes it
with Ctrl+Z, and after each step takes a screenshot of the window (ImageMagick's
``import``) and compares it with what a person should see:

- after drawing: ink on the canvas;
- after Escape and after undoing the last stroke: the canvas exactly as it was
  at start (the hint whole, no ink left under or around it).

Prints one line per check and exits 1 if any fails. Needs xdotool and
ImageMagick (Debian: ``xdotool imagemagick``); the tests stay offscreen.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

import numpy as np
from PIL import Image

# The canvas is the window's left part: these fractions of the window fall inside it.
CANVAS_BOX = (0.03, 0.10, 0.55, 0.88)
SEVEN = [(0.25, 0.25), (0.75, 0.25), (0.45, 0.8)]


def xdo(*args: str) -> str:
    return subprocess.run(
        ["xdotool", *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def find_window(timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--name", "^DigitPad$"],
            capture_output=True,
            text=True,
        ).stdout.split()
        if found:
            return found[0]
        time.sleep(0.2)
    raise SystemExit("the DigitPad window did not appear")


def geometry(window: str) -> tuple[int, int, int, int]:
    values = dict(
        line.split("=") for line in xdo("getwindowgeometry", "--shell", window).splitlines()
    )
    return int(values["X"]), int(values["Y"]), int(values["WIDTH"]), int(values["HEIGHT"])


def shot(window: str, path: Path) -> np.ndarray:
    subprocess.run(["import", "-window", window, str(path)], check=True)
    return np.asarray(Image.open(path).convert("L"), dtype=np.int16)


def canvas_part(image: np.ndarray) -> np.ndarray:
    h, w = image.shape
    left, top, right, bottom = CANVAS_BOX
    return image[int(top * h) : int(bottom * h), int(left * w) : int(right * w)]


def draw(window: str, points: list[tuple[float, float]]) -> None:
    x0, y0, w, h = geometry(window)
    left, top, right, bottom = CANVAS_BOX

    def at(p: tuple[float, float]) -> tuple[str, str]:
        x = x0 + w * (left + (right - left) * p[0])
        y = y0 + h * (top + (bottom - top) * p[1])
        return str(int(x)), str(int(y))

    xdo("mousemove", *at(points[0]))
    xdo("mousedown", "1")
    for a, b in pairwise(points):
        for t in np.linspace(0, 1, 12)[1:]:
            xdo("mousemove", *at((a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)))
            time.sleep(0.01)
    xdo("mouseup", "1")
    time.sleep(0.6)  # the prediction and the repaint


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="folder to keep the screenshots in")
    args = parser.parse_args()
    for tool in ("xdotool", "import"):
        if shutil.which(tool) is None:
            raise SystemExit(f"needs {tool} (Debian: xdotool imagemagick)")
    if not os.environ.get("DISPLAY"):
        raise SystemExit('needs an X display: run under xvfb-run -a -s "-screen 0 1280x800x24"')
    home = Path(tempfile.mkdtemp(prefix="digitpad-display-"))
    shots = args.keep or home / "shots"
    shots.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "xcb",
        "DIGITPAD_DATA_DIR": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
    }
    app = subprocess.Popen([sys.executable, "-m", "digitpad"], env=env)
    failures = 0

    def check(name: str, ok: bool, detail: str = "") -> None:
        nonlocal failures
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")

    try:
        window = find_window()
        # No window manager under Xvfb: keys go to the window under the pointer, which
        # stays on the canvas after each stroke.
        time.sleep(1.5)  # the model loads after the window shows
        start = canvas_part(shot(window, shots / "0-start.png"))
        draw(window, SEVEN)
        drawn = shot(window, shots / "1-drawn.png")
        changed = np.abs(canvas_part(drawn) - start) > 64
        check("ink on the canvas after drawing", changed.mean() > 0.01, f"{changed.mean():.1%}")
        xdo("key", "Escape")
        time.sleep(0.4)
        cleared = canvas_part(shot(window, shots / "2-cleared.png"))
        left = (np.abs(cleared - start) > 24).mean()
        check(
            "Escape: the canvas as it was at start (hint whole, no ink)", left == 0, f"{left:.2%}"
        )
        draw(window, SEVEN)
        xdo("key", "ctrl+z")
        time.sleep(0.4)
        undone = canvas_part(shot(window, shots / "3-undone.png"))
        left = (np.abs(undone - start) > 24).mean()
        check("undo to empty: the canvas as it was at start", left == 0, f"{left:.2%}")
    finally:
        app.terminate()
        app.wait(10)
    print(f"screenshots in {shots}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
