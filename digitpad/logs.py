"""A rotating log file in the user's data folder, so errors keep their tracebacks.

The window shows a short message and where this file is; the file has the rest.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from digitpad.atomic import refuse_non_regular
from digitpad.words import os_reason

LOG_NAME = "digitpad.log"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _Brief(logging.Formatter):
    """The console's lines: the message and where its traceback is, not the traceback, which
    reads like a crash to someone who started the app from a terminal."""

    def __init__(self, path: Path) -> None:
        super().__init__(FORMAT)
        self._path = path

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        if not any(saved):
            return super().format(record)
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            return f"{super().format(record)} (traceback in {self._path})"
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


class _Unwritable:
    """What a log file that cannot be written any more (a full disk) does with a record: one
    line on the console, the first time, instead of a traceback for every record."""

    def __init__(self, handler: logging.FileHandler) -> None:
        self._handler = handler
        self._said = False

    def __call__(self, record: logging.LogRecord) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):  # a bad log call, not the file: logging's own report
            logging.Handler.handleError(self._handler, record)
            return
        if not self._said:
            self._said = True
            said = f"DigitPad: cannot write the log file {self._handler.baseFilename}"
            print(f"{said}: {os_reason(error)}", file=sys.stderr)  # noqa: T201


def setup_logging(log_dir: Path, level: int = logging.INFO) -> Path | None:
    """Log to ``log_dir/digitpad.log`` (1 MB × 3 files); returns the path, or None if unwritable.

    An unwritable folder must not stop the app, so it falls back to stderr only.
    """
    import logging.handlers  # 30 ms of imports (sockets, pickle): not before the window

    root = logging.getLogger()
    root.setLevel(level)
    formatter = logging.Formatter(FORMAT)
    console = next((h for h in root.handlers if type(h) is logging.StreamHandler), None)
    if console is None and not any(isinstance(h, logging.StreamHandler) for h in root.handlers):
        console = logging.StreamHandler()
        console.setLevel(logging.WARNING)
        console.setFormatter(formatter)
        root.addHandler(console)
    path = Path(log_dir) / LOG_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        refuse_non_regular(path)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError as exc:
        logging.getLogger(__name__).warning("cannot write the log file %s: %s", path, exc)
        return None
    handler.setFormatter(formatter)
    handler.handleError = _Unwritable(handler)  # type: ignore[method-assign]
    for old in [h for h in root.handlers if isinstance(h, logging.handlers.RotatingFileHandler)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    if console is not None:
        console.setFormatter(_Brief(path))  # the file has the tracebacks
    return path
