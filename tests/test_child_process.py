"""The training runner: a real child run, and fake children that misbehave."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

pytest_plugins = ["ui_helpers"]

from conftest import alive  # noqa: E402
from ui_helpers import wait_success, wait_until_success  # noqa: E402

from digitpad.ui import child_process  # noqa: E402
from digitpad.ui.child_process import ChildProcess, entry_command  # noqa: E402

CHILD_TIMEOUT_MS = 120_000


def fake_child(monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    """Make the runner start ``python -c script`` instead of ``digitpad …``."""
    monkeypatch.setattr(
        child_process, "entry_command", lambda args: (sys.executable, ["-c", script, *args])
    )


def test_entry_command_from_source_and_frozen(monkeypatch):
    assert entry_command(["train", "--x"]) == (sys.executable, ["-m", "digitpad", "train", "--x"])
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert entry_command(["train"]) == (sys.executable, ["train"])


def test_real_training_run_reports_progress_epochs_and_model(qtbot, tmp_path, mnist_folder):
    runner = ChildProcess()
    progress, epochs = [], []
    runner.progress.connect(lambda f, eta, e: progress.append((f, eta, e)))
    runner.epochFinished.connect(epochs.append)
    out = tmp_path / "out" / "model.npz"
    with wait_success(qtbot, runner, runner.finished, timeout=CHILD_TIMEOUT_MS) as blocker:
        runner.start(
            [
                "train",
                "--data",
                str(mnist_folder),
                "--epochs",
                "2",
                "--out",
                str(out),
                "--cache",
                str(tmp_path / "cache"),
                "--device",
                "cpu",
                "--progress",
                "jsonl",
            ]
        )
    path, result = blocker.args
    assert Path(path) == out and out.is_file()
    assert 0 <= result["accuracy"] <= 1
    assert [e["epoch"] for e in epochs] == [1, 2]
    assert all("train_loss" in e and "test_accuracy" in e for e in epochs)
    assert progress and progress[-1][0] == pytest.approx(1.0)
    assert [f for f, _, _ in progress] == sorted(f for f, _, _ in progress)
    assert not runner.running
    assert [p.name for p in out.parent.iterdir()] == ["model.npz"]  # no temporary file left


def test_missing_data_folder_fails_with_the_childs_message(qtbot, tmp_path):
    runner = ChildProcess()
    with qtbot.waitSignal(runner.failed, timeout=CHILD_TIMEOUT_MS) as blocker:
        runner.start(
            [
                "train",
                "--data",
                str(tmp_path / "nowhere"),
                "--epochs",
                "1",
                "--out",
                str(tmp_path / "m.npz"),
                "--progress",
                "jsonl",
            ]
        )
    assert "nowhere" in blocker.args[0]
    assert not (tmp_path / "m.npz").exists()


GARBAGE_THEN_DONE = r"""
import json, sys, time
out = sys.stdout
out.write("Warning: something noisy\n\x00\xff not json {\n[1, 2]\n")
out.write('{"event": "start", "epochs": 2}\n'); out.flush()
line = json.dumps({"event": "progress", "epoch": 1, "fraction": 0.25, "loss": 1.0})
out.write(line[:10]); out.flush(); time.sleep(0.2); out.write(line[10:] + "\n"); out.flush()
out.write('{"event": "epoch", "epoch": 1, "fraction": 0.5, "train_loss": 0.5, '
          '"test_accuracy": 0.9}\n')
out.write('{"event": "done", "model": "m.npz", "accuracy": 0.9}')  # no final newline
out.flush()
"""


def test_garbage_and_split_lines_are_tolerated(qtbot, monkeypatch):
    fake_child(monkeypatch, GARBAGE_THEN_DONE)
    runner = ChildProcess()
    progress, epochs = [], []
    runner.progress.connect(lambda f, eta, e: progress.append((f, e)))
    runner.epochFinished.connect(epochs.append)
    with wait_success(qtbot, runner, runner.finished, timeout=10_000) as blocker:
        runner.start([])
    assert blocker.args[0] == "m.npz" and blocker.args[1]["accuracy"] == 0.9
    assert (0.25, 1) in progress and epochs[0]["test_accuracy"] == 0.9


@pytest.mark.parametrize(
    "script, expected, kind",
    [
        ("print('all garbage, no events'); raise SystemExit(0)", "exit", "bug"),
        (
            'import sys; print(\'{"event": "done", "model": "m"}\'); sys.exit(3)',
            "status 3",
            "bug",
        ),
        (
            'import sys; print(\'{"event": "error", "message": "no data at X", '
            '"kind": "data"}\'); sys.exit(1)',
            "no data at X",
            "data",
        ),
        (
            "import sys; sys.stderr.write('Traceback...\\nBoom: it broke\\n'); sys.exit(2)",
            "Boom: it broke",
            "bug",
        ),
    ],
)
def test_bad_endings_fail_with_a_message(qtbot, monkeypatch, script, expected, kind):
    fake_child(monkeypatch, script)
    runner = ChildProcess()
    finished = []
    runner.finished.connect(lambda *a: finished.append(a))
    with qtbot.waitSignal(runner.failed, timeout=10_000) as blocker:
        runner.start([])
    assert expected in blocker.args[0] or (expected == "exit" and blocker.args[0])
    assert blocker.args[1] == kind
    assert not finished


SLEEPER = r"""
import signal, sys, time
if "--stubborn" in sys.argv:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
print('{"event": "start"}', flush=True)
while True:
    print('{"event": "progress", "epoch": 1, "fraction": 0.1}', flush=True)
    time.sleep(0.05)
"""


@pytest.mark.parametrize("stubborn", [False, True])
def test_cancel_stops_the_child_within_a_second(qtbot, monkeypatch, stubborn):
    fake_child(monkeypatch, SLEEPER)
    runner = ChildProcess()
    with wait_success(qtbot, runner, runner.progress, timeout=10_000):
        runner.start(["--stubborn"] if stubborn else [])
    pid = runner.pid()
    t0 = time.monotonic()
    with wait_success(qtbot, runner, runner.cancelled, timeout=3000):
        runner.cancel()
    assert time.monotonic() - t0 < 1.0
    assert not runner.running and not alive(pid)


def test_killed_child_ends_in_failed(qtbot, monkeypatch):
    fake_child(monkeypatch, SLEEPER)
    runner = ChildProcess()
    with wait_success(qtbot, runner, runner.progress, timeout=10_000):
        runner.start([])
    with qtbot.waitSignal(runner.failed, timeout=5000) as blocker:
        os.kill(runner.pid(), signal.SIGKILL)
    assert "stopped unexpectedly" in blocker.args[0]


def test_stop_waits_for_the_child(qtbot, monkeypatch):
    fake_child(monkeypatch, SLEEPER)
    runner = ChildProcess()
    with wait_success(qtbot, runner, runner.progress, timeout=10_000):
        runner.start(["--stubborn"])
    pid = runner.pid()
    runner.stop()
    assert not runner.running and not alive(pid)


def test_program_that_cannot_start_fails(qtbot, monkeypatch):
    monkeypatch.setattr(child_process, "entry_command", lambda args: ("/nonexistent/python", args))
    runner = ChildProcess()
    with qtbot.waitSignal(runner.failed, timeout=5000) as blocker:
        runner.start([])
    assert "Could not start" in blocker.args[0]


def test_waiting_for_success_fails_at_once_when_the_child_fails(qtbot, monkeypatch):
    fake_child(
        monkeypatch,
        'import sys; print(\'{"event": "error", "message": "no data at X", "kind": "data"}\'); '
        "sys.exit(1)",
    )
    runner = ChildProcess()
    t0 = time.monotonic()
    with (
        pytest.raises(pytest.fail.Exception, match=r"failed \(data\) instead: no data at X"),
        wait_success(qtbot, runner, runner.finished, timeout=60_000),
    ):
        runner.start([])
    runner.start([])
    with pytest.raises(pytest.fail.Exception, match=r"failed \(data\) instead: no data at X"):
        wait_until_success(qtbot, runner, lambda: False, timeout=60_000)
    assert time.monotonic() - t0 < 30, "it waited for the timeout"
