"""``DigitPad --self-test`` from source: drawings, a one-epoch retrain through the app's
child process, and the swap to the new model (the packaged app runs the same checks
in tests/test_packaging.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from digitpad import selftest
from digitpad.networks import ARCHITECTURES
from digitpad.ui import selftest as app_selftest
from training.data import load_corrections, load_mnist


def test_the_made_up_data_set_is_mnist_as_training_reads_it(tmp_path: Path) -> None:
    folder = selftest.write_synthetic_mnist(tmp_path / "mnist", n_train=60, n_test=20)
    train, test = load_mnist(folder, "train"), load_mnist(folder, "test")
    assert train.images.shape == (60, 28, 28) and test.images.shape == (20, 28, 28)
    assert np.bincount(train.labels, minlength=10).tolist() == [6] * 10
    # white ink on black, every digit has some, none fills the frame
    ink = (train.images > 0.5).mean(axis=(1, 2))
    assert (ink > 0.03).all() and (ink < 0.5).all()
    assert train.images[:, 0, :].max() < 0.5  # the top row stays dark: the digit is centred


def test_the_made_up_data_set_is_the_same_each_time(tmp_path: Path) -> None:
    one = selftest.write_synthetic_mnist(tmp_path / "a", n_train=20, n_test=10)
    two = selftest.write_synthetic_mnist(tmp_path / "b", n_train=20, n_test=10)
    for name in ("train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        assert (one / name).read_bytes() == (two / name).read_bytes()


def test_corrections_are_written_as_the_app_saves_them(tmp_path: Path) -> None:
    folder = selftest.write_corrections(tmp_path / "corrections", count=12)
    digits = load_corrections(folder)
    assert len(digits) == 12
    assert sorted(digits.labels.tolist()) == sorted([i % 10 for i in range(12)])


def test_drawings_only_checks_every_bundled_model_without_a_child(monkeypatch) -> None:
    def no_child(*args, **kwargs):
        raise AssertionError("--drawings-only must not start training")

    monkeypatch.setattr(app_selftest, "check_training_and_swap", no_child)
    report = app_selftest.run_self_test(training=False)
    assert report["ok"] is True, report
    assert set(report["models"]) == set(ARCHITECTURES)
    assert all(s["right"] == s["of"] == 9 for s in report["models"].values())
    assert "training" not in report


def test_full_self_test_retrains_through_the_child_and_swaps_to_the_new_model() -> None:
    report = app_selftest.run_self_test()
    assert report["ok"] is True, report["failures"]
    assert report["failures"] == []
    assert report["training"]["test_accuracy"] >= 0.3
    assert report["training"]["samples"] == selftest.TRAIN_SIZE
    swap = report["swap"]
    assert swap["source"].endswith("selftest.npz")
    assert swap["arch"] == "fcnn"
    assert swap["answer"] in range(10)
    assert report["seconds"] < 120


def test_a_failing_training_child_fails_the_self_test_with_its_message(monkeypatch) -> None:
    # The child the app would start, replaced by one that reports a data error and exits 1.
    script = (
        "import json, sys; "
        'print(json.dumps({"event": "error", "message": "no room left", "kind": "disk"})); '
        "sys.exit(1)"
    )
    monkeypatch.setattr(
        "digitpad.ui.child_process.entry_command", lambda args: (sys.executable, ["-c", script])
    )
    report: dict = {"models": {}, "failures": []}
    app_selftest.check_training_and_swap(report, timeout_s=60)
    assert report["failures"] == ["training: no room left (disk)"]
    assert "swap" not in report


def test_a_child_that_never_answers_is_stopped_and_reported(monkeypatch) -> None:
    monkeypatch.setattr(
        "digitpad.ui.child_process.entry_command",
        lambda args: (sys.executable, ["-c", "import time; time.sleep(60)"]),
    )
    report: dict = {"models": {}, "failures": []}
    app_selftest.check_training_and_swap(report, timeout_s=1)
    assert report["failures"] == ["training: no answer from the child in 1 s"]


def test_self_test_command_prints_one_json_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "digitpad", "--self-test", "--drawings-only"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["ok"] is True and "training" not in report
