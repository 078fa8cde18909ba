"""Longest GUI event-loop stall while drawing with live prediction on (goal: ≤ 16 ms).

A 1 ms timer records the gaps between its ticks while another timer feeds the
canvas mouse events at 125 Hz, stroke after stroke, so live prediction runs the
whole time. A gap much longer than 1 ms is time the GUI thread could not
answer. Run with ``python benchmarks/gui_stall.py`` (offscreen) or under
``xvfb-run -a`` with ``QT_QPA_PLATFORM=xcb`` for real rendering.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bytecode import compile_app
from PySide6.QtCore import QSettings, QTimer
from scribble import Scribbler

from digitpad.ui.app import create_application
from digitpad.ui.main_window import MainWindow
from digitpad.ui.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--why", action="store_true", help="with 'Why this answer' on")
    parser.add_argument("--arch", default="fcnn", help="the bundled model to draw with")
    args = parser.parse_args()
    if not compile_app():  # what the first strokes import lazily loads from bytecode
        print("note: some of the app's bytecode could not be written; it compiles when imported")
    app = create_application([])
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(QSettings(os.path.join(tmp, "s.ini"), QSettings.Format.IniFormat))
        settings.live_prediction = True
        settings.model = args.arch
        window = MainWindow(settings)
        window.why_check.setChecked(args.why)
        window.resize(900, 640)
        window.show()
        window.start()
        while window.recognition.model is None:
            app.processEvents()
        canvas = window.canvas
        predictions = []
        window.recognition.predictionReady.connect(predictions.append)

        scribbler = Scribbler(canvas)
        scribbler.start()
        QTimer.singleShot(int(args.seconds * 1000), app.quit)
        app.exec()
        scribbler.stop()
        window.close()

    print(
        f"platform {os.environ['QT_QPA_PLATFORM']}, {args.arch}, "
        f"why {'on' if args.why else 'off'}, "
        f"{args.seconds:.0f} s of drawing, "
        f"{scribbler.events} mouse events, {len(predictions)} live predictions shown, "
        f"{window.recognition.sent} sent to the worker"
    )
    print(scribbler.gaps_line())
    sys.stdout.flush()


if __name__ == "__main__":
    main()
