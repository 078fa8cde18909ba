"""The data of a search: the training set split into fitting and validation parts, and the test set.

The training set is gathered as the ``train`` command gathers it
(:func:`training.pipeline.gather_training_data`: raw MNIST, then, with
``prepared_mnist``, its copy passed through the app's preprocessing), so the
best configuration is retrained on exactly what ``train`` would train on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from training.config import TrainConfig
from training.search.errors import SearchError


@dataclass
class SplitData:
    """Tensors on the training device: train (minus validation), validation, test."""

    x_train: Any
    y_train: Any
    x_val: Any
    y_val: Any
    x_full: Any
    y_full: Any
    x_test: Any
    y_test: Any
    description: str
    full: Any = None  # the full training set as Digits (for the model file's record)


def split_indices(n: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded, class-agnostic split of ``range(n)`` into (train, validation) indices."""
    if not 0 < val_fraction < 1:
        raise SearchError(
            f"--val-fraction must be between 0 and 1, not {val_fraction}", kind="input"
        )
    n_val = max(1, round(n * val_fraction))
    if n - n_val < 1:
        raise SearchError(
            f"{n} training images are too few to hold out a validation part", kind="data"
        )
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def load_split(
    folder: Path, base: TrainConfig, val_fraction: float, device: Any, cache: Path | None = None
) -> SplitData:
    """MNIST train split into fitting/validation parts (by ``base.seed``), and the test set.

    As in the train command, the test set is scored as the app sees it (through
    :func:`digitpad.preprocess.prepare`) and, with ``base.prepared_mnist``, the
    training images are used both raw and prepared. Validation uses the held-out
    images prepared; neither form of them ever enters fitting.
    """
    from training.data import DataError, Digits
    from training.pipeline import gather_training_data

    try:
        full, test, _ = gather_training_data(base, Path(folder), lambda: False, cache=cache)
        raw, prepared = _raw_and_prepared(full, base, cache)
    except DataError as exc:
        raise SearchError(str(exc), kind="data") from None
    keep, held = split_indices(len(raw), val_fraction, base.seed)
    fit = Digits.concat(
        [_part(raw, keep)] + ([_part(prepared, keep)] if base.prepared_mnist else [])
    )
    x_train, y_train = _tensors(fit, base, device)
    x_val, y_val = _tensors(_part(prepared, held), base, device)
    x_full, y_full = _tensors(full, base, device)
    x_test, y_test = _tensors(test, base, device)
    return SplitData(
        x_train,
        y_train,
        x_val,
        y_val,
        x_full,
        y_full,
        x_test,
        y_test,
        f"{raw.description}: {len(keep)} for fitting, {len(held)} held out for validation",
        full,
    )


def _raw_and_prepared(full: Any, base: TrainConfig, cache: Path | None) -> tuple[Any, Any]:
    """The raw MNIST training images and their prepared copy, out of the gathered set."""
    from training.data import Digits

    if not base.prepared_mnist:
        return full, full.prepared(cache)
    n = len(full) // 2  # raw MNIST first, then the same images prepared
    raw = Digits(full.images[:n], full.labels[:n], full.description.split(" + ")[0])
    prepared = Digits(full.images[n:], full.labels[n:], f"{raw.description}, prepared")
    assert np.array_equal(raw.labels, prepared.labels), "gathered set is not raw + prepared"
    return raw, prepared


def _part(source: Any, index: np.ndarray) -> Any:
    from training.data import Digits

    return Digits(source.images[index], source.labels[index], source.description)


def _tensors(digits: Any, base: TrainConfig, device: Any) -> tuple[Any, Any]:
    import torch

    from digitpad.preprocess import deskew
    from training.loop import to_tensor

    images = deskew(digits.images) if base.deskew else digits.images
    return to_tensor(images, device), torch.from_numpy(digits.labels).to(device)
