"""Trials per minute with 1, 2 and 3 search workers sharing one study in PostgreSQL, on one machine.

    python benchmarks/search_cluster.py --data ../shared/data/mnist --trials 8 --epochs 1

Starts a throwaway PostgreSQL server the way the tests do (tests/postgres_server.py,
reused, not copied; needs PostgreSQL's initdb and pg_ctl, and runs the server as the
``postgres`` user when started as root). For each worker count, a fresh database and
that many ``python -m training search`` processes on one study (no final retrain,
no pruning, so every trial costs the same), timed from launch until all exit.
The workers share this machine's cores: each gets cores // workers torch threads
(at least one), so more workers than cores compete for them. The same search with
one worker against SQLite in a temporary folder, and the storage calls of a trial
timed alone (the real trial code with training replaced by a stand-in that
reports its epochs, and a random sampler, so that nearly all of it is the
database), show what the database costs per trial.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import postgres_server  # noqa: E402 - the tests' throwaway server, reused as it is


@dataclass
class Worker:
    process: subprocess.Popen
    events: list[tuple[float, dict]] = field(default_factory=list)
    stderr: str = ""

    def read(self) -> None:
        for line in self.process.stdout:
            if line.startswith("{"):
                self.events.append((time.monotonic(), json.loads(line)))


def start_worker(args: argparse.Namespace, url: str, threads: int) -> Worker:
    command = [sys.executable, "-m", "training", "search", "--data", str(args.data)]
    command += ["--storage", url, "--study-name", "bench", "--trials", str(args.trials)]
    command += ["--epochs", str(args.epochs), "--pruner", "none", "--no-final"]
    command += ["--device", "cpu", "--cache", str(args.cache), "--progress", "jsonl"]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "DIGITPAD_DATA_DIR": args.userdata}
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    return Worker(process)


def run_workers(args: argparse.Namespace, url: str, count: int) -> dict:
    """``count`` workers on one new study at ``url``; their figures."""
    threads = max(1, (os.cpu_count() or 1) // count)
    start = time.monotonic()
    workers = [start_worker(args, url, threads) for _ in range(count)]
    readers = [threading.Thread(target=w.read) for w in workers]
    for reader in readers:
        reader.start()
    for worker, reader in zip(workers, readers, strict=True):
        worker.stderr = worker.process.stderr.read()
        worker.process.wait()
        reader.join()
        if worker.process.returncode != 0:
            raise SystemExit(f"a worker failed: {worker.stderr[-2000:]}")
    wall = time.monotonic() - start
    return figures(workers, count, threads, wall)


def figures(workers: list[Worker], count: int, threads: int, wall: float) -> dict:
    events = [(t, e) for w in workers for t, e in w.events]
    started = [t for t, e in events if e["event"] == "trial_started"]
    finished = [(t, e) for t, e in events if e["event"] == "trial_finished"]
    steady = max(t for t, _ in finished) - min(started)
    train_s = [e["seconds"] for _, e in finished]
    gaps = []  # in one worker, from a trial's end to the next one's start: the bookkeeping
    for w in workers:
        last_end = None
        for t, e in w.events:
            if e["event"] == "trial_finished":
                last_end = t
            elif e["event"] == "trial_started" and last_end is not None:
                gaps.append(t - last_end)
    return {
        "workers": count,
        "threads": threads,
        "trials": len(finished),
        "wall_s": wall,
        "per_min_wall": 60 * len(finished) / wall,
        "per_min_steady": 60 * len(finished) / steady,
        "train_s": sum(train_s) / len(train_s),
        "gap_ms": 1000 * sum(gaps) / len(gaps) if gaps else float("nan"),
    }


def storage_ms_per_trial(url: str, trials: int, epochs: int) -> float:
    """The storage calls of one trial, timed alone: the search's own trial code, with a
    stand-in for training that reports ``epochs`` validation accuracies at once."""
    import optuna

    import training.loop
    from training.events import Progress
    from training.search import SearchOptions, counts, open_study, space_for
    from training.search.trial import Objective, run_trial

    def stand_in(config, x, y, xv, yv, on_progress=None, should_stop=None):
        for epoch in range(1, epochs + 1):
            on_progress(Progress(epoch, epochs, 1, 1, 0.1, {"test_accuracy": 0.9}))
        return SimpleNamespace(test_accuracy=0.9, history=[{"test_accuracy": 0.9}] * epochs)

    options = SearchOptions(
        data=Path("."), storage=url, study_name="overhead", trials=trials, epochs=epochs
    )
    study = open_study(options)
    study.sampler = optuna.samplers.RandomSampler(seed=0)  # next to no work of its own
    data = SimpleNamespace(x_train=None, y_train=None, x_val=None, y_val=None)
    objective = Objective(
        study, space_for("fcnn"), options.base_config(), data, trials, lambda e: None, lambda: False
    )
    real, training.loop.train = training.loop.train, stand_in
    try:
        start = time.perf_counter()
        while sum(counts(study)[k] for k in ("completed", "pruned")) < trials:
            run_trial(study, objective)
        return 1000 * (time.perf_counter() - start) / trials
    finally:
        training.loop.train = real


def warm_cache(args: argparse.Namespace) -> None:
    """Prepare the data once, so no worker count pays for the cache's first fill."""
    from training.config import TrainConfig
    from training.search import load_split

    load_split(args.data, TrainConfig(device="cpu"), 1 / 6, "cpu", args.cache)


def table(rows: list[tuple[str, dict]], base: dict) -> str:
    head = (
        f"{'storage':<10} {'workers':>7} {'threads':>7} {'trials':>6} {'wall s':>7} "
        f"{'trials/min':>10} {'x1':>5} {'steady/min':>10} {'x1':>5} "
        f"{'train s':>7} {'gap ms':>7}"
    )
    lines = [head, "-" * len(head)]
    for storage, f in rows:
        lines.append(
            f"{storage:<10} {f['workers']:>7} {f['threads']:>7} {f['trials']:>6} "
            f"{f['wall_s']:>7.1f} {f['per_min_wall']:>10.1f} "
            f"{f['per_min_wall'] / base['per_min_wall']:>5.2f} {f['per_min_steady']:>10.1f} "
            f"{f['per_min_steady'] / base['per_min_steady']:>5.2f} "
            f"{f['train_s']:>7.2f} {f['gap_ms']:>7.0f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "mnist")
    parser.add_argument("--trials", type=int, default=8, help="finished trials per study")
    parser.add_argument("--epochs", type=int, default=1, help="epochs per trial")
    parser.add_argument("--workers", default="1,2,3")
    parser.add_argument("--overhead-trials", type=int, default=30)
    parser.add_argument("--cache", type=Path, default=ROOT / "data" / "cache")
    args = parser.parse_args()
    args.data = args.data.resolve()
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    counts = [int(n) for n in args.workers.split(",")]
    warm_cache(args)
    server = contextlib.contextmanager(postgres_server.postgres_url.__wrapped__)
    with server() as postgres_url, tempfile.TemporaryDirectory() as tmp:
        args.userdata = str(Path(tmp) / "userdata")
        new_database = postgres_server.new_database.__wrapped__(postgres_url)
        rows = [("postgresql", run_workers(args, new_database(f"bench{n}"), n)) for n in counts]
        rows.append(("sqlite", run_workers(args, f"sqlite:///{Path(tmp) / 'bench.db'}", 1)))
        overhead = {
            "postgresql": storage_ms_per_trial(
                new_database("overhead"), args.overhead_trials, args.epochs
            ),
            "sqlite": storage_ms_per_trial(
                f"sqlite:///{Path(tmp) / 'overhead.db'}", args.overhead_trials, args.epochs
            ),
        }
    cores = os.cpu_count()
    print(
        f"{args.data}: {args.trials} trials of {args.epochs} epoch(s) per study, FCNN, "
        f"no pruning, no final retrain; {cores} cores shared by all the workers"
    )
    print(table(rows, rows[0][1]))
    print(
        "x1: against 1 worker on PostgreSQL in this run; trials/min counts from launch "
        "(startup and data loading included), steady/min from the first trial's start to "
        "the last one's end; train s: one trial's training; gap ms: in one worker, from a "
        "trial's end to the next one's start"
    )
    print(
        f"storage calls of one trial, timed alone ({args.overhead_trials} trials, "
        f"{args.epochs} report(s) each): "
        + ", ".join(f"{k} {v:.0f} ms" for k, v in overhead.items())
    )


if __name__ == "__main__":
    main()
