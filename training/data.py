"""Labelled 28×28 digits for training and evaluation: MNIST IDX files and the app's corrections.

MNIST is read from a local folder of IDX files, gzipped or raw, under any of the
usual names: torchvision's ``train-images-idx3-ubyte[.gz]``, Kaggle's
``train-images.idx3-ubyte``, either directly in the folder or in torchvision's
``MNIST/raw/`` (or ``raw/``) sub-folder. With ``download=True`` a missing set is
fetched by ``torchvision.datasets.MNIST`` into that folder first.

Corrections saved by the app
----------------------------
A corrections folder holds one PNG per drawing, named ``<label>_<anything>.png``
where ``<label>`` is the digit 0-9, for example ``7_20240501-142233-1.png``.
The picture is the canvas as the user drew it, any size, dark ink on a light
background or the reverse, or a picture the user opened, as it was loaded
(marked so in its PNG text, and read as one): training passes it through
:func:`digitpad.preprocess.prepare` exactly as the app does before predicting.
Files whose name does not start with a digit and ``_`` are ignored; a PNG that
cannot be read, or holds no ink, is an error naming the file. A folder may also
hold ``.npz`` files with ``images`` (N×28×28, uint8 0-255 or float 0-1, white
ink on black, already prepared) and ``labels`` (N integers 0-9).

All loaders return :class:`Digits`: float32 images in [0, 1], white ink on black,
and int64 labels. Every problem is a :class:`DataError` whose message names the file.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from digitpad.archives import directory_words, npy_header, zip_entries
from digitpad.corrections import correction_label, read_correction
from digitpad.model_file import DAMAGED
from digitpad.preprocess import SIDE, deskew, prepare
from digitpad.preprocess import VERSION as PREPROCESS_VERSION

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
SPLITS = {"train": "train", "test": "t10k"}
# The full MNIST training images are 47 MB; a header promising far more is not MNIST.
# Loading costs five times the bytes (float32 images), so 1 GiB from a 5 MB gzip bomb
# would ask for 5 GiB: the limit is what the largest MNIST needs, with some room.
MAX_IDX_BYTES = 64 * 2**20
# An .npz set holds images and labels; a few more files are tolerated, and ignored.
MAX_NPZ_MEMBERS = 16


class DataError(Exception):
    """Training data that cannot be used; the message names the file and the problem."""

    kind = "data"


class DownloadError(DataError):
    """MNIST could not be fetched: usually no network."""

    kind = "network"


@dataclass(frozen=True)
class Digits:
    """A labelled set of 28×28 digits: float32 images in [0, 1] (ink white) and int64 labels."""

    images: np.ndarray
    labels: np.ndarray
    description: str
    # P×2 row indices of rows that are two views of one digit (None: no such rows).
    twins: np.ndarray | None = None
    # A name for exactly these images, from the files they came from and what was done to
    # them; the cache files derived images under it (None: hash the images instead).
    key: str | None = None

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def epoch_size(self) -> int:
        """How many digits one epoch trains on: one view of each pair of ``twins``."""
        return len(self) - (0 if self.twins is None else len(self.twins))

    @staticmethod
    def concat(parts: list[Digits], description: str | None = None) -> Digits:
        parts = [p for p in parts if len(p)]
        if not parts:
            raise DataError("no training data")
        keys = [p.key for p in parts]
        key = None if None in keys else _derived_key("concat", *keys)
        if len(parts) == 1:  # nothing to join: no copy of what may be hundreds of megabytes
            only = parts[0]
            return replace(only, description=description or only.description, key=key)
        offsets = np.cumsum([0] + [len(p) for p in parts[:-1]])
        twins = [
            p.twins + offset
            for p, offset in zip(parts, offsets, strict=True)
            if p.twins is not None
        ]
        return Digits(
            np.concatenate([p.images for p in parts]),
            np.concatenate([p.labels for p in parts]),
            description or " + ".join(p.description for p in parts),
            np.concatenate(twins) if twins else None,
            # Named only when every part is: hashing the images here would cost more than
            # what a cache could save (the parts are cached on their own).
            key,
        )

    @staticmethod
    def views(first: Digits, second: Digits) -> Digits:
        """Both sets, row i of ``second`` recorded as another view of row i of ``first``."""
        if first.labels.shape != second.labels.shape or (first.labels != second.labels).any():
            raise ValueError("two views of one set must hold the same digits in the same order")
        n = len(first)
        pairs = np.stack([np.arange(n), np.arange(n) + n], 1)
        return replace(Digits.concat([first, second]), twins=pairs)

    def prepared(self, cache: str | os.PathLike | None = None) -> Digits:
        """The same digits passed through the app's preprocessing (what it feeds the model).

        With ``cache``, the result is kept in that folder, since preparing 10,000
        digits takes seconds on every run.
        """
        return self._transformed("prepared", prepare_all, cache)

    def deskewed(self, cache: str | os.PathLike | None = None) -> Digits:
        """The same digits sheared upright (:func:`digitpad.preprocess.deskew`), cached the
        same way: 120,000 digits take nine seconds, reading them back a fraction of one."""
        return self._transformed("deskewed", deskew, cache)

    def _transformed(
        self,
        name: str,
        transform: Callable[[np.ndarray], np.ndarray],
        cache: str | os.PathLike | None,
    ) -> Digits:
        """``transform`` of the images, kept in ``cache`` under a name for its input.

        The name is made from ``key`` when the images have one (no need to hash
        hundreds of megabytes again), otherwise from a hash of the images.
        """
        description = f"{self.description}, {name}"
        if cache is None:
            return replace(self, images=transform(self.images), description=description, key=None)
        source = self.key or _images_key(self.images)
        key = _derived_key(name, source)
        path = Path(cache) / f"{name}-{source}-v{PREPROCESS_VERSION}.npy"
        from training.cache import cached, pictures

        arrays = cached(
            path,
            lambda: {"images": transform(self.images)},
            lambda found: pictures(found["images"], self.images.shape),
        )
        return replace(self, images=arrays["images"], description=description, key=key)


def _images_key(images: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(images)).hexdigest()[:16]


def _derived_key(name: str, *sources: str) -> str:
    """A short name for images made by ``name`` from images named ``sources``."""
    joined = ":".join((name, f"v{PREPROCESS_VERSION}", *sources))
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


def prepare_all(images: np.ndarray) -> np.ndarray:
    """Run :func:`digitpad.preprocess.prepare` on each image; a blank result keeps the input."""
    out = np.empty((len(images), SIDE, SIDE), np.float32)
    for i, image in enumerate(images):
        result = prepare(image)
        out[i] = image if result.image is None else result.image
    return out


def _read_idx_bytes(path: Path, ndim: int, magic: int) -> tuple[list[int], bytes]:
    """(dimensions, data) of an IDX file, inflating no more than its header says it holds;
    a file of the other kind (labels for images, or the reverse) is said as such.

    A gzip bomb behind a valid header costs the header's size at most, and a
    header that promises more than :data:`MAX_IDX_BYTES` is refused unread.
    """
    header = 4 + 4 * ndim
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as handle:
            head = handle.read(header)
            if len(head) < header:
                raise DataError(
                    f"{path} is truncated: {len(head)} bytes, too short for an IDX header"
                )
            _check_magic(path, int.from_bytes(head[:4], "big"), magic)
            dims = [int.from_bytes(head[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
            count = math.prod(dims)
            if count > MAX_IDX_BYTES:
                raise DataError(
                    f"{path} declares {count:,} bytes of data, more than this reader accepts"
                )
            return [int.from_bytes(head[:4], "big"), *dims], handle.read(count)
    except DataError:
        raise
    except PermissionError:
        raise DataError(f"no permission to read {path}") from None
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise DataError(f"cannot read {path}: {exc}") from None


def _check_magic(path: Path, found: int, magic: int) -> None:
    kinds = {IMAGES_MAGIC: "images", LABELS_MAGIC: "labels"}
    if found == magic:
        return
    if found in kinds:
        raise DataError(
            f"{path} holds {kinds[found]}, not {kinds[magic]} (IDX magic number {found}): "
            "are the image and label files swapped?"
        )
    raise DataError(
        f"{path} has magic number {found}, expected {magic} for an IDX {kinds[magic]} file"
    )


def read_idx(path: str | os.PathLike, magic: int) -> np.ndarray:
    """Read one IDX file (images: magic 2051, N×rows×cols; labels: 2049, N) as uint8."""
    path = Path(path)
    ndim = 3 if magic == IMAGES_MAGIC else 1
    (_found, *dims), data = _read_idx_bytes(path, ndim, magic)
    count = math.prod(dims)
    if len(data) < count:
        raise DataError(
            f"{path} is truncated: header promises {count} bytes of data, found {len(data)}"
        )
    if ndim == 3 and tuple(dims[1:]) != (SIDE, SIDE):
        raise DataError(f"{path} holds {dims[1]}×{dims[2]} images, expected {SIDE}×{SIDE}")
    return np.frombuffer(data, np.uint8, count).reshape(dims)


def _candidates(folder: Path, prefix: str, kind: str) -> list[Path]:
    magic_dims = "idx3" if kind == "images" else "idx1"
    names = [f"{prefix}-{kind}-{magic_dims}-ubyte", f"{prefix}-{kind}.{magic_dims}-ubyte"]
    places = [folder, folder / "MNIST" / "raw", folder / "raw"]
    return [place / (name + ext) for place in places for name in names for ext in ("", ".gz")]


def find_idx(folder: Path, split: str, kind: str) -> Path:
    """The IDX file for ``split`` (train/test) and ``kind`` (images/labels), or DataError."""
    candidates = _candidates(folder, SPLITS[split], kind)
    for path in candidates:
        if path.is_file():
            return path
    raise DataError(
        f"no MNIST {split} {kind} in {folder} (looked for {candidates[0].name}[.gz], "
        f"{candidates[2].name}[.gz], also under MNIST/raw/ and raw/)"
    )


def _check_folder(folder: Path, kind: str = "data") -> None:
    if not folder.exists():
        raise DataError(f"{kind} folder {folder} does not exist")
    if not folder.is_dir():
        raise DataError(f"{folder} is not a folder")
    try:
        entries = list(folder.iterdir())
    except PermissionError:
        raise DataError(f"no permission to read folder {folder}") from None
    except OSError as exc:
        raise DataError(f"cannot read folder {folder}: {exc}") from None
    if not entries:
        raise DataError(f"{kind} folder {folder} is empty")


def download_mnist(folder: str | os.PathLike) -> None:
    """Fetch MNIST with torchvision into ``folder`` (it lands in ``folder/MNIST/raw``)."""
    folder = Path(folder)
    try:
        from torchvision.datasets import MNIST
    except ImportError:  # a lean build without torchvision: everything else still works
        raise DataError(
            f"this installation cannot download MNIST (torchvision is not included); "
            f"put the four MNIST files in {folder}, or choose a folder that holds them"
        ) from None
    try:
        for train in (True, False):
            MNIST(str(folder), train=train, download=True)
    except Exception as exc:  # torchvision raises plain RuntimeError/URLError when offline
        reason = download_reason(exc)
        raise DownloadError(f"cannot download MNIST into {folder}: {reason}") from None


_URL_ERROR = re.compile(r"<urlopen error (?:\[Errno -?\d+\] )?([^>]*)>")


def download_reason(exc: Exception) -> str:
    """Why a download failed, once, in words: torchvision lists every mirror it tried, each
    with urllib's "<urlopen error [Errno -2] Name or service not known>"."""
    found = _URL_ERROR.search(str(exc))
    if found:
        return f"the MNIST servers could not be reached ({found.group(1).strip() or 'no reason'})"
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def fetch_mnist(folder: str | os.PathLike, split: str = "train") -> None:
    """Download MNIST into ``folder`` unless ``split``'s two files are there already."""
    folder = Path(folder)
    try:
        find_idx(folder, split, "images")
        find_idx(folder, split, "labels")
    except DataError:
        folder.mkdir(parents=True, exist_ok=True)
        download_mnist(folder)


def load_mnist(folder: str | os.PathLike, split: str = "train", download: bool = False) -> Digits:
    """MNIST ``split`` ("train" or "test") from a folder of IDX files, downloading if asked."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {sorted(SPLITS)}")
    folder = Path(folder)
    if download:
        fetch_mnist(folder, split)
    _check_folder(folder)
    images_path = find_idx(folder, split, "images")
    labels_path = find_idx(folder, split, "labels")
    images = read_idx(images_path, IMAGES_MAGIC)
    labels = read_idx(labels_path, LABELS_MAGIC)
    if len(images) != len(labels):
        raise DataError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels"
        )
    if len(images) == 0:
        raise DataError(f"{images_path} holds no images")
    if labels.max() > 9:
        raise DataError(f"{labels_path} holds label {labels.max()}, expected 0-9")
    return Digits(
        images.astype(np.float32) / 255.0,
        labels.astype(np.int64),
        f"MNIST {split} ({len(labels)} images from {folder})",
        # The bytes, a quarter of the float images, are what is hashed: a tenth of a second.
        key=_derived_key("idx", _images_key(images)),
    )


def _load_correction_png(path: Path) -> np.ndarray:
    from digitpad.images import ImageLoadError

    try:
        result = read_correction(path)  # the app's own reader
    except (ImageLoadError, ValueError) as exc:
        raise DataError(f"cannot read correction {path}: {exc}") from None
    if result.image is None:
        raise DataError(f"correction {path} holds no digit ({result.blank_reason})")
    return result.image


def check_npz(path: Path) -> None:
    """Refuse what is no .npz archive, or arrays larger than :data:`MAX_IDX_BYTES`, unread.

    ``np.load`` allocates what an array's header declares before reading it: a
    small file declaring a terabyte must be refused from its headers.
    """
    if not zipfile.is_zipfile(path):
        raise DataError(f"{path} is not an .npz archive")
    entries, directory_bytes = zip_entries(path)
    if entries > MAX_NPZ_MEMBERS or directory_bytes > MAX_NPZ_MEMBERS * 1024:
        # zipfile would read it all and build an entry for each file before any is counted.
        listing = directory_words(entries, directory_bytes)
        raise DataError(f"{path} has {listing}, far more than a set of corrections")
    total = 0
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.filename in ("images", "labels"):  # np.load would return its raw bytes
                raise DataError(f"{path}: {info.filename} is a raw file, not an array (.npy)")
            if info.filename not in ("images.npy", "labels.npy"):
                continue
            with archive.open(info) as handle:
                try:
                    shape, dtype = npy_header(handle)
                except ValueError as exc:
                    raise DataError(f"cannot read {path}: {info.filename}: {exc}") from None
            if dtype.hasobject:
                raise DataError(f"{path}: {info.filename} holds Python objects, never opened")
            if any(size < 0 for size in shape):
                raise DataError(f"{path}: {info.filename} declares a negative size")
            total += math.prod(shape) * dtype.itemsize
    if total > MAX_IDX_BYTES:
        raise DataError(f"{path} declares {total:,} bytes of arrays, more than this reader accepts")


# How far outside [0, 1] a float pixel may be and be read as the edge: resampling's rounding.
ROUNDING = 1e-6


def _load_correction_npz(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        check_npz(path)
        with np.load(path, allow_pickle=False) as archive:
            images, labels = archive["images"], archive["labels"]
    except DataError:
        raise
    except KeyError:
        raise DataError(f"{path} needs arrays 'images' and 'labels'") from None
    except DAMAGED as exc:  # zipfile, zlib, lzma and NumPy's header parser each have their own
        # Cut short: zipfile's and NumPy's messages quote the damaged bytes.
        raise DataError(f"cannot read {path}: {exc!s:.200}") from None
    if images.dtype == bool:  # a mask: ink where True
        images = images.astype(np.uint8)
    if not np.issubdtype(images.dtype, np.number) or not np.issubdtype(labels.dtype, np.integer):
        raise DataError(f"{path}: images must be numbers and labels whole numbers")
    if labels.ndim != 1:
        raise DataError(f"{path}: labels have shape {labels.shape}, expected (N,)")
    if images.ndim != 3 or images.shape[1:] != (SIDE, SIDE):
        raise DataError(f"{path}: images have shape {images.shape}, expected (N, 28, 28)")
    if len(images) != len(labels):
        raise DataError(f"{path} holds {len(images)} images but {len(labels)} labels")
    if len(labels) and (labels.min() < 0 or labels.max() > 9):
        raise DataError(f"{path} holds labels outside 0-9")
    whole = np.issubdtype(images.dtype, np.integer)
    images = images.astype(np.float32)
    if not np.all(np.isfinite(images)):
        raise DataError(f"{path} holds pixels that are not finite numbers")
    # Grey levels 0-255, or 0-1 (a mask of 0s and 1s among them). Between 1 and 2 a set is
    # neither: read as 0-255 it would be all but blank, so it is refused, not guessed at.
    top = float(images.max(initial=0))
    if top > 1.0 + ROUNDING:
        if not whole and top <= 2.0:
            raise DataError(
                f"{path} holds pixels up to {top:.4g}: neither 0-1 nor grey levels 0-255"
            )
        images = images / 255.0
    if images.min(initial=0) < -ROUNDING or images.max(initial=0) > 1.0 + ROUNDING:
        raise DataError(f"{path} holds pixels outside 0-1 (or grey levels 0-255)")
    images = np.clip(images, 0.0, 1.0)  # what resampling left a hair outside
    blank = np.flatnonzero(images.reshape(len(images), -1).max(axis=1, initial=0) <= 0)
    if len(blank):
        raise DataError(f"{path}: image {blank[0]} (of {len(images)}) is blank, no digit to learn")
    return images, labels.astype(np.int64)


def load_corrections(folder: str | os.PathLike, skipped: list[str] | None = None) -> Digits:
    """The labelled drawings saved by the app (format in the module docstring).

    A drawing that cannot be read stops the load, unless ``skipped`` is given: then
    it is left out and why is appended there, so one damaged file among a user's
    corrections does not keep the others from being learned; so is a damaged .npz
    set, with where to fix it (Show all… lists only the app's drawings).
    """
    folder = Path(folder)
    _check_folder(folder, "corrections")
    images: list[np.ndarray] = []
    labels: list[int] = []
    for path in sorted(folder.iterdir()):
        label = correction_label(path.name)
        if label is not None and path.is_file():
            try:
                images.append(_load_correction_png(path))
            except DataError as exc:
                if skipped is not None and not path.exists():
                    continue  # deleted since the folder was listed (Delete all, meanwhile)
                if skipped is None:
                    raise
                skipped.append(str(exc))
                continue
            labels.append(label)
        elif path.suffix.lower() == ".npz" and path.is_file():
            try:
                more_images, more_labels = _load_correction_npz(path)
            except DataError as exc:
                if skipped is None:
                    raise
                skipped.append(f"{exc} (a set made by hand: fix or delete it in {folder})")
                continue
            images.extend(more_images)
            labels.extend(int(v) for v in more_labels)
    if not labels and skipped:
        raise DataError(f"none of the corrections in {folder} can be read: {skipped[0]}")
    if not labels:
        raise DataError(
            f"no corrections in {folder} (expected files named <digit>_<anything>.png or .npz)"
        )
    return Digits(
        np.stack(images).astype(np.float32),
        np.asarray(labels, np.int64),
        f"{len(labels)} corrections from {folder}",
    )
