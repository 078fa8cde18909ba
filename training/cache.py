"""Arrays kept between runs (prepared MNIST, rendered drawings), safe to share and to lose.

Several trainings may fill one cache folder at once (the app's Retrain and
Search share ``<data>/cache``): each writes under a unique temporary name,
syncs it to disk and renames it into place, so a reader sees a whole entry or
none. An entry that cannot be read, or does not hold what its maker promised,
is rebuilt rather than trusted: the cache can only cost time, never a run.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import math
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np

from digitpad.atomic import atomic_write, remove_stale_temporaries

log = logging.getLogger(__name__)
Arrays = dict[str, np.ndarray]
_NPY_HEADERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}
ENCRYPTED = 0x1  # a zip member's flag: it needs a password, which no entry of ours has
# Larger than any array the cache holds (120,000 prepared digits are 376 MB).
MAX_MEMBER_BYTES = 4 * 2**30


def _read(path: Path) -> Arrays | None:
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a FIFO would block the run for good
            raise ValueError("not a regular file")
        if path.suffix == ".npy":
            with open(path, "rb") as handle:
                _check_npy(handle, path.stat().st_size)
                return {"images": np.load(handle, allow_pickle=False)}
        with zipfile.ZipFile(path) as archive:
            _check_npz(archive)
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        return None
    except (
        OSError,
        ValueError,
        EOFError,
        zipfile.BadZipFile,
        KeyError,
        MemoryError,
        RuntimeError,  # an archive that says it is encrypted, or uses what zipfile lacks
    ) as exc:
        log.warning("cache entry %s is damaged (%s); making it again", path, exc)
        return None


def _check_npy(handle: BinaryIO, size: int) -> None:
    """Refuse an array file whose header declares more data than the file holds, before
    NumPy asks for memory that size (a damaged header may declare terabytes)."""
    read_header = _NPY_HEADERS.get(np.lib.format.read_magic(handle))
    if read_header is None:
        raise ValueError("its format version is not one NumPy writes")
    shape, _fortran, dtype = read_header(handle)
    declared = math.prod(shape) * dtype.itemsize
    if dtype.hasobject or declared != size - handle.tell():
        raise ValueError(f"its header declares {declared:,} bytes of data")
    handle.seek(0)


def _check_npz(archive: zipfile.ZipFile) -> None:
    """Refuse an archive this module did not write: it stores its arrays uncompressed, so a
    compressed member (which may inflate to gigabytes) is not one of its entries; and each
    array's header must declare the data its member holds, as an array file's must."""
    for member in archive.infolist():
        if (
            member.compress_type != zipfile.ZIP_STORED
            or member.flag_bits & ENCRYPTED
            or member.file_size > MAX_MEMBER_BYTES
        ):
            raise ValueError(f"{member.filename} is not an array this cache wrote")
        with archive.open(member) as handle:
            _check_npy(handle, member.file_size)


def _write(path: Path, arrays: Arrays) -> None:
    with atomic_write(path) as handle:
        if path.suffix == ".npy":
            np.save(handle, arrays["images"])
        else:
            np.savez(handle, **arrays)


def pictures(images: np.ndarray | None, shape: tuple[int, ...]) -> bool:
    """Whether ``images`` are float32 digits of ``shape`` (N×28×28 with N = -1 for any),
    each pixel in [0, 1], every digit inked: what a damaged entry (zeros where a crash
    left a hole, garbage) fails, at a fraction of the cost of making them again."""
    if images is None or images.dtype != np.float32 or images.ndim != len(shape):
        return False
    if any(want not in (-1, got) for want, got in zip(shape, images.shape, strict=True)):
        return False
    if not images.size:
        return True
    highs = images.reshape(len(images), -1).max(axis=1)  # NaN fails every comparison below
    if not float(images.min()) >= 0.0 or not bool((highs > 0).all()):  # each one inked
        return False
    return float(highs.max()) <= 1.0 + 1e-6  # deskewing may round a hair above 1


def digit_labels(labels: np.ndarray | None, count: int) -> bool:
    """Whether ``labels`` are ``count`` integer digits, 0 to 9."""
    if labels is None or labels.dtype.kind not in "iu" or labels.shape != (count,):
        return False
    return not labels.size or (int(labels.min()) >= 0 and int(labels.max()) <= 9)


def cached(path: Path, make: Callable[[], Arrays], valid: Callable[[Arrays], bool]) -> Arrays:
    """``path``'s arrays when whole and ``valid``; otherwise ``make()`` them and keep them.

    A ``.npy`` entry holds one array, returned as ``images``. A cache that
    cannot be written (a full disk, a read-only folder) is logged and skipped.
    """
    found = _read(path)
    if found is not None and valid(found):
        # What a writer killed while another made the entry left: nothing writes it again.
        remove_stale_temporaries(path.parent, glob.escape(path.name))
        return found
    if found is not None:
        log.warning("cache entry %s does not hold what it should; making it again", path)
    arrays = make()
    if path.is_symlink() or (path.exists() and not path.is_file() and not path.is_dir()):
        with contextlib.suppress(OSError):  # a link or a FIFO in its place: ours to replace
            path.unlink()
    try:
        _write(path, arrays)
    except OSError as exc:
        log.warning("could not keep %s in the cache: %s", path, exc)
    return arrays
