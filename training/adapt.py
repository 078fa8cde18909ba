"""Learn a user's handwriting in seconds: fine-tune a model file on their corrections.

A full retrain takes minutes and needs MNIST; this takes a few seconds and
needs neither. The model is fine-tuned on the user's corrected drawings,
augmented, together with an equal share of a *replay* sample of ordinary
digits (``resources/replay.npz``, or MNIST when a folder is given). On the
replay digits the network is also held to what it answered before (the
original model's soft targets), which is what keeps it from forgetting
everything else while it learns the new style. For the CNN only the fully
connected layers move: the features the convolutions found carry over, and
the step costs a third.

The result is an ordinary model file whose metadata says what it was adapted
from and on how many corrections.
"""

from __future__ import annotations

import copy
import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812

from digitpad.model_file import DAMAGED, Model, save_model
from digitpad.preprocess import deskew
from training.augment import random_affine
from training.batches import normalise
from training.config import AdaptSettings, TrainConfig
from training.data import DataError, Digits, check_npz
from training.loop import Cancelled, distill_loss
from training.models import REGISTRY, export, from_params

# The share of each batch that is the user's corrections once there are FULL_SHARE_AT of them;
# the rest is replay. Fewer corrections get a share in proportion: one drawing is little
# evidence, and a single slip (a plain 1 saved as a 7) must not teach the model to misread
# every plain 1 (at the full share it did: fresh plain 1s read right 100% → 25%).
CORRECTION_SHARE = 0.5
FULL_SHARE_AT = 20


def correction_share(count: int) -> float:
    """The share of each batch given to ``count`` corrections."""
    return CORRECTION_SHARE * min(1.0, count / FULL_SHARE_AT)


REPLAY_FIELDS = ("images", "labels")


def load_replay(path: str | Path, limit: int | None = None) -> Digits:
    """Prepared ordinary digits (``images`` N×28×28 uint8 or float, ``labels`` N) from an .npz.

    The archive's headers are checked before anything is inflated, as for corrections:
    a small file declaring huge arrays is refused unread.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"replay sample {path} does not exist")
    if not path.is_file():  # a FIFO would block the reader, a device never end
        raise DataError(f"replay sample {path} is not a regular file")
    try:
        check_npz(path)
        with np.load(path, allow_pickle=False) as archive:
            images, labels = (archive[k] for k in REPLAY_FIELDS)
    except DataError:
        raise
    except DAMAGED as exc:
        raise DataError(f"cannot read the replay sample {path}: {exc!s:.200}") from None
    problem = _replay_problem(images, labels)
    if problem:
        raise DataError(f"{path} {problem}")
    images = images.astype(np.float32) / (255.0 if images.dtype == np.uint8 else 1.0)
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    return Digits(images, labels.astype(np.int64), f"{len(labels)} replay digits from {path.name}")


def _replay_problem(images: np.ndarray, labels: np.ndarray) -> str | None:
    """Why these arrays are no replay sample, or None; fine-tuning on them would train garbage."""
    if (
        images.ndim != 3
        or images.shape[1:] != (28, 28)
        or labels.ndim != 1
        or len(images) != len(labels)
    ):
        return "is not a replay sample (expected N×28×28 images and N labels)"
    if not np.issubdtype(labels.dtype, np.integer) or not np.issubdtype(images.dtype, np.number):
        return "is not a replay sample (images must be numbers, labels whole numbers)"
    if not len(labels) or labels.min() < 0 or labels.max() > 9:
        return "holds no usable labels (0-9)"
    if images.dtype != np.uint8:
        with np.errstate(invalid="ignore"):
            if not np.all((images >= 0) & (images <= 1)):
                return "holds pixels outside 0-1 (or not numbers)"
    return None


def _tensor(images: np.ndarray, model: Model) -> torch.Tensor:
    images = deskew(images) if model.deskew else images
    return torch.from_numpy(np.ascontiguousarray(images, np.float32)).unsqueeze(1)


def fine_tune(
    model: Model,
    corrections: Digits,
    replay: Digits,
    settings: AdaptSettings | None = None,
    on_step: Callable[[int, int, float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict[str, np.ndarray]:
    """The fine-tuned weights of ``model`` (float32 arrays, in the model file's layout)."""
    settings = settings or AdaptSettings()
    threads = torch.get_num_threads()
    if REGISTRY[model.arch].light_step:
        # A small network's steps are too short to share: one thread is faster than two
        # fighting over the cores, and leaves the other to the window.
        torch.set_num_threads(1)
    try:
        return _fine_tune(model, corrections, replay, settings, on_step, should_stop)
    finally:
        torch.set_num_threads(threads)


def _fine_tune(
    model: Model,
    corrections: Digits,
    replay: Digits,
    settings: AdaptSettings,
    on_step: Callable[[int, int, float], None] | None,
    should_stop: Callable[[], bool] | None,
) -> dict[str, np.ndarray]:
    torch.manual_seed(settings.seed)
    generator = torch.Generator().manual_seed(settings.seed)
    net = from_params(model.arch, model.meta["sizes"], model.params)
    before = copy.deepcopy(net).eval()
    layers = REGISTRY[model.arch].adapt_layers
    trainable = [p for name, p in net.named_parameters() if not layers or name.startswith(layers)]
    for _name, p in net.named_parameters():
        p.requires_grad_(any(p is q for q in trainable))
    optimizer = torch.optim.Adam(trainable, lr=settings.lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 0.5 * (1 + np.cos(np.pi * min(1.0, step / settings.steps)))
    )
    x_user, y_user = _tensor(corrections.images, model), torch.from_numpy(corrections.labels)
    x_replay, y_replay = _tensor(replay.images, model), torch.from_numpy(replay.labels)
    n_user = max(1, round(settings.batch_size * correction_share(len(x_user))))
    n_replay = settings.batch_size - n_user
    net.train()
    for step in range(1, settings.steps + 1):
        if should_stop is not None and should_stop():
            raise Cancelled()
        pick_user = torch.randint(len(x_user), (n_user,), generator=generator)
        pick_replay = torch.randint(len(x_replay), (n_replay,), generator=generator)
        x = random_affine(
            torch.cat([x_user[pick_user], x_replay[pick_replay]]), settings.augment, generator
        )
        y = torch.cat([y_user[pick_user], y_replay[pick_replay]])
        logits = net(normalise(x))
        loss = F.cross_entropy(logits, y)
        with torch.no_grad():
            old = before(normalise(x[n_user:]))
        loss = loss + settings.keep_weight * distill_loss(
            logits[n_user:], old, settings.temperature
        )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        if on_step is not None:
            on_step(step, settings.steps, float(loss.detach()))
    net.eval()
    config = TrainConfig(
        arch=model.arch,
        hidden=int(model.meta["sizes"]["hidden"]),
        channels=tuple(model.meta["sizes"].get("channels", (32, 64))),
        convs=int(model.meta["sizes"].get("convs", 1)),
    )
    return export(net, config, model.meta)


def adapted_meta(
    model: Model,
    source: str,
    corrections: Digits,
    replay: Digits,
    settings: AdaptSettings,
    seconds: float,
    figures: dict,
    command: str,
) -> dict:
    """The base model's metadata, with what adapting changed and measured."""
    meta = {
        k: v
        for k, v in model.meta.items()
        if k not in ("test_accuracy", "test_accuracy_raw", "drawn_accuracy")
    }
    meta.update(figures)
    meta["adapted"] = {
        "from": source,
        "corrections": len(corrections),
        "replay": replay.description,
        "settings": settings.__dict__,
        "seconds": round(seconds, 2),
        "command": command,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    return meta


def adapt_and_save(
    model: Model,
    source: str,
    corrections: Digits,
    replay: Digits,
    out: Path,
    settings: AdaptSettings,
    command: str,
    test: Digits | None = None,
    on_step: Callable[[int, int, float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict:
    """Fine-tune, measure on ``test`` when given, write ``out``; the ``done`` event's fields."""
    from training.evaluate import evaluate

    start = time.perf_counter()
    params = fine_tune(model, corrections, replay, settings, on_step, should_stop)
    seconds = time.perf_counter() - start
    figures: dict = {}
    if test is not None:
        from digitpad.model_file import validate

        adapted = validate(model.arch, params, model.meta)
        figures["test_accuracy"] = round(evaluate(adapted, test.images, test.labels).accuracy, 6)
    if should_stop is not None and should_stop():
        raise Cancelled()
    meta = adapted_meta(model, source, corrections, replay, settings, seconds, figures, command)
    save_model(out, model.arch, params, meta)
    return {
        "model": str(out),
        "corrections": len(corrections),
        "seconds": round(seconds, 2),
        **figures,
    }


def make_replay(mnist: Digits, count: int, seed: int = 0) -> Digits:
    """``count`` digits drawn evenly from each class of ``mnist``, prepared as the app does."""
    rng = np.random.default_rng(seed)
    per_class = -(-count // 10)
    picks = np.concatenate(
        [rng.permutation(np.flatnonzero(mnist.labels == k))[:per_class] for k in range(10)]
    )
    chosen = Digits(mnist.images[picks], mnist.labels[picks], mnist.description)
    prepared = chosen.prepared()
    return Digits(prepared.images[:count], prepared.labels[:count], f"{count} prepared digits")
