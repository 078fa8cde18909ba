"""Quit cleanly on SIGTERM, SIGHUP and SIGINT: a logout, ``kill`` or Ctrl+C in a terminal.

Left to their defaults, these end the process on the spot: a running retrain,
search or learning child goes on alone until it next writes a line, and the
window's size and settings are never saved. Python runs its own handler only
when the interpreter gets control, which Qt's event loop, waiting for events, may
not give it for a long time; so the handler's wake-up byte goes to a socket pair
whose other end a :class:`QSocketNotifier` watches, and the event loop wakes at once.
"""

from __future__ import annotations

import contextlib
import signal
import socket
from collections.abc import Callable

from PySide6.QtCore import QObject, QSocketNotifier

HANDLED = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name)
)


class SignalWatcher(QObject):
    """Calls ``on_signal(number)`` on the GUI thread for each handled signal received."""

    def __init__(self, on_signal: Callable[[int], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._on_signal = on_signal
        self._reader, self._writer = socket.socketpair()
        for end in (self._reader, self._writer):
            end.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        # A handler of Python's own, or the default action would end the process; the
        # wake-up byte, not the handler, carries the signal to the event loop. A signal
        # ignored when the app started (nohup, a background job) stays ignored.
        self._previous = {
            number: signal.signal(number, _ignore)
            for number in HANDLED
            if signal.getsignal(number) is not signal.SIG_IGN
        }
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._read)

    def _read(self) -> None:
        with contextlib.suppress(BlockingIOError, InterruptedError):
            for number in self._reader.recv(64):
                if number in self._previous:
                    self._on_signal(number)

    def close(self) -> None:
        """Give the signals back their previous handlers (tests share one process)."""
        self._notifier.setEnabled(False)
        for number, previous in self._previous.items():
            signal.signal(number, previous)
        signal.set_wakeup_fd(self._previous_fd)
        self._reader.close()
        self._writer.close()


def _ignore(_number: int, _frame: object) -> None:
    """The Python-level handler: nothing to do here (see :class:`SignalWatcher`)."""
