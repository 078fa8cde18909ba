"""Atomic file writes, so that a crash, a full disk or a kill never leaves half a file."""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import tempfile
import time
from pathlib import Path


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once at import: os.umask is process-wide, so never toggle it while threads run.
_UMASK = _read_umask()


# A temporary file this old was left by a writer that died (a kill, a power cut): no save
# of ours takes minutes.
STALE_SECONDS = 600
# A temporary is named after the start of its target's name: ".name.random.tmp" must fit
# where the name itself just fits (255 bytes on most file systems).
TEMPORARY_STEM = 200


def _stem(name: str) -> str:
    return name.encode("utf-8")[:TEMPORARY_STEM].decode("utf-8", "ignore")


def remove_stale_temporaries(folder: Path, names: str) -> int:
    """Delete the temporaries that killed writers of files ``names`` (a glob) in ``folder``
    left behind, and return how many. Stale means written long ago, or long "after" now
    (the clock went back); a live writer's temporary is never that old."""
    now, removed = time.time(), 0
    with contextlib.suppress(OSError):
        for leftover in folder.glob(f".{names}.*.tmp"):
            with contextlib.suppress(OSError):
                if leftover.is_file() and abs(now - leftover.stat().st_mtime) > STALE_SECONDS:
                    leftover.unlink()
                    removed += 1
    return removed


class atomic_write:  # noqa: N801 - used like open()
    """Write to a temporary file in the target folder, fsync, then rename over the target."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._tmp: Path | None = None
        self._handle = None

    def __enter__(self):
        refuse_non_regular(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            stem = _stem(self.path.name)
            remove_stale_temporaries(self.path.parent, glob.escape(stem))
            fd, tmp = tempfile.mkstemp(prefix=f".{stem}.", suffix=".tmp", dir=self.path.parent)
        except OSError as exc:
            raise _about(exc, self.path) from None
        self._tmp = Path(tmp)
        self._handle = os.fdopen(fd, "wb")
        return self._handle

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self._handle is not None and self._tmp is not None
        try:
            try:
                if exc_type is None:
                    self._handle.flush()
                    os.fsync(self._handle.fileno())  # a full disk often shows only here
            finally:
                self._handle.close()
            if exc_type is None:
                os.chmod(self._tmp, 0o666 & ~_UMASK)  # mkstemp makes it private
                os.replace(self._tmp, self.path)
        except OSError as error:
            if exc_type is not None:
                raise
            raise _about(error, self.path) from None
        finally:
            # Best effort: failing to tidy up must not hide why the write failed.
            with contextlib.suppress(OSError):
                self._tmp.unlink(missing_ok=True)


def refuse_non_regular(path: Path) -> None:
    """Refuse a folder, a device or a FIFO where a file is to be written: renaming over
    ``/dev/null`` as root would swap the device for a file, and opening a FIFO to append
    blocks until something reads it; none of them is a file the caller meant."""
    try:
        other = path.exists() and not path.is_file()
    except (OSError, ValueError):  # cannot be looked up: creating the temporary says why
        other = False
    if other:
        raise OSError(errno.EINVAL, "it is not a regular file", str(path))


def _about(error: OSError, path: Path) -> OSError:
    """The same error, naming the file being written rather than its temporary twin."""
    if error.errno is None:
        return error
    return OSError(error.errno, error.strerror, str(path))


def replace_file(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` as ``path`` atomically, refusing to replace anything but a regular file.

    A FIFO at ``path`` would block whoever writes to it until something reads it, and a
    device or a folder is not a file the user meant to replace.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise OSError(errno.ENOENT, "its folder does not exist", str(path))
    with atomic_write(path) as handle:  # which refuses anything but a regular file
        handle.write(data)
