"""The error categories a training child reports, so the app never parses prose."""

from __future__ import annotations

import errno
import json

import pytest

from digitpad.model_file import ModelFileError
from training.data import DataError, DownloadError
from training.events import ERROR_KINDS, error_kind
from training.progress import report_error


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (DataError("truncated"), "data"),
        (DownloadError("offline"), "network"),
        (ModelFileError("not a model"), "model"),
        (ConnectionRefusedError("refused"), "network"),
        (OSError(errno.ENETUNREACH, "unreachable"), "network"),
        (OSError(errno.ENOSPC, "No space left on device"), "disk"),
        (PermissionError("denied"), "disk"),
        (ValueError("--lr must be positive"), "input"),
        (RuntimeError("boom"), "bug"),
    ],
)
def test_error_kind_follows_the_exception_type(exc, kind):
    assert error_kind(exc) == kind


def test_an_unknown_kind_attribute_falls_back_to_the_type():
    exc = ValueError("odd")
    exc.kind = "weather"  # type: ignore[attr-defined]
    assert error_kind(exc) == "input"


def test_report_error_writes_one_line_and_one_event(capsys):
    report_error(DataError("mnist/train-images is truncated"))
    out, err = capsys.readouterr()
    event = json.loads(out)
    assert event == {
        "event": "error",
        "message": "mnist/train-images is truncated",
        "kind": "data",
    }
    assert err == "error: mnist/train-images is truncated\n"
    assert set(ERROR_KINDS) >= {event["kind"]}
