"""Start-up time: process start → main window on screen → first prediction possible.

Runs ``python -m digitpad`` several times with ``DIGITPAD_STARTUP_REPORT`` set;
the app writes when its window was first exposed and when the model was ready,
then quits. Each run is paired with a bare PySide6 ``QMainWindow`` started the
same way, so the ratio holds on any machine. Prints each run, the medians and
the ratios. Use a real (or virtual) X server for figures a user would see:
``xvfb-run -a python benchmarks/startup.py``. The app's bytecode is brought up to
date first, as an installed app's is.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bytecode import compile_app

BARE = """
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

class Seen(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Expose and watched.isExposed():
            with open(sys.argv[1], "a") as handle:
                handle.write(f"window {time.time():.6f}\\n")
            QTimer.singleShot(0, QApplication.quit)
        return False

app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(780, 520)
window.show()
seen = Seen()
window.windowHandle().installEventFilter(seen)
app.exec()
"""


def bare_run(env: dict[str, str]) -> float:
    """Seconds from process start to a bare QMainWindow on screen."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "bare.txt"
        start = time.time()
        subprocess.run([sys.executable, "-c", BARE, str(report)], env=env, check=True, timeout=60)
        stamps = dict(line.split() for line in report.read_text().splitlines())
    return float(stamps["window"]) - start


def one_run(env: dict[str, str]) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "startup.txt"
        run_env = {**env, "DIGITPAD_STARTUP_REPORT": str(report), "XDG_CONFIG_HOME": tmp}
        start = time.time()
        subprocess.run([sys.executable, "-m", "digitpad"], env=run_env, check=True, timeout=60)
        stamps = dict(line.split() for line in report.read_text().splitlines())
    return float(stamps["window"]) - start, float(stamps["ready"]) - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    env = dict(os.environ)
    platform = env.get("QT_QPA_PLATFORM") or ("xcb" if env.get("DISPLAY") else "offscreen")
    env["QT_QPA_PLATFORM"] = platform
    if not compile_app():
        print("note: some of the app's bytecode could not be written; it compiles on each start")
    one_run(env)  # warm the file cache; not counted
    bare_run(env)
    windows, readies, bares = [], [], []
    for i in range(args.runs):
        bare = bare_run(env)
        window, ready = one_run(env)
        windows.append(window)
        readies.append(ready)
        bares.append(bare)
        print(
            f"run {i + 1}: bare window {bare * 1000:6.0f} ms, DigitPad window shown "
            f"{window * 1000:6.0f} ms, first prediction possible {ready * 1000:6.0f} ms"
        )
    bare, window, ready = (statistics.median(v) for v in (bares, windows, readies))
    print(f"platform {platform}, {args.runs} runs")
    print(
        f"median: bare window {bare * 1000:.0f} ms, window shown {window * 1000:.0f} ms "
        f"({window / bare:.2f}× bare), first prediction possible {ready * 1000:.0f} ms "
        f"({ready / bare:.2f}× bare)"
    )


if __name__ == "__main__":
    main()
