"""The stop a training child obeys: SIGINT/SIGTERM set it, the work polls it.

One flag for every command (``train``, ``adapt``, ``search``): the signal
handler records the signal, and the loops look at the flag between batches (and
between trials). Work with no loop of ours between its steps (reading,
preparing and drawing the data) runs inside :meth:`StopFlag.raising`, where
the handler also raises, at whatever line the work is on: only where an
exception leaves no half-written file (every file there is written atomically).
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Iterator
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)
# How often :meth:`StopFlag.wait` looks at the flag.
WAIT_SLICE_S = 0.1


class StopFlag:
    """Set by SIGINT/SIGTERM once installed (or by :meth:`set`); polled between batches.

    Calling it (``stop()``) says whether it is set, so it can be passed wherever a
    ``should_stop`` callable is expected; ``is_set`` and ``wait`` answer like a
    :class:`threading.Event`'s, so it can also stand where one is expected.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self._set = False
        self._raising: type[BaseException] | None = None

    def __call__(self) -> bool:
        return self._set

    def is_set(self) -> bool:
        return self._set

    def set(self, signum: int | None = None) -> None:
        if signum is not None:
            self.signum = signum
        self._set = True

    def wait(self, timeout: float) -> bool:
        """Sleep until the flag is set or ``timeout`` seconds pass; returns whether it is set."""
        deadline = time.monotonic() + timeout
        while not self._set:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            time.sleep(min(left, WAIT_SLICE_S))
        return self._set

    def _handler(self, signum: int, _frame: object) -> None:
        self.set(signum)
        if self._raising is not None:
            raise self._raising()

    @contextlib.contextmanager
    def raising(self, exception: type[BaseException]) -> Iterator[None]:
        """While the block runs, a stop signal raises ``exception`` where the work is, at
        once: for work with no loop of ours between its steps (reading, preparing and
        drawing the data take minutes on a large file)."""
        if self._set:
            raise exception()
        self._raising = exception
        try:
            yield
        finally:
            self._raising = None

    def install(self) -> dict[int, Any]:
        """Let SIGINT/SIGTERM set the flag; returns the handlers they had.

        Outside the main thread (a test worker, say) signals cannot be caught, and
        this does nothing.
        """
        previous: dict[int, Any] = {}
        for sig in SIGNALS:
            with contextlib.suppress(ValueError):
                previous[sig] = signal.signal(sig, self._handler)
        return previous

    @contextlib.contextmanager
    def installed(self) -> Iterator[StopFlag]:
        """:meth:`install` for the length of a ``with`` block, then the old handlers again."""
        previous = self.install()
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                if handler is not None:  # None: a handler set outside Python, not ours to restore
                    signal.signal(sig, handler)


def raising(
    should_stop: object, exception: type[BaseException]
) -> contextlib.AbstractContextManager:
    """:meth:`StopFlag.raising` for a stop flag; nothing for another ``should_stop``."""
    if isinstance(should_stop, StopFlag):
        return should_stop.raising(exception)
    return contextlib.nullcontext()


__all__ = ["StopFlag", "raising"]
