"""Start the desktop app: the window goes on screen first, then the model loads on the worker.

Set ``DIGITPAD_STARTUP_REPORT`` to a file path to have the app append, as
``event unix_time`` lines, when the window was first exposed (``window``) and
when the first model was ready (``ready``), and then quit: the start-up
benchmark reads it.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from digitpad.assets import icon_path
from digitpad.ui.main_window import MainWindow
from digitpad.ui.settings import Settings

ORGANISATION = "DigitPad"
APPLICATION = "DigitPad"
REPORT_ENV = "DIGITPAD_STARTUP_REPORT"


class _StartupReport(QObject):
    """Writes the moments the window is first exposed and the model first ready."""

    def __init__(self, path: str, window: MainWindow) -> None:
        super().__init__(window)
        self._path = path
        self._window_seen = False
        window.windowHandle().installEventFilter(self)
        window.modelReady.connect(self._ready)

    def _write(self, event: str) -> None:
        with open(self._path, "a", encoding="utf-8") as handle:
            handle.write(f"{event} {time.time():.6f}\n")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self._window_seen and event.type() == QEvent.Type.Expose and watched.isExposed():
            self._window_seen = True
            self._write("window")
        return False

    def _ready(self) -> None:
        self._write("ready")
        QTimer.singleShot(0, QApplication.quit)


def create_application(argv: Sequence[str] = ()) -> QApplication:
    """The QApplication with the names QSettings uses and the app icon."""
    QApplication.setOrganizationName(ORGANISATION)
    QApplication.setApplicationName(APPLICATION)
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    icon = icon_path()
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def run(argv: Sequence[str]) -> int:
    """Open the main window and run until it is closed; returns the exit code."""
    app = create_application(argv)
    window = MainWindow(Settings())
    window.show()
    report = os.environ.get(REPORT_ENV)
    if report:
        _StartupReport(report, window)
    # Start loading once the event loop runs, so the first frame is not held up.
    QTimer.singleShot(0, window.start)
    return app.exec()
