"""Draw the DigitPad icon: a handwritten 7 on a pad, beside three probability bars.

Run ``python resources/icons/make_icon.py`` to rewrite ``digitpad.png`` (256×256)
and ``digitpad.ico`` next to this script.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QImage,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPen,
)

SIDE = 256


def draw_icon(side: int = SIDE) -> QImage:
    image = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.scale(side / SIDE, side / SIDE)

    # The pad: a rounded square with a soft blue gradient.
    gradient = QLinearGradient(0, 0, 0, SIDE)
    gradient.setColorAt(0, QColor("#3b82c4"))
    gradient.setColorAt(1, QColor("#1d4f8a"))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(gradient)
    p.drawRoundedRect(QRectF(8, 8, 240, 240), 44, 44)

    # The paper the digit is drawn on.
    p.setBrush(QColor("#fbfbf8"))
    p.drawRoundedRect(QRectF(30, 30, 136, 196), 18, 18)

    # A handwritten 7 with round caps.
    pen = QPen(
        QColor("#1b1b1f"),
        17,
        Qt.PenStyle.SolidLine,
        Qt.PenCapStyle.RoundCap,
        Qt.PenJoinStyle.RoundJoin,
    )
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    seven = QPainterPath(QPointF(58, 70))
    seven.quadTo(QPointF(100, 62), QPointF(138, 66))
    seven.quadTo(QPointF(104, 130), QPointF(90, 196))
    p.drawPath(seven)

    # Three bars: the answer highlighted.
    p.setPen(Qt.PenStyle.NoPen)
    for top, length, colour in ((78, 28, "#9cc3e6"), (118, 52, "#ffd166"), (158, 18, "#9cc3e6")):
        p.setBrush(QColor(colour))
        p.drawRoundedRect(QRectF(180, top, length, 24), 7, 7)
    p.end()
    return image


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    here = Path(__file__).resolve().parent
    icon = draw_icon()
    ok = icon.save(str(here / "digitpad.png"), "PNG")
    # .ico for Windows packaging, when this Qt has the ICO writer.
    icon.scaled(
        128, 128, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    ).save(str(here / "digitpad.ico"), "ICO")
    del app
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
