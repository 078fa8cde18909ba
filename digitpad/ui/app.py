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
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget

from digitpad.assets import icon_path
from digitpad.logs import setup_logging
from digitpad.ui.inference import stray_threads
from digitpad.ui.main_window import MainWindow
from digitpad.ui.settings import (
    Settings,
    app_data_root,
    not_a_file,
    scratch_store,
    set_aside_if_damaged,
    settings_file,
)
from digitpad.userdata import UserData

if TYPE_CHECKING:
    from digitpad.ui.signals import SignalWatcher

ORGANISATION = "DigitPad"
APPLICATION = "DigitPad"
REPORT_ENV = "DIGITPAD_STARTUP_REPORT"
# A window that is never exposed (started minimised, say) still gets its model this soon.
FIRST_FRAME_FALLBACK_MS = 1000


class _AfterFirstFrame(QObject):
    """Calls ``callback`` once, as soon as the window's first frame is on screen."""

    def __init__(self, window: QWidget, callback: Callable[[], None], fallback_ms: int) -> None:
        super().__init__(window)
        self._window = window
        self._callback: Callable[[], None] | None = callback
        window.windowHandle().installEventFilter(self)
        QTimer.singleShot(fallback_ms, self._fire)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._callback and event.type() == QEvent.Type.Expose and watched.isExposed():
            # The expose paints the frame before returning; the callback comes after it.
            QTimer.singleShot(0, self._fire)
        return False

    def _fire(self) -> None:
        callback, self._callback = self._callback, None
        if callback is not None:
            self._window.windowHandle().removeEventFilter(self)
            callback()


def after_first_frame(
    window: QWidget, callback: Callable[[], None], fallback_ms: int = FIRST_FRAME_FALLBACK_MS
) -> None:
    """Run ``callback`` once ``window`` (already shown) has painted its first frame, or after
    ``fallback_ms`` if it is never exposed; nothing it does can then delay that frame."""
    _AfterFirstFrame(window, callback, fallback_ms)


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
    # Wayland matches windows to their menu entry by this name (digitpad/desktop_entry.py).
    QApplication.setDesktopFileName("digitpad")
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    # Every pen position is part of the drawing: X11's platform plugin otherwise merges the
    # mouse moves that queue up while the window is busy, and a quick 7 loses its corner.
    # Set after the application exists, since that plugin turns merging on as it starts.
    app.setAttribute(Qt.ApplicationAttribute.AA_CompressHighFrequencyEvents, False)
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
    path = settings_file()
    damaged = set_aside_if_damaged(path)  # before Qt reads it, and maybe drops lines
    window = MainWindow(Settings(scratch_store() if not_a_file(path) else None))
    report_errors_to(window)
    window.show()
    report = os.environ.get(REPORT_ENV)
    if report:
        _StartupReport(report, window)

    received: list[int] = []
    watchers: list[SignalWatcher] = []

    def on_signal(number: int) -> None:
        received.append(number)
        window.quit_without_asking()
        app.quit()  # also when a dialog of its own is still open

    def start() -> None:
        # After the first frame, which then waits for neither the log file nor the model
        # (whose loading thread would compete with it for the interpreter); nothing is
        # logged before, and anything printed goes to the console as usual.
        window.log_path = setup_logging(UserData.at(app_data_root()).logs)
        from digitpad.ui.signals import SignalWatcher  # nothing runs that needs it before

        watchers.append(SignalWatcher(on_signal, window))
        window.start()
        if damaged:
            window.show_error(damaged)

    after_first_frame(window, start)
    app.aboutToQuit.connect(window.shutdown)  # a quit that does not close the window
    code = app.exec()
    for watcher in watchers:
        watcher.close()
    return leave(128 + received[0] if received else code)


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
