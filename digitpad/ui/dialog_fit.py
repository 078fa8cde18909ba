"""Dialogs that open within the screen of their window, their body scrolling if need be.

At 150 % a 1280×800 screen has about 853×533 to offer, less than the retrain and
search dialogs want: they open no larger than the free area of their window's
screen, and everything but their row of buttons scrolls.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtWidgets import QFrame, QLayout, QScrollArea, QWidget


def available_geometry(dialog: QWidget) -> QRect:
    """The free area (task bars left out) of the screen a dialog opens on: its window's."""
    parent = dialog.parentWidget()
    return (parent.window() if parent is not None else dialog).screen().availableGeometry()


def fitted_size(
    wanted: QSize, minimum: QSize, available: QSize, frame: QSize | None = None
) -> QSize:
    """The size a dialog opens at: what it asks for (at least its minimum), but never more
    than the screen has room for, its frame (title bar, borders) included."""
    frame = frame if frame is not None else QSize(0, 0)
    room = QSize(available.width() - frame.width(), available.height() - frame.height())
    return QSize(
        max(1, min(max(wanted.width(), minimum.width()), room.width())),
        max(1, min(max(wanted.height(), minimum.height()), room.height())),
    )


def fitted_position(frame: QRect, available: QRect) -> QPoint:
    """The top-left corner that brings ``frame`` inside ``available``, moved as little as it
    takes (a frame larger than the area keeps its top-left corner, and title bar, on it)."""
    x = min(frame.left(), available.left() + available.width() - frame.width())
    y = min(frame.top(), available.top() + available.height() - frame.height())
    return QPoint(max(x, available.left()), max(y, available.top()))


def frame_extra(widget: QWidget | None) -> QSize:
    """How much a window's frame adds to its size: the parent window's, known before the
    dialog's own frame is (only once the dialog is on screen)."""
    if widget is None:
        return QSize(0, 0)
    window = widget.window()
    outer, inner = window.frameGeometry().size(), window.geometry().size()
    return QSize(max(0, outer.width() - inner.width()), max(0, outer.height() - inner.height()))


class ScrollBody(QWidget):
    """What a dialog scrolls. It scrolls only once squeezed to its least height: for contents
    with wrapped text Qt's scroll area takes the height they would like at its width, and
    would scroll (a chart at full height) long before anything is hidden."""

    def heightForWidth(self, width: int) -> int:
        layout = self.layout()
        if layout is None:
            return super().heightForWidth(width)
        return layout.totalMinimumHeightForWidth(width)


def scrolling(body: QLayout, parent: QWidget) -> QScrollArea:
    """``body`` in a frameless scroll area that stretches it: a dialog taller than the
    screen scrolls its contents while the row of buttons outside stays in reach."""
    holder = ScrollBody()
    holder.setLayout(body)
    body.setContentsMargins(0, 0, 0, 0)
    area = QScrollArea(parent)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setWidget(holder)
    return area


class FitsTheScreen:
    """Mixin for a dialog or the main window: it opens no larger than the free area of its
    screen, and inside it (Qt centres a dialog on its window, which may be near an edge)."""

    def setVisible(self, visible: bool) -> None:
        opening = visible and not self.isVisible()
        if opening:
            available = available_geometry(self)
            frame = frame_extra(self.parentWidget())
            self.resize(fitted_size(self.size(), self.minimumSizeHint(), available.size(), frame))
        super().setVisible(visible)
        if opening:
            self.keep_on_screen()

    def keep_on_screen(self) -> None:
        """Shrink and move the dialog, now that its own frame is known, to lie on the screen."""
        available = available_geometry(self)
        outer = self.frameGeometry()
        over = QSize(
            max(0, outer.width() - available.width()), max(0, outer.height() - available.height())
        )
        if not over.isNull():
            self.resize(self.width() - over.width(), self.height() - over.height())
        place = fitted_position(self.frameGeometry(), available)
        if place != self.frameGeometry().topLeft():
            self.move(place)
