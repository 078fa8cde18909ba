"""The Model menu's "Search hyperparameters…": its action, and its dialog once opened.

Kept apart from the dialog so that the menu costs nothing until it is used. A
search keeps running when its dialog is closed, as a retrain does: the status
bar shows how far it is (a click opens the dialog again) and the window says
when it has ended.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMenu, QWidget

if TYPE_CHECKING:
    from PySide6.QtWidgets import QToolButton

    from digitpad.ui.search_dialog import SearchDialog

ACTION_TEXT = "Search &hyperparameters…"


class SearchActions(QObject):
    """The Model menu's "Search hyperparameters…" and its dialog (one per window, kept)."""

    def __init__(self, window: QWidget, menu: QMenu, training) -> None:
        super().__init__(window)
        self.window = window
        self.training = training
        self.dialog: SearchDialog | None = None
        self.background_button: QToolButton | None = None
        # The window's word that a search whose dialog was closed ended (or failed).
        self._ended_notice: str | None = None
        self.action = menu.addAction(ACTION_TEXT)
        self.action.triggered.connect(self.open)

    def open(self) -> SearchDialog:
        if self.dialog is None:
            self.dialog = self._make_dialog()
        if self.background_button is not None:
            self.background_button.hide()
        if self._ended_notice is not None and self.window.banner.text() == self._ended_notice:
            self.window.banner.dismiss()  # the dialog it points to is on screen now
        self._ended_notice = None
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    def _make_dialog(self) -> SearchDialog:
        from PySide6.QtWidgets import QToolButton

        from digitpad.ui.search_dialog import SearchDialog

        dialog = SearchDialog(self.window, self.training.userdata, self.window.settings)
        dialog.retrainRequested.connect(self._retrain_with)
        button = QToolButton(self.window)
        button.setAutoRaise(True)
        button.setToolTip("Show the search")
        button.clicked.connect(self.open)
        button.hide()
        self.window.statusBar().addPermanentWidget(button)
        self.background_button = button
        runner = dialog.runner
        runner.message.connect(self._background_progress)
        dialog.finished.connect(self._background_progress)  # closed: show it at once
        runner.finished.connect(self._search_finished)
        runner.failed.connect(self._background_ended)
        runner.cancelled.connect(button.hide)
        return dialog

    def _background_progress(self, _what: object = None) -> None:
        dialog, button = self.dialog, self.background_button
        if dialog is None or button is None or dialog.isVisible() or not dialog.running:
            if button is not None:
                button.hide()
            return
        button.setText(f"Searching… {dialog.progress_text()}")
        button.show()

    def _search_finished(self, _model: str, _done: dict) -> None:
        self._background_ended(None)

    def _background_ended(self, failure: str | None, _kind: str = "") -> None:
        if self.background_button is not None:
            self.background_button.hide()
        if self.dialog is None or self.dialog.isVisible():
            return
        if failure is not None:  # goes once the dialog, which says it too, is opened
            self._ended_notice = f"The hyperparameter search did not finish: {failure}"
            self.window.show_error(self._ended_notice, unbidden=True)
            return
        best = self.dialog.best_value
        found = f": best validation accuracy {best:.2%}" if isinstance(best, float) else ""
        self._ended_notice = (
            f"The hyperparameter search has finished{found}. Model → Search hyperparameters… "
            "shows its trials and retrains the best."
        )
        self.window.banner.show_message(self._ended_notice, "info", unbidden=True)

    def _retrain_with(self, params: dict) -> None:
        """Open the retrain dialog filled with the search's best parameters and its data."""
        self.training.open_retrain().prefill(params, folder=self.dialog.request().folder)

    def busy(self) -> str:
        return "a hyperparameter search" if self.dialog is not None and self.dialog.running else ""

    def shutdown(self) -> None:
        """Stop the search child and close the dialog (the window is closing)."""
        if self.dialog is not None:
            self.dialog.stop()
            self.dialog.close()
