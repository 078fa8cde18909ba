"""One training run end to end: gather data, train, measure, and write the model file.

Kept apart from the CLI, which only parses and checks arguments: ``run_train`` calls
:func:`train_and_save` with its reporter and stop flag. The search shares the pieces
rather than the whole: :func:`gather_training_data` (its data, as ``train`` gathers it)
and :func:`build_meta` (the metadata of the model it retrains).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

import digitpad
from digitpad.model_file import load_model, save_model
from training.config import TrainConfig
from training.data import Digits, fetch_mnist, load_corrections, load_mnist
from training.evaluate import evaluate
from training.loop import Cancelled, resolve_device, to_tensor, train
from training.models import Ensemble, as_app_model, from_params
from training.progress import Reporter
from training.stopping import raising

LABELS = list(range(10))


def gather_training_data(
    config: TrainConfig,
    data: Path,
    should_stop: Callable[[], bool],
    download: bool = False,
    unipen: str | None = None,
    corrections: str | None = None,
    cache: Path | None = None,
    corrections_weight: float = 1.0,
    on_step: Callable[[str], None] = lambda _what: None,
    deskewed: bool = False,
) -> tuple[Digits, Digits, Digits | None]:
    """(training set, MNIST test set as the app sees it, held-out UniPen renders or None).

    Each correction is repeated ``round(corrections_weight)`` times (at least
    once), so a few dozen of the user's drawings weigh against thousands of MNIST
    digits; augmentation makes every copy a little different. With ``deskewed``
    the training set comes deskewed, part by part through the cache, so that
    runs sharing MNIST but not the rest still share its copy. ``on_step`` is
    told what is being read or prepared next, in words.
    """
    from training import unipen as up

    on_step("reading the MNIST training images")
    mnist = load_mnist(data, "train", download=download)
    on_step("preparing the MNIST test images as the app sees drawings")
    test = load_mnist(data, "test", download=download).prepared(cache)
    parts = [mnist]
    if config.prepared_mnist:
        on_step("preparing the training images as the app sees drawings")
        prepared = mnist.prepared(cache)
        parts = [
            Digits.concat([mnist, prepared]) if config.both_views else Digits.views(mnist, prepared)
        ]
    if should_stop():
        raise Cancelled()
    held_out = None
    if unipen and config.unipen_renders > 0:
        on_step("drawing the pen-stroke digits")
        if config.held_out_orgs:  # first: a file without them is said before minutes of drawing
            held_out = up.load_rendered(
                unipen,
                orgs=config.held_out_orgs,
                placement="anywhere",
                renders=1,
                seed=12345,
                cache=cache,
            )
        parts.append(
            up.load_rendered(
                unipen,
                exclude_orgs=config.held_out_orgs,
                placement="train",
                renders=config.unipen_renders,
                seed=config.seed,
                cache=cache,
                styled=config.styled,
            )
        )
    if corrections:
        on_step("reading your corrected drawings")
        extra = load_corrections(corrections)
        repeat = max(1, round(corrections_weight))
        if repeat > 1:
            extra = Digits(
                np.repeat(extra.images, repeat, axis=0),
                np.repeat(extra.labels, repeat),
                f"{extra.description} ×{repeat}",
            )
        parts.append(extra)
    if should_stop():
        raise Cancelled()
    if deskewed:
        on_step("standing the digits upright")
        parts = [part.deskewed(cache) for part in parts]
    return Digits.concat(parts), test, held_out


def load_teacher(config: TrainConfig) -> torch.nn.Module:
    """The run's teacher: one model file's network, or the mean of several.

    Every teacher sees the student's input. Upright digits are among those a
    teacher trained without deskewing has seen (shear augmentation); the
    reverse is not true, so a deskewing teacher needs a deskewing student.
    """
    members = []
    for path in config.teachers:
        t = load_model(path)
        if t.deskew and not config.deskew:
            raise ValueError(
                f"the teacher {path} was trained on deskewed digits and this run is "
                "not (--no-deskew): train the student with --deskew or pick another teacher"
            )
        members.append(from_params(t.arch, t.meta["sizes"], t.params))
    return members[0] if len(members) == 1 else Ensemble(members)


def build_meta(
    config: TrainConfig, train_set: Digits, command: str, figures: dict, seconds: float
) -> dict:
    """The model file's record of what the model is and how to make it again."""
    return {
        "arch": config.arch,
        "sizes": config.sizes,
        "normalization": {"mean": 0.5, "std": 0.5},
        "labels": LABELS,
        "input": "digitpad.preprocess.prepare: 28x28, white ink on black, [0, 1]"
        + (", then digitpad.preprocess.deskew" if config.deskew else ""),
        "deskew": config.deskew,
        "trained_on": train_set.description,
        "train_samples": len(train_set),
        **figures,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": {
            "digitpad": digitpad.__version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
        },
        "recipe": {
            "command": command,
            "seed": config.seed,
            "config": config.to_dict(),
            "train_seconds": round(seconds, 1),
        },
    }


def train_and_save(
    config: TrainConfig,
    data: Path,
    out: Path,
    reporter: Reporter,
    should_stop: Callable[[], bool],
    command: str,
    download: bool = False,
    unipen: str | None = None,
    corrections: str | None = None,
    cache: Path | None = None,
    corrections_weight: float = 1.0,
) -> dict:
    """Run the whole recipe; return the result fields of the ``done`` event."""
    device = resolve_device(config.device)
    teacher = load_teacher(config) if config.teachers else None
    steps = 2 + config.prepared_mnist + bool(unipen and config.unipen_renders) + bool(corrections)
    steps += bool(download)
    steps += config.deskew
    done = iter(range(1, steps + 1))

    def on_step(what: str) -> None:
        reporter.phase("data", f"Preparing the data: {what}…", step=next(done, steps), steps=steps)

    if download:  # before the block below: MNIST's files are written in place, not atomically
        on_step("downloading MNIST")
        for split in ("train", "test"):
            fetch_mnist(data, split)
    # Reading, preparing and drawing the data have no loop of the run's own between their
    # steps, and take minutes on a large file: a stop signal ends them where they are.
    with raising(should_stop, Cancelled):
        train_set, test, held_out = gather_training_data(
            config,
            data,
            should_stop,
            download,
            unipen,
            corrections,
            cache,
            corrections_weight,
            on_step,
            deskewed=config.deskew,
        )
        test_inputs = test.deskewed(cache) if config.deskew else test
        # Read now: the folder may be gone by the end (a drive unplugged), and the run with it.
        raw_test = load_mnist(data, "test")
    steps = -(-train_set.epoch_size // config.batch_size)
    reporter.start(
        config=config.to_dict(),
        train_samples=len(train_set),
        test_samples=len(test),
        epochs=config.epochs,
        steps_per_epoch=steps,
        device=str(device),
        out=str(out),
    )

    result = train(
        config,
        to_tensor(train_set.images, device),
        torch.from_numpy(train_set.labels).to(device),
        to_tensor(test_inputs.images, device),
        torch.from_numpy(test.labels).to(device),
        on_progress=reporter.progress,
        should_stop=should_stop,
        teacher=teacher,
        twins=None if train_set.twins is None else torch.from_numpy(train_set.twins),
    )
    if should_stop():
        raise Cancelled()
    reporter.phase("evaluating", "Checking the new model on the test set…")
    # Measure the exported weights as the app reads them (NumPy, over the FCNN's moves).
    app_model = as_app_model(result.model, config)
    params = app_model.params

    def app_accuracy(digits: Digits) -> float:
        # Deskewed through the cache rather than again by the model's own forward pass.
        upright = digits.deskewed(cache) if app_model.deskew else digits
        return round(evaluate(app_model, upright.images, digits.labels, upright=True).accuracy, 6)

    figures = {"test_accuracy": app_accuracy(test)}
    figures["test_accuracy_raw"] = app_accuracy(raw_test)
    if held_out is not None:
        figures["drawn_accuracy"] = {
            "orgs": list(config.held_out_orgs),
            "placement": "anywhere",
            "accuracy": app_accuracy(held_out),
        }
    meta = build_meta(config, train_set, command, figures, result.seconds)
    reporter.phase("saving", "Saving the model…")
    save_model(out, config.arch, params, meta)
    return {
        "model": str(out),
        "accuracy": figures["test_accuracy"],
        **figures,
        "seconds": round(result.seconds, 1),
        "samples_per_second": round(result.samples_per_second),
    }
