"""A small custom-painted line chart: values per step on up to two y axes.

Used by the Retrain dialog for training loss (left axis) and test accuracy
(right axis, percent) per epoch, and meant for the search dialog too (accuracy
by trial)::

    chart = LineChart(x_label="epoch")
    chart.add_series("loss", "Training loss", QColor("#d9534f"), axis="left")
    chart.add_series("acc", "Test accuracy", QColor("#2b7bd6"), axis="right", percent=True)
    chart.append("loss", 1, 0.42)

The left axis fits its data (from 0); a ``percent`` series shows 0–1 values
as percentages on an axis fitted to the data. No recognition logic here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget


@dataclass
class Series:
    label: str
    colour: QColor
    axis: str = "left"
    percent: bool = False
    points: list[tuple[float, float]] = field(default_factory=list)


def nice_range(low: float, high: float) -> tuple[float, float, float]:
    """(low, high, step) rounded outwards to a readable step, about 4 ticks."""
    if not math.isfinite(low) or not math.isfinite(high):
        return 0.0, 1.0, 0.25
    if high - low < 1e-9:
        high = low + (abs(low) * 0.1 or 1.0)
    raw = (high - low) / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


class LineChart(QWidget):
    """Lines with dots for each point; a legend across the top; an empty message when blank."""

    def __init__(
        self,
        parent: QWidget | None = None,
        x_label: str = "epoch",
        empty_message: str = "No data yet",
    ) -> None:
        super().__init__(parent)
        self.x_label = x_label
        self.empty_message = empty_message
        self._series: dict[str, Series] = {}
        self._x_max: float | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    # --- data ---------------------------------------------------------------------------
    def add_series(
        self, key: str, label: str, colour: QColor, axis: str = "left", percent: bool = False
    ) -> None:
        self._series[key] = Series(label, QColor(colour), axis, percent)
        self.update()

    def append(self, key: str, x: float, y: float) -> None:
        if y is None or not math.isfinite(float(y)):
            return
        self._series[key].points.append((float(x), float(y)))
        self.update()

    def points(self, key: str) -> list[tuple[float, float]]:
        return list(self._series[key].points)

    def set_x_max(self, x_max: float | None) -> None:
        """Fix the x axis end (say, the number of epochs) so the chart does not rescale."""
        self._x_max = x_max
        self.update()

    def clear(self) -> None:
        for series in self._series.values():
            series.points.clear()
        self.update()

    # --- painting -----------------------------------------------------------------------
    def sizeHint(self) -> QSize:
        return QSize(420, 200)

    def minimumSizeHint(self) -> QSize:
        return QSize(240, 120)

    def _axis_range(self, axis: str) -> tuple[float, float, float] | None:
        values = [
            y * (100 if s.percent else 1)
            for s in self._series.values()
            if s.axis == axis
            for _, y in s.points
        ]
        if not values:
            return None
        percent = any(s.percent for s in self._series.values() if s.axis == axis)
        low = min(values) if percent else min(0.0, min(values))
        high = max(values)
        low, high, step = nice_range(low, high)
        if percent:
            low, high = max(low, 0.0), min(high, 100.0)
            if high <= low:
                low, high = max(0.0, high - step), high
        return low, high, step

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        grid = QColor(text)
        grid.setAlpha(40)
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        metrics = QFontMetrics(self.font())
        line_h = metrics.height()
        left = metrics.horizontalAdvance("0.000") + 10
        right = metrics.horizontalAdvance("100%") + 10
        plot = QRectF(left, line_h * 1.6, self.width() - left - right, self.height() - line_h * 3.2)
        if plot.width() < 20 or plot.height() < 20:
            return
        self._draw_legend(painter, metrics, text)
        has_data = any(s.points for s in self._series.values())
        painter.setPen(QPen(grid, 1))
        painter.drawRect(plot)
        if not has_data:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, self.empty_message)
            return
        xs = [x for s in self._series.values() for x, _ in s.points]
        x_min = min(min(xs), 1.0)
        x_max = max(self._x_max or 0, max(xs), x_min + 1)

        def to_x(x: float) -> float:
            return plot.left() + (x - x_min) / (x_max - x_min) * plot.width()

        # x ticks: whole numbers, about 6 of them.
        step = max(1, math.ceil((x_max - x_min) / 6))
        painter.setPen(text)
        tick = math.ceil(x_min)
        while tick <= x_max:
            px = to_x(tick)
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(px, plot.top()), QPointF(px, plot.bottom()))
            painter.setPen(text)
            painter.drawText(
                QRectF(px - 30, plot.bottom() + 2, 60, line_h),
                Qt.AlignmentFlag.AlignHCenter,
                f"{tick:g}",
            )
            tick += step
        painter.drawText(
            QRectF(plot.left(), plot.bottom() + line_h, plot.width(), line_h),
            Qt.AlignmentFlag.AlignHCenter,
            self.x_label,
        )

        for axis in ("left", "right"):
            rng = self._axis_range(axis)
            if rng is None:
                continue
            low, high, ystep = rng
            percent = any(s.percent for s in self._series.values() if s.axis == axis)

            def to_y(y: float, low=low, high=high) -> float:
                return plot.bottom() - (y - low) / (high - low) * plot.height()

            value = low
            while value <= high + 1e-9:
                py = to_y(value)
                label = f"{value:g}%" if percent else f"{value:.3g}"
                painter.setPen(QPen(grid, 1))
                painter.drawLine(QPointF(plot.left(), py), QPointF(plot.right(), py))
                painter.setPen(text)
                if axis == "left":
                    box = QRectF(0, py - line_h / 2, left - 4, line_h)
                    painter.drawText(box, Qt.AlignmentFlag.AlignRight, label)
                else:
                    box = QRectF(plot.right() + 4, py - line_h / 2, right - 4, line_h)
                    painter.drawText(box, Qt.AlignmentFlag.AlignLeft, label)
                value += ystep
            for series in self._series.values():
                if series.axis != axis or not series.points:
                    continue
                scale = 100 if series.percent else 1
                pts = [QPointF(to_x(x), to_y(y * scale)) for x, y in series.points]
                painter.setPen(QPen(series.colour, 2))
                for a, b in pairwise(pts):
                    painter.drawLine(a, b)
                painter.setBrush(series.colour)
                for p in pts:
                    painter.drawEllipse(p, 3, 3)
                painter.setBrush(Qt.BrushStyle.NoBrush)

    def _draw_legend(self, painter: QPainter, metrics: QFontMetrics, text: QColor) -> None:
        x = 8.0
        for series in self._series.values():
            painter.setPen(QPen(series.colour, 3))
            y = metrics.height() * 0.7
            painter.drawLine(QPointF(x, y), QPointF(x + 18, y))
            painter.setPen(text)
            painter.drawText(QPointF(x + 24, metrics.ascent() + 1), series.label)
            x += 36 + metrics.horizontalAdvance(series.label)
