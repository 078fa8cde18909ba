"""The learning rate field: a spin box that reads the ways people write a rate."""

from __future__ import annotations

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QAbstractSpinBox, QDoubleSpinBox, QWidget

from digitpad.requests import LR_RANGE, read_rate

# What a rate is typed with besides digits, on its way to one (``1e-``, ``0,``).
_TYPING = set(".,eE+- \u066b\uff0e\uff0c\uff45\uff0d")


class RateBox(QDoubleSpinBox):
    """A learning rate typed as 0.001, 1e-3 or 0,001 alike. A plain spin box refuses the
    "e" and takes 1e-3 for 1; one out of range here becomes the nearest allowed, shown. The
    rate is read when the field is left, never from what is half typed ("1" of "1e-3")."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(6)
        self.setRange(*LR_RANGE)
        self.setSingleStep(0.0001)
        self.setKeyboardTracking(False)
        self.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        rate = read_rate(text)
        if rate is not None and self.minimum() <= rate <= self.maximum():
            return QValidator.State.Acceptable, text, pos
        if all(c.isdigit() or c in _TYPING for c in text):
            return QValidator.State.Intermediate, text, pos
        return QValidator.State.Invalid, text, pos

    def valueFromText(self, text: str) -> float:
        """The rate typed, to the decimals shown: the box never uses what it does not show."""
        rate = read_rate(text)
        return self.value() if rate is None else round(rate, self.decimals())

    def fixup(self, text: str) -> str:
        """Out of range or unfinished, on leaving the field: the nearest rate allowed."""
        rate = read_rate(text)
        if rate is None:
            return self.textFromValue(self.value())
        return self.textFromValue(min(max(rate, self.minimum()), self.maximum()))
