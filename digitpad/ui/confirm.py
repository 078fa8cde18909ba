"""Ask before something that cannot be undone, without blocking the window.

The question is window-modal and opened, not executed: no nested event loop,
so a retrain's progress and the recognition thread's answers keep arriving.
Cancel is the default button, so a stray Enter never deletes anything.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget


def confirm(
    parent: QWidget, title: str, question: str, on_yes: Callable[[], object]
) -> QMessageBox:
    """Open the question; ``on_yes`` runs if Yes is chosen. Returns the box (tests answer it)."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        title,
        question,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        parent,
    )
    yes = box.button(QMessageBox.StandardButton.Yes)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.buttonClicked.connect(lambda button: button is yes and on_yes())
    box.finished.connect(box.deleteLater)
    box.open()
    return box
