"""What a person waits through: every phase of a retrain is reported, and the total wait."""

from __future__ import annotations

import json
import subprocess
import sys

pytest_plugins = ["ui_helpers"]

from ui_helpers import wait_success  # noqa: E402


def test_the_child_reports_each_phase_in_order(mnist_folder, tmp_path):
    command = [
        sys.executable, "-m", "training", "train", "--data", str(mnist_folder), "--epochs", "1",
        "--device", "cpu", "--cache", str(tmp_path / "cache"), "--progress", "jsonl",
        "--out", str(tmp_path / "m.npz"),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)
    events = [json.loads(line) for line in done.stdout.splitlines()]
    names = [e["phase"] if e["event"] == "phase" else e["event"] for e in events]
    order = [n for i, n in enumerate(names) if n not in ("progress", "epoch") and n != names[i - 1]]
    assert order == ["starting", "data", "start", "evaluating", "saving", "done"]
    data = [e for e in events if e.get("phase") == "data"]
    assert [e["step"] for e in data] == list(range(1, len(data) + 1))
    assert all(e["steps"] == len(data) and e["message"].startswith("Preparing") for e in data)


def test_the_dialog_shows_the_phases_and_the_whole_wait(window, qtbot, mnist_folder, tmp_path):
    window.training.retrain_action.trigger()
    dialog = window.training.dialog
    dialog.folder_radio.setChecked(True)
    dialog.folder_edit.setText(str(mnist_folder))
    dialog.epochs_spin.setValue(2)
    dialog.extra_args = ["--device", "cpu"]
    assert not dialog.progress_bar.isVisible()  # idle: no empty bar that reads as a field
    shown: list[str] = []
    dialog.runner.message.connect(lambda _event: shown.append(dialog.status_label.text()))
    with wait_success(qtbot, dialog.runner, dialog.runner.finished, timeout=180_000):
        assert dialog.start_training()
        assert dialog.progress_bar.maximum() == 0  # busy, not a bar stuck at 0%
        assert dialog.progress_bar.isVisible()
    assert any(text.startswith("Loading the training libraries") for text in shown)
    assert any(text.startswith("Preparing the data") for text in shown)
    assert any(text.startswith("Checking the new model") for text in shown)
    status = dialog.status_label.text()
    assert status.startswith("Done in ") and "the training itself took" in status
    assert dialog.progress_bar.maximum() == 1000 and dialog.progress_bar.value() == 1000
    # The speed is remembered for the next run's first estimate.
    assert window.settings.training_rate("fcnn") == dialog.result["samples_per_second"]


def test_a_person_sees_the_phases_above_a_bar_that_ends_the_run(capsys):
    from training.events import Progress
    from training.progress import TqdmReporter

    reporter = TqdmReporter()
    reporter.phase("data", "Preparing the data…")
    reporter.start(epochs=1, steps_per_epoch=2)
    reporter.progress(Progress(1, 1, 1, 2, 0.5))
    reporter.phase("evaluating", "Checking the new model on the test set…")
    reporter.progress(Progress(1, 1, 2, 2, 0.4, {"test_accuracy": 0.9}))
    reporter.close()
    lines = [line for line in capsys.readouterr().err.replace("\r", "\n").splitlines() if line]
    assert lines[0] == "Preparing the data…"
    assert "Checking the new model on the test set…" in lines
    assert "100%" in lines[-1]  # the bar's last state is the last thing printed
