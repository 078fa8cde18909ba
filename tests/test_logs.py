"""The log file records errors with tracebacks and never stops the app when unwritable."""

from __future__ import annotations

import logging

from digitpad.logs import setup_logging


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
