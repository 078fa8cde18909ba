"""The training loop as plain functions: tensors in memory, batches, Adam, evaluation.

No per-sample DataLoader: the whole training set is one tensor, each epoch is a
seeded permutation, and augmentation runs on the batch. Progress goes to a
callback and cancellation is a ``should_stop()`` callable checked between
batches, so the CLI, a GUI worker or a search can all drive the same function.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from training.batches import epoch_batches, normalise
from training.config import TrainConfig
from training.events import Cancelled, Progress
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


def seed_everything(seed: int) -> torch.Generator:
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    return torch.Generator().manual_seed(seed)


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
    warmup = int(config.warmup_fraction * total_steps)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total_steps - warmup)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


@torch.no_grad()
def predict_logits(model: nn.Module, x: torch.Tensor, batch_size: int = 2048) -> torch.Tensor:
    """Logits for unnormalised images ``x`` (N×1×28×28), in evaluation mode."""
    was_training = model.training
    model.eval()
    out = torch.cat([model(normalise(x[i : i + batch_size])) for i in range(0, len(x), batch_size)])
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


def train(
    config: TrainConfig,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_test: torch.Tensor | None = None,
    y_test: torch.Tensor | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    teacher: nn.Module | None = None,
) -> TrainResult:
    """Train a fresh ``config.arch`` network on in-memory tensors; raise Cancelled if stopped.

    ``x_*`` are unnormalised N×1×28×28 tensors in [0, 1] on the training device.
    """
    device = x_train.device
    generator = seed_everything(config.seed)
    # Convolutions with channels-last weights train faster on a CPU: 1.35x for the CNN with one
    # conv per stage, 1.5-1.75x with two (2 threads). Tensors of other shapes are left as they are.
    memory = torch.channels_last if device.type in ("cpu", "cuda") else torch.preserve_format
    model = build(config).to(device, memory_format=memory)
    if teacher is not None:
        teacher = teacher.to(device, memory_format=memory).eval()
    # The fused kernel updates all parameters in one pass: about 12% faster for the FCNN on a CPU.
    optimizer = torch.optim.Adam(
        model.parameters(),
        lr=config.lr,
        weight_decay=config.weight_decay,
        fused=device.type in ("cpu", "cuda"),
    )
    n = len(x_train)
    steps = math.ceil(n / config.batch_size)
    scheduler = make_scheduler(optimizer, config, steps * config.epochs)
    aug_generator = torch.Generator(device=device).manual_seed(config.seed + 1)
    history: list[dict] = []
    test_acc = None
    threads = torch.get_num_threads()
    in_background = (
        device.type == "cpu"
        and threads > 1
        and teacher is None
        and REGISTRY[config.arch].light_step
    )
    start = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        model.train()
        order = torch.randperm(n, generator=generator).to(device)
        batches = epoch_batches(
            x_train,
            y_train,
            order,
            config.batch_size,
            config.augment,
            config.elastic,
            aug_generator,
            in_background,
        )
        if in_background:
            torch.set_num_threads(threads - 1)  # the augmenting thread takes the last core
        try:
            total_loss = _epoch(
                model,
                optimizer,
                scheduler,
                batches,
                config,
                epoch,
                steps,
                on_progress,
                should_stop,
                teacher,
            )
        finally:
            batches.close()
            torch.set_num_threads(threads)
        metrics = {"train_loss": total_loss / steps, "lr": optimizer.param_groups[0]["lr"]}
        if x_test is not None and y_test is not None:
            test_acc = accuracy(model, x_test, y_test, config.eval_batch_size)
            metrics["test_accuracy"] = test_acc
        history.append({"epoch": epoch, **metrics})
        if on_progress is not None:
            on_progress(Progress(epoch, config.epochs, steps, steps, total_loss / steps, metrics))
    seconds = time.perf_counter() - start
    model.eval()
    return TrainResult(model, history, test_acc, seconds, n * config.epochs / max(seconds, 1e-9))


def _epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler,
    batches,
    config: TrainConfig,
    epoch: int,
    steps: int,
    on_progress: Callable[[Progress], None] | None,
    should_stop: Callable[[], bool] | None,
    teacher: nn.Module | None,
) -> float:
    """One pass over ``batches``; the sum of the batch losses."""
    total_loss = 0.0
    for step, (x, y) in enumerate(batches, 1):
        if should_stop is not None and should_stop():
            raise Cancelled()
        logits = model(x)
        loss = F.cross_entropy(logits, y, label_smoothing=config.label_smoothing)
        if teacher is not None:
            with torch.no_grad():
                teacher_logits = teacher(x)
            loss = (1 - config.distill_weight) * loss + config.distill_weight * distill_loss(
                logits, teacher_logits, config.distill_temperature
            )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        value = float(loss.detach())
        total_loss += value
        if on_progress is not None and step < steps:
            on_progress(Progress(epoch, config.epochs, step, steps, value))
    return total_loss
