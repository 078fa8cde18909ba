"""The training process the app and people start: python -m training COMMAND.

The commands are ``train`` and ``evaluate``, ``adapt`` and ``replay`` (here), ``search``
(:mod:`training.search.cli`) and ``styles`` (:mod:`training.contact_sheet`).
``digitpad COMMAND`` runs ``train``, ``evaluate``, ``search`` and ``adapt`` too (how the
app and the packaged launcher start them). The first line of this docstring is
``python -m training --help``'s description.

Every command ends with one JSON line on stdout (``event`` is ``done``,
``error`` or ``cancelled``; ``search --status`` prints ``status``); errors are one
readable line, never a traceback. SIGINT and SIGTERM stop training between two batches
and no model is written.

``train``'s arguments are checked before torch is imported, in two places: what decides
the model in :class:`training.config.TrainConfig` (``config_from_args`` builds it, and its
``__post_init__`` refuses bad values), the rest here (``--out``, ``--corrections-weight``).
A new ``train`` option is an ``add_argument`` in ``_train_parser`` and, when it changes
what the run produces, a field of ``TrainConfig`` set in ``config_from_args``; otherwise
an argument of :func:`training.pipeline.train_and_save` passed by ``run_train``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import math
import os
import shlex
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from digitpad.model_file import ModelFileError
from digitpad.networks import DEFAULT_ARCH
from training.config import (
    ARCH_CHOICES,
    DEVICES,
    SCHEDULES,
    AdaptSettings,
    TrainConfig,
    check_fits_this_machine,
)
from training.data import DataError
from training.priority import add_background_option, lower_priority
from training.progress import JsonlReporter, Reporter, TqdmReporter, emit, report_error
from training.stopping import SIGNALS, StopFlag


def _frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def default_cache() -> Path:
    """Where prepared arrays are kept between runs: ``data/cache`` in a source checkout; in
    the packaged app, the user's data folder (the bundle's own folder, or wherever it was
    started from, may be read-only, and a 180 MB cache does not belong there)."""
    if _frozen():
        from digitpad.userdata import UserData

        return UserData.at().cache
    return Path("data") / "cache"


def default_out(arch: str) -> Path:
    """The model file ``train`` writes without ``--out``: ``runs/`` in a source checkout, the
    user's models in the packaged app (where My models lists them)."""
    name = f"{arch}-{dt.datetime.now():%Y%m%d-%H%M%S}.npz"
    if _frozen():
        from digitpad.userdata import UserData

        return UserData.at().models / name
    return Path("runs") / name


# Commands that never poll the stop flag: a signal stops them where they are.
STOPPED_AT_ONCE = ("evaluate", "replay", "styles")
# Each copy of every correction is held in memory: 1000 copies of 1000 drawings are 3 GB.
MAX_CORRECTIONS_WEIGHT = 1000


def _train_parser(sub: argparse._SubParsersAction) -> None:
    d = TrainConfig()
    p = sub.add_parser("train", help="train a network and write a model file")
    p.add_argument(
        "--data", required=True, help="folder of MNIST IDX files (or the target of --download)"
    )
    p.add_argument(
        "--download", action="store_true", help="fetch MNIST with torchvision if missing"
    )
    p.add_argument("--arch", choices=ARCH_CHOICES, default=d.arch)
    p.add_argument("--hidden", type=int, default=d.hidden)
    p.add_argument("--channels", type=int, nargs=2, default=list(d.channels), metavar=("C1", "C2"))
    p.add_argument(
        "--convs",
        type=int,
        default=d.convs,
        help="CNN: 3×3 convolutions per stage, before each pool",
    )
    p.add_argument("--dropout", type=float, default=d.dropout)
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--weight-decay", type=float, default=d.weight_decay)
    p.add_argument("--schedule", choices=SCHEDULES, default=d.schedule)
    p.add_argument("--label-smoothing", type=float, default=d.label_smoothing)
    p.add_argument(
        "--augment", type=float, default=d.augment, help="augmentation strength, 0 = off"
    )
    p.add_argument(
        "--elastic",
        type=float,
        default=d.elastic,
        help="elastic distortion, RMS displacement in pixels (0 = off)",
    )
    p.add_argument(
        "--warp-group",
        type=int,
        default=d.warp_group,
        help="digits that share one random warp (cheaper augmentation; default %(default)s)",
    )
    p.add_argument(
        "--deskew",
        action=argparse.BooleanOptionalAction,
        default=d.deskew,
        help="train on deskewed digits (default: on); the model file records it",
    )
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--device", choices=DEVICES, default=d.device)
    p.add_argument(
        "--no-prepared-mnist",
        action="store_true",
        help="train on raw MNIST only, not also on its preprocessed copy",
    )
    p.add_argument(
        "--both-views",
        action=argparse.BooleanOptionalAction,
        default=d.both_views,
        help="every epoch trains on each MNIST digit as it is and prepared (the default); "
        "--no-both-views trains on one of the two, picked at random",
    )
    p.add_argument("--unipen", help="UniPen JSON file to add rendered drawn digits from")
    p.add_argument("--unipen-renders", type=int, default=d.unipen_renders)
    p.add_argument(
        "--styled",
        type=float,
        default=d.styled,
        help="fraction of the UniPen renders rewritten in another writing style",
    )
    p.add_argument(
        "--held-out-orgs",
        default=",".join(d.held_out_orgs),
        help="UniPen orgs kept out of training (comma-separated)",
    )
    p.add_argument("--corrections", help="folder of drawings saved by the app (see training.data)")
    p.add_argument(
        "--corrections-weight",
        type=float,
        default=1.0,
        help="how many times each correction counts (repeated, each copy augmented)",
    )
    p.add_argument(
        "--teacher",
        nargs="+",
        action="extend",
        default=[],
        metavar="FILE",
        help="model file(s) to distil from (soft targets; several are averaged)",
    )
    p.add_argument("--distill-weight", type=float, default=d.distill_weight)
    p.add_argument("--distill-temperature", type=float, default=d.distill_temperature)
    p.add_argument(
        "--out",
        help="model file to write (default runs/<arch>-<time>.npz; in the packaged app, "
        "the user's models)",
    )
    p.add_argument(
        "--cache", default=str(default_cache()), help="folder for prepared and rendered arrays"
    )
    p.add_argument("--progress", choices=("tqdm", "jsonl"), default="tqdm")
    add_background_option(p)


def _evaluate_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="accuracy of a model file on the MNIST test set")
    p.add_argument("--data", required=True, help="folder of MNIST IDX files")
    p.add_argument("--download", action="store_true")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--model", help="model file (default: the bundled model of --arch)")
    group.add_argument("--arch", choices=ARCH_CHOICES, default=DEFAULT_ARCH)
    p.add_argument(
        "--raw",
        action="store_true",
        help="feed the test images as they are, without the app's preprocessing",
    )
    p.add_argument("--cache", default=str(default_cache()))


def _adapt_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "adapt", help="learn a user's handwriting from their corrections, in seconds"
    )
    p.add_argument(
        "--model",
        default=DEFAULT_ARCH,
        help=f"model file to start from, or {' / '.join(ARCH_CHOICES)} for a bundled one",
    )
    p.add_argument(
        "--corrections",
        required=True,
        help="folder of drawings saved by the app (see training.data)",
    )
    p.add_argument("--out", required=True, help="model file to write")
    p.add_argument(
        "--source",
        help="the model file the adapted model records as its base (default: --model's); "
        "the app passes a copy of the model it has loaded as --model, and its file here",
    )
    p.add_argument("--replay", help="replay sample .npz (default: the one bundled with the app)")
    p.add_argument("--data", help="MNIST folder whose test set measures the adapted model")
    p.add_argument("--steps", type=int, default=AdaptSettings.steps)
    p.add_argument("--seed", type=int, default=AdaptSettings.seed)
    p.add_argument("--cache", default=str(default_cache()))
    p.add_argument("--progress", choices=("tqdm", "jsonl"), default="tqdm")
    add_background_option(p)


def _replay_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("replay", help="write the replay sample that adapt mixes with corrections")
    p.add_argument("--data", required=True, help="folder of MNIST IDX files")
    p.add_argument("--count", type=int, default=3000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="resources/replay.npz")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    _train_parser(sub)
    _evaluate_parser(sub)
    _adapt_parser(sub)
    _replay_parser(sub)
    from training.contact_sheet import add_styles_parser
    from training.search import add_search_parser

    add_search_parser(sub)
    add_styles_parser(sub)
    return parser


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    return TrainConfig(
        arch=args.arch,
        hidden=args.hidden,
        channels=tuple(args.channels),
        convs=args.convs,
        dropout=args.dropout,
        epochs=args.epochs,
        lr=args.lr,
        batch_size=args.batch_size,
        weight_decay=args.weight_decay,
        schedule=args.schedule,
        label_smoothing=args.label_smoothing,
        augment=args.augment,
        elastic=args.elastic,
        warp_group=args.warp_group,
        deskew=args.deskew,
        seed=args.seed,
        device=args.device,
        prepared_mnist=not args.no_prepared_mnist,
        both_views=args.both_views,
        unipen_renders=args.unipen_renders if args.unipen else 0,
        styled=args.styled,
        held_out_orgs=tuple(o for o in args.held_out_orgs.split(",") if o),
        teachers=tuple(args.teacher),
        distill_weight=args.distill_weight,
        distill_temperature=args.distill_temperature,
    )


def check_output_path(given: str | Path) -> None:
    """Refuse an output that is not a regular file (a folder, a device, a FIFO) before any
    work; ``given`` as typed (an empty one would read as the current folder, ".")."""
    if not str(given).strip():
        raise ValueError("--out is empty; choose a file name")
    try:
        str(given).encode("utf-8")
    except UnicodeEncodeError:  # bytes of another encoding: reports could not name it
        raise ValueError("--out is not a name in UTF-8; choose another file name") from None
    out = Path(given)
    if out.exists() and not out.is_file():
        raise ValueError(f"--out {out} exists and is not a regular file; choose a file name")
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if parent.exists() and not parent.is_dir():
        raise ValueError(f"--out {out}: {parent} is a file, not a folder")
    if parent.is_dir() and not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"--out {out}: no permission to write in {parent}")
    if parent.is_dir():  # as root, or in /proc, permission says nothing: try it
        try:
            with tempfile.TemporaryFile(dir=parent):
                pass
        except OSError as exc:
            reason = exc.strerror or exc
            raise ValueError(f"--out {out}: cannot write in {parent} ({reason})") from None


def _check_weight(weight: float) -> None:
    """``--corrections-weight`` is a count of copies: NaN or a negative one means nothing."""
    if not math.isfinite(weight) or weight < 0:
        raise ValueError(f"--corrections-weight must be a number from 0 up, not {weight}")
    if weight > MAX_CORRECTIONS_WEIGHT:
        raise ValueError(f"--corrections-weight must be at most {MAX_CORRECTIONS_WEIGHT}")


def run_train(args: argparse.Namespace, argv: Sequence[str], stop: StopFlag) -> int:
    """Load the data, train, evaluate and save; returns the exit code."""
    # Every argument is checked before torch loads and the data is read: a bad one must
    # not cost a whole run.
    config = config_from_args(args)
    check_fits_this_machine(config)
    _check_weight(args.corrections_weight)
    if args.unipen and not Path(args.unipen).exists():  # said now, not after MNIST is prepared
        raise DataError(f"UniPen file {args.unipen} does not exist")
    out = Path(args.out) if args.out is not None else default_out(config.arch)
    check_output_path(args.out if args.out is not None else out)
    reporter: Reporter = JsonlReporter() if args.progress == "jsonl" else TqdmReporter()
    reporter.phase("starting", "Loading the training libraries…")
    from training.pipeline import train_and_save

    if args.background:
        lower_priority()
    command = "python -m training " + shlex.join(argv)
    try:
        result = train_and_save(
            config,
            Path(args.data),
            out,
            reporter,
            stop,
            command,
            download=args.download,
            unipen=args.unipen,
            corrections=args.corrections,
            cache=Path(args.cache) if args.cache else None,
            corrections_weight=args.corrections_weight,
        )
    finally:
        reporter.close()
    emit("done", **result)
    return 0


def run_adapt(args: argparse.Namespace, argv: Sequence[str], stop: StopFlag) -> int:
    """Fine-tune a model on the user's corrections and a replay sample; returns the exit code."""
    from digitpad.assets import bundled_model_path, replay_path
    from digitpad.model_file import load_model
    from training.adapt import adapt_and_save, load_replay
    from training.data import load_corrections, load_mnist
    from training.events import Progress

    if args.steps < 1:
        raise ValueError("--steps must be at least 1")
    check_output_path(args.out)
    if args.background:
        lower_priority()
    source = args.model
    path = bundled_model_path(source) if source in ARCH_CHOICES else Path(source)
    model = load_model(path)
    skipped: list[str] = []
    corrections = load_corrections(args.corrections, skipped)
    replay = load_replay(args.replay or replay_path())
    test = load_mnist(args.data, "test").prepared(args.cache) if args.data else None
    reporter: Reporter = JsonlReporter() if args.progress == "jsonl" else TqdmReporter()
    settings = AdaptSettings(steps=args.steps, seed=args.seed)
    reporter.start(
        model=str(path),
        corrections=len(corrections),
        replay=len(replay),
        epochs=1,
        steps_per_epoch=settings.steps,
        out=args.out,
    )

    def on_step(step: int, steps: int, loss: float) -> None:
        if step < steps:
            reporter.progress(Progress(1, 1, step, steps, loss))

    try:
        result = adapt_and_save(
            model,
            args.source or str(path),
            corrections,
            replay,
            Path(args.out),
            settings,
            "python -m training " + shlex.join(argv),
            test,
            on_step,
            stop,
        )
    finally:
        reporter.close()
    emit("done", **result, skipped=skipped)
    return 0


def run_replay(args: argparse.Namespace) -> int:
    import numpy as np

    from digitpad.atomic import atomic_write
    from training.adapt import make_replay
    from training.data import load_mnist

    if args.count < 1:
        raise ValueError("--count must be at least 1")
    if args.seed < 0:
        raise ValueError("--seed must not be negative")
    check_output_path(args.out)
    sample = make_replay(load_mnist(args.data, "train"), args.count, args.seed)
    with atomic_write(Path(args.out)) as handle:
        np.savez_compressed(
            handle,
            images=np.round(sample.images * 255).astype(np.uint8),
            labels=sample.labels.astype(np.uint8),
        )
    emit("done", out=args.out, count=len(sample))
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from digitpad.assets import bundled_model_path
    from digitpad.model_file import load_model
    from training.data import load_mnist
    from training.evaluate import evaluate

    path = Path(args.model) if args.model else bundled_model_path(args.arch)
    model = load_model(path)
    test = load_mnist(args.data, "test", download=args.download)
    if not args.raw:
        test = test.prepared(args.cache)
    result = evaluate(model, test.images, test.labels)
    emit(
        "done",
        model=str(path),
        arch=model.arch,
        data=test.description,
        preprocessing="none" if args.raw else "digitpad.preprocess.prepare",
        **result.as_json(),
    )
    return 0


def exit_now(code: int) -> NoReturn:
    """End the process at once, its output flushed: what it made is already written and
    closed, and Python's orderly teardown of torch costs 0.5-1.5 s the user would wait for."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _stop_at_once(stop: StopFlag) -> None:
    """Let SIGINT/SIGTERM end a command that never looks at ``stop`` where it is.

    The flag's own handler only records the signal: ``evaluate`` would go on to print
    its result and ``replay`` write its file after the user pressed Ctrl-C.
    """
    from training.events import Cancelled

    def handler(signum: int, _frame: object) -> None:
        stop.set(signum)
        raise Cancelled()

    for sig in SIGNALS:
        with contextlib.suppress(ValueError):  # outside the main thread: nothing to catch
            signal.signal(sig, handler)
    if stop.is_set():
        raise Cancelled()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; ``argv`` starts with the command, e.g. ``["train", "--data", "mnist"]``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    stop = StopFlag()
    stop.install()  # first: a Ctrl-C while the parser loads must not print a traceback
    args = build_parser().parse_args(argv)
    from training.events import Cancelled

    try:
        if args.command in STOPPED_AT_ONCE:
            _stop_at_once(stop)
        if args.command == "train":
            return run_train(args, argv, stop)
        if args.command == "search":
            return args.func(args, stop)
        if args.command == "styles":
            return args.func(args)
        if args.command == "adapt":
            return run_adapt(args, argv, stop)
        if args.command == "replay":
            return run_replay(args)
        return run_evaluate(args)
    except Cancelled:
        emit("cancelled", message="stopped before the end; no model written")
        return 128 + (stop.signum or signal.SIGINT)
    except KeyboardInterrupt:
        emit("cancelled", message="interrupted; no model written")
        return 130
    except (DataError, ModelFileError, ValueError, OSError) as exc:
        report_error(exc)
        return 1
    except Exception as exc:  # a last resort: still one line, never a traceback
        report_error(f"{type(exc).__name__}: {exc}", kind="bug")
        return 2
