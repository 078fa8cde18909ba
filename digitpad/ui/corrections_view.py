"""Model → Corrections → Show all…: every corrected drawing with its label, to fix or remove.

A wrong click saves a drawing under the wrong digit, and that drawing then
teaches the wrong thing to every retrain and to "Learn my handwriting". Here
each one shows as a thumbnail captioned with its label: select some, then
press a number key (or choose a digit) to relabel them, or Delete to remove
them. Thumbnails are decoded a screenful at a time, each framed on its digit: the
drawings are whole canvases, where a small digit in a corner would be a speck.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QImageReader, QKeyEvent, QPainter, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from digitpad.corrections import PICTURE, SOURCE_KEY, CorrectionError, Corrections, too_large
from digitpad.images import ImageLoadError
from digitpad.preprocess import ink_bounds
from digitpad.ui.canvas import grey_pixels
from digitpad.ui.confirm import confirm
from digitpad.ui.dialog_fit import FitsTheScreen
from digitpad.words import a_digit, plural

THUMB = 72
# Drawings are decoded no larger than this before framing: enough pixels for a digit a
# sixth of the canvas wide, and a few milliseconds for a batch.
DECODE = 4 * THUMB
BATCH = 8  # thumbnails decoded per turn of the event loop: a few ms, never a stall
# Around the digit, this share of its size on each side; never closer than this share of
# the canvas, so that a speck is not blown up to fill the thumbnail.
MARGIN = 0.15
CLOSEST = 0.1


def drawing_frame(bounds: tuple[int, int, int, int], height: int, width: int) -> QRect:
    """The square a thumbnail shows of a picture of ``height`` × ``width`` with its ink at
    ``bounds`` (top, bottom, left, right): centred on the ink with a margin, reaching past
    the picture's edges where the ink is near them."""
    top, bottom, left, right = bounds
    side = round(max(bottom - top, right - left, CLOSEST * min(height, width)) * (1 + 2 * MARGIN))
    return QRect(round((left + right - side) / 2), round((top + bottom - side) / 2), side, side)


def thumbnail(path: str) -> tuple[QImage, str]:
    """The drawing at ``path`` framed on its digit (an opened picture whole), or a null
    image and why not. Read as learning reads it: a PNG, whatever else the file holds."""
    import numpy as np

    reader = QImageReader(path, b"png")
    reader.setDecideFormatFromContent(False)
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > DECODE:
        reader.setScaledSize(size.scaled(DECODE, DECODE, Qt.AspectRatioMode.KeepAspectRatio))
    picture = reader.text(SOURCE_KEY) == PICTURE
    image = reader.read()
    if image.isNull():
        return image, reader.errorString()
    grey = grey_pixels(image)
    bounds = None if picture else ink_bounds(grey)
    if bounds is not None:
        frame = drawing_frame(bounds, image.height(), image.width())
        framed = QImage(frame.size(), QImage.Format.Format_Grayscale8)
        framed.fill(QColor.fromHsv(0, 0, int(np.median(grey[::4, ::4]))))  # the paper
        painter = QPainter(framed)
        painter.drawImage(-frame.topLeft(), image)
        painter.end()
        image = framed
    smooth = Qt.TransformationMode.SmoothTransformation
    return image.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio, smooth), ""


class CorrectionsView(FitsTheScreen, QDialog):
    """The list of corrections; ``changed`` fires after any relabel or delete, and
    ``relabelled`` and ``removed`` name the files, so that the window, which remembers
    the file its drawing on screen was saved as, follows them."""

    changed = Signal()
    relabelled = Signal(str, str)  # old path, new path
    removed = Signal(str)  # path

    def __init__(self, corrections: Corrections, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.corrections = corrections
        self.setWindowTitle("Corrected drawings")
        self.resize(560, 420)
        self.list = QListWidget(self)
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setGridSize(QSize(THUMB + 16, THUMB + 28))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setUniformItemSizes(True)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.list.installEventFilter(self)
        self.summary = QLabel(self)
        self.label_combo = QComboBox(self)
        self.label_combo.addItems([str(d) for d in range(10)])
        self.relabel_button = QPushButton("&Relabel as", self)
        self.relabel_button.clicked.connect(
            lambda: self.relabel(int(self.label_combo.currentText()))
        )
        self.delete_button = QPushButton("&Delete", self)
        self.delete_button.clicked.connect(self.ask_delete_selected)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)

        actions = QHBoxLayout()
        actions.addWidget(self.relabel_button)
        actions.addWidget(self.label_combo)
        actions.addStretch(1)
        actions.addWidget(self.delete_button)
        # Tab follows the screen: the button, then the digit it relabels as.
        QWidget.setTabOrder(self.relabel_button, self.label_combo)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.list, 1)
        layout.addLayout(actions)
        layout.addWidget(close)
        self._pending: list[QListWidgetItem] = []
        self.delete_box = None  # the question before deleting several (tests answer it)
        self._loader = QTimer(self)
        self._loader.setInterval(0)
        self._loader.timeout.connect(self._load_some)
        self.refresh()

    # --- content ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """List the corrections again (newest first); thumbnails follow without blocking."""
        self.list.clear()
        paths = sorted(self.corrections.paths(), key=lambda p: p.name[2:], reverse=True)
        self._pending = []
        # Each item as large as it will be from the start: items growing as their thumbnails
        # arrive left the grid with uneven gaps until something made it lay out again.
        blank = QPixmap(THUMB, THUMB)
        blank.fill(Qt.GlobalColor.transparent)
        waiting = QIcon(blank)
        for path in paths:
            item = QListWidgetItem(waiting, path.name[0], self.list)
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            item.setToolTip(f"Saved as {a_digit(path.name[0])}")
            self._pending.append(item)
        count = len(paths)
        self.summary.setText(
            f"{plural(count, 'corrected drawing')}. Select, then press a "
            "number to relabel or Delete to remove."
            if count
            else "No corrected drawings yet: click the right digit's bar after a wrong answer."
        )
        self._update_buttons()
        self._loader.start()

    def _load_some(self) -> None:
        for item in self._pending[:BATCH]:
            path = item.data(Qt.ItemDataRole.UserRole)
            try:
                too_large(path)
            except ImageLoadError as exc:
                self._mark_damaged(item, str(exc))
                continue
            image, why_not = thumbnail(path)
            if not image.isNull():
                item.setIcon(QIcon(QPixmap.fromImage(image)))
            else:
                self._mark_damaged(item, why_not)
        self._pending = self._pending[BATCH:]
        if not self._pending:
            self._loader.stop()

    def _mark_damaged(self, item: QListWidgetItem, reason: str) -> None:
        """Learning leaves the file out; say so here, where it can be deleted."""
        warning = QStyle.StandardPixmap.SP_MessageBoxWarning
        item.setIcon(self.style().standardIcon(warning))
        item.setText(f"{item.text()} (damaged)")
        item.setToolTip(f"{item.toolTip()}, but unreadable: {reason}")

    def selected_paths(self) -> list[Path]:
        return [Path(i.data(Qt.ItemDataRole.UserRole)) for i in self.list.selectedItems()]

    # --- changes ---------------------------------------------------------------------------
    def relabel(self, digit: int) -> int:
        """Give the selected drawings the label ``digit``; returns how many changed."""
        changed = 0
        for item in self.list.selectedItems():
            path = Path(item.data(Qt.ItemDataRole.UserRole))
            if path.name[0] == str(digit):
                continue
            try:
                new = self.corrections.relabel(path, digit)
            except CorrectionError as exc:
                self.summary.setText(str(exc))
                break
            item.setData(Qt.ItemDataRole.UserRole, str(new))
            item.setText(str(digit))
            item.setToolTip(f"Saved as {a_digit(digit)}")
            changed += 1
            self.relabelled.emit(str(path), str(new))
        if changed:
            self.label_combo.setCurrentText(str(digit))  # what they are saved as now
            self.changed.emit()
        return changed

    def ask_delete_selected(self) -> None:
        """Delete the selected drawing, or, once asked (no is the default), the selected
        drawings: Ctrl+A and Delete must not empty the list by accident, with no undo."""
        count = len(self.list.selectedItems())
        self.delete_box = None
        if count <= 1:
            self.delete_selected()
            return
        self.delete_box = confirm(
            self,
            "Delete corrections",
            f"Delete the {count} selected drawings? This cannot be undone.",
            self.delete_selected,
            "Delete",
        )

    def delete_selected(self) -> int:
        """Remove the selected drawings; returns how many went.

        The drawing that takes the first removed one's place becomes the current and
        selected one, as in a file manager, so the keyboard carries on from there.
        """
        rows = [self.list.row(item) for item in self.list.selectedItems()]
        gone = 0
        for item in self.list.selectedItems():
            path = Path(item.data(Qt.ItemDataRole.UserRole))
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                self.summary.setText(f"Could not delete {path.name}: {exc.strerror or exc}")
                break
            self.list.takeItem(self.list.row(item))
            gone += 1
            self.removed.emit(str(path))
        if gone:
            self.changed.emit()
            self.refresh()
            if self.list.count():
                self.list.setCurrentRow(min(min(rows), self.list.count() - 1))
        return gone

    def _update_buttons(self) -> None:
        selected = self.list.selectedItems()
        self.relabel_button.setEnabled(bool(selected))
        self.delete_button.setEnabled(bool(selected))
        labels = {item.text()[0] for item in selected}
        if len(labels) == 1:  # the digit they are saved as, to change from there
            self.label_combo.setCurrentText(labels.pop())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Number keys relabel and Delete removes, while the list has the focus."""
        if watched is self.list and event.type() == QEvent.Type.KeyPress:
            key = QKeyEvent(event)
            text = key.text()
            if text.isdigit() and len(text) == 1 and self.list.selectedItems():
                self.relabel(int(text))
                return True
            if key.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                self.ask_delete_selected()
                return True
        return super().eventFilter(watched, event)
