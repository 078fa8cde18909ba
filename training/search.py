"""Hyperparameter search with Optuna: pruned, resumable, shareable between machines.

``python -m training search --data DIR`` samples learning rate, batch size, the
architecture's sizes, weight decay, augmentation strength and the rest of
:data:`training.config.SEARCH_SPACE` (the one place the search space lives, as
data), trains each trial with :func:`training.loop.train` on the training data
minus a held-out validation part, reports the validation accuracy after every
epoch (``trial.report``) and lets Optuna's pruner stop unpromising trials. The
test set is never looked at during the search: the best configuration is
retrained once on all the training data and scored once on the test set.

Studies live in an Optuna RDB storage: SQLite in the user's data folder by
default, or any URL given with ``--storage`` (PostgreSQL, MySQL...), which is how
several machines search one study together. ``--trials N`` is the number of
finished (complete or pruned) trials the *study* should reach, so running the
same command again after a stop resumes where it left off, and several workers
pointed at one study stop together once it has N.

Errors the user can fix (storage, study, data) are :class:`SearchError`; the CLI
prints them in one line and exits with status 1. SIGINT/SIGTERM stop the running
trial (marked failed, not counted) and keep every finished one; the exit status
is then 128 + the signal number, as for ``train``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from training.config import ARCH_CHOICES, DEVICES, SEARCH_SPACE, Param, TrainConfig
from training.priority import add_background_option, lower_priority

APP_DIR_NAME = "DigitPad"
STUDY_DB_NAME = "search.db"
PRUNERS = ("median", "hyperband", "none")
DEFAULT_PRUNER = "median"
DEFAULT_TRIALS = 20
DEFAULT_EPOCHS = 10
DEFAULT_VAL_FRACTION = 1 / 6
EXIT_ERROR = 1

Emit = Callable[[dict], None]


class SearchError(Exception):
    """A problem the user can fix (storage, study name, data); the message says which."""


# ---------------------------------------------------------------------------- places


def user_data_dir() -> Path:
    """The user's DigitPad data folder (``DIGITPAD_DATA_DIR`` wins), as the app finds it."""
    from digitpad.userdata import data_dir

    return Path(data_dir())


def default_storage() -> str:
    return f"sqlite:///{user_data_dir() / STUDY_DB_NAME}"


def default_study_name(arch: str) -> str:
    return f"digitpad-{arch}"


def redact(url: str) -> str:
    """The storage URL without its password, for messages and results."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1] if "@" in url else url


# ---------------------------------------------------------------------------- space


def space_for(arch: str, space: dict[str, Param] | None = None) -> dict[str, Param]:
    """The dimensions of ``space`` (default: SEARCH_SPACE) that apply to ``arch``."""
    space = SEARCH_SPACE if space is None else space
    return {k: p for k, p in space.items() if arch in p.archs}


def _label(choice: Any) -> Any:
    """Optuna stores categorical choices as None/bool/int/float/str: tuples become "32x64"."""
    if isinstance(choice, (tuple, list)):
        return "x".join(str(c) for c in choice)
    return choice


def _unlabel(param: Param, value: Any) -> Any:
    for choice in param.choices:
        if _label(choice) == value:
            return list(choice) if isinstance(choice, (tuple, list)) else choice
    return value


def suggest(trial: Any, space: dict[str, Param]) -> dict[str, Any]:
    """Ask the trial for one value per dimension; returns TrainConfig field values."""
    values: dict[str, Any] = {}
    for name, p in space.items():
        if p.kind == "float":
            values[name] = trial.suggest_float(name, p.low, p.high, log=p.log)
        elif p.kind == "int":
            values[name] = trial.suggest_int(name, int(p.low), int(p.high), log=p.log)
        elif p.kind == "categorical":
            raw = trial.suggest_categorical(name, [_label(c) for c in p.choices])
            values[name] = _unlabel(p, raw)
        else:
            raise ValueError(f"search space {name!r}: unknown kind {p.kind!r}")
    return values


def config_values(params: dict[str, Any], space: dict[str, Param]) -> dict[str, Any]:
    """Optuna's stored params → TrainConfig field values (JSON-friendly)."""
    return {k: (_unlabel(space[k], v) if k in space else v) for k, v in params.items()}


def optuna_params(values: dict[str, Any]) -> dict[str, Any]:
    """TrainConfig field values → what Optuna stores (for enqueueing a known configuration)."""
    return {k: _label(v) for k, v in values.items()}


def within(values: dict[str, Any], space: dict[str, Param]) -> dict[str, Any]:
    """``values`` moved inside the space (e.g. weight decay 0 → the log range's low end);
    categorical values the space does not offer are dropped (the sampler picks)."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        p = space.get(name)
        if p is None:
            continue
        if p.kind == "categorical":
            if _label(value) in [_label(c) for c in p.choices]:
                out[name] = value
        else:
            v = min(max(value, p.low), p.high)
            out[name] = round(v) if p.kind == "int" else float(v)
    return out


def make_config(base: TrainConfig, values: dict[str, Any], **overrides: Any) -> TrainConfig:
    values = dict(values)
    if "channels" in values:
        values["channels"] = tuple(values["channels"])
    return replace(base, **values, **overrides)


# ---------------------------------------------------------------------------- data


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
        raise SearchError(f"--val-fraction must be between 0 and 1, not {val_fraction}")
    n_val = max(1, round(n * val_fraction))
    if n - n_val < 1:
        raise SearchError(f"{n} training images are too few to hold out a validation part")
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
    import torch

    from digitpad.preprocess import deskew
    from training.data import DataError, Digits, load_mnist
    from training.loop import to_tensor

    try:
        train = load_mnist(folder, "train")
        test = load_mnist(folder, "test").prepared(cache)
        prepared = train.prepared(cache)
    except DataError as exc:
        raise SearchError(str(exc)) from None
    keep, held = split_indices(len(train), val_fraction, base.seed)

    def part(source: Digits, index: np.ndarray) -> Digits:
        return Digits(source.images[index], source.labels[index], source.description)

    fit_parts = [part(train, keep)] + ([part(prepared, keep)] if base.prepared_mnist else [])
    full_parts = [train] + ([prepared] if base.prepared_mnist else [])
    fit = Digits.concat(fit_parts)
    full = Digits.concat(full_parts)
    val = part(prepared, held)

    def tensors(d: Digits) -> tuple[Any, Any]:
        images = deskew(d.images) if base.deskew else d.images
        return to_tensor(images, device), torch.from_numpy(d.labels).to(device)

    x_train, y_train = tensors(fit)
    x_val, y_val = tensors(val)
    x_full, y_full = tensors(full)
    x_test, y_test = tensors(test)
    return SplitData(
        x_train,
        y_train,
        x_val,
        y_val,
        x_full,
        y_full,
        x_test,
        y_test,
        f"{train.description}: {len(keep)} for fitting, {len(held)} held out for validation",
        full,
    )


# ---------------------------------------------------------------------------- study


@dataclass
class SearchOptions:
    data: Path
    arch: str = "fcnn"
    trials: int = DEFAULT_TRIALS
    epochs: int = DEFAULT_EPOCHS
    final_epochs: int | None = None
    timeout: float | None = None
    storage: str | None = None
    study_name: str | None = None
    pruner: str = DEFAULT_PRUNER
    pruner_startup_trials: int = 3
    pruner_warmup_epochs: int | None = None
    val_fraction: float = DEFAULT_VAL_FRACTION
    seed: int = 0
    device: str = "auto"
    final: bool = True
    out: Path | None = None
    # Configurations (TrainConfig field values) to try first in a new study.
    enqueue: list[dict] = field(default_factory=list)
    cache: Path | None = None
    command: str = ""
    space: dict[str, Param] | None = None

    @property
    def storage_url(self) -> str:
        return self.storage or default_storage()

    @property
    def name(self) -> str:
        return self.study_name or default_study_name(self.arch)

    def base_config(self) -> TrainConfig:
        return TrainConfig(arch=self.arch, epochs=self.epochs, seed=self.seed, device=self.device)


def make_pruner(options: SearchOptions) -> Any:
    import optuna

    if options.pruner == "none":
        return optuna.pruners.NopPruner()
    if options.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(
            min_resource=1, max_resource=options.epochs, reduction_factor=3
        )
    warmup = options.pruner_warmup_epochs
    if warmup is None:
        warmup = max(1, options.epochs // 4) if options.epochs > 1 else 0
    # Steps are 1-based epochs: warm-up w means epochs 1..w are never judged.
    return optuna.pruners.MedianPruner(
        n_startup_trials=options.pruner_startup_trials, n_warmup_steps=warmup
    )


def _engine_kwargs(url: str) -> dict:
    if url.startswith(("postgresql", "mysql")):
        return {"connect_args": {"connect_timeout": 10}, "pool_pre_ping": True}
    return {}


# A trial started by a worker that found the study already full: failed at once, never counted.
SURPLUS = "digitpad_surplus"
# How often a worker with nothing to start looks whether the others finished (or died).
POLL_S = 2.0


class _Surplus(Exception):  # noqa: N818 - not an error: the study has all its trials
    """Other workers already run or finished the trials this study asked for."""


class _Raced(Exception):  # noqa: N818 - another worker got there first; try again
    """Another worker created the same study, table or attribute at the same moment."""


# How often a worker proves it is alive, and how long before its trial is taken over.
HEARTBEAT_S = 5
GRACE_S = 20
RACE_TRIES = 8


def _is_race(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(words in text for words in ("duplicate key", "already exists", "unique constraint"))


def open_study(options: SearchOptions) -> Any:
    """Create or load the study; every problem a user can cause is a SearchError.

    Any number of workers may open a new study at the same moment: creating the
    tables, the study and its attributes is idempotent, and a lost race is
    retried rather than fatal.
    """
    for attempt in range(RACE_TRIES):
        try:
            return _open_study_once(options)
        except _Raced:
            time.sleep(random.uniform(0.05, 0.25) * (attempt + 1))
    raise SearchError(
        f"could not open study {options.name!r}: other workers kept changing it; try again"
    )


def _storage(url: str) -> Any:
    import optuna

    try:  # Optuna 4.9 and later name the callback for what it is for
        from optuna.storages import RetryHeartbeatStaleTrialCallback

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            callback = RetryHeartbeatStaleTrialCallback(max_retry=3)
        retry = {"heartbeat_stale_trial_callback": callback}
    except ImportError:
        from optuna.storages import RetryFailedTrialCallback

        retry = {"failed_trial_callback": RetryFailedTrialCallback(max_retry=3)}
    # A trial whose worker died is failed by the next worker that looks, and run again.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.RDBStorage(
            url,
            engine_kwargs=_engine_kwargs(url),
            heartbeat_interval=HEARTBEAT_S,
            grace_period=GRACE_S,
            **retry,
        )


def _open_study_once(options: SearchOptions) -> Any:
    import optuna
    from optuna.exceptions import DuplicatedStudyError
    from sqlalchemy.exc import IntegrityError, SQLAlchemyError

    url = options.storage_url
    if url.startswith("sqlite:///") and options.storage is None:
        user_data_dir().mkdir(parents=True, exist_ok=True)
    shown = redact(url)
    try:
        study = optuna.create_study(
            study_name=options.name,
            storage=_storage(url),
            direction="maximize",
            pruner=make_pruner(options),
            load_if_exists=True,
        )
    except ImportError as exc:
        raise SearchError(
            f"cannot use storage {shown}: its database driver is not installed ({exc}); "
            'install it with pip install -e ".[postgres]" (or ".[mysql]")'
        ) from None
    except (IntegrityError, DuplicatedStudyError):
        raise _Raced() from None
    except (SQLAlchemyError, OSError, ValueError, RuntimeError) as exc:
        if _is_race(exc):
            raise _Raced() from None
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SearchError(f"cannot open storage {shown}: {reason}") from None
    directions = [d.name.lower() for d in study.directions]
    if directions != ["maximize"]:
        raise SearchError(
            f"study {options.name!r} in {shown} already exists and was made to "
            f"{' and '.join(directions)}, but a DigitPad search maximises validation accuracy; "
            "choose another --study-name"
        )
    attrs = study.user_attrs
    ours = {"arch": options.arch, "epochs": options.epochs}
    if attrs.get("digitpad_search"):
        clash = {k: attrs.get(k) for k, v in ours.items() if attrs.get(k) != v}
        if clash:
            found = ", ".join(f"{k} {v}" for k, v in clash.items())
            raise SearchError(
                f"study {options.name!r} was made with {found}; resume it with the same "
                "--arch and --epochs, or choose another --study-name"
            )
    elif study.trials:
        raise SearchError(
            f"study {options.name!r} in {shown} was not made by a DigitPad search; "
            "choose another --study-name"
        )
    else:
        try:
            # The marker last: a study without it has not finished being made.
            for k, v in ours.items():
                study.set_user_attr(k, v)
            study.set_user_attr("digitpad_search", 1)
        except IntegrityError:
            raise _Raced() from None
        except SQLAlchemyError as exc:
            if _is_race(exc):
                raise _Raced() from None
            raise SearchError(f"cannot write to storage {shown}: {exc}") from None
    return study


def is_surplus(study: Any, number: int, target: int) -> bool:
    """Whether trial ``number`` would go past ``target``: as many trials before it already
    finished or run (surplus ones do not count)."""
    from optuna.trial import TrialState

    ahead = study.get_trials(
        deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
    )
    taken = [t for t in ahead if t.number < number and not t.user_attrs.get(SURPLUS)]
    return len(taken) >= target


def claim_final(study: Any, options: SearchOptions) -> bool:
    """Whether this worker is the one to retrain the best: the first to claim it wins.

    The claim is a study of its own, because creating a study is the one step
    the storage makes atomic across workers. A re-run of a study whose best was
    retrained for the same number of trials does not retrain it again.
    """
    import optuna
    from optuna.exceptions import DuplicatedStudyError
    from sqlalchemy.exc import IntegrityError

    try:
        optuna.create_study(study_name=_claim_name(options), storage=study._storage)
    except (DuplicatedStudyError, IntegrityError):
        return False
    return True


def release_final(study: Any, options: SearchOptions) -> None:
    """Give the claim back (the retrain was cancelled or failed), so a later run can do it."""
    import optuna

    with contextlib.suppress(Exception):
        optuna.delete_study(study_name=_claim_name(options), storage=study._storage)


def _claim_name(options: SearchOptions) -> str:
    return f"{options.name}::final-retrain::{options.trials}"


def counts(study: Any) -> dict[str, int]:
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    states = [t.state for t in trials if not t.user_attrs.get(SURPLUS)]
    return {
        "completed": states.count(TrialState.COMPLETE),
        "pruned": states.count(TrialState.PRUNED),
        "failed": states.count(TrialState.FAIL),
        "running": states.count(TrialState.RUNNING),
    }


def best_of(study: Any) -> tuple[dict | None, float | None, int | None]:
    try:
        best = study.best_trial
    except ValueError:  # no completed trial yet
        return None, None, None
    return dict(best.params), float(best.value), best.number


# ---------------------------------------------------------------------------- search


@contextmanager
def stop_on_signals(stop: threading.Event, received: list[int] | None = None) -> Iterator[None]:
    """SIGINT/SIGTERM set ``stop`` (checked between batches) instead of killing the process."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}

    def handler(signum: int, frame: Any) -> None:
        if received is not None:
            received.append(signum)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def run_search(
    options: SearchOptions,
    emit: Emit | None = None,
    on_trial_done: Callable[[Any], None] | None = None,
    stop: threading.Event | None = None,
) -> dict:
    """Run (or resume) the search and the final retrain; returns the result dict.

    ``emit`` receives one dict per event (see the CLI's ``--progress jsonl``);
    ``stop`` is set to cancel, which raises :class:`training.loop.Cancelled`
    after the running trial is marked failed.
    """
    import optuna
    import torch

    from training.loop import Cancelled, accuracy, resolve_device, train

    emit = emit or (lambda event: None)
    stop = stop or threading.Event()
    if options.arch not in ARCH_CHOICES:
        raise SearchError(f"unknown architecture {options.arch!r}; choose from {ARCH_CHOICES}")
    if options.trials < 1 or options.epochs < 1:
        raise SearchError("--trials and --epochs must be at least 1")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = space_for(options.arch, options.space)
    base = options.base_config()
    try:
        device = resolve_device(options.device)
    except ValueError as exc:
        raise SearchError(str(exc)) from None
    study = open_study(options)
    data = load_split(Path(options.data), base, options.val_fraction, device, options.cache)
    torch.set_num_threads(max(1, torch.get_num_threads()))

    start = time.perf_counter()
    existing = counts(study)
    if not study.trials:
        # A new study first measures the current defaults, then what it is asked to.
        defaults = {k: getattr(base, k) for k in space}
        for values in [defaults, *options.enqueue]:
            study.enqueue_trial(optuna_params(within(values, space)), skip_if_exists=True)
    # A fresh seed per run: a resumed study must not replay its random start-up trials.
    study.sampler = optuna.samplers.TPESampler(
        seed=options.seed + len(study.trials), n_startup_trials=5, multivariate=True
    )
    emit(
        {
            "event": "search_started",
            "study": options.name,
            "storage": redact(options.storage_url),
            "arch": options.arch,
            "epochs": options.epochs,
            "target_trials": options.trials,
            "finished_trials": existing["completed"] + existing["pruned"],
            "data": data.description,
            "device": str(device),
            "space": {k: _describe(p) for k, p in space.items()},
        }
    )

    def objective(trial: optuna.Trial) -> float:
        # Workers ask for trials at the same moment: the one numbered past the target gives
        # its place up, so the study ends with exactly --trials finished trials.
        if is_surplus(study, trial.number, options.trials):
            trial.set_user_attr(SURPLUS, True)
            raise _Surplus()
        values = suggest(trial, space)
        config = make_config(base, values)
        emit({"event": "trial_started", "trial": trial.number, "params": values})
        last: dict[str, float] = {}

        def on_progress(p: Any) -> None:
            if not p.epoch_end:
                return
            value = float(p.metrics["test_accuracy"])  # our x_test is the validation part
            last["value"], last["epoch"] = value, p.epoch
            trial.report(value, p.epoch)
            emit(
                {
                    "event": "epoch",
                    "trial": trial.number,
                    "epoch": p.epoch,
                    "epochs": p.epochs,
                    "val_accuracy": _round(value),
                }
            )
            if trial.should_prune():
                trial.set_user_attr("pruned_at_epoch", p.epoch)
                raise optuna.TrialPruned(f"pruned at epoch {p.epoch}")

        started = time.perf_counter()
        try:
            result = train(
                config,
                data.x_train,
                data.y_train,
                data.x_val,
                data.y_val,
                on_progress=on_progress,
                should_stop=stop.is_set,
            )
        except optuna.TrialPruned:
            trial.set_user_attr("seconds", time.perf_counter() - started)
            emit(
                {
                    "event": "trial_pruned",
                    "trial": trial.number,
                    "params": values,
                    "value": _round(last.get("value")),
                    "epoch": last.get("epoch"),
                    "seconds": round(time.perf_counter() - started, 3),
                }
            )
            raise
        seconds = time.perf_counter() - started
        trial.set_user_attr("seconds", seconds)
        value = float(result.test_accuracy)
        trial.set_user_attr("val_accuracy_history", [h["test_accuracy"] for h in result.history])
        emit(
            {
                "event": "trial_finished",
                "trial": trial.number,
                "params": values,
                "value": _round(value),
                "seconds": round(seconds, 3),
            }
        )
        return value

    def after_trial(study: optuna.Study, frozen: Any) -> None:
        if on_trial_done is not None:
            on_trial_done(study)

    cancelled = False
    deadline = None if options.timeout is None else start + options.timeout
    try:
        while not stop.is_set() and (deadline is None or time.perf_counter() < deadline):
            now = counts(study)
            finished = now["completed"] + now["pruned"]
            if finished >= options.trials:
                break
            if finished + now["running"] >= options.trials:
                # The last trials are running elsewhere: wait, and take over any whose
                # worker died (its heartbeat stops; the trial is failed and queued again).
                optuna.storages.fail_stale_trials(study)
                stop.wait(POLL_S)
                continue
            study.optimize(
                objective,
                n_trials=1,
                catch=(_Surplus,),
                callbacks=[after_trial],
                gc_after_trial=False,
            )
    except Cancelled:
        cancelled = True
    search_seconds = time.perf_counter() - start

    params, best_value, best_number = best_of(study)
    done = counts(study)
    result: dict[str, Any] = {
        "study": options.name,
        "storage": redact(options.storage_url),
        "arch": options.arch,
        "epochs": options.epochs,
        "best_trial": best_number,
        "best_params": config_values(params, space) if params is not None else None,
        "best_val_accuracy": _round(best_value),
        "test_accuracy": None,
        "trials_completed": done["completed"],
        "trials_pruned": done["pruned"],
        "trials_failed": done["failed"],
        "search_seconds": round(search_seconds, 3),
        "cancelled": cancelled,
    }
    if cancelled or stop.is_set():
        result["cancelled"] = True
        return result
    if params is None:
        raise SearchError(f"study {options.name!r} has no completed trial to retrain")
    if options.final and not claim_final(study, options):
        result["final_by_another_worker"] = True
    elif options.final:
        final_epochs = options.final_epochs or options.epochs
        config = make_config(base, result["best_params"], epochs=final_epochs)
        emit({"event": "final_started", "params": result["best_params"], "epochs": final_epochs})
        started = time.perf_counter()
        try:
            trained = train(config, data.x_full, data.y_full, should_stop=stop.is_set)
        except BaseException as exc:
            release_final(study, options)  # someone else may retrain it later
            if isinstance(exc, Cancelled):
                result["cancelled"] = True
                return result
            raise
        result["test_accuracy"] = _round(
            accuracy(trained.model, data.x_test, data.y_test, config.eval_batch_size)
        )
        result["final_epochs"] = final_epochs
        result["final_seconds"] = round(time.perf_counter() - started, 3)
        if options.out is not None:
            result["model"] = str(save_final(trained.model, config, data, result, options))
    return result


def _describe(p: Param) -> dict:
    if p.kind == "categorical":
        return {
            "kind": p.kind,
            "choices": [list(c) if isinstance(c, tuple) else c for c in p.choices],
        }
    return {"kind": p.kind, "low": p.low, "high": p.high, "log": p.log}


def save_final(
    model: Any, config: TrainConfig, data: SplitData, result: dict, options: SearchOptions
) -> Path:
    """Write the retrained best model as a model file the app can load."""
    from digitpad.model_file import save_model
    from training.models import export
    from training.pipeline import build_meta

    figures = {
        "test_accuracy": result["test_accuracy"],
        "search": {"study": options.name, "best_val_accuracy": result["best_val_accuracy"]},
    }
    meta = build_meta(
        config,
        data.full,
        options.command or "python -m training search",
        figures,
        result.get("final_seconds", 0.0),
    )
    path = Path(options.out)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_model(path, config.arch, export(model, config, meta), meta)
    except OSError as exc:
        raise SearchError(f"cannot write {path}: {exc}") from None
    return path


# ---------------------------------------------------------------------------- CLI


def add_search_parser(subparsers: Any) -> argparse.ArgumentParser:
    """The ``search`` subcommand; dispatch with ``args.func(args)`` (= :func:`search_main`)."""
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
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", choices=DEVICES, default="auto")
    p.add_argument(
        "--no-final",
        dest="final",
        action="store_false",
        help="skip retraining the best and the test score (for extra workers)",
    )
    p.add_argument(
        "--out", type=Path, default=None, help="also save the retrained best model to this file"
    )
    p.add_argument(
        "--cache",
        default=str(Path("data") / "cache"),
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
    add_background_option(p)
    p.set_defaults(func=search_main)
    return p


def options_from_args(args: argparse.Namespace, command: str = "") -> SearchOptions:
    return SearchOptions(
        data=args.data,
        arch=args.arch,
        trials=args.trials,
        epochs=args.epochs,
        final_epochs=args.final_epochs,
        timeout=args.timeout,
        storage=args.storage,
        study_name=args.study_name,
        pruner=args.pruner,
        val_fraction=args.val_fraction,
        seed=args.seed,
        device=args.device,
        final=args.final,
        out=args.out,
        cache=Path(args.cache) if args.cache else None,
        command=command,
    )


def _emit(event: str, **fields: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


def search_main(args: argparse.Namespace) -> int:
    """Run the CLI search: a bar or JSON lines, then one JSON line (done/cancelled/error).

    Exit status: 0 done, 1 a problem with the input (storage, study, data), 128+signal
    when cancelled (the finished trials stay in the study).
    """
    import shlex

    if args.status:
        return show_status(options_from_args(args))
    if args.out is not None:
        from training.cli import check_output_path

        try:
            check_output_path(Path(args.out))  # before any trial: a bad --out must not cost them
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)  # noqa: T201
            _emit("error", message=str(exc))
            return EXIT_ERROR
    if args.data is None:
        print("error: the search needs --data, a folder of MNIST IDX files", file=sys.stderr)  # noqa: T201
        _emit("error", message="the search needs --data, a folder of MNIST IDX files")
        return EXIT_ERROR
    if args.background:
        lower_priority()
    argv = list(getattr(args, "argv", None) or sys.argv[1:])
    if argv[:1] != ["search"]:
        argv.insert(0, "search")
    options = options_from_args(args, "python -m training " + shlex.join(argv))
    jsonl = args.progress == "jsonl"
    stop = threading.Event()
    signals: list[int] = []
    bar = None

    def emit(event: dict) -> None:
        if jsonl:
            event = dict(event)
            _emit(event.pop("event"), **event)

    def on_trial_done(study: Any) -> None:
        if bar is None:
            return
        done = counts(study)
        bar.n = min(options.trials, done["completed"] + done["pruned"])
        _, best, _ = best_of(study)
        bar.set_postfix(
            best=f"{best:.4f}" if best is not None else "-", pruned=done["pruned"], refresh=False
        )
        bar.refresh()

    if not jsonl:
        from tqdm import tqdm

        bar = tqdm(
            total=options.trials, desc="trials", unit="trial", file=sys.stderr, dynamic_ncols=True
        )
    try:
        with stop_on_signals(stop, signals):
            result = run_search(options, emit=emit, on_trial_done=on_trial_done, stop=stop)
    except SearchError as exc:
        if bar is not None:
            bar.close()
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201
        _emit("error", message=str(exc))
        return EXIT_ERROR
    if bar is not None:
        bar.close()
    if result.get("cancelled"):
        kept = result["trials_completed"] + result["trials_pruned"]
        message = f"search stopped; {kept} finished trials are kept in study {result['study']!r}"
        print(message, file=sys.stderr)  # noqa: T201
        _emit("cancelled", message=message, **result)
        return 128 + (signals[0] if signals else signal.SIGINT)
    _keep_best(result)
    _emit("done", **result)
    return 0


def show_status(options: SearchOptions) -> int:
    """Print one JSON line on the study's progress (``--status``); runs nothing."""
    import optuna
    from sqlalchemy.exc import SQLAlchemyError

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    shown = redact(options.storage_url)
    try:
        study = optuna.load_study(study_name=options.name, storage=_storage(options.storage_url))
    except KeyError:
        message = f"there is no study {options.name!r} in {shown}"
    except (ImportError, SQLAlchemyError, OSError, ValueError, RuntimeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        message = f"cannot open storage {shown}: {reason}"
    else:
        params, best, number = best_of(study)
        now = counts(study)
        _emit(
            "status",
            study=options.name,
            storage=shown,
            arch=study.user_attrs.get("arch"),
            epochs=study.user_attrs.get("epochs"),
            finished=now["completed"] + now["pruned"],
            **now,
            best_trial=number,
            best_val_accuracy=_round(best),
            best_params=params,
        )
        return 0
    print(f"error: {message}", file=sys.stderr)  # noqa: T201
    _emit("error", message=message)
    return EXIT_ERROR


def _keep_best(result: dict) -> None:
    """Save the best parameters where the Retrain dialog offers them as its defaults."""
    from digitpad import best_params

    if not result.get("best_params"):
        return
    try:
        path = best_params.save(
            user_data_dir(),
            result["arch"],
            result["best_params"],
            study=result["study"],
            best_val_accuracy=result["best_val_accuracy"],
            test_accuracy=result["test_accuracy"],
        )
    except OSError as exc:
        print(f"warning: could not keep the best parameters: {exc}", file=sys.stderr)  # noqa: T201
        return
    result["best_params_file"] = str(path)


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (``python -m training.search ...``), same as ``training search``."""
    parser = argparse.ArgumentParser(prog="python -m training")
    sub = parser.add_subparsers(dest="command", required=True)
    add_search_parser(sub)
    args = parser.parse_args(["search", *(sys.argv[1:] if argv is None else argv)])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())


__all__ = [
    "SearchError",
    "SearchOptions",
    "add_search_parser",
    "default_storage",
    "run_search",
    "search_main",
    "space_for",
    "user_data_dir",
]
