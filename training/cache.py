"""Arrays kept between runs (prepared MNIST, rendered drawings), safe to share and to lose.

Several trainings may fill one cache folder at once (the app's Retrain and
Search share ``<data>/cache``): each writes under a unique temporary name,
syncs it to disk and renames it into place, so a reader sees a whole entry or
none. An entry that cannot be read, or does not hold what its maker promised,
is rebuilt rather than trusted: the cache can only cost time, never a run.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from digitpad.atomic import atomic_write

log = logging.getLogger(__name__)
Arrays = dict[str, np.ndarray]


def _read(path: Path) -> Arrays | None:
    try:
        if path.suffix == ".npy":
            return {"images": np.load(path, allow_pickle=False)}
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        log.warning("cache entry %s is damaged (%s); making it again", path, exc)
        return None


def _write(path: Path, arrays: Arrays) -> None:
    with atomic_write(path) as handle:
        if path.suffix == ".npy":
            np.save(handle, arrays["images"])
        else:
            np.savez(handle, **arrays)


def cached(path: Path, make: Callable[[], Arrays], valid: Callable[[Arrays], bool]) -> Arrays:
    """``path``'s arrays when whole and ``valid``; otherwise ``make()`` them and keep them.

    A ``.npy`` entry holds one array, returned as ``images``. A cache that
    cannot be written (a full disk, a read-only folder) is logged and skipped.
    """
    found = _read(path)
    if found is not None and valid(found):
        return found
    arrays = make()
    try:
        _write(path, arrays)
    except OSError as exc:
        log.warning("could not keep %s in the cache: %s", path, exc)
    return arrays
