"""Longest GUI event-loop stall while drawing with live prediction on (goal: ≤ 16 ms).

A 1 ms timer records the gaps between its ticks while another timer feeds the
canvas mouse events at 125 Hz, stroke after stroke, so live prediction runs the
whole time. A gap much longer than 1 ms is time the GUI thread could not
answer. Run with ``python benchmarks/gui_stall.py`` (offscreen) or under
``xvfb-run -a`` with ``QT_QPA_PLATFORM=xcb`` for real rendering.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from itertools import pairwise

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QPointF, QSettings, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from digitpad.ui.app import create_application
from digitpad.ui.main_window import MainWindow
from digitpad.ui.settings import Settings


def mouse(widget, kind: QEvent.Type, x: float, y: float) -> None:
    left = Qt.MouseButton.LeftButton
    button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else left
    held = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else left
    pos = QPointF(x, y)
    QApplication.sendEvent(widget, QMouseEvent(kind, pos, pos, button, held,
                                               Qt.KeyboardModifier.NoModifier))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    app = create_application([])
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(QSettings(os.path.join(tmp, "s.ini"), QSettings.Format.IniFormat))
        settings.live_prediction = True
        window = MainWindow(settings)
        window.resize(900, 640)
        window.show()
        window.start()
        while window.recognition.model is None:
            app.processEvents()
        canvas = window.canvas
        predictions = []
        window.recognition.predictionReady.connect(predictions.append)

        ticks: list[float] = []
        tick = QTimer(interval=1, timerType=Qt.TimerType.PreciseTimer)
        tick.timeout.connect(lambda: ticks.append(time.perf_counter()))
        step = {"n": 0}

        def feed() -> None:
            # A looping stroke of 60 points, then the pen lifts and a new one starts.
            n = step["n"]
            step["n"] += 1
            i = n % 62
            w, h = canvas.width(), canvas.height()
            t = i / 60 * 2 * math.pi
            x = w / 2 + w * 0.3 * math.sin(t + n // 62)
            y = h / 2 + h * 0.3 * math.sin(2 * t)
            if i == 0:
                mouse(canvas, QEvent.Type.MouseButtonPress, x, y)
            elif i == 61:
                mouse(canvas, QEvent.Type.MouseButtonRelease, x, y)
                if n // 62 % 3 == 2:
                    canvas.clear()
            else:
                mouse(canvas, QEvent.Type.MouseMove, x, y)

        feeder = QTimer(interval=8, timerType=Qt.TimerType.PreciseTimer)
        feeder.timeout.connect(feed)
        tick.start()
        feeder.start()
        QTimer.singleShot(int(args.seconds * 1000), app.quit)
        app.exec()
        feeder.stop()
        tick.stop()
        window.close()

    gaps = sorted((b - a) * 1000 for a, b in pairwise(ticks))
    print(f"platform {os.environ['QT_QPA_PLATFORM']}, {args.seconds:.0f} s of drawing, "
          f"{step['n']} mouse events, {len(predictions)} live predictions shown, "
          f"{window.recognition.sent} sent to the worker")
    print(f"event-loop gaps: median {statistics.median(gaps):.2f} ms, "
          f"p99 {gaps[int(len(gaps) * 0.99)]:.2f} ms, longest {gaps[-1]:.2f} ms (goal ≤ 16 ms)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
