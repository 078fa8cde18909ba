"""The words every message shares: counted nouns and why a file operation failed."""

from __future__ import annotations

import errno
import os

import pytest

from digitpad.words import os_reason, plural


def test_counted_words_agree_with_their_number():
    assert [plural(n, "correction") for n in (0, 1, 2)] == [
        "0 corrections",
        "1 correction",
        "2 corrections",
    ]


@pytest.mark.parametrize(
    ("code", "says"),
    [
        (errno.EEXIST, "it is not a folder"),
        (errno.ENOSPC, "The disk is full"),
        (errno.EACCES, "Check that you may write to that folder"),
        (errno.EROFS, "Check that you may write to that folder"),
        (errno.EIO, os.strerror(errno.EIO)),
    ],
)
def test_a_failed_file_operation_is_said_in_words_with_what_to_do(code, says):
    reason = os_reason(OSError(code, os.strerror(code), "/some/file"))
    assert says in reason
    assert "Errno" not in reason and "/some/file" not in reason


def test_a_write_that_failed_in_the_data_folder_names_what_was_in_the_way(tmp_path):
    from digitpad.words import in_data_folder

    root = tmp_path / "data"
    inside = OSError(errno.EEXIST, "File exists", str(root / "models"))
    assert in_data_folder(inside, root) == f"{root / 'models'} in DigitPad's data folder {root}"
    at_root = OSError(errno.EACCES, "Permission denied", str(root) + "/")
    assert in_data_folder(at_root, root) == f"DigitPad's data folder {root}"
    assert in_data_folder(OSError("no name"), root) == f"DigitPad's data folder {root}"
