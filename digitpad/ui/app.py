"""Start the desktop app: the window goes on screen first, then the model loads on the worker.

Set ``DIGITPAD_STARTUP_REPORT`` to a file path to have the app append, as
``event unix_time`` lines, when the window was first exposed (``window``) and
when the first model was ready (``ready``), and then quit: the start-up
benchmark reads it.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Sequence
from types import TracebackType

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from digitpad.assets import icon_path
from digitpad.logs import setup_logging
from digitpad.ui.inference import stray_threads
from digitpad.ui.main_window import MainWindow
from digitpad.ui.settings import Settings, app_data_root
from digitpad.userdata import UserData

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


def report_errors_to(window: MainWindow) -> None:
    """Log every uncaught exception (in a slot, say) with its traceback and show it in the window.

    Qt would only print it; a person double-clicking the app would never see it.
    """

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        logging.getLogger("digitpad").critical("unexpected error", exc_info=(kind, error, tb))
        window.report_unexpected(error)

    sys.excepthook = hook


def run(argv: Sequence[str]) -> int:
    """Open the main window and run until it is closed; returns the exit code."""
    app = create_application(argv)
    window = MainWindow(Settings())
    report_errors_to(window)
    window.show()
    report = os.environ.get(REPORT_ENV)
    if report:
        _StartupReport(report, window)

    def start() -> None:
        # Once the event loop runs, so the first frame waits for neither the log file
        # nor the model: everything before it has already been shown or printed.
        window.log_path = setup_logging(UserData.at(app_data_root()).logs)
        window.start()

    QTimer.singleShot(0, start)
    app.aboutToQuit.connect(window.shutdown)  # a quit that does not close the window
    return leave(app.exec())


def leave(code: int) -> int:
    """``code`` for ``sys.exit``, or exit now when a thread is stuck in a job.

    Python's exit would destroy the stuck thread's QThread, which makes Qt abort
    the process; everything worth keeping is already written, so end at once.
    """
    if stray_threads():
        logging.getLogger("digitpad").warning("leaving with a recognition thread still busy")
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
