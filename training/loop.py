"""The training loop as plain functions: tensors in memory, batches, Adam, evaluation.

No per-sample DataLoader: the whole training set is one tensor, each epoch is a
seeded permutation, and augmentation runs on the batch. Progress goes to a
callback and cancellation is a ``should_stop()`` callable checked between
batches, so the ``train`` command and a search trial drive the same function.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from training import fcnn_step
from training.batches import epoch_batches, epoch_order, normalise
from training.config import TrainConfig
from training.events import Cancelled, DivergedError, Progress
from training.models import REGISTRY, build


@dataclass
class TrainResult:
    model: nn.Module
    history: list[dict]
    test_accuracy: float | None
    seconds: float
    samples_per_second: float


def resolve_device(name: str) -> torch.device:
    """``auto`` picks CUDA, then Apple's MPS, then the CPU; an unavailable choice is an error."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda asked for, but torch sees no CUDA GPU")
    mps = getattr(torch.backends, "mps", None)
    if name == "mps" and not (mps and mps.is_available()):
        raise ValueError("--device mps asked for, but MPS is not available")
    return torch.device(name)


def to_tensor(images: np.ndarray, device: torch.device) -> torch.Tensor:
    """N×28×28 float images in [0, 1] → N×1×28×28 tensor on ``device`` (not yet normalised)."""
    return torch.from_numpy(np.ascontiguousarray(images, np.float32)).unsqueeze(1).to(device)


@contextlib.contextmanager
def flushed_denormals() -> Iterator[None]:
    """Treat float32 values below 1.2e-38 as zero on this thread while training.

    Adam's running mean of a unit that no longer fires decays by 0.9 a step into
    denormal numbers, which a CPU handles tens of times slower than normal ones: with
    a third of the FCNN's hidden units dead, that made late epochs up to twice as slow.
    Such values change nothing a float32 network computes. Restored afterwards, since
    the setting belongs to the calling thread (tests train in the test process).
    """
    # No getter exists: a denormal that arithmetic turns into zero says it is already on.
    already = float(torch.tensor([1e-39]) * 1.0) == 0.0
    flushed = torch.set_flush_denormal(True)
    try:
        yield
    finally:
        if flushed and not already:
            torch.set_flush_denormal(False)


def seed_everything(seed: int) -> torch.Generator:
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    return torch.Generator().manual_seed(seed)


def learning_rate(config: TrainConfig, step: int, total_steps: int) -> float:
    """The ``constant`` or ``cosine`` schedule's rate for 0-based ``step`` of ``total_steps``."""
    if config.schedule == "constant":
        return config.lr
    warmup = int(config.warmup_fraction * total_steps)
    if step < warmup:
        return config.lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, total_steps - warmup)
    return config.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def make_scheduler(
    optimizer: torch.optim.Optimizer, config: TrainConfig, total_steps: int
) -> torch.optim.lr_scheduler.LRScheduler | None:
    """Per-step learning-rate schedule; ``constant`` is the original design's fixed rate."""
    if config.schedule == "constant":
        return None
    if config.schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=config.lr, total_steps=total_steps, pct_start=0.25
        )
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: learning_rate(config, step, total_steps) / config.lr
    )


@torch.no_grad()
def predict_logits(model: nn.Module, x: torch.Tensor, batch_size: int = 2048) -> torch.Tensor:
    """Logits for unnormalised images ``x`` (N×1×28×28), in evaluation mode."""
    was_training = model.training
    model.eval()
    with torch.no_grad():  # no graph to record: evaluation runs after every epoch
        out = torch.cat(
            [model(normalise(x[i : i + batch_size])) for i in range(0, len(x), batch_size)]
        )
    model.train(was_training)
    return out


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 2048) -> float:
    return float((predict_logits(model, x, batch_size).argmax(1) == y).float().mean())


def distill_loss(
    logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float
) -> torch.Tensor:
    """KL divergence to the teacher's softened distribution, scaled by T² (Hinton et al.)."""
    t = temperature
    return F.kl_div(
        F.log_softmax(logits / t, 1),
        F.log_softmax(teacher_logits / t, 1),
        log_target=True,
        reduction="batchmean",
    ) * (t * t)


@flushed_denormals()
def train(
    config: TrainConfig,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_test: torch.Tensor | None = None,
    y_test: torch.Tensor | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    teacher: nn.Module | None = None,
    twins: torch.Tensor | None = None,
) -> TrainResult:
    """Train a fresh ``config.arch`` network on in-memory tensors; raise Cancelled if stopped.

    ``x_*`` are unnormalised N×1×28×28 tensors in [0, 1] on the training device.
    ``twins`` (P×2 row indices, CPU) pairs rows that are two views of one digit; an
    epoch trains on one of each pair, picked at random.
    """
    device = x_train.device
    generator = seed_everything(config.seed)
    # Convolutions with channels-last weights train faster on a CPU: 1.35x for the CNN with one
    # conv per stage, 1.5-1.75x with two (2 threads). Tensors of other shapes are left as they are.
    memory = torch.channels_last if device.type in ("cpu", "cuda") else torch.preserve_format
    model = build(config).to(device, memory_format=memory)
    if teacher is not None:
        teacher = teacher.to(device, memory_format=memory).eval()
    n = len(x_train)
    per_epoch = n - (0 if twins is None else len(twins))
    steps = math.ceil(per_epoch / config.batch_size)
    step = make_step(model, config, steps * config.epochs, teacher)
    aug_generator = torch.Generator(device=device).manual_seed(config.seed + 1)
    history: list[dict] = []
    test_acc = None
    threads = torch.get_num_threads()
    # A light step trains on all but one of torch's threads (at least one) while the
    # augmenting thread takes another core; the app's child, given one thread fewer than
    # the cores, still gets both and, at low priority, yields them to the window at once.
    in_background = (
        device.type == "cpu"
        and (os.cpu_count() or 1) > 1
        and teacher is None
        and REGISTRY[config.arch].light_step
    )
    start = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        model.train()
        order = epoch_order(n, twins, generator).to(device)
        batches = epoch_batches(
            x_train,
            y_train,
            order,
            config.batch_size,
            config.augment,
            config.elastic,
            aug_generator,
            in_background,
            config.warp_group,
        )
        if in_background:
            torch.set_num_threads(max(1, threads - 1))
        try:
            total_loss = _epoch(step, batches, config, epoch, steps, on_progress, should_stop)
        finally:
            batches.close()
            torch.set_num_threads(threads)
        if not math.isfinite(total_loss):
            raise DivergedError(epoch)
        metrics = {"train_loss": total_loss / steps, "lr": step.lr}
        if x_test is not None and y_test is not None:
            test_acc = accuracy(model, x_test, y_test, config.eval_batch_size)
            metrics["test_accuracy"] = test_acc
        history.append({"epoch": epoch, **metrics})
        if on_progress is not None:
            on_progress(Progress(epoch, config.epochs, steps, steps, total_loss / steps, metrics))
    step.finish()
    seconds = time.perf_counter() - start
    model.eval()
    return TrainResult(
        model, history, test_acc, seconds, per_epoch * config.epochs / max(seconds, 1e-9)
    )


class AutogradStep:
    """One optimiser step through autograd and ``torch.optim``: any architecture, any recipe."""

    def __init__(
        self, model: nn.Module, config: TrainConfig, total_steps: int, teacher: nn.Module | None
    ) -> None:
        self.model, self.config, self.teacher = model, config, teacher
        # The fused kernel updates all parameters in one pass: about 12% faster for the FCNN.
        device = next(model.parameters()).device
        self.optimizer = torch.optim.Adam(
            model.parameters(),
            lr=config.lr,
            weight_decay=config.weight_decay,
            fused=device.type in ("cpu", "cuda"),
        )
        self.scheduler = make_scheduler(self.optimizer, config, total_steps)

    @property
    def lr(self) -> float:
        return self.optimizer.param_groups[0]["lr"]

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> float:
        config = self.config
        logits = self.model(x)
        loss = F.cross_entropy(logits, y, label_smoothing=config.label_smoothing)
        if self.teacher is not None:
            with torch.no_grad():
                teacher_logits = self.teacher(x)
            loss = (1 - config.distill_weight) * loss + config.distill_weight * distill_loss(
                logits, teacher_logits, config.distill_temperature
            )
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        return float(loss.detach())

    def finish(self) -> None:
        """Nothing to undo: autograd trains the model's own parameters as they are."""


class ScheduledFcnnStep:
    """:class:`training.fcnn_step.FcnnStep` at the rate :func:`learning_rate` gives each step."""

    def __init__(self, model: nn.Module, config: TrainConfig, total_steps: int) -> None:
        self.step = fcnn_step.FcnnStep(model, config)
        self.config, self.total_steps = config, total_steps
        self.taken = 0
        self.lr = learning_rate(config, 0, total_steps)

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> float:
        self.lr = learning_rate(self.config, self.taken, self.total_steps)
        self.taken += 1
        loss = self.step(x, y, self.lr)
        # Report the rate the next step will use, as a torch scheduler does after stepping.
        self.lr = learning_rate(self.config, self.taken, self.total_steps)
        return loss

    def finish(self) -> None:
        self.step.finish()


def make_step(
    model: nn.Module, config: TrainConfig, total_steps: int, teacher: nn.Module | None
) -> AutogradStep | ScheduledFcnnStep:
    """The fastest step that trains ``config`` exactly: written out for the plain FCNN."""
    device = next(model.parameters()).device
    if fcnn_step.supports(config, device, distilling=teacher is not None):
        return ScheduledFcnnStep(model, config, total_steps)
    return AutogradStep(model, config, total_steps, teacher)


def _epoch(
    step: Callable[[torch.Tensor, torch.Tensor], float],
    batches,
    config: TrainConfig,
    epoch: int,
    steps: int,
    on_progress: Callable[[Progress], None] | None,
    should_stop: Callable[[], bool] | None,
) -> float:
    """One pass over ``batches``; the sum of the batch losses."""
    total_loss = 0.0
    for k, (x, y) in enumerate(batches, 1):
        if should_stop is not None and should_stop():
            raise Cancelled()
        value = step(x, y)
        total_loss += value
        if on_progress is not None and k < steps:
            on_progress(Progress(epoch, config.epochs, k, steps, value))
    return total_loss
