"""The model file: the one contract between ``training/`` and the app.

A model file is an ``.npz`` archive of float32 arrays, read with
``allow_pickle=False`` so that opening one can never run code, plus a JSON
metadata record stored as a byte array under :data:`META_KEY`. The metadata
names the architecture and its sizes, the input normalisation, the labels and
how the model was made (data, command, seed, accuracy, date, versions).
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digitpad.atomic import atomic_write
from digitpad.networks import ARCHITECTURES, NUM_CLASSES

FORMAT = "digitpad-model"
FORMAT_VERSION = 1
META_KEY = "__meta__"
MAX_FILE_BYTES = 256 * 1024 * 1024


class ModelFileError(ValueError):
    """A file that is not a usable DigitPad model; the message says why."""


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
    def summary(self) -> str:
        """One line for a status bar: architecture and accuracy."""
        acc = self.test_accuracy
        acc_text = f", test accuracy {acc:.2%}" if acc is not None else ""
        adapted = self.meta.get("adapted")
        if isinstance(adapted, dict):
            count = adapted.get("corrections")
            mine = f" ({count} corrections)" if isinstance(count, int) else ""
            return f"{self.arch.upper()} adapted to your handwriting{mine}{acc_text}"
        return f"{self.arch.upper()}{acc_text}"

    def logits(self, batch: np.ndarray) -> np.ndarray:
        return ARCHITECTURES[self.arch].forward(self.params, batch)


def validate(arch: str, params: dict[str, np.ndarray], meta: dict) -> Model:
    """Check names, shapes and values against the architecture; return a Model."""
    spec = ARCHITECTURES.get(arch)
    if spec is None:
        known = ", ".join(sorted(ARCHITECTURES))
        raise ModelFileError(f"unknown architecture {arch!r} (this version knows {known})")
    sizes = meta.get("sizes", spec.default_sizes)
    try:
        expected = spec.shapes(sizes)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"invalid sizes {sizes!r} for {arch}: {exc}") from None
    missing = sorted(set(expected) - set(params))
    if missing:
        raise ModelFileError(f"missing weights for {arch}: {', '.join(missing)}")
    unexpected = sorted(set(params) - set(expected))
    if unexpected:
        raise ModelFileError(f"unexpected arrays for {arch}: {', '.join(unexpected)}")
    clean: dict[str, np.ndarray] = {}
    for name, shape in expected.items():
        array = params[name]
        if array.shape != shape:
            raise ModelFileError(f"{name} has shape {array.shape}, expected {shape}")
        if not np.issubdtype(array.dtype, np.floating):
            raise ModelFileError(f"{name} holds {array.dtype}, expected floating point")
        if not np.all(np.isfinite(array)):
            raise ModelFileError(f"{name} contains NaN or infinite values")
        clean[name] = np.ascontiguousarray(array, dtype=np.float32)
    labels = meta.get("labels", list(range(NUM_CLASSES)))
    if len(labels) != NUM_CLASSES:
        raise ModelFileError(f"expected {NUM_CLASSES} labels, found {len(labels)}")
    std = meta.get("normalization", {}).get("std", 0.5)
    if not isinstance(std, (int, float)) or std <= 0:
        raise ModelFileError(f"invalid normalisation std {std!r}")
    return Model(arch=arch, params=clean, meta={**meta, "arch": arch, "sizes": sizes})


def load_model(path: str | os.PathLike) -> Model:
    """Read and validate a model file, or raise :class:`ModelFileError` naming the problem."""
    path = Path(path)
    if path.is_dir():
        raise ModelFileError(f"{path} is a folder, not a model file")
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ModelFileError(f"{path} does not exist") from None
    except OSError as exc:
        raise ModelFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    if size == 0:
        raise ModelFileError(f"{path} is empty")
    if size > MAX_FILE_BYTES:
        raise ModelFileError(f"{path} is {size / 2**20:.0f} MiB, too large to be a model")
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ModelFileError(f"{path} holds a bare array, not a model archive")
        with archive:
            arrays = {name: archive[name] for name in archive.files}
    except ModelFileError:
        raise
    except PermissionError:
        raise ModelFileError(f"no permission to read {path}") from None
    except (ValueError, OSError, zipfile.BadZipFile, EOFError, KeyError) as exc:
        reason = "contains pickled objects, which are refused" if "pickle" in str(exc) else None
        raise ModelFileError(
            f"{path} is not a DigitPad model file ({reason or 'not a readable .npz archive'})"
        ) from None
    meta_bytes = arrays.pop(META_KEY, None)
    if meta_bytes is None:
        raise ModelFileError(f"{path} has no DigitPad metadata")
    try:
        meta = json.loads(meta_bytes.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelFileError(f"{path} has unreadable metadata") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a DigitPad model file")
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path} uses model format version {version}; this DigitPad reads up to "
            f"{FORMAT_VERSION}. Update DigitPad to use it."
        )
    try:
        return validate(str(meta.get("arch")), arrays, meta)
    except ModelFileError as exc:
        raise ModelFileError(f"{path}: {exc}") from None


def save_model(path: str | os.PathLike, arch: str, params: dict, meta: dict) -> Model:
    """Validate and write atomically: a crash leaves the old file or the new one, never half."""
    meta = {**meta, "format": FORMAT, "format_version": FORMAT_VERSION, "arch": arch}
    model = validate(arch, {k: np.asarray(v) for k, v in params.items()}, meta)
    encoded = np.frombuffer(json.dumps(model.meta, sort_keys=True).encode("utf-8"), np.uint8)
    with atomic_write(Path(path)) as handle:
        np.savez(handle, **model.params, **{META_KEY: encoded})
    return model
