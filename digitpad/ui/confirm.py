"""Ask before something that cannot be undone, without blocking the window.

The question is window-modal and opened, not executed: no nested event loop,
so a retrain's progress and the recognition thread's answers keep arriving.
Cancel is the default button, so a stray Enter never deletes anything.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget


def confirm(
    parent: QWidget, title: str, question: str, on_yes: Callable[[], object], yes: str
) -> QMessageBox:
    """Open the question; ``on_yes`` runs if its button is chosen, which says what it does
    (``yes``: "Delete", say, rather than Yes). Returns the box (tests answer it).

    ``yes`` has no underlined key: a message box presses a button at its letter alone,
    without Alt, and a stray "d" must not delete what cannot be brought back."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        title,
        question,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        parent,
    )
    button = box.button(QMessageBox.StandardButton.Yes)
    button.setText(yes)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.buttonClicked.connect(lambda clicked: clicked is button and on_yes())
    box.finished.connect(box.deleteLater)
    box.open()
    return box
