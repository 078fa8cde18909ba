"""The log file records errors with tracebacks and never stops the app when unwritable."""

from __future__ import annotations

import logging
import os
import stat
import sys

from digitpad.logs import setup_logging
from digitpad.ui.app import report_errors_to

pytest_plugins = ["ui_helpers"]


def test_errors_are_logged_with_traceback(tmp_path):
    path = setup_logging(tmp_path / "logs")
    try:
        raise RuntimeError("model went missing")
    except RuntimeError:
        logging.getLogger("digitpad.test").exception("loading failed")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text()
    assert "loading failed" in text
    assert "Traceback" in text and "RuntimeError: model went missing" in text


def test_unwritable_log_folder_falls_back_quietly(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    assert setup_logging(blocker / "logs") is None
    logging.getLogger("digitpad.test").error("still fine")


def _flushed_text(path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text()


def test_window_errors_name_the_log_and_are_logged(window, qtbot, tmp_path):
    window.log_path = setup_logging(tmp_path / "logs")
    text = tmp_path / "notes.txt"
    text.write_text("not a picture")
    with qtbot.waitSignal(window.recognition.imageFailed, timeout=5000):
        window.open_image(str(text))
    shown = window.banner.text()
    assert "notes.txt" in shown and str(window.log_path) not in shown  # two lines at most
    assert window.banner.details() == f"Details are in the log: {window.log_path}"
    assert "notes.txt" in _flushed_text(window.log_path)


def test_uncaught_errors_are_logged_with_traceback_and_shown(window, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    window.log_path = setup_logging(tmp_path / "logs")
    report_errors_to(window)
    try:
        raise ZeroDivisionError("a slot divided by zero")
    except ZeroDivisionError:
        sys.excepthook(*sys.exc_info())
    assert "a slot divided by zero" in window.banner.text()
    assert f"Details are in the log: {window.log_path}" in window.banner.text()  # a bug's
    assert window.isVisible()
    logged = _flushed_text(window.log_path)
    assert "Traceback" in logged and "ZeroDivisionError: a slot divided by zero" in logged


LOG_AN_ERROR = """
import logging, sys
from pathlib import Path
from digitpad.logs import setup_logging
path = setup_logging(Path(sys.argv[1]))
try:
    raise RuntimeError("model went missing")
except RuntimeError:
    logging.getLogger("digitpad.test").exception("loading failed")
print(path)
"""


def test_the_terminal_gets_one_line_and_the_file_the_traceback(tmp_path):
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", LOG_AN_ERROR, str(tmp_path / "logs")],
        capture_output=True,
        text=True,
        check=True,
    )
    path = done.stdout.strip()
    assert "loading failed (traceback in " + path + ")" in done.stderr
    assert "Traceback" not in done.stderr
    assert "RuntimeError: model went missing" in (tmp_path / "logs" / "digitpad.log").read_text()
    # With no log file, the terminal is the only place left for the traceback.
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    done = subprocess.run(
        [sys.executable, "-c", LOG_AN_ERROR, str(blocker / "logs")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Traceback" in done.stderr and "RuntimeError: model went missing" in done.stderr


def test_a_log_file_that_is_a_fifo_is_refused_not_opened(tmp_path):
    """A FIFO in the log's place would block the app until something read it; a reader is
    held open here so that the test itself never blocks, and the FIFO must be left alone."""
    folder = tmp_path / "logs"
    folder.mkdir()
    fifo = folder / "digitpad.log"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert setup_logging(folder) is None
        logging.getLogger("digitpad.test").error("still fine")
        assert os.read(reader, 4096) == b""
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


LOG_ON_A_FULL_DISK = """
import errno, logging, sys
from pathlib import Path
from digitpad.logs import setup_logging

class Full:
    def write(self, text):
        raise OSError(errno.ENOSPC, "No space left on device")
    def flush(self):
        pass
    def seek(self, *args):
        return 0
    def tell(self):
        return 0

setup_logging(Path(sys.argv[1]))
file = next(h for h in logging.getLogger().handlers if hasattr(h, "baseFilename"))
file.stream = Full()
logging.getLogger("digitpad.test").warning("a bad call %d", "x")  # not the file's fault
for n in range(3):
    logging.getLogger("digitpad.test").warning("record %d", n)
"""


def test_a_log_file_on_a_full_disk_is_said_once_in_a_line(tmp_path):
    """Python's logging prints a traceback for every record it cannot write; the terminal
    gets one line, the first time, and the records still reach it."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", LOG_ON_A_FULL_DISK, str(tmp_path / "logs")],
        capture_output=True,
        text=True,
        check=True,
    )
    path = tmp_path / "logs" / "digitpad.log"
    said = f"DigitPad: cannot write the log file {path}: No space left on device. The disk is full"
    assert done.stderr.count(said) == 1
    # Logging's own report of the bad call (by each handler), which does not use up the
    # line the full disk gets afterwards; no traceback of the full disk.
    assert done.stderr.index("a real number is required") < done.stderr.index(said)
    assert "OSError" not in done.stderr
    assert all(f"record {n}" in done.stderr for n in range(3))
