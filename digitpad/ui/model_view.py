"""“What the model sees”: the 28×28 picture the network received, enlarged."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from digitpad.ui.colours import WHY_AGAINST, WHY_TOWARD

if TYPE_CHECKING:
    import numpy as np


class ModelInputView(QWidget):
    """Shows a small float image (white ink on black, values in [0, 1]) with square pixels."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self._pixels: np.ndarray | None = None
        self._evidence: QImage | None = None
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setToolTip("The 28×28 picture the network receives after preprocessing")
        self.setAccessibleName("What the model sees")
        self.setAccessibleDescription(view_state(False, False))

    def pixels(self) -> np.ndarray | None:
        return self._pixels

    def set_pixels(self, pixels: np.ndarray | None) -> None:
        """Show ``pixels`` (2-D, floats in [0, 1]); None empties the view."""
        if pixels is None:
            self._pixels, self._image = None, None
        else:
            import numpy as np  # imported late: the window shows before NumPy loads

            grey = np.ascontiguousarray(np.clip(pixels, 0.0, 1.0) * 255 + 0.5, dtype=np.uint8)
            h, w = grey.shape
            # copy(): the QImage must own its bytes once the array is gone.
            self._image = QImage(grey.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
            self._pixels = grey
        self._describe()
        self.update()

    def set_evidence(self, evidence: np.ndarray | None) -> None:
        """Tint each pixel by how it pushed the answer: blue towards the winner, red towards
        the runner-up, stronger where it pushed harder; None clears."""
        self._evidence = None if evidence is None else _tint(evidence)
        self._describe()
        self.update()

    def has_evidence(self) -> bool:
        return self._evidence is not None

    def _describe(self) -> None:
        state = view_state(self._image is not None, self._evidence is not None)
        if self.accessibleDescription() != state:
            self.setAccessibleDescription(state)

    def _target(self, ratio: float | None = None) -> QRectF:
        """Where the picture goes at device pixel ``ratio`` (the widget's by default)."""
        ratio = self.devicePixelRatioF() if ratio is None else ratio
        return square_of_cells(self.width(), self.height(), ratio)

    def sizeHint(self) -> QSize:
        side = max(112, self.fontMetrics().height() * 7 // 28 * 28)
        return QSize(side, side)

    def minimumSizeHint(self) -> QSize:
        return QSize(56, 56)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        # The painter's scale, not the widget's: render() and grab() may paint at another.
        target = self._target(painter.deviceTransform().m11())
        if self._image is None:
            palette = self.palette()
            painter.fillRect(target, palette.color(QPalette.ColorRole.AlternateBase))
            painter.setPen(palette.color(QPalette.ColorRole.Mid))
            painter.drawRect(target.adjusted(0.5, 0.5, -0.5, -0.5))  # the frame, empty or not
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(target, Qt.AlignmentFlag.AlignCenter, "–")
        else:
            # No smoothing: each of the 28×28 pixels stays a visible square.
            painter.drawImage(target, self._image)
            if self._evidence is not None:
                painter.drawImage(target, self._evidence)
        painter.setPen(self.palette().color(QPalette.ColorRole.Mid))
        painter.drawRect(target.adjusted(-0.5, -0.5, 0.5, 0.5))


def view_state(shown: bool, tinted: bool) -> str:
    """What the view shows, in words: a screen reader cannot see the picture or its tint."""
    if not shown:
        return "Empty: nothing has been recognised"
    picture = "The 28×28 picture the network received after preprocessing"
    if not tinted:
        return picture
    return (
        f"{picture}, tinted blue where pixels pushed towards the answer "
        "and red where they pushed towards the runner-up"
    )


CELLS = 28


def square_of_cells(width: float, height: float, ratio: float, cells: int = CELLS) -> QRectF:
    """The largest centred square, in logical pixels, that is a whole number of device
    pixels per cell and starts on a device pixel: at a fractional scale (150 %) a square of
    whole logical multiples of 28 px gives cells of 4 and 5 device pixels, unevenly."""
    device_side = max(cells, int(min(width, height) * ratio) // cells * cells)
    side = device_side / ratio
    left = round((width - side) / 2 * ratio) / ratio
    top = round((height - side) / 2 * ratio) / ratio
    return QRectF(left, top, side, side)


def _tint(evidence: np.ndarray) -> QImage:
    """An ARGB overlay of ``evidence``: blue for positive pixels, red for negative."""
    import numpy as np

    scale = float(np.abs(evidence).max()) or 1.0
    strength = np.clip(np.abs(evidence) / scale, 0.0, 1.0) ** 0.5  # faint evidence stays visible
    h, w = evidence.shape
    rgba = np.zeros((h, w, 4), np.uint8)
    for sign, colour in ((1, QColor(WHY_TOWARD)), (-1, QColor(WHY_AGAINST))):
        mask = np.sign(evidence) == sign
        rgba[mask, 0], rgba[mask, 1], rgba[mask, 2] = colour.red(), colour.green(), colour.blue()
    rgba[..., 3] = (strength * 220).astype(np.uint8)
    image = QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888)
    return image.copy()
