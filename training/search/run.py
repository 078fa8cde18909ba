"""Running a search: open the study, run trials until it has enough, retrain the best.

``--trials N`` is the number of finished (complete or pruned) trials the *study*
should reach, so running the same command again after a stop resumes where it
left off, and several workers pointed at one study stop together once it has N.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from training.config import ARCH_CHOICES
from training.search.errors import SearchError
from training.search.final import retrain, save_final
from training.search.options import SearchOptions
from training.search.places import redact
from training.search.space import config_values, describe, optuna_params, space_for, within
from training.search.study import (
    POLL_S,
    best_of,
    claim_final,
    counts,
    open_study,
    record_test_accuracy,
    recorded_test_accuracy,
    release_final,
    storage_errors,
    take_over_stale,
)
from training.search.trial import Emit, Objective, rounded, run_trial


class Stop(Protocol):
    """What stops a search: a :class:`threading.Event` or a :class:`training.stopping.StopFlag`."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float) -> bool: ...


def run_search(
    options: SearchOptions,
    emit: Emit | None = None,
    on_trial_done: Callable[[Any], None] | None = None,
    stop: Stop | None = None,
) -> dict:
    """Run (or resume) the search and the final retrain; returns the result dict.

    ``emit`` receives one dict per event (see the CLI's ``--progress jsonl``);
    ``on_trial_done(study)`` is called after each trial; ``stop`` is set to
    cancel: the running trial is marked failed and the result says ``cancelled``.
    Problems the user can fix raise :class:`SearchError`.
    """
    run = _Run(options, emit, on_trial_done, stop)
    run.check()
    run.open()
    with storage_errors(options):
        run.prepare()
        cancelled = run.search()
        result = run.result(cancelled)
        if not result["cancelled"]:
            run.final(result)
    return result


class _Run:
    """One run of a search: its options, study, data and what it tells the caller."""

    def __init__(
        self,
        options: SearchOptions,
        emit: Emit | None,
        on_trial_done: Callable[[Any], None] | None,
        stop: Stop | None,
    ) -> None:
        self.options = options
        self._emit: Emit = emit or (lambda event: None)
        # Trials already told to the caller: ours as they end, and other workers' once seen.
        self.reported: set[int] = set()
        self.earlier: set[int] = set()
        self.on_trial_done = on_trial_done or (lambda study: None)
        self.stop: Stop = stop or threading.Event()
        self.space = space_for(options.arch, options.space)
        self.base = options.base_config()
        self.study: Any = None
        self.data: Any = None
        self.device: Any = None
        self.start = 0.0

    def emit(self, event: dict) -> None:
        if event.get("event") in ("trial_finished", "trial_pruned"):
            self.reported.add(event["trial"])
        self._emit(event)

    def _report_others(self) -> None:
        """Tell the caller about the study's trials it has not heard of: those finished before
        this run (``earlier``) and those other workers finish meanwhile (``by_another_worker``)."""
        from optuna.trial import TrialState

        from training.search.space import config_values

        states = (TrialState.COMPLETE, TrialState.PRUNED)
        for trial in self.study.get_trials(deepcopy=False, states=states):
            if trial.number in self.reported:
                continue
            pruned = trial.state == TrialState.PRUNED
            last = trial.intermediate_values
            value = trial.value if not pruned else (last[max(last)] if last else None)
            self.emit(
                {
                    "event": "trial_pruned" if pruned else "trial_finished",
                    "trial": trial.number,
                    "params": config_values(trial.params, self.space),
                    "value": rounded(value),
                    "epoch": max(last) if pruned and last else None,
                    "earlier": trial.number in self.earlier,
                    "by_another_worker": trial.number not in self.earlier,
                }
            )

    def check(self) -> None:
        """The options a search cannot start with, before anything is opened or loaded."""
        from training.loop import resolve_device

        if self.options.arch not in ARCH_CHOICES:
            raise SearchError(
                f"unknown architecture {self.options.arch!r}; choose from {ARCH_CHOICES}",
                kind="input",
            )
        if self.options.trials < 1 or self.options.epochs < 1:
            raise SearchError("--trials and --epochs must be at least 1", kind="input")
        if not 0 < self.options.val_fraction < 1:
            raise SearchError(
                f"--val-fraction must be between 0 and 1, not {self.options.val_fraction}",
                kind="input",
            )
        try:
            self.device = resolve_device(self.options.device)
        except ValueError as exc:
            raise SearchError(str(exc), kind="input") from None

    def open(self) -> None:
        """The data first, then the study: a study is only made for data that can be used,
        so a wrong folder never leaves behind an empty study with the wrong settings."""
        import optuna
        import torch

        from training.search.data import load_split

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        o = self.options
        self.data = load_split(Path(o.data), self.base, o.val_fraction, self.device, o.cache)
        self.study = open_study(self.options)
        torch.set_num_threads(max(1, torch.get_num_threads()))

    def prepare(self) -> None:
        """Queue the first configurations of a new study, seed the sampler, say it started."""

        self.start = time.perf_counter()
        existing = counts(self.study)
        self.earlier = {t.number for t in self.study.trials if t.state.is_finished()}
        if not self.study.trials:
            # A new study first measures the current defaults, then what it is asked to.
            defaults = {k: getattr(self.base, k) for k in self.space}
            for values in [defaults, *self.options.enqueue]:
                params = optuna_params(within(values, self.space))
                self.study.enqueue_trial(params, skip_if_exists=True)
        self.study.sampler = make_sampler(self.options.sampler_seed, len(self.study.trials))
        self.emit(self._started_event(existing))
        self._report_others()  # a resumed or shared study shows its trials so far
        self.on_trial_done(self.study)  # and its bar starts at them, not at 0

    def _started_event(self, existing: dict[str, int]) -> dict:
        o = self.options
        return {
            "event": "search_started",
            "study": o.name,
            "storage": redact(o.storage_url),
            "arch": o.arch,
            "epochs": o.epochs,
            "target_trials": o.trials,
            "finished_trials": existing["completed"] + existing["pruned"],
            "data": self.data.description,
            "device": str(self.device),
            "space": {k: describe(p) for k, p in self.space.items()},
        }

    def search(self) -> bool:
        """Run trials until the study has enough, the time is up or a stop; True if stopped."""
        from training.loop import Cancelled

        objective = Objective(
            self.study,
            self.space,
            self.base,
            self.data,
            self.options.trials,
            self.emit,
            self.stop.is_set,
        )
        timeout = self.options.timeout
        deadline = None if timeout is None else self.start + timeout
        try:
            while not self.stop.is_set() and (deadline is None or time.perf_counter() < deadline):
                if not self._next(objective):
                    break
        except Cancelled:
            return True
        return False

    def _next(self, objective: Objective) -> bool:
        """Run one trial, or wait while others run the last ones; False once there are enough."""
        now = counts(self.study)
        finished = now["completed"] + now["pruned"]
        if finished >= self.options.trials:
            return False
        if finished + now["running"] >= self.options.trials:
            # The last trials are running elsewhere: wait, and take over any whose
            # worker died (its heartbeat stops; the trial is failed and queued again).
            take_over_stale(self.study)
            self.stop.wait(POLL_S)
            self._report_others()
            return True
        run_trial(self.study, objective)
        self._report_others()
        self.on_trial_done(self.study)
        return True

    def result(self, cancelled: bool) -> dict:
        """The result dict (the ``done`` or ``cancelled`` event's fields) of the search part."""
        params, best_value, best_number = best_of(self.study)
        done = counts(self.study)
        o = self.options
        result: dict[str, Any] = {
            "study": o.name,
            "storage": redact(o.storage_url),
            "arch": o.arch,
            "epochs": o.epochs,
            "best_trial": best_number,
            "best_params": config_values(params, self.space) if params is not None else None,
            "best_val_accuracy": rounded(best_value),
            "test_accuracy": None,
            "trials_completed": done["completed"],
            "trials_pruned": done["pruned"],
            "trials_failed": done["failed"],
            "search_seconds": round(time.perf_counter() - self.start, 3),
            "cancelled": cancelled or self.stop.is_set(),
        }
        if params is None and not result["cancelled"]:
            raise SearchError(f"study {o.name!r} has no completed trial to retrain")
        return result

    def final(self, result: dict) -> None:
        """Retrain the best on all the training data, score it once on the test set, save it.

        Only one worker of a study does it: the first to claim it.
        """
        from training.loop import Cancelled

        if not self.options.final:
            return
        if not claim_final(self.study, self.options):
            result["final_by_another_worker"] = True
            result["test_accuracy"] = recorded_test_accuracy(
                self.study, self.options, result["best_trial"]
            )
            return
        try:
            trained = retrain(self.options, self.base, self.data, result, self.emit, self.stop)
        except BaseException as exc:
            release_final(self.study, self.options)  # someone else may retrain it later
            if isinstance(exc, Cancelled):
                result["cancelled"] = True
                return
            raise
        record_test_accuracy(
            self.study, self.options, result["best_trial"], result["test_accuracy"]
        )
        if self.options.out is not None:
            result["model"] = str(save_final(trained, self.data, result, self.options))


def make_sampler(seed: int | None, trials_so_far: int) -> Any:
    """TPE, seeded afresh for each run: a resumed study must not replay its random start-up
    trials, and workers that join a study together must not draw the same ones (a seed
    given is for a repeatable run of one worker; none draws one per worker)."""
    import optuna

    fresh = None if seed is None else seed + trials_so_far
    return optuna.samplers.TPESampler(seed=fresh, n_startup_trials=5, multivariate=True)
