"""Words the app's messages share: counted nouns ("1 correction", "2 corrections") and why a
file operation failed, so that every message says them the same way."""

from __future__ import annotations

import errno
import os
import re


def plural(count: object, word: str) -> str:
    """``count word``, with an ``s`` unless the count is one."""
    return f"{count} {word}" + ("" if count == 1 else "s")


def a_digit(digit: object) -> str:
    """``"a 7"``, but ``"an 8"``: the article a digit takes when read aloud."""
    return f"{'an' if str(digit) == '8' else 'a'} {digit}"


def os_reason(exc: OSError) -> str:
    """Why a file operation failed, in words, with what to do where there is something to do
    (no errno numbers, no paths: the message around it names the file)."""
    if exc.errno == errno.EEXIST:  # a folder to make where a file or a broken link is
        return "it is not a folder (a file or a broken link has its name)"
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno == errno.ENOSPC:
        reason += ". The disk is full: free some space and try again."
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason += ". Check that you may write to that folder."
    return reason


def in_data_folder(exc: OSError, root: object) -> str:
    """Where writing failed: DigitPad's data folder ``root``, or the file or folder in it
    that ``exc`` names (a file where the models folder should be, say)."""
    folder = f"DigitPad's data folder {root}"
    name = exc.filename
    if not name or os.path.normpath(str(name)) == os.path.normpath(str(root)):
        return folder
    return f"{name} in {folder}"


_ERRNO = re.compile(r"\[Errno -?\d+\]\s*")


def without_errno(message: str) -> str:
    """``message`` without Python's "[Errno 28] " form, which means nothing to a person."""
    return _ERRNO.sub("", message)
