"""One trial: asked of the study, trained with its heartbeat beating, and told its outcome.

This is what ``Study.optimize(n_trials=1)`` does, done here so that a storage
that fails while a trial runs (a database another program keeps locked, a
server gone away) is one clear error rather than a traceback from Optuna's
bookkeeping, and the heartbeat thread never prints one of its own.
"""

from __future__ import annotations

import contextlib
import threading
import time
import warnings
from collections.abc import Callable
from functools import partial
from typing import Any

from training.config import Param, TrainConfig
from training.search.data import SplitData
from training.search.study import SURPLUS, _Surplus, is_surplus, take_over_stale

Emit = Callable[[dict], None]
# How long the end of a trial waits for its heartbeat thread (stuck on a locked database).
HEARTBEAT_JOIN_S = 1.0


def rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


class Heartbeat:
    """Records the trial's heartbeat every few seconds while the ``with`` block runs.

    As Optuna's own heartbeat thread, but a storage error here is not printed (the
    main thread meets the same storage and reports it once); a missed beat only
    lets another worker take the trial over.
    """

    def __init__(self, storage: Any, trial_id: int) -> None:
        self.storage, self.trial_id = storage, trial_id
        self.interval = getattr(storage, "get_heartbeat_interval", lambda: None)()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Heartbeat:
        if self.interval:
            self._thread = threading.Thread(target=self._beat, name="heartbeat", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join(HEARTBEAT_JOIN_S)

    def _beat(self) -> None:
        while True:
            with contextlib.suppress(Exception):
                self.storage.record_heartbeat(self.trial_id)
            if self._done.wait(self.interval):
                return


def run_trial(study: Any, objective: Callable[[Any], float]) -> None:
    """Ask for a trial, run ``objective`` on it and tell the study how it ended.

    A pruned trial is told PRUNED, a surplus one FAIL (not counted); any other
    exception (a stop) is told FAIL and raised again; a storage failure is raised at
    once, the trial left to the heartbeat (the next worker to look takes it over). A
    trial another worker already took over is left as is.
    """
    import optuna
    from optuna.trial import TrialState

    take_over_stale(study)
    with warnings.catch_warnings():  # "heartbeat ... supposed to be used with Study.optimize"
        warnings.simplefilter("ignore", UserWarning)
        trial = study.ask()
    value, state, error = None, TrialState.FAIL, None
    with Heartbeat(study._storage, trial._trial_id):
        try:
            value, state = objective(trial), TrialState.COMPLETE
        except optuna.TrialPruned:
            state = TrialState.PRUNED
        except _Surplus:
            pass
        except BaseException as exc:  # told FAIL first, then raised again
            error = exc
    if not _is_storage_error(error):  # a storage that just failed is not asked again
        study.tell(trial, value, state=state, skip_if_finished=True)
    if error is not None:
        raise error


def _is_storage_error(exc: BaseException | None) -> bool:
    from optuna.exceptions import StorageInternalError
    from sqlalchemy.exc import SQLAlchemyError

    return isinstance(exc, (SQLAlchemyError, StorageInternalError))


class Objective:
    """Trains one trial's configuration and reports its validation accuracy every epoch."""

    def __init__(
        self,
        study: Any,
        space: dict[str, Param],
        base: TrainConfig,
        data: SplitData,
        target: int,
        emit: Emit,
        should_stop: Callable[[], bool],
    ) -> None:
        self.study, self.space, self.base, self.data = study, space, base, data
        self.target, self.emit, self.should_stop = target, emit, should_stop

    def __call__(self, trial: Any) -> float:
        import optuna

        from training.events import DivergedError
        from training.loop import train

        # Workers ask for trials at the same moment: the one numbered past the target gives
        # its place up, so the study ends with exactly --trials finished trials.
        if is_surplus(self.study, trial.number, self.target):
            trial.set_user_attr(SURPLUS, True)
            raise _Surplus()
        values = self._start(trial)
        last: dict[str, Any] = {}
        started = time.perf_counter()
        try:
            result = train(
                self._config(values),
                self.data.x_train,
                self.data.y_train,
                self.data.x_val,
                self.data.y_val,
                on_progress=partial(self._on_progress, trial, last),
                should_stop=self.should_stop,
            )
        except optuna.TrialPruned:
            self._pruned(trial, values, last, time.perf_counter() - started)
            raise
        except DivergedError as exc:  # parameters that cannot train: stopped early, as pruned
            trial.set_user_attr("diverged", str(exc))
            ended = {"epoch": exc.epoch, "diverged": True}  # no accuracy: it never got one
            self._pruned(trial, values, ended, time.perf_counter() - started)
            raise optuna.TrialPruned(str(exc)) from None
        return self._finished(trial, values, result, time.perf_counter() - started)

    def _start(self, trial: Any) -> dict[str, Any]:
        from training.search.space import suggest

        values = suggest(trial, self.space)
        self.emit({"event": "trial_started", "trial": trial.number, "params": values})
        return values

    def _config(self, values: dict[str, Any]) -> TrainConfig:
        from training.search.space import make_config

        return make_config(self.base, values)

    def _on_progress(self, trial: Any, last: dict[str, Any], p: Any) -> None:
        import optuna

        if not p.epoch_end:
            return
        value = float(p.metrics["test_accuracy"])  # our x_test is the validation part
        last["value"], last["epoch"] = value, p.epoch
        trial.report(value, p.epoch)
        self.emit(
            {
                "event": "epoch",
                "trial": trial.number,
                "epoch": p.epoch,
                "epochs": p.epochs,
                "val_accuracy": rounded(value),
            }
        )
        # After its last epoch a trial is finished: pruning it would save no time and throw
        # away a complete result.
        if p.epoch < p.epochs and trial.should_prune():
            trial.set_user_attr("pruned_at_epoch", p.epoch)
            raise optuna.TrialPruned(f"pruned at epoch {p.epoch}")

    def _pruned(self, trial: Any, values: dict, last: dict, seconds: float) -> None:
        trial.set_user_attr("seconds", seconds)
        self.emit(
            {
                "event": "trial_pruned",
                "trial": trial.number,
                "params": values,
                "value": rounded(last.get("value")),
                "epoch": last.get("epoch"),
                "seconds": round(seconds, 3),
                **({"diverged": True} if last.get("diverged") else {}),
            }
        )

    def _finished(self, trial: Any, values: dict, result: Any, seconds: float) -> float:
        trial.set_user_attr("seconds", seconds)
        value = float(result.test_accuracy)
        trial.set_user_attr("val_accuracy_history", [h["test_accuracy"] for h in result.history])
        self.emit(
            {
                "event": "trial_finished",
                "trial": trial.number,
                "params": values,
                "value": rounded(value),
                "seconds": round(seconds, 3),
            }
        )
        return value
