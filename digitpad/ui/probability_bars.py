"""Ten horizontal bars, one per digit, showing how sure the network is of each.

The widget holds only the numbers it was given; geometry comes from small
helpers over the widget's size and font, and colours from the palette so the
bars follow light and dark themes.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from digitpad.words import a_digit

DIGITS = 10


def percent(p: float) -> str:
    """A probability as people read it: never "100.0%" or "0.0%", which would claim
    certainty the network does not have."""
    if p >= 0.9995:
        return ">99.9%"
    if 0 < p < 0.0005:
        return "<0.1%"
    return f"{p:.1%}"


# The widest texts a value column shows; the winner's is bold.
WIDEST_VALUES = ("100.0%", ">99.9%", "<0.1%")
# Built once: combining PySide's enum flags costs microseconds each, twenty times a paint.
# Absolute: the paint mirrors rows itself for right-to-left layouts, and draws in LTR so
# that "<0.1%" never reads "0.1%>".
_RIGHT = (
    Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignAbsolute
)
_LEFT = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignAbsolute
_WRAPPED = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap


def spoken(values: Sequence[float]) -> str:
    """The bars as a screen reader says them, most likely first: a listener wants the
    answer and its rivals, not ten numbers in digit order."""
    order = sorted(range(len(values)), key=lambda d: (-values[d], d))
    return ", ".join(f"{digit}: {percent(values[digit])}" for digit in order)


def filled(track: QRectF, value: float) -> QRectF | None:
    """The part of ``track`` a probability ``value`` fills (left-aligned, at least round
    at its end), or None when it would be under a pixel wide."""
    if track.width() * value < 1:
        return None
    width = max(track.height() / 2, track.width() * value)
    return QRectF(track.left(), track.top(), width, track.height())


def mirrored(rect: QRectF, width: float, rtl: bool) -> QRectF:
    """``rect`` where a right-to-left layout puts it: reflected across the widget's width."""
    if not rtl:
        return rect
    return QRectF(width - rect.right(), rect.top(), rect.width(), rect.height())


class ProbabilityBars(QWidget):
    """Shows ``probabilities`` for 0–9, the most likely digit highlighted.

    Without probabilities the bars are empty and ``message`` is shown instead.
    Clicking a bar emits ``digitClicked(digit)``; the digit the drawing was then saved
    as (:meth:`set_saved`) is outlined, where the click was, until the next answer.
    """

    digitClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._values: list[float] | None = None
        self._winner: int | None = None
        self._saved: int | None = None
        self._message = "No prediction yet"
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Probability of each digit")
        self.setAccessibleDescription(self._message)

    # --- state ------------------------------------------------------------------
    def values(self) -> list[float] | None:
        return None if self._values is None else list(self._values)

    def winner(self) -> int | None:
        return self._winner

    def message(self) -> str:
        return self._message

    def saved(self) -> int | None:
        return self._saved

    def set_saved(self, digit: int | None) -> None:
        """Mark ``digit`` as the label this drawing was saved with (None: no longer saved)."""
        self._saved = digit
        spoken_values = spoken(self._values) if self._values is not None else self._message
        saved = "" if digit is None else f" Saved as {a_digit(digit)}."
        self.setAccessibleDescription(spoken_values + saved)
        self.update()

    def value_text(self, digit: int) -> str:
        """What the bar of ``digit`` says beside it."""
        return "–" if self._values is None else percent(self._values[digit])

    def set_probabilities(self, probabilities: Sequence[float], winner: int | None = None) -> None:
        values = [float(p) for p in probabilities]
        if len(values) != DIGITS:
            raise ValueError(f"expected {DIGITS} probabilities, got {len(values)}")
        self._values = values
        self._winner = max(range(DIGITS), key=values.__getitem__) if winner is None else winner
        self._saved = None
        self._message = ""
        self.setToolTip(
            f"Most likely {self._winner} ({percent(values[self._winner])}). "
            "Wrong? Click the right digit's bar, or press its number, to correct it."
        )
        self.setAccessibleDescription(spoken(values))
        self.update()

    def clear(self, message: str) -> None:
        self._values = None
        self._winner = None
        self._saved = None
        self._message = message
        self.setToolTip(message)
        self.setAccessibleDescription(message)
        self.update()

    # --- geometry -------------------------------------------------------------------
    def _row_height(self) -> float:
        return self.height() / DIGITS

    def _label_width(self) -> int:
        return QFontMetrics(self._bold_font()).horizontalAdvance("8") + 8

    def _value_width(self) -> int:
        """Room for any value, the winner's in bold (wider than the plain "100.0%")."""
        metrics = (self.fontMetrics(), QFontMetrics(self._bold_font()))
        return max(m.horizontalAdvance(text) for m in metrics for text in WIDEST_VALUES) + 8

    def _row_rect(self, digit: int) -> QRectF:
        h = self._row_height()
        return QRectF(0, digit * h, self.width(), h)

    def _track_rect(
        self, digit: int, label_width: int | None = None, value_width: int | None = None
    ) -> QRectF:
        """The bar's track in ``digit``'s row; a paint passes the widths it measured once."""
        label_width = self._label_width() if label_width is None else label_width
        value_width = self._value_width() if value_width is None else value_width
        row = self._row_rect(digit)
        pad = max(2.0, row.height() * 0.18)
        right = self.width() - value_width
        return QRectF(
            label_width, row.top() + pad, max(0.0, right - label_width), row.height() - 2 * pad
        )

    def _rtl(self) -> bool:
        return self.layoutDirection() == Qt.LayoutDirection.RightToLeft

    def bar_rect(self, digit: int) -> QRectF | None:
        """Where the filled bar of ``digit`` is drawn (mirrored in right-to-left layouts)."""
        if self._values is None:
            return None
        bar = filled(self._track_rect(digit), self._values[digit])
        return None if bar is None else mirrored(bar, self.width(), self._rtl())

    def digit_at(self, y: float) -> int | None:
        digit = int(y // self._row_height()) if self.height() > 0 else -1
        return digit if 0 <= digit < DIGITS else None

    def _bold_font(self) -> QFont:
        font = QFont(self.font())
        font.setBold(True)
        return font

    def sizeHint(self) -> QSize:
        line = self.fontMetrics().height()
        width = self._label_width() + 10 * line + self._value_width()
        return QSize(width, DIGITS * int(line * 1.6))

    def minimumSizeHint(self) -> QSize:
        line = self.fontMetrics().height()
        return QSize(self._label_width() + 4 * line + self._value_width(), DIGITS * (line + 2))

    # --- painting ---------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        # Measured once a paint, not once a row: live prediction repaints this many times a second.
        label_width, value_width = self._label_width(), self._value_width()
        plain, bold = self.font(), self._bold_font()
        for digit in range(DIGITS):
            self._draw_row(
                painter, digit, label_width, value_width, bold if digit == self._winner else plain
            )
        if self._values is None and self._message:
            self._draw_message(painter)

    def _draw_row(
        self, painter: QPainter, digit: int, label_width: int, value_width: int, font: QFont
    ) -> None:
        palette = self.palette()
        rtl, width = self._rtl(), self.width()
        row = self._row_rect(digit)
        track = self._track_rect(digit, label_width, value_width)
        value = None if self._values is None else self._values[digit]

        painter.setPen(Qt.PenStyle.NoPen)
        radius = min(4.0, track.height() / 2)
        if value is not None:  # empty tracks would run through the message
            painter.setBrush(palette.color(QPalette.ColorRole.AlternateBase))
            painter.drawRoundedRect(mirrored(track, width, rtl), radius, radius)
        bar = None if value is None else filled(track, value)
        if bar is not None:
            role = QPalette.ColorRole.Highlight if digit == self._winner else QPalette.ColorRole.Mid
            painter.setBrush(palette.color(role))
            painter.drawRoundedRect(mirrored(bar, width, rtl), radius, radius)

        if digit == self._saved and value is not None:
            outline = QPen(palette.color(QPalette.ColorRole.Highlight), 2)
            outline.setStyle(Qt.PenStyle.DashLine)  # told apart from the answer without colour
            painter.setPen(outline)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(row.adjusted(1, 1, -1, -1), radius + 2, radius + 2)

        painter.setPen(palette.color(QPalette.ColorRole.WindowText))
        painter.setFont(font)
        # The label beside its bar and the value at the outer edge: both rightwards in LTR.
        align = _LEFT if rtl else _RIGHT
        label = QRectF(row.left(), row.top(), label_width - 4, row.height())
        painter.drawText(mirrored(label, width, rtl), align, str(digit))
        value_box = QRectF(track.right(), row.top(), value_width, row.height())
        painter.drawText(mirrored(value_box, width, rtl), align, self.value_text(digit))

    def _draw_message(self, painter: QPainter) -> None:
        painter.setFont(self.font())
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        track = self._track_rect(0)
        area = QRectF(track.left(), 0, track.width(), self.height())
        painter.drawText(mirrored(area, self.width(), self._rtl()), _WRAPPED, self._message)

    # --- input ----------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        digit = self.digit_at(event.position().y())
        if event.button() == Qt.MouseButton.LeftButton and digit is not None:
            self.digitClicked.emit(digit)
            event.accept()
        else:
            super().mousePressEvent(event)
