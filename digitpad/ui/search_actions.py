"""The Model menu's "Search hyperparameters…": its action, and its dialog once opened.

Kept apart from the dialog so that the menu costs nothing until it is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMenu, QWidget

if TYPE_CHECKING:
    from digitpad.ui.search_dialog import SearchDialog

ACTION_TEXT = "Search &hyperparameters…"


class SearchActions(QObject):
    """The Model menu's "Search hyperparameters…" and its dialog (one per window, kept)."""

    def __init__(self, window: QWidget, menu: QMenu, training) -> None:
        super().__init__(window)
        self.window = window
        self.training = training
        self.dialog: SearchDialog | None = None
        self.action = menu.addAction(ACTION_TEXT)
        self.action.triggered.connect(self.open)

    def open(self) -> SearchDialog:
        from digitpad.ui.search_dialog import SearchDialog

        if self.dialog is None:
            self.dialog = SearchDialog(self.window, self.training.userdata, self.window.settings)
            self.dialog.retrainRequested.connect(self._retrain_with)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    def _retrain_with(self, params: dict) -> None:
        """Open the retrain dialog filled with the search's best parameters and its data."""
        self.training.open_retrain().prefill(params, folder=self.dialog.request().folder)

    def busy(self) -> str:
        return "a hyperparameter search" if self.dialog is not None and self.dialog.running else ""

    def shutdown(self) -> None:
        """Stop the search child and close the dialog (the window is closing)."""
        if self.dialog is not None:
            self.dialog.close()
