"""Several workers searching one study in a real PostgreSQL server, started for the tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

pytest_plugins = ["postgres_server"]


def worker(mnist_folder: Path, url: str, tmp_path: Path, *extra: str) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "training",
        "search",
        "--data",
        str(mnist_folder),
        "--storage",
        url,
        "--study-name",
        "team",
        "--epochs",
        "1",
        "--device",
        "cpu",
        "--cache",
        str(tmp_path / "cache"),
        "--progress",
        "jsonl",
        *extra,
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def finish(process: subprocess.Popen, timeout: float = 240) -> tuple[int, list[dict], str]:
    out, err = process.communicate(timeout=timeout)
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return process.returncode, lines, err


def finished_trials(url: str) -> list:
    study = optuna.load_study(study_name="team", storage=url)
    return [t for t in study.trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]


def test_three_workers_started_at_once_reach_exactly_n(new_database, mnist_folder, tmp_path):
    url = new_database("three")
    workers = [worker(mnist_folder, url, tmp_path, "--trials", "5") for _ in range(3)]
    results = [finish(w) for w in workers]
    for code, lines, err in results:
        assert code == 0, err[-500:]
        assert lines[-1]["event"] == "done"
        assert lines[-1]["trials_completed"] + lines[-1]["trials_pruned"] == 5
    assert len(finished_trials(url)) == 5
    # One worker, and only one, retrained the best.
    retrained = [
        lines[-1] for _, lines, _ in results if not lines[-1].get("final_by_another_worker")
    ]
    assert len(retrained) == 1 and retrained[0]["test_accuracy"] is not None
    # The others say its score once it is known (a worker that ended first cannot).
    others = [lines[-1] for _, lines, _ in results if lines[-1].get("final_by_another_worker")]
    assert len(others) == 2
    assert all(line["test_accuracy"] in (None, retrained[0]["test_accuracy"]) for line in others)


def test_a_worker_killed_mid_trial_leaves_the_study_usable(new_database, mnist_folder, tmp_path):
    url = new_database("killed")
    slow = ("--trials", "3", "--epochs", "20")  # trials long enough to be killed in one
    doomed = worker(mnist_folder, url, tmp_path, *slow)
    # Wait until its first trial is running, then kill it without a word.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = doomed.stdout.readline()
        if '"trial_started"' in line:
            break
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(30)
    study = optuna.load_study(study_name="team", storage=url)
    assert [t.state for t in study.trials] == [TrialState.RUNNING]  # stale, left behind

    code, lines, err = finish(worker(mnist_folder, url, tmp_path, *slow), timeout=300)
    assert code == 0, err[-500:]
    assert lines[-1]["trials_completed"] + lines[-1]["trials_pruned"] == 3
    states = [t.state for t in optuna.load_study(study_name="team", storage=url).trials]
    assert TrialState.RUNNING not in states and states.count(TrialState.FAIL) == 1


@pytest.mark.parametrize("problem", ["password", "host", "other-kind"])
def test_storage_problems_are_one_clear_line(new_database, mnist_folder, tmp_path, problem):
    url = new_database(f"bad_{problem.replace('-', '_')}")
    if problem == "password":
        url = url.replace("s3cret-pw", "wrong")
    elif problem == "host":
        url = "postgresql://digitpad:x@127.0.0.1:9/none"
    else:
        optuna.create_study(study_name="team", storage=url, direction="minimize")
    code, lines, err = finish(worker(mnist_folder, url, tmp_path, "--trials", "1"))
    assert code == 1
    message = lines[-1]["message"]
    assert lines[-1]["event"] == "error" and "\n" not in message
    assert "Traceback" not in err
    if problem == "password":
        assert "password" in message and "wrong" not in message  # never shown in clear
    elif problem == "host":
        assert "cannot open storage" in message
    else:
        assert "minimize" in message


def test_status_reports_the_study_without_running_anything(new_database, mnist_folder, tmp_path):
    url = new_database("status")
    code, _lines, err = finish(worker(mnist_folder, url, tmp_path, "--trials", "2", "--no-final"))
    assert code == 0, err[-500:]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "training",
            "search",
            "--storage",
            url,
            "--study-name",
            "team",
            "--status",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    status = json.loads(done.stdout.splitlines()[-1])
    assert done.returncode == 0 and status["event"] == "status"
    assert status["finished"] == 2 and status["running"] == 0 and status["arch"] == "fcnn"
    assert 0 <= status["best_val_accuracy"] <= 1 and "s3cret" not in done.stdout
    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "training",
            "search",
            "--storage",
            url,
            "--study-name",
            "nope",
            "--status",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 1 and "there is no study 'nope'" in missing.stdout
