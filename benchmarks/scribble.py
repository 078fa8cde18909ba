"""Shared by the stall benchmarks: scribble on the canvas and time the GUI event loop.

:class:`Scribbler` feeds the canvas mouse events at 125 Hz, stroke after stroke
(and clears every third one), while a 1 ms timer records the gaps between its
ticks: a gap much longer than 1 ms is time the GUI thread could not answer.
"""

from __future__ import annotations

import math
import statistics
import time
from itertools import pairwise

from PySide6.QtCore import QEvent, QPointF, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget

STROKE_POINTS = 60


def mouse(widget: QWidget, kind: QEvent.Type, x: float, y: float) -> None:
    left = Qt.MouseButton.LeftButton
    button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else left
    held = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else left
    pos = QPointF(x, y)
    QApplication.sendEvent(
        widget, QMouseEvent(kind, pos, pos, button, held, Qt.KeyboardModifier.NoModifier)
    )


class Scribbler:
    """Draws looping strokes on ``canvas`` and records the event loop's tick times."""

    def __init__(self, canvas) -> None:
        self.canvas = canvas
        self.events = 0
        self.ticks: list[float] = []
        self._tick = QTimer(interval=1, timerType=Qt.TimerType.PreciseTimer)
        self._tick.timeout.connect(lambda: self.ticks.append(time.perf_counter()))
        self._feeder = QTimer(interval=8, timerType=Qt.TimerType.PreciseTimer)
        self._feeder.timeout.connect(self._feed)

    def start(self) -> None:
        self._tick.start()
        self._feeder.start()

    def stop(self) -> None:
        self._feeder.stop()
        self._tick.stop()

    def _feed(self) -> None:
        n = self.events
        self.events += 1
        period = STROKE_POINTS + 2
        i, stroke = n % period, n // period
        w, h = self.canvas.width(), self.canvas.height()
        t = i / STROKE_POINTS * 2 * math.pi
        x = w / 2 + w * 0.3 * math.sin(t + stroke)
        y = h / 2 + h * 0.3 * math.sin(2 * t)
        if i == 0:
            mouse(self.canvas, QEvent.Type.MouseButtonPress, x, y)
        elif i == period - 1:
            mouse(self.canvas, QEvent.Type.MouseButtonRelease, x, y)
            if stroke % 3 == 2:
                self.canvas.clear()
        else:
            mouse(self.canvas, QEvent.Type.MouseMove, x, y)

    def gaps_line(self) -> str:
        gaps = sorted((b - a) * 1000 for a, b in pairwise(self.ticks))
        return (
            f"event-loop gaps: median {statistics.median(gaps):.2f} ms, "
            f"p99 {gaps[int(len(gaps) * 0.99)]:.2f} ms, longest {gaps[-1]:.2f} ms "
            "(goal ≤ 16 ms)"
        )
