"""The model file: the one contract between ``training/`` and the app.

A model file is an ``.npz`` archive of float32 arrays, read with
``allow_pickle=False`` so that opening one can never run code, plus a JSON
metadata record stored as a byte array under :data:`META_KEY`. The metadata
names the architecture and its sizes, the input normalisation, the labels and
how the model was made (data, command, seed, accuracy, date, versions).
"""

from __future__ import annotations

import contextlib
import json
import lzma
import math
import numbers
import os
import stat
import tokenize
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digitpad.archives import directory_words, npy_header, zip_entries
from digitpad.atomic import atomic_write
from digitpad.networks import ARCHITECTURES, NUM_CLASSES, shifted, softmax

FORMAT = "digitpad-model"
FORMAT_VERSION = 1
META_KEY = "__meta__"
MAX_FILE_BYTES = 256 * 1024 * 1024
# What loading may inflate: the largest network here holds about 2 MB of weights.
MAX_ARRAY_BYTES = 256 * 1024 * 1024
MAX_MEMBERS = 64
# The zip directory listing them: np.savez writes about 100 bytes a member.
MAX_DIRECTORY_BYTES = MAX_MEMBERS * 1024
# DigitPad writes a few kB of metadata; JSON this large costs gigabytes to parse.
MAX_META_BYTES = 1 << 20
# Trained weights are small numbers; anything beyond this is damage or an attack.
MAX_WEIGHT = 1e4
MAX_NORM = 1e3
MIN_STD = 1e-3
# No layer of a model that fits MAX_ARRAY_BYTES is this wide, nor a network this deep.
MAX_SIZE = 1 << 17
# An adapted model's count of corrections: no one draws more, and it is shown as is.
MAX_CORRECTIONS = 1_000_000
# Probabilities this close are the same answer: the weights do not look at the picture.
# All-equal or all-zero weights give exactly equal answers and trained models differ
# by 1e-2 or more.
SAME_ANSWER = 1e-10
# One input's ten logits this close, as a share of their size, differ by rounding alone:
# all-equal weights of 1e4 give logits of 1e10 that differ by up to 3e4 on an AMD EPYC
# (its BLAS sums the ten outputs in different orders), which would read as an answer; a
# trained model's differ by more than their size. (Ten logits sharing an offset ten thousand
# times their differences would be taken as equal too: no trained model gives such.)
ROUNDING = 1e-4
# What reading a damaged archive raises besides ValueError and OSError: zipfile's own
# errors (an unsupported method or version, encryption: RuntimeError), zlib's and lzma's
# for a corrupt stream, and tokenize's and ast's for a garbled .npy header.
DAMAGED = (
    ValueError,
    OSError,
    EOFError,
    KeyError,
    RuntimeError,
    SyntaxError,
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    tokenize.TokenError,
)


class ModelFileError(ValueError):
    """A file that is not a usable DigitPad model; the message says why."""

    kind = "model"  # the category a training child reports (see training.events)


@dataclass(frozen=True)
class Model:
    """Validated weights and metadata, ready for :mod:`digitpad.recognizer`."""

    arch: str
    params: dict[str, np.ndarray]
    meta: dict = field(default_factory=dict)

    @property
    def mean(self) -> float:
        return float(self.meta.get("normalization", {}).get("mean", 0.5))

    @property
    def std(self) -> float:
        return float(self.meta.get("normalization", {}).get("std", 0.5))

    @property
    def deskew(self) -> bool:
        """Whether the network was trained on deskewed digits and must be given them."""
        return bool(self.meta.get("deskew", False))

    @property
    def test_accuracy(self) -> float | None:
        acc = self.meta.get("test_accuracy")
        return None if acc is None else float(acc)

    @property
    def learned_from(self) -> int | None:
        """How many corrections an adapted model learned from, when it records it."""
        adapted = self.meta.get("adapted")
        count = adapted.get("corrections") if isinstance(adapted, dict) else None
        return count if isinstance(count, int) else None

    @property
    def summary(self) -> str:
        """One line for a status bar: architecture and accuracy."""
        acc = self.test_accuracy
        acc_text = f", test accuracy {acc:.2%}" if acc is not None else ""
        if isinstance(self.meta.get("adapted"), dict):
            count = self.learned_from
            plural = "" if count == 1 else "s"
            mine = f" ({count} correction{plural})" if count is not None else ""
            return f"{self.arch.upper()} adapted to your handwriting{mine}{acc_text}"
        return f"{self.arch.upper()}{acc_text}"

    def logits(self, batch: np.ndarray) -> np.ndarray:
        """The network's logits for a batch of normalised N×28×28 inputs."""
        return ARCHITECTURES[self.arch].forward(self.params, batch)

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """N×10 class probabilities of N×28×28 prepared digits in [0, 1] (deskewed already
        where :attr:`deskew` asks): the network's softmax averaged over the architecture's
        moves of each digit, all in one batch. What the app shows and every figure measures."""
        shifts = ARCHITECTURES[self.arch].shifts
        if len(images) == 0:
            return np.zeros((0, NUM_CLASSES), np.float32)
        if shifts == ((0, 0),):
            copies = images
        else:
            copies = np.concatenate([shifted(images, rows, cols) for rows, cols in shifts])
        x = ((copies - self.mean) / self.std).astype(np.float32, copy=False)
        p = softmax(self.logits(x))
        return p.reshape(len(shifts), len(images), -1).mean(axis=0)


def validate(arch: str, params: dict[str, np.ndarray], meta: dict) -> Model:
    """Check names, shapes and values against the architecture; return a Model."""
    spec = ARCHITECTURES.get(arch)
    if spec is None:
        known = ", ".join(sorted(ARCHITECTURES))
        raise ModelFileError(f"unknown architecture {arch!r:.40} (this version knows {known})")
    sizes = meta.get("sizes", spec.default_sizes)
    try:
        _check_sizes(sizes)
        expected = spec.shapes(sizes)
    except KeyError as exc:  # an FCNN's sizes under a CNN's name, say
        raise ModelFileError(
            f"it says it is a {spec.label}, but its sizes {sizes!r:.80} have no "
            f"{str(exc.args[0])!r:.40}: the file is damaged or was made for another network"
        ) from None
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"invalid sizes {sizes!r:.80} for {arch}: {exc!s:.80}") from None
    missing = sorted(set(expected) - set(params))
    if missing:
        raise ModelFileError(f"missing weights for {arch}: {_names(missing)}")
    unexpected = sorted(set(params) - set(expected))
    if unexpected:
        raise ModelFileError(f"unexpected arrays for {arch}: {_names(unexpected)}")
    clean: dict[str, np.ndarray] = {}
    for name, shape in expected.items():
        array = params[name]
        if array.shape != shape:
            raise ModelFileError(f"{name} has shape {array.shape}, expected {shape}")
        if not np.issubdtype(array.dtype, np.floating):
            raise ModelFileError(f"{name} holds {array.dtype}, expected floating point")
        # Checked after the cast: 1e300 in float64 is finite, and infinite in float32.
        with np.errstate(over="ignore"):
            array = np.ascontiguousarray(array, dtype=np.float32)
        if not np.all(np.isfinite(array)):
            raise ModelFileError(f"{name} contains NaN or infinite values")
        if array.size and float(np.abs(array).max()) > MAX_WEIGHT:
            raise ModelFileError(f"{name} holds values beyond ±{MAX_WEIGHT:g}: not trained weights")
        clean[name] = array
    _check_meta(meta)
    model = Model(arch=arch, params=clean, meta={**meta, "arch": arch, "sizes": sizes})
    _check_output(model)
    return model


def _check_sizes(sizes: object) -> None:
    """Sizes are a record of whole numbers (or short lists of them) in 1-MAX_SIZE.

    Checked before the architecture builds its shapes from them: a count of
    ``1e9`` layers or an infinite width must not cost time or memory first.
    """
    if not isinstance(sizes, dict):
        raise TypeError("sizes must be a record")
    for value in sizes.values():
        values = value if isinstance(value, (list, tuple)) and len(value) <= 8 else [value]
        for v in values:
            number = isinstance(v, numbers.Real) and not isinstance(v, bool)
            if not number or not 1 <= v <= MAX_SIZE or v != int(v):
                raise ValueError(f"each size must be a whole number from 1 to {MAX_SIZE}")


def _names(names: list[str]) -> str:
    """A list of array names for a message: the first few, each cut short."""
    shown = ", ".join(f"{name:.40}" for name in names[:6])
    return shown + (f" and {len(names) - 6} more" if len(names) > 6 else "")


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_meta(meta: dict) -> None:
    """Types and ranges of the metadata the app reads (others are kept as they are)."""
    labels = meta.get("labels", list(range(NUM_CLASSES)))
    if (
        not isinstance(labels, list)
        or len(labels) != NUM_CLASSES
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in labels)
        or sorted(labels) != list(range(NUM_CLASSES))
    ):
        raise ModelFileError(f"labels must be the digits 0-9, each once; found {labels!r:.80}")
    norm = meta.get("normalization", {})
    if not isinstance(norm, dict):
        raise ModelFileError(f"normalization must be a record of mean and std, not {norm!r:.40}")
    mean, std = norm.get("mean", 0.5), norm.get("std", 0.5)
    if not _number(mean) or not -MAX_NORM <= mean <= MAX_NORM:
        raise ModelFileError(f"invalid normalisation mean {mean!r:.40}")
    if not _number(std) or not MIN_STD <= std <= MAX_NORM:
        raise ModelFileError(f"invalid normalisation std {std!r:.40}")
    accuracy = meta.get("test_accuracy")
    if accuracy is not None and (not _number(accuracy) or not 0 <= accuracy <= 1):
        raise ModelFileError(f"invalid test accuracy {accuracy!r:.40}")
    if not isinstance(meta.get("deskew", False), bool):
        raise ModelFileError(f"deskew must be true or false, not {meta.get('deskew')!r:.40}")
    _check_adapted(meta.get("adapted"))


def _check_adapted(adapted: object) -> None:
    """What adapting wrote (see ``training.adapt``): a record, its count of corrections shown."""
    if adapted is None:
        return
    if not isinstance(adapted, dict):
        raise ModelFileError(f"adapted must be a record, not {adapted!r:.40}")
    count = adapted.get("corrections")
    whole = isinstance(count, int) and not isinstance(count, bool)
    if count is not None and (not whole or not 1 <= count <= MAX_CORRECTIONS):
        raise ModelFileError(
            f"invalid number of corrections {count!r:.40} (expected 1 to {MAX_CORRECTIONS:,})"
        )


def _check_output(model: Model) -> None:
    """Run the network once on fixed inputs: weights that give no finite answer are refused."""
    _probe_logits(model)


def _check_depends_on_input(model: Model) -> None:
    """Refuse weights whose answer is the same whatever is drawn (all zero, say).

    Such a model is valid as arrays and finite, and would show "0, 10.0% sure" for
    every drawing. Checked at load only: tests and evaluations build constant
    models on purpose with :func:`validate`.
    """
    logits = _probe_logits(model).astype(np.float64)
    spread = logits.max(axis=1, keepdims=True) - logits.min(axis=1, keepdims=True)
    rounding = spread <= ROUNDING * np.abs(logits).max(axis=1, keepdims=True)
    logits = np.where(rounding, 0.0, logits)  # ten equal logits, whatever rounding made them
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities = shifted / shifted.sum(axis=1, keepdims=True)
    if float(np.abs(probabilities - probabilities[0]).max()) <= SAME_ANSWER:
        raise ModelFileError(
            "the network gives the same answer whatever is drawn: the weights are not usable"
        )


def _probe_logits(model: Model) -> np.ndarray:
    """The network's finite logits for a blank square, noise, a stroke and a ring, or refused."""
    probe = _probes()
    x = ((probe - model.mean) / model.std).astype(np.float32)
    with np.errstate(all="ignore"):
        out = model.logits(x)
    if out.shape != (len(probe), NUM_CLASSES) or not np.all(np.isfinite(out)):
        raise ModelFileError("the network gives no finite answer: the weights are not usable")
    return out


def _probes() -> np.ndarray:
    """Fixed 28×28 inputs, ink 1 on 0, that any working model tells apart.

    The noise is a multiplicative hash of the pixel index, not ``np.random``: importing
    that costs 14 ms of every start-up, before the first prediction.
    """
    index = np.arange(2 * 28 * 28, dtype=np.uint64)
    noise = ((index * 2654435761) % 2**32 / 2**32).reshape(2, 28, 28)
    stroke = np.zeros((28, 28))
    stroke[4:24, 13:15] = 1.0  # a 1
    rows, cols = np.mgrid[:28, :28]
    radius = np.hypot(rows - 13.5, cols - 13.5)
    ring = ((radius > 6) & (radius < 9)).astype(float)  # a 0
    return np.stack([np.zeros((28, 28)), *noise, stroke, ring])


def load_model(path: str | os.PathLike) -> Model:
    """Read and validate a model file, or raise :class:`ModelFileError` naming the problem."""
    path = Path(path)
    size = _regular_file_size(path)
    if size == 0:
        raise ModelFileError(f"{path} is empty")
    if size > MAX_FILE_BYTES:
        raise ModelFileError(f"{path} is {size / 2**20:.0f} MiB, too large to be a model")
    try:
        _check_headers(path)
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ModelFileError(f"{path} holds a bare array, not a model archive")
        with archive:
            arrays = {name: archive[name] for name in archive.files}
    except ModelFileError:
        raise
    except PermissionError:
        raise ModelFileError(f"no permission to read {path}") from None
    except DAMAGED as exc:
        raise ModelFileError(f"{path} is not a DigitPad model file ({_what(path, exc)})") from None
    except MemoryError:  # within every limit, on a machine short of memory
        raise ModelFileError(f"{path} needs more memory to read than is free now") from None
    meta_bytes = arrays.pop(META_KEY, None)
    if meta_bytes is None:
        raise ModelFileError(f"{path} has no DigitPad metadata")
    try:
        meta = json.loads(meta_bytes.tobytes().decode("utf-8"))
    except (ValueError, RecursionError):  # not UTF-8, not JSON, or a number of 5,000 digits
        raise ModelFileError(f"{path} has unreadable metadata") from None
    except MemoryError:  # within MAX_META_BYTES, but on a machine short of memory
        raise ModelFileError(f"{path} has metadata too large to read") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a DigitPad model file")
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path} uses model format version {version!s:.40}; this DigitPad reads up to "
            f"{FORMAT_VERSION}. Update DigitPad to use it."
        )
    try:
        model = validate(str(meta.get("arch")), arrays, meta)
        _check_depends_on_input(model)
    except ModelFileError as exc:
        raise ModelFileError(f"{path}: {exc}") from None
    return model


def _regular_file_size(path: Path) -> int:
    """The size of ``path``, refused unless a regular file: a FIFO would block, a device never end.

    Any error from looking the file up (a name too long, a folder without search
    permission) becomes a :class:`ModelFileError` naming the file, never a traceback.
    """
    try:
        status = path.stat()
    except FileNotFoundError:
        raise ModelFileError(f"{path} does not exist") from None
    except PermissionError:
        raise ModelFileError(f"no permission to read {path}") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        reason = (exc.strerror if isinstance(exc, OSError) else None) or exc
        raise ModelFileError(f"cannot read {path}: {reason}") from None
    if stat.S_ISDIR(status.st_mode):
        raise ModelFileError(f"{path} is a folder, not a model file")
    if not stat.S_ISREG(status.st_mode):
        raise ModelFileError(f"{path} is not a regular file, so not a model file")
    return status.st_size


def _what(path: Path, error: Exception) -> str:
    """Why a file is not a model, in words that do not cry attack over a damaged file."""
    with contextlib.suppress(OSError), open(path, "rb") as handle:
        start = handle.read(4)
        if start[:1] == b"\x80" and start[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
            return "it holds a pickle, which is never opened"
        if start == b"PK\x03\x04":
            if "pickle" in str(error) or "object" in str(error):
                return "it holds pickled objects, which are never opened"
            return "a damaged archive"
    return "not a model archive"


def _check_headers(path: Path) -> None:
    """Refuse an archive whose arrays are not what a model holds, before inflating any of them.

    The zip directory and each array's header say how much memory loading
    would take: a small file declaring huge or many arrays is refused unread.
    """
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as handle:
            if handle.read(6) == b"\x93NUMPY":  # np.load would allocate what its header says
                raise ModelFileError(f"{path} holds a bare array, not a model archive")
        return  # np.load says what else it is
    entries, directory_bytes = zip_entries(path)
    if entries > MAX_MEMBERS or directory_bytes > MAX_DIRECTORY_BYTES:
        # zipfile would read it all and build an entry for each array before any is counted.
        raise ModelFileError(
            f"{path} has {directory_words(entries, directory_bytes)}, far more than a model"
        )
    total = 0
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise ModelFileError(f"{path} holds {len(members)} arrays, far more than a model")
        for member in members:
            if not member.filename.endswith(".npy"):
                raise ModelFileError(f"{path} holds {member.filename!r:.80}, which is not an array")
            meta = member.filename == f"{META_KEY}.npy"
            if meta and member.file_size > MAX_META_BYTES:
                raise ModelFileError(_meta_too_large(path, member.file_size))
            with archive.open(member) as handle:
                try:
                    shape, dtype = npy_header(handle)
                except ValueError as exc:
                    raise ModelFileError(f"{path} is not a DigitPad model file ({exc})") from None
            if dtype.hasobject:
                raise ModelFileError(
                    f"{path} is not a DigitPad model file (it holds pickled objects, "
                    "which are never opened)"
                )
            if any(size < 0 for size in shape):  # would offset another array's size
                raise ModelFileError(f"{path} is not a DigitPad model file (a damaged archive)")
            declared = math.prod(shape) * dtype.itemsize
            if meta and declared > MAX_META_BYTES:
                raise ModelFileError(_meta_too_large(path, declared))
            total += declared
            if total > MAX_ARRAY_BYTES:
                raise ModelFileError(f"{path} declares arrays too large to be a model")


def _meta_too_large(path: Path, size: int) -> str:
    return (
        f"{path} declares {size / 2**20:,.1f} MiB of metadata, far more than a model's "
        f"(at most {MAX_META_BYTES // 2**20} MiB is read)"
    )


def save_model(path: str | os.PathLike, arch: str, params: dict, meta: dict) -> Model:
    """Validate and write atomically: a crash leaves the old file or the new one, never half."""
    meta = {**meta, "format": FORMAT, "format_version": FORMAT_VERSION, "arch": arch}
    model = validate(arch, {k: np.asarray(v) for k, v in params.items()}, meta)
    encoded = np.frombuffer(json.dumps(model.meta, sort_keys=True).encode("utf-8"), np.uint8)
    if encoded.size > MAX_META_BYTES:  # never write a file that loading would refuse
        raise ModelFileError(_meta_too_large(Path(path), encoded.size))
    with atomic_write(Path(path)) as handle:
        np.savez(handle, **model.params, **{META_KEY: encoded})
    return model
