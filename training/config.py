"""Training settings as data: one dataclass used by the ``train`` command and the search.

The defaults are the original design's hyperparameters (Adam, lr ≈ 0.00107,
batch 128, 40 epochs) plus what measured better here (cosine decay, milder
augmentation); every other part of ``training/`` reads its settings
from a :class:`TrainConfig` rather than from module globals. The app never imports
this module: the Retrain dialog's defaults are copied into
``digitpad/training_defaults.py`` (``tests/test_corrections.py`` holds the two equal),
and the dialog passes its values as command-line options.

:class:`TrainConfig` is also the recipe recorded in every model file
(``to_dict``/``from_dict``): a new field's default is what new runs do; when runs made
before the field existed did otherwise, what they did goes in :data:`PREDATING`, which
``from_dict`` fills in for recipes that lack the field.
:data:`SEARCH_SPACE` is the search space, one :class:`Param` per field searched.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from digitpad.networks import ARCHITECTURES, DEFAULT_ARCH

ARCH_CHOICES = tuple(ARCHITECTURES)
SCHEDULES = ("constant", "cosine", "onecycle")
DEVICES = ("auto", "cpu", "cuda", "mps")
HELD_OUT_ORGS = ("apa", "aga", "imp")
# Renders per UniPen record: 4 is the default and 8 the bundled FCNN's; each costs memory.
MAX_UNIPEN_RENDERS = 100


# Beyond these, training only diverges or draws noise: refused before any work.
MAX_LR = 1.0
MAX_AUGMENT = 2.0  # twice the full range: rotation ±30°, shift ±5 px
MAX_ELASTIC = 8.0  # pixels of RMS displacement, a third of the digit
# A batch's layer outputs, kept for the backward pass: more than any machine that trains
# these networks holds (the largest CNN the search tries needs 1.3 GB at batch 1,024).
MAX_BATCH_BYTES = 64 * 2**30
# Convolutions per CNN stage: a deeper stack of 3×3 convolutions on 28×28 digits only
# multiplies the memory its batches need (1,000 filled a 24 GB machine).
MAX_CONVS = 8


# Settings added after models were first recorded, and what older recipes did instead.
PREDATING: dict[str, Any] = {"both_views": True, "warp_group": 1}


@dataclass
class TrainConfig:
    """Everything that decides what a training run produces (besides the data itself)."""

    arch: str = DEFAULT_ARCH
    hidden: int = 128
    channels: tuple[int, int] = (32, 64)
    # 3×3 convolutions per CNN stage (before each pool).
    convs: int = 1
    dropout: float = 0.0
    epochs: int = 40
    lr: float = 0.001065741156220378
    batch_size: int = 128
    weight_decay: float = 0.0
    # Cosine decay measured +0.3 points over the design's constant rate (resources/README.md).
    schedule: str = "cosine"
    warmup_fraction: float = 0.0
    # 0.1 gained 0.1-0.6 points on the MNIST test (10,000 images, three seeds) but cost 2.4
    # points on continental writers never seen (gmd left out; resources/README.md): off.
    label_smoothing: float = 0.0
    # 0 turns augmentation off; 1 is rotation ±15°, scale ±15%, shear ±0.25, shift ±2.5 px.
    # 0.5 measured best for the FCNN (1.0 and 0.25 were 0.3-0.5 points worse on MNIST).
    augment: float = 0.5
    # Elastic distortion, RMS displacement in pixels (0 = off).
    elastic: float = 0.0
    # Digits (in random order) that share one random warp: the warp is made once for them all.
    # 4 makes augmentation cheaper at no measured cost: MNIST and unseen writers alike (with
    # gmd left out: 95.9% against 95.8% for a warp per digit); 8 was 0.2 points worse on MNIST.
    warp_group: int = 4
    # Train on deskewed digits (digitpad.preprocess.deskew); the model file says so and the
    # app deskews its input. +0.2-0.6 points for the FCNN (resources/README.md).
    deskew: bool = True
    seed: int = 0
    device: str = "auto"
    # Also train on MNIST passed through digitpad.preprocess.prepare (the app's inputs).
    prepared_mnist: bool = True
    # With prepared_mnist: every epoch trains on both views of each MNIST digit (as it is and
    # prepared), rather than on one of the two picked at random. One view halves the work but
    # costs 0.5-0.7 points on the MNIST test (10,000 images, three seeds).
    both_views: bool = True
    # Renders per UniPen record when a UniPen file is given (0: no UniPen data).
    unipen_renders: int = 4
    held_out_orgs: tuple[str, ...] = HELD_OUT_ORGS
    # Fraction of the UniPen renders rewritten in another writing style (training/styles.py):
    # flagged 1s, crossed 7s, slashed 0s, open 4s, straight or curled 9s, looped 2s.
    # 0.5 measured better than 0.3 for writers never seen (resources/README.md).
    styled: float = 0.5
    # Knowledge distillation (soft targets) from one model file, or from the mean logits of
    # several.
    teachers: tuple[str, ...] = ()
    distill_weight: float = 0.7
    distill_temperature: float = 4.0
    eval_batch_size: int = 2048

    def __post_init__(self) -> None:
        self.channels = tuple(int(c) for c in self.channels)  # type: ignore[assignment]
        self.held_out_orgs = tuple(self.held_out_orgs)
        self.teachers = tuple(self.teachers)
        if self.arch not in ARCH_CHOICES:
            raise ValueError(f"unknown architecture {self.arch!r}; choose from {ARCH_CHOICES}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; choose from {SCHEDULES}")
        if self.device not in DEVICES:
            raise ValueError(f"unknown device {self.device!r}; choose from {DEVICES}")
        for name in ("epochs", "batch_size", "hidden", "convs", "warp_group"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name in (
            "lr",
            "weight_decay",
            "dropout",
            "warmup_fraction",
            "label_smoothing",
            "augment",
            "elastic",
            "styled",
            "distill_weight",
            "distill_temperature",
        ):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be a finite number, not {getattr(self, name)}")
        if not 0 < self.lr <= MAX_LR:
            raise ValueError(f"lr must be positive and at most {MAX_LR} (Adam's is about 0.001)")
        if not 0 <= self.dropout < 1:
            raise ValueError("dropout must be in [0, 1)")
        if not 0 <= self.label_smoothing < 1:
            raise ValueError("label_smoothing must be in [0, 1): 1 would teach no digit at all")
        for name, high in (("augment", MAX_AUGMENT), ("elastic", MAX_ELASTIC)):
            if getattr(self, name) > high:
                raise ValueError(f"{name} must be at most {high}")
        if not 0 <= self.seed < 2**32:
            raise ValueError("seed must be in [0, 2³²)")
        for name, low, high in (
            ("warmup_fraction", 0, 1),
            ("styled", 0, 1),
            ("distill_weight", 0, 1),
        ):
            if not low <= getattr(self, name) <= high:
                raise ValueError(f"{name} must be in [{low}, {high}]")
        for name in ("weight_decay", "augment", "elastic"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if not self.distill_temperature > 0:
            raise ValueError("distill_temperature must be positive")
        if not 0 <= self.unipen_renders <= MAX_UNIPEN_RENDERS:
            raise ValueError(f"unipen_renders must be in [0, {MAX_UNIPEN_RENDERS}]")
        if min(self.channels, default=1) < 1:
            raise ValueError("channels must be at least 1")
        if self.convs > MAX_CONVS:
            raise ValueError(f"convs must be at most {MAX_CONVS} (3×3 convolutions per stage)")
        _check_model_size(self.arch, self.sizes)
        _check_batch_memory(self)

    @property
    def sizes(self) -> dict[str, Any]:
        """The architecture sizes as the model file records them."""
        return {
            name: list(value) if isinstance(value, tuple) else value
            for name in ARCHITECTURES[self.arch].default_sizes
            for value in [getattr(self, name)]
        }

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["channels"] = list(self.channels)
        data["held_out_orgs"] = list(self.held_out_orgs)
        data["teachers"] = list(self.teachers)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Build from a dict, ignoring keys this version does not know (old metadata)."""
        known = {f.name for f in fields(cls)}
        data = dict(data)
        if data.get("teacher"):  # before ensembles: one file name or None
            data.setdefault("teachers", [data["teacher"]])
        # Recipes recorded before these settings existed trained this way.
        for name, before in PREDATING.items():
            data.setdefault(name, before)
        return cls(**{k: v for k, v in data.items() if k in known})


def _check_model_size(arch: str, sizes: dict[str, Any]) -> None:
    """Refuse sizes whose model no model file may hold, before any data is read: torch
    would first try to allocate the weights (terabytes for ``--hidden 1000000000``)."""
    from digitpad.model_file import MAX_ARRAY_BYTES, MAX_SIZE

    for name, value in sizes.items():
        if (max(value) if isinstance(value, list) else value) > MAX_SIZE:
            raise ValueError(f"{name} must be at most {MAX_SIZE}")
    shapes = ARCHITECTURES[arch].shapes(sizes)
    weights = sum(math.prod(shape) for shape in shapes.values())
    if weights * 4 > MAX_ARRAY_BYTES:
        raise ValueError(
            f"a {arch} of these sizes has {weights:,} weights, more than a model file holds "
            f"({MAX_ARRAY_BYTES // 4:,})"
        )


def batch_bytes(config: TrainConfig) -> int:
    """About the memory a training batch's layer outputs need (kept for the backward pass):
    a CNN's weights may be few (a thousand small convolutions) while its outputs fill the
    machine; an FCNN's are bounded by its weights (0 here)."""
    if config.arch != "cnn":
        return 0
    from digitpad.networks import INPUT_SIDE, cnn_layers

    layers = cnn_layers(config.sizes)
    per_stage = len(layers) // 2
    side = INPUT_SIDE
    floats = 0
    for k, (_c_in, c_out) in enumerate(layers, 1):
        floats += c_out * side * side
        if k % per_stage == 0:
            side //= 2
    return floats * 4 * 3 * config.batch_size  # each output, its ReLU and its gradient


def _check_batch_memory(config: TrainConfig) -> None:
    """Refuse batches no machine that trains these networks holds (see also
    :func:`check_fits_this_machine`, which the train command asks as well)."""
    needed = batch_bytes(config)
    if needed > MAX_BATCH_BYTES:
        raise ValueError(_too_large(needed, MAX_BATCH_BYTES))


def check_fits_this_machine(config: TrainConfig) -> None:
    """Refuse batches larger than this machine's memory: the run would be killed, or take
    the machine with it, after minutes of preparing its data."""
    memory = machine_memory()
    needed = batch_bytes(config)
    if memory is not None and needed > memory:
        raise ValueError(_too_large(needed, memory, " (this machine's memory)"))


def machine_memory() -> int | None:
    """This machine's memory in bytes, or None where it cannot be told (Windows)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def _too_large(needed: int, limit: int, what: str = "") -> str:
    return (
        f"a batch of this CNN needs about {needed / 2**30:,.0f} GB of memory, more than "
        f"{limit / 2**30:,.0f} GB{what}: fewer channels or convolutions, or a smaller batch"
    )


@dataclass(frozen=True)
class AdaptSettings:
    """How hard to fine-tune; the defaults were measured to learn a style in under 10 s."""

    steps: int = 300
    batch_size: int = 128
    lr: float = 5e-4
    augment: float = 0.5
    # Weight of "answer the replay digits as before" against the labels.
    keep_weight: float = 1.0
    temperature: float = 2.0
    seed: int = 0


@dataclass(frozen=True)
class Param:
    """One dimension of the hyperparameter search.

    ``kind`` is ``"float"``, ``"int"`` or ``"categorical"``; ``log`` samples a
    float or int on a log scale. ``choices`` is used by categorical dimensions.
    ``archs`` names the architectures the dimension applies to (default: all).
    """

    kind: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[Any, ...] = field(default_factory=tuple)
    archs: tuple[str, ...] = ARCH_CHOICES


def sized(size: str) -> tuple[str, ...]:
    """The architectures with ``size`` among their sizes: where searching it means something."""
    return tuple(name for name, arch in ARCHITECTURES.items() if size in arch.default_sizes)


# The Optuna search space, keyed by TrainConfig field. A search maps each entry
# to trial.suggest_float / suggest_int / suggest_categorical and overrides the
# base config with the result; fields not listed keep the base value.
SEARCH_SPACE: dict[str, Param] = {
    "lr": Param("float", 1e-4, 1e-2, log=True),
    "batch_size": Param("categorical", choices=(64, 128, 256, 512)),
    "weight_decay": Param("float", 1e-6, 1e-3, log=True),
    "dropout": Param("float", 0.0, 0.5),
    "augment": Param("float", 0.0, 1.5),
    "elastic": Param("float", 0.0, 2.0),
    "schedule": Param("categorical", choices=SCHEDULES),
    "hidden": Param("categorical", choices=(64, 128, 256)),
    "channels": Param(
        "categorical", choices=((16, 32), (32, 64), (48, 96)), archs=sized("channels")
    ),
    "convs": Param("int", 1, 2, archs=sized("convs")),
    "label_smoothing": Param("float", 0.0, 0.15),
}
