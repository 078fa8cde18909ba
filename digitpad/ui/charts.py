"""A small custom-painted line chart: values per step on up to two y axes.

Used by the Retrain dialog for training loss (left axis) and test accuracy
(right axis, percent) per epoch, and meant for the search dialog too (accuracy
by trial)::

    chart = LineChart(x_label="epoch")
    chart.add_series("loss", "Training loss", "loss", axis="left")
    chart.add_series("acc", "Test accuracy", "accuracy", axis="right", percent=True)
    chart.append("loss", 1, 0.42)

The left axis fits its data (from 0); a ``percent`` series shows 0–1 values
as percentages on an axis fitted to the data. Where everything goes is worked
out by :func:`chart_layout`, a pure function of the data, the size and the
text widths; ``paintEvent`` only draws what it returns. Colours are named (see
:mod:`digitpad.ui.colours`) and looked up in the palette at paint time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from digitpad.ui.colours import colour


@dataclass
class Series:
    label: str
    colour: str | QColor  # a name from digitpad.ui.colours, or a fixed colour
    axis: str = "left"
    percent: bool = False
    points: list[tuple[float, float]] = field(default_factory=list)


# Each series's line style in order: lines told apart without their colours.
LINE_STYLES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine)


def chart_summary(series: list[Series], x_label: str, empty_message: str) -> str:
    """The chart's latest values in words, for a screen reader that cannot see the lines."""
    parts = []
    for line in series:
        if line.points:
            x, y = line.points[-1]
            value = f"{y:.1%}" if line.percent else f"{y:.4g}"
            parts.append(f"{line.label} {value} at {x_label} {x:g}")
    return "; ".join(parts) if parts else empty_message


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


@dataclass(frozen=True)
class Tick:
    position: float  # pixels along the axis
    label: str


@dataclass(frozen=True)
class Axis:
    low: float
    high: float
    ticks: tuple[Tick, ...]


@dataclass(frozen=True)
class Layout:
    """Where a chart's parts go, in widget pixels."""

    plot: QRectF
    x_ticks: tuple[Tick, ...]
    x_title: QRectF
    axes: dict[str, Axis]  # "left" / "right", only those with data
    lines: dict[str, list[QPointF]]  # series key → its points on screen
    label_width: dict[str, float]  # room kept for each axis's labels


def axis_range(series: list[Series]) -> tuple[float, float, float, bool] | None:
    """(low, high, step, percent) of an axis holding ``series``; None when they are empty."""
    percent = any(s.percent for s in series)
    values = [y * (100 if s.percent else 1) for s in series for _, y in s.points]
    if not values:
        return None
    low = min(values) if percent else min(0.0, min(values))
    low, high, step = nice_range(low, max(values))
    if percent:
        low, high = max(low, 0.0), min(high, 100.0)
        if high <= low:
            low, high = max(0.0, high - step), high
    return low, high, step, percent


def _tick_values(low: float, high: float, step: float) -> list[float]:
    count = round((high - low) / step) + 1
    return [low + i * step for i in range(count)]


def _label(value: float, percent: bool) -> str:
    return f"{value:g}%" if percent else f"{value:.3g}"


def chart_layout(
    series: dict[str, Series],
    x_max: float | None,
    width: float,
    height: float,
    text_width: Callable[[str], float],
    line_height: float,
) -> Layout | None:
    """Everything :class:`LineChart` draws, placed; None when no point is set yet.

    The side margins are as wide as the widest tick label of each axis, so no
    label is cut at the edge, and the x axis title has a line of its own.
    """
    ranges = {}
    for axis in ("left", "right"):
        found = axis_range([s for s in series.values() if s.axis == axis])
        if found is not None:
            ranges[axis] = found
    if not ranges:
        return None
    pad = 6.0
    label_width = {
        axis: max(text_width(_label(v, pc)) for v in _tick_values(lo, hi, st)) + pad
        for axis, (lo, hi, st, pc) in ranges.items()
    }
    left = label_width.get("left", pad * 2)
    right = label_width.get("right", pad * 2)
    top = line_height * 1.6
    plot = QRectF(left, top, width - left - right, height - top - line_height * 2.4)
    xs = [x for s in series.values() for x, _ in s.points]
    x_min = min(min(xs), 1.0)
    x_end = max(x_max or 0, max(xs))
    if x_end - x_min < 1:
        # One step only (a one-epoch run, a first trial): its point in the middle, not on
        # the left edge of an axis running on to a step that never comes.
        x_min, x_end = x_min - 0.5, x_end + 0.5

    def to_x(x: float) -> float:
        return plot.left() + (x - x_min) / (x_end - x_min) * plot.width()

    step = max(1, math.ceil((x_end - x_min) / 6))
    x_ticks = tuple(
        Tick(to_x(t), f"{t:g}") for t in range(math.ceil(x_min), math.floor(x_end) + 1, step)
    )
    axes, lines = {}, {}
    for axis, (low, high, ystep, percent) in ranges.items():

        def to_y(y: float, low=low, high=high) -> float:
            return plot.bottom() - (y - low) / (high - low) * plot.height()

        ticks = tuple(Tick(to_y(v), _label(v, percent)) for v in _tick_values(low, high, ystep))
        axes[axis] = Axis(low, high, ticks)
        for key, s in series.items():
            if s.axis == axis and s.points:
                scale = 100 if s.percent else 1
                lines[key] = [QPointF(to_x(x), to_y(y * scale)) for x, y in s.points]
    x_title = QRectF(plot.left(), plot.bottom() + line_height, plot.width(), line_height * 1.2)
    return Layout(plot, x_ticks, x_title, axes, lines, label_width)


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
        self._describe()

    # --- data ---------------------------------------------------------------------------
    def add_series(
        self,
        key: str,
        label: str,
        paint: str | QColor,
        axis: str = "left",
        percent: bool = False,
    ) -> None:
        """A series drawn in ``paint``: a colour name of :mod:`digitpad.ui.colours` (follows
        the palette) or a fixed colour."""
        self._series[key] = Series(
            label, paint if isinstance(paint, str) else QColor(paint), axis, percent
        )
        labels = [series.label for series in self._series.values()]
        self.setAccessibleName(f"Chart of {', '.join(labels)} by {self.x_label}")
        self._describe()
        self.update()

    def append(self, key: str, x: float, y: float) -> None:
        if y is None or not math.isfinite(float(y)):
            return
        self._series[key].points.append((float(x), float(y)))
        self._describe()
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
        self._describe()
        self.update()

    def _describe(self) -> None:
        summary = chart_summary(list(self._series.values()), self.x_label, self.empty_message)
        if self.accessibleDescription() != summary:
            self.setAccessibleDescription(summary)

    # --- painting -----------------------------------------------------------------------
    def placed(self) -> Layout | None:
        """Where the chart's parts go at its present size (see :func:`chart_layout`)."""
        metrics = QFontMetrics(self.font())
        return chart_layout(
            self._series,
            self._x_max,
            self.width(),
            self.height(),
            metrics.horizontalAdvance,
            metrics.height(),
        )

    def sizeHint(self) -> QSize:
        return QSize(420, 200)

    def minimumSizeHint(self) -> QSize:
        return QSize(240, 120)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        grid = QColor(text)
        grid.setAlpha(40)
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        metrics = QFontMetrics(self.font())
        self._draw_legend(painter, metrics, text)
        layout = self.placed()
        if layout is None:
            line_h = metrics.height()
            box = QRectF(8, line_h * 1.6, self.width() - 16, self.height() - line_h * 2.4)
            painter.setPen(QPen(grid, 1))
            painter.drawRect(box)
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self.empty_message)
            return
        if layout.plot.width() < 20 or layout.plot.height() < 20:
            return
        self._draw_grid(painter, layout, grid, text, metrics.height())
        styles = self._styles()
        for key, points in layout.lines.items():
            # One call per line and one for its dots (round 6 px points): the chart repaints
            # on every epoch while the user may be drawing, so it is kept to a few calls.
            paint = self._colour(self._series[key])
            painter.setPen(QPen(paint, 2, styles[key]))
            painter.drawPolyline(points)
            dots = QPen(paint, 6)
            dots.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(dots)
            painter.drawPoints(points)

    def _draw_grid(
        self, painter: QPainter, layout: Layout, grid: QColor, text: QColor, line_h: float
    ) -> None:
        plot = layout.plot
        painter.setPen(QPen(grid, 1))
        painter.drawRect(plot)
        for tick in layout.x_ticks:
            painter.setPen(QPen(grid, 1))
            painter.drawLine(
                QPointF(tick.position, plot.top()), QPointF(tick.position, plot.bottom())
            )
            painter.setPen(text)
            box = QRectF(tick.position - 30, plot.bottom() + 2, 60, line_h)
            painter.drawText(box, Qt.AlignmentFlag.AlignHCenter, tick.label)
        painter.drawText(layout.x_title, Qt.AlignmentFlag.AlignHCenter, self.x_label)
        for side, axis in layout.axes.items():
            room = layout.label_width[side]
            for tick in axis.ticks:
                painter.setPen(QPen(grid, 1))
                painter.drawLine(
                    QPointF(plot.left(), tick.position), QPointF(plot.right(), tick.position)
                )
                painter.setPen(text)
                if side == "left":
                    box = QRectF(0, tick.position - line_h / 2, room - 4, line_h)
                    painter.drawText(box, Qt.AlignmentFlag.AlignRight, tick.label)
                else:
                    box = QRectF(plot.right() + 4, tick.position - line_h / 2, room - 4, line_h)
                    painter.drawText(box, Qt.AlignmentFlag.AlignLeft, tick.label)

    def _colour(self, series: Series) -> QColor:
        if isinstance(series.colour, str):
            return colour(series.colour, self.palette())
        return series.colour

    def _styles(self) -> dict[str, Qt.PenStyle]:
        """Each series's line style, the same in the legend and the plot."""
        return {key: LINE_STYLES[i % len(LINE_STYLES)] for i, key in enumerate(self._series)}

    def _draw_legend(self, painter: QPainter, metrics: QFontMetrics, text: QColor) -> None:
        x = 8.0
        styles = self._styles()
        for key, series in self._series.items():
            painter.setPen(QPen(self._colour(series), 3, styles[key]))
            y = metrics.height() * 0.7
            painter.drawLine(QPointF(x, y), QPointF(x + 18, y))
            painter.setPen(text)
            painter.drawText(QPointF(x + 24, metrics.ascent() + 1), series.label)
            x += 36 + metrics.horizontalAdvance(series.label)
