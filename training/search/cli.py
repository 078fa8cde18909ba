"""``python -m training search`` (or ``python -m training.search``): the search's command line.

A tqdm bar over trials for people, or with ``--progress jsonl`` one JSON event
per line for the app, then one last line: ``done``, ``cancelled`` or ``error``
(with its ``kind``). Exit status: 0 done, 1 a problem the user can fix (storage,
study, data, arguments), 128 + the signal number when SIGINT/SIGTERM stopped it
(the finished trials stay in the study).
"""

from __future__ import annotations

import argparse
import math
import shlex
import signal
import sys
from pathlib import Path
from typing import Any

from training.config import ARCH_CHOICES, DEVICES
from training.priority import add_background_option
from training.progress import emit, report_error
from training.search.errors import SearchError, storage_reason
from training.search.options import (
    DEFAULT_EPOCHS,
    DEFAULT_PRUNER,
    DEFAULT_TRIALS,
    DEFAULT_VAL_FRACTION,
    PRUNERS,
    SearchOptions,
)
from training.search.places import STUDY_DB_NAME, default_storage, redact, user_data_dir
from training.search.space import config_values, space_for
from training.stopping import StopFlag

EXIT_ERROR = 1


def _default_cache() -> str:
    from training.cli import default_cache  # where train keeps its arrays, shared with it

    return str(default_cache())


def add_search_parser(subparsers: Any) -> argparse.ArgumentParser:
    """The ``search`` subcommand; dispatch with ``args.func(args)`` or ``args.func(args, stop)``
    (= :func:`search_main`)."""
    p = subparsers.add_parser(
        "search",
        help="search hyperparameters with Optuna (pruned, resumable)",
        description=(
            "Search hyperparameters with Optuna on a validation part held out from the "
            "training data, then retrain the best on all of it and score it once on the "
            "test set. Running the same command again resumes the study; several machines "
            "given the same --storage URL and --study-name search one study together."
        ),
    )
    _add_trial_options(p)
    _add_study_options(p)
    add_background_option(p)
    p.set_defaults(func=search_main)
    return p


def _add_trial_options(p: argparse.ArgumentParser) -> None:
    """The data, the architecture and the budget of trials and time."""
    p.add_argument(
        "--data", type=Path, default=None, help="folder of MNIST IDX files (not for --status)"
    )
    p.add_argument("--arch", choices=ARCH_CHOICES, default="fcnn")
    p.add_argument(
        "--trials",
        type=int,
        default=DEFAULT_TRIALS,
        help="finished (complete or pruned) trials the study should reach "
        f"(default {DEFAULT_TRIALS})",
    )
    p.add_argument(
        "--epochs",
        type=int,
        default=DEFAULT_EPOCHS,
        help=f"epochs per trial (default {DEFAULT_EPOCHS})",
    )
    p.add_argument(
        "--final-epochs",
        type=int,
        default=None,
        help="epochs for retraining the best (default: --epochs)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="S",
        help="stop starting trials after S seconds",
    )


def _add_study_options(p: argparse.ArgumentParser) -> None:
    """The study, how trials are judged and run, what is kept at the end, how it reports."""
    p.add_argument(
        "--storage",
        default=None,
        metavar="URL",
        help="Optuna RDB storage URL (default: SQLite in the user's data folder, "
        f"{default_storage()})",
    )
    p.add_argument(
        "--study-name", default=None, help="study to create or resume (default: digitpad-ARCH)"
    )
    p.add_argument("--pruner", choices=PRUNERS, default=DEFAULT_PRUNER)
    p.add_argument(
        "--val-fraction",
        type=float,
        default=DEFAULT_VAL_FRACTION,
        help="part of the training data held out for validation",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="makes a run of one worker repeatable (default: each worker draws its own "
        "sampling seed, so that workers sharing a study do not try the same parameters)",
    )
    p.add_argument("--device", choices=DEVICES, default="auto")
    p.add_argument(
        "--no-final",
        dest="final",
        action="store_false",
        help="skip retraining the best and the test score (for extra workers)",
    )
    p.add_argument("--out", default=None, help="also save the retrained best model to this file")
    p.add_argument(
        "--cache",
        default=_default_cache(),
        help="folder for prepared arrays (as for train)",
    )
    p.add_argument(
        "--progress",
        choices=("tqdm", "jsonl"),
        default="tqdm",
        help="jsonl: one JSON object per trial event on stdout (for the GUI)",
    )
    p.add_argument(
        "--status",
        action="store_true",
        help="print the study's progress (finished, pruned, running, failed; best) and exit",
    )
    p.add_argument(
        "--list",
        action="store_true",
        help="print the DigitPad studies in --storage (architecture, epochs, trials) and exit",
    )


def options_from_args(args: argparse.Namespace, command: str = "") -> SearchOptions:
    return SearchOptions(
        data=args.data,
        arch=args.arch,
        trials=args.trials,
        epochs=args.epochs,
        final_epochs=args.final_epochs,
        timeout=args.timeout,
        storage=args.storage or None,  # an empty URL or name means the default
        study_name=args.study_name or None,
        pruner=args.pruner,
        val_fraction=args.val_fraction,
        seed=0 if args.seed is None else args.seed,
        sampler_seed=args.seed,
        device=args.device,
        final=args.final,
        out=None if args.out is None else Path(args.out),
        cache=Path(args.cache) if args.cache else None,
        command=command,
    )


class _TrialBar:
    """A tqdm bar over the study's finished trials, with the best value and pruned count."""

    def __init__(self, total: int) -> None:
        from tqdm import tqdm

        class Bar(tqdm):
            monitor_interval = 0  # no monitor thread: it would outlive the search

        self.total = total
        self.bar = Bar(
            total=total, desc="trials", unit="trial", file=sys.stderr, dynamic_ncols=True
        )

    def update(self, study: Any) -> None:
        from training.search.study import best_of, counts

        done = counts(study)
        self.bar.n = min(self.total, done["completed"] + done["pruned"])
        _, best, _ = best_of(study)
        self.bar.set_postfix(
            best=f"{best:.4f}" if best is not None else "-", pruned=done["pruned"], refresh=False
        )
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


def search_main(args: argparse.Namespace, stop: StopFlag | None = None) -> int:
    """Run the CLI search: a bar or JSON lines, then one JSON line (done/cancelled/error).

    ``stop`` is the process's stop flag, already installed (``training.cli``); without
    one, SIGINT/SIGTERM stop this search until it returns.
    """
    if stop is None:
        with StopFlag().installed() as own:
            return search_main(args, own)
    try:
        if args.status:
            return show_status(options_from_args(args))
        if args.list:
            return list_studies(options_from_args(args))
        _check_args(args)
        return _search(args, stop)
    except (SearchError, ValueError, OSError) as exc:
        report_error(exc)
        return EXIT_ERROR


def _check_args(args: argparse.Namespace) -> None:
    """What can be refused before any trial: a bad --out must not cost them."""
    from training.cli import check_output_path

    if args.out is not None:
        try:
            check_output_path(args.out)
        except ValueError as exc:
            raise SearchError(str(exc), kind="input") from None
    if args.data is None:
        raise SearchError("the search needs --data, a folder of MNIST IDX files", kind="input")
    problem = _budget_problem(args.timeout, args.final_epochs)
    if problem:
        raise SearchError(problem, kind="input")


def _budget_problem(timeout: float | None, final_epochs: int | None) -> str | None:
    """Why ``--timeout`` or ``--final-epochs`` cannot be met, or None.

    Found only after the trials, a bad one would cost them all: a timeout of NaN or
    below zero starts no trial and the search then ends with nothing to retrain.
    """
    if timeout is not None and not (math.isfinite(timeout) and timeout > 0):
        return f"--timeout must be a positive number of seconds, not {timeout}"
    if final_epochs is not None and final_epochs < 1:
        return f"--final-epochs must be at least 1, not {final_epochs}"
    return None


def _search(args: argparse.Namespace, stop: StopFlag) -> int:
    from training.search.run import run_search

    if args.background:
        _lower_priority()
    argv = list(getattr(args, "argv", None) or sys.argv[1:])
    if argv[:1] != ["search"]:
        argv.insert(0, "search")
    options = options_from_args(args, "python -m training " + shlex.join(argv))
    jsonl = args.progress == "jsonl"
    bar = None if jsonl else _TrialBar(options.trials)

    def event(fields: dict) -> None:
        if jsonl:
            fields = dict(fields)
            emit(fields.pop("event"), **fields)

    try:
        result = run_search(options, emit=event, on_trial_done=bar and bar.update, stop=stop)
    finally:
        if bar is not None:
            bar.close()
    if result.get("cancelled"):
        kept = result["trials_completed"] + result["trials_pruned"]
        message = f"search stopped; {kept} finished trials are kept in study {result['study']!r}"
        print(message, file=sys.stderr)  # noqa: T201
        emit("cancelled", message=message, **result)
        return 128 + (stop.signum or signal.SIGINT)
    _keep_best(result)
    emit("done", **result)
    return 0


def _lower_priority() -> None:
    # Looked up on the package, where tests (and anyone) can replace it in one place.
    import training.search

    training.search.lower_priority()


def list_studies(options: SearchOptions) -> int:
    """Print one JSON line, a ``done`` event with the storage's DigitPad studies (``--list``);
    runs nothing."""
    import optuna
    from sqlalchemy.exc import SQLAlchemyError

    from training.search.study import make_storage
    from training.search.trial import rounded

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if options.storage is None and not (user_data_dir() / STUDY_DB_NAME).is_file():
        emit("done", storage=redact(options.storage_url), studies=[])  # none made here yet
        return 0
    try:
        storage = make_storage(options.storage_url)
        summaries = optuna.get_all_study_summaries(storage)
        ours = [s for s in summaries if s.user_attrs.get("digitpad_search")]
        # What the search counts towards its target: trials that ended, not failed ones.
        ended = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
        counts = [
            len(optuna.load_study(study_name=s.study_name, storage=storage).get_trials(
                deepcopy=False, states=ended))
            for s in ours
        ]  # fmt: skip
    except (ImportError, SQLAlchemyError, OSError, ValueError, RuntimeError) as exc:
        reason = storage_reason(exc, options.storage_url)
        raise SearchError(f"cannot open storage {redact(options.storage_url)}: {reason}") from None
    studies = [
        {
            "study": s.study_name,
            "arch": s.user_attrs.get("arch"),
            "epochs": s.user_attrs.get("epochs"),
            "trials": count,
            "best_val_accuracy": rounded(s.best_trial.value) if s.best_trial else None,
            "best_params": _listed_params(s),
        }
        for s, count in zip(ours, counts, strict=True)
    ]
    emit("done", storage=redact(options.storage_url), studies=studies)
    return 0


def _listed_params(summary: Any) -> dict | None:
    """A listed study's best parameters as training takes them (CNN channels as a list)."""
    if summary.best_trial is None:
        return None
    space = space_for(str(summary.user_attrs.get("arch")))
    return config_values(dict(summary.best_trial.params), space)


def show_status(options: SearchOptions) -> int:
    """Print one JSON line on the study's progress (``--status``); runs nothing."""
    import optuna

    from training.search.study import best_of, counts, load_existing, storage_errors
    from training.search.trial import rounded

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = load_existing(options)
    with storage_errors(options):
        params, best, number = best_of(study)
        now = counts(study)
    emit(
        "status",
        study=options.name,
        storage=redact(options.storage_url),
        arch=study.user_attrs.get("arch"),
        epochs=study.user_attrs.get("epochs"),
        finished=now["completed"] + now["pruned"],
        **now,
        best_trial=number,
        best_val_accuracy=rounded(best),
        best_params=params,
    )
    return 0


def _keep_best(result: dict) -> None:
    """Save the best parameters where the Retrain dialog offers them as its defaults."""
    from digitpad import best_params

    if not result.get("best_params"):
        return
    test = result.get("test_accuracy")
    if test is None:
        test = _known_test_accuracy(best_params.load(user_data_dir()), result)
    try:
        path = best_params.save(
            user_data_dir(),
            result["arch"],
            result["best_params"],
            study=result["study"],
            best_val_accuracy=result["best_val_accuracy"],
            test_accuracy=test,
        )
    except OSError as exc:
        print(f"warning: could not keep the best parameters: {exc}", file=sys.stderr)  # noqa: T201
        return
    result["best_params_file"] = str(path)


def _known_test_accuracy(kept: dict | None, result: dict) -> float | None:
    """The test score already kept for this study's same best (retrained by another worker
    of this computer, or by an earlier run), which a result without one must not erase."""
    from digitpad import best_params

    if not kept or (kept.get("study"), kept.get("arch")) != (result["study"], result["arch"]):
        return None
    if kept["params"] != best_params.clean(result["best_params"]):
        return None
    value = kept.get("test_accuracy")
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (``python -m training.search ...``), same as ``training search``."""
    parser = argparse.ArgumentParser(prog="python -m training")
    sub = parser.add_subparsers(dest="command", required=True)
    add_search_parser(sub)
    args = parser.parse_args(["search", *(sys.argv[1:] if argv is None else argv)])
    try:
        return args.func(args)
    except Exception as exc:  # a last resort, as in training.cli: one line, never a traceback
        report_error(f"{type(exc).__name__}: {exc}", kind="bug")
        return 2
