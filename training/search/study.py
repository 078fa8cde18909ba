"""The study in its storage: opening it (race-safe), heartbeats, surplus trials, the final claim.

Studies live in an Optuna RDB storage: SQLite in the user's data folder by
default, or any URL (PostgreSQL, MySQL...), which is how several workers search
one study together. Every storage problem a user can meet ends as a one-line
:class:`SearchError` of kind ``"storage"``: :func:`open_study` for opening it,
:func:`storage_errors` for everything after (a database another program keeps
locked, a server that went away).
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
import warnings
from collections.abc import Iterator
from typing import Any

from training.search.errors import SearchError, storage_reason
from training.search.options import SearchOptions
from training.search.places import redact, user_data_dir

# A trial started by a worker that found the study already full: failed at once, never counted.
SURPLUS = "digitpad_surplus"
# How often a worker with nothing to start looks whether the others finished (or died).
POLL_S = 2.0
# How often a worker proves it is alive, and how long before its trial is taken over.
HEARTBEAT_S = 5
GRACE_S = 20
RACE_TRIES = 8
# How long a call waits for an SQLite database another program holds locked before it
# gives up (SQLite's busy timeout; Python's default is 5 s). Workers sharing one file
# wait for each other's short writes; a lock held longer ends the search in an error.
SQLITE_TIMEOUT_S = 10.0
# Optuna's storage logs each failed call before raising it; the search says it once itself.
_STORAGE_LOGGER = "optuna.storages._rdb.storage"


class _Surplus(Exception):  # noqa: N818 - not an error: the study has all its trials
    """Other workers already run or finished the trials this study asked for."""


class _Raced(Exception):  # noqa: N818 - another worker got there first; try again
    """Another worker created the same study, table or attribute at the same moment."""


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
    if url.startswith("sqlite"):
        # A database another program holds is waited for, a bounded time, then an error.
        return {"connect_args": {"timeout": SQLITE_TIMEOUT_S}}
    return {}


def _is_race(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(words in text for words in ("duplicate key", "already exists", "unique constraint"))


def _reason(exc: BaseException) -> str:
    """The first line of what the database said (the driver's words, without the SQL)."""
    cause = getattr(exc, "orig", None) or exc.__cause__ or exc
    cause = getattr(cause, "orig", None) or cause
    text = str(cause).splitlines()[0] if str(cause) else ""
    return text or type(exc).__name__


def make_storage(url: str) -> Any:
    """The RDB storage at ``url``, with heartbeats: a dead worker's trial is failed and rerun."""
    import optuna

    _quiet_storage_log()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        try:  # Optuna 4.9 and later name the callback for what it is for
            from optuna.storages import RetryHeartbeatStaleTrialCallback

            retry = {
                "heartbeat_stale_trial_callback": RetryHeartbeatStaleTrialCallback(max_retry=3)
            }
        except ImportError:
            from optuna.storages import RetryFailedTrialCallback

            retry = {"failed_trial_callback": RetryFailedTrialCallback(max_retry=3)}
        # A trial whose worker died is failed by the next worker that looks, and run again.
        return optuna.storages.RDBStorage(
            url,
            engine_kwargs=_engine_kwargs(url),
            heartbeat_interval=HEARTBEAT_S,
            grace_period=GRACE_S,
            **retry,
        )


@contextlib.contextmanager
def storage_errors(options: SearchOptions) -> Iterator[None]:
    """Turn a storage failure after the study is open into one clear :class:`SearchError`.

    A trial the failure interrupted stays running in the study only until its
    heartbeat is found stale: the next worker (or run) fails it and runs it again.
    """
    from optuna.exceptions import StorageInternalError
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except (SQLAlchemyError, StorageInternalError) as exc:
        shown, reason = redact(options.storage_url), _reason(exc)
        if "locked" in reason.lower():
            message = (
                f"storage {shown} stayed locked by another program for over {SQLITE_TIMEOUT_S:g} s "
                f"({reason}); close it and run the search again: the interrupted trial is "
                "taken over then"
            )
        else:
            message = (
                f"lost storage {shown} during the search ({reason}); run the search again "
                "once it is back: the interrupted trial is taken over then"
            )
        raise SearchError(message) from None


class _QuietStorageLog(logging.Filter):
    """Drops Optuna's warning about a failed storage call: the error that follows says it
    (in :func:`storage_errors`, or in the heartbeat, which tries again)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Caught an error from sqlalchemy")


def _quiet_storage_log() -> None:
    logger = logging.getLogger(_STORAGE_LOGGER)
    if not any(isinstance(f, _QuietStorageLog) for f in logger.filters):
        logger.addFilter(_QuietStorageLog())


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
            storage=make_storage(url),
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
        reason = storage_reason(exc, options.storage_url)
        raise SearchError(f"cannot open storage {shown}: {reason}") from None
    _check_study(study, options, shown)
    return study


def _check_study(study: Any, options: SearchOptions, shown: str) -> None:
    """Refuse a study made for something else; mark a new one as a DigitPad search."""
    from sqlalchemy.exc import IntegrityError, SQLAlchemyError

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
        return
    if study.trials:
        raise SearchError(
            f"study {options.name!r} in {shown} was not made by a DigitPad search; "
            "choose another --study-name"
        )
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


def load_existing(options: SearchOptions) -> Any:
    """The study as it is, for ``--status``: a SearchError if it or its storage is missing."""
    import optuna
    from sqlalchemy.exc import SQLAlchemyError

    shown = redact(options.storage_url)
    try:
        return optuna.load_study(study_name=options.name, storage=make_storage(options.storage_url))
    except KeyError:
        raise SearchError(f"there is no study {options.name!r} in {shown}") from None
    except (ImportError, SQLAlchemyError, OSError, ValueError, RuntimeError) as exc:
        reason = storage_reason(exc, options.storage_url)
        raise SearchError(f"cannot open storage {shown}: {reason}") from None


def take_over_stale(study: Any) -> None:
    """Fail the trials whose worker stopped beating (died); the storage queues them again."""
    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


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


def record_test_accuracy(study: Any, options: SearchOptions, trial: int, value: float) -> None:
    """Keep the retrained best's test score in the study, for the workers (and later runs)
    that find the retrain already done and would otherwise report no score."""
    study.set_user_attr(_claim_name(options), {"best_trial": trial, "test_accuracy": value})


def recorded_test_accuracy(study: Any, options: SearchOptions, trial: int | None) -> float | None:
    """The test score kept by :func:`record_test_accuracy` for best trial ``trial``, or None
    (not retrained yet, or retrained when another trial was the best)."""
    kept = study.user_attrs.get(_claim_name(options))
    if not isinstance(kept, dict) or kept.get("best_trial") != trial:
        return None
    value = kept.get("test_accuracy")
    return float(value) if isinstance(value, (int, float)) else None


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
