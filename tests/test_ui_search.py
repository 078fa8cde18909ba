"""Model → Search hyperparameters…: a real search child process on tiny synthetic data."""

from __future__ import annotations

import optuna
import pytest

from digitpad.ui.search_actions import ACTION_TEXT
from digitpad.ui.search_dialog import SearchDialog

pytest_plugins = ["ui_helpers"]

from ui_helpers import wait_success, wait_until_success  # noqa: E402


def menu_action(window, text: str):
    return next(a for a in window.model_menu.actions() if a.text() == text)


def open_search(window, tmp_path, monkeypatch) -> SearchDialog:
    """The Search dialog, opened from the menu, with the study database in ``tmp_path``."""
    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(tmp_path / "userdata"))
    menu_action(window, ACTION_TEXT).trigger()
    return window.search.dialog


def test_search_from_the_menu_shows_trials_cancels_and_the_app_stays_usable(
    window, qtbot, mnist_folder, tmp_path, monkeypatch, mouse
):
    dialog = open_search(window, tmp_path, monkeypatch)
    assert dialog.isVisible()
    dialog.data_edit.setText(str(mnist_folder))
    dialog.trials_spin.setValue(1000)  # more than it will get to: we cancel
    dialog.epochs_spin.setValue(1)
    dialog.study_edit.setText("ui-test")
    dialog.start_button.click()
    assert dialog.running and not dialog.start_button.isEnabled()

    wait_until_success(
        qtbot, dialog.runner, lambda: len(dialog.chart.points("complete")) >= 2, timeout=90_000
    )
    # Each completed trial in the chart has its row, which says so, with its accuracy.
    completed = dialog.chart.points("complete")
    assert dialog.table.rowCount() >= len(completed)
    for trial, value in completed:
        row = dialog.rows[int(trial)]
        assert dialog.table.item(row, 0).text() == str(int(trial))
        assert dialog.table.item(row, 1).text() == "complete"
        assert dialog.table.item(row, 2).text() == f"{value:.2%}"  # percentages, as elsewhere
        assert "learning rate" in dialog.table.item(row, 4).text()
        assert "_" not in dialog.table.item(row, 4).text()  # no code names
    assert "learning rate" in dialog.space_label.text()  # the space as the child reported it
    assert "_" not in dialog.space_label.text()
    assert dialog.retrain_button.isEnabled() and "lr" in dialog.best_params

    with wait_success(qtbot, dialog.runner, dialog.runner.cancelled, timeout=10_000):
        dialog.cancel_button.click()
    assert not dialog.running and dialog.start_button.isEnabled()
    assert "Cancelled" in dialog.status_label.text()

    storage = f"sqlite:///{tmp_path / 'userdata' / 'search.db'}"
    study = optuna.load_study(study_name="ui-test", storage=storage)
    finished = [t for t in study.trials if t.state.is_finished() and t.value is not None]
    assert len(finished) >= 2

    requested = []
    dialog.retrainRequested.connect(requested.append)
    dialog.retrain_button.click()
    assert requested and requested[0]["arch"] == "fcnn" and "lr" in requested[0]
    # "Retrain with the best…" fills the retrain dialog with them.
    retrain = window.training.dialog
    assert retrain is not None and retrain.isVisible()
    assert retrain.request().folder == str(mnist_folder)  # the data the search read
    assert not retrain.download_radio.isChecked()
    assert retrain.lr_spin.value() == pytest.approx(dialog.best_params["lr"], rel=1e-3)
    assert retrain.batch_spin.value() == dialog.best_params["batch_size"]
    args = retrain.arguments(tmp_path / "out.npz")
    assert args[args.index("--weight-decay") + 1] == repr(dialog.best_params["weight_decay"])
    retrain.close()

    dialog.close()
    # The window still recognises drawings.
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        mouse.draw(window.canvas, mouse.ONE)
        window.predict()


def start_long_search(window, tmp_path, monkeypatch, folder, trials: int = 1000) -> SearchDialog:
    """The Search dialog running a search of ``trials`` one-epoch trials on ``folder``."""
    dialog = open_search(window, tmp_path, monkeypatch)
    dialog.data_edit.setText(str(folder))
    dialog.trials_spin.setValue(trials)
    dialog.epochs_spin.setValue(1)
    dialog.start_button.click()
    assert dialog.running
    return dialog


def test_escape_closes_the_dialog_and_the_search_runs_on_shown_in_the_status_bar(
    window, qtbot, mnist_folder, tmp_path, monkeypatch
):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    dialog = start_long_search(window, tmp_path, monkeypatch, mnist_folder)
    dialog.activateWindow()  # the key goes to the dialog, as to a user looking at it
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=5000)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # an accidental Escape loses nothing
    assert not dialog.isVisible() and dialog.running
    assert window.search.busy() == "a hyperparameter search"  # quitting asks first
    button = window.search.background_button
    assert button.isVisible() and button.text().startswith("Searching… ")  # at once
    wait_until_success(
        qtbot, dialog.runner, lambda: " of 1000 trials" in button.text(), timeout=90_000
    )
    assert button.text().startswith("Searching… ")
    button.click()  # the way back to it
    assert dialog.isVisible() and not button.isVisible()
    with wait_success(qtbot, dialog.runner, dialog.runner.cancelled, timeout=10_000):
        dialog.cancel_button.click()
    assert window.search.busy() == ""


def test_a_search_that_ends_with_its_dialog_closed_says_so(
    window, qtbot, mnist_folder, tmp_path, monkeypatch
):
    dialog = open_search(window, tmp_path, monkeypatch)
    dialog.data_edit.setText(str(mnist_folder))
    dialog.trials_spin.setValue(2)
    dialog.epochs_spin.setValue(1)
    dialog.study_edit.setText("ends-unseen")
    dialog.start_button.click()
    dialog.close()
    assert dialog.running
    with wait_success(qtbot, dialog.runner, dialog.runner.finished, timeout=120_000):
        pass
    assert not window.search.background_button.isVisible()
    assert "hyperparameter search has finished" in window.banner.text()
    assert "best validation accuracy" in window.banner.text()
    window.search.open()  # the dialog it points to: the notice has done its job
    assert window.banner.text() == ""
    assert dialog.retrain_button.isEnabled()
    # Another study chosen: the trials shown, and what the line says of them, go.
    assert dialog.status_label.text().startswith("Done: ")
    qtbot.waitUntil(lambda: dialog.study_combo.currentIndex() > 0)  # listed: to continue
    dialog.study_combo.setCurrentIndex(0)  # A new study
    assert dialog.table.rowCount() == 0 and dialog.status_label.text() == "Not started."
    # So does the word that a search failed (the dialog says why too).
    dialog.close()
    dialog.runner.failed.emit("lost the database: connection refused", "storage")
    assert window.banner.text().startswith("The hyperparameter search did not finish: lost")
    window.search.open()
    assert window.banner.text() == ""


def test_a_trial_running_when_the_search_is_cancelled_no_longer_says_it_runs(
    window, qtbot, mnist_folder, tmp_path, monkeypatch
):
    dialog = open_search(window, tmp_path, monkeypatch)
    dialog.data_edit.setText(str(mnist_folder))
    dialog.trials_spin.setValue(5)
    dialog.epochs_spin.setValue(500)  # the first trial is still running when we cancel
    dialog.study_edit.setText("stopped-mid-trial")
    dialog.start_button.click()
    wait_until_success(qtbot, dialog.runner, lambda: 0 in dialog.rows, timeout=90_000)
    assert dialog.table.item(dialog.rows[0], 1).text() == "running"

    with wait_success(qtbot, dialog.runner, dialog.runner.cancelled, timeout=30_000):
        dialog.cancel_button.click()
    state = dialog.table.item(dialog.rows[0], 1).text()
    assert "running" not in state and "stopped" in state
    storage = f"sqlite:///{tmp_path / 'userdata' / 'search.db'}"
    study = optuna.load_study(study_name="stopped-mid-trial", storage=storage)
    assert study.trials[0].state == optuna.trial.TrialState.FAIL  # not counted, as it says


@pytest.mark.parametrize(("completed", "said"), [(1, "1 trial completed"), (3, "3 trials")])
def test_the_finished_message_counts_trials_in_words(
    window, tmp_path, monkeypatch, completed, said
):
    dialog = open_search(window, tmp_path, monkeypatch)
    done = {"trials_completed": completed, "trials_pruned": 0, "best_val_accuracy": 0.9}
    dialog.runner.finished.emit("", done)
    assert said in dialog.status_label.text() and "90" in dialog.status_label.text()


def test_a_trial_that_diverged_says_so_in_the_table(window, tmp_path, monkeypatch):
    dialog = open_search(window, tmp_path, monkeypatch)
    params = {"lr": 0.01}
    dialog.runner.message.emit({"event": "trial_started", "trial": 0, "params": params})
    pruned = {"event": "trial_pruned", "trial": 0, "params": params, "value": None, "epoch": 2}
    dialog.runner.message.emit({**pruned, "diverged": True})
    assert dialog.table.item(dialog.rows[0], 1).text() == "diverged (epoch 2)"
    dialog.runner.message.emit({**pruned, "trial": 1})
    assert dialog.table.item(dialog.rows[1], 1).text() == "pruned (epoch 2)"


def test_closing_the_window_stops_a_search_whose_dialog_is_closed(
    window, qtbot, mnist_folder, tmp_path, monkeypatch
):
    dialog = start_long_search(window, tmp_path, monkeypatch, mnist_folder)
    dialog.close()
    process = dialog.runner._process
    assert process is not None and dialog.running
    window.search.shutdown()  # what closing the window does, once the user has agreed
    assert not dialog.running and process.state() == process.ProcessState.NotRunning


def test_the_mnist_folder_proposed_is_one_that_exists(window, tmp_path, monkeypatch):
    """A fresh data folder: the form leaves the folder to choose rather than name the one
    Retrain would download into, which is not there yet; once it is, the form names it."""
    dialog = open_search(window, tmp_path, monkeypatch)
    assert dialog.data_edit.text() == ""
    assert "train-images-idx3-ubyte" in dialog.data_edit.placeholderText()
    dialog.close()
    dialog.deleteLater()
    window.search.dialog = None
    downloaded = tmp_path / "userdata" / "mnist"
    downloaded.mkdir(parents=True)
    (downloaded / "train-images-idx3-ubyte.gz").write_bytes(b"")
    menu_action(window, ACTION_TEXT).trigger()
    assert window.search.dialog.data_edit.text() == str(downloaded)
    window.search.dialog.close()


def test_trials_that_end_out_of_order_are_shown_in_trial_order(window, tmp_path, monkeypatch):
    """Another worker's trials end out of order: the table and chart stay in trial order."""
    dialog = open_search(window, tmp_path, monkeypatch)
    for number in (5, 2, 7, 3):
        dialog._row(number, "running", None, None, None)
    dialog._row(5, "complete", 0.91, 3, None)  # still the row of trial 5
    numbers = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    assert numbers == ["2", "3", "5", "7"]
    assert dialog.table.item(2, 1).text() == "complete" and dialog.table.item(2, 2) is not None
    dialog._row(7, "complete on another computer", 0.9, 3, None)  # the longest state, whole
    words = dialog.table.fontMetrics().horizontalAdvance("complete on another computer")
    assert dialog.table.columnWidth(1) >= words
    for number, accuracy in ((4, 0.90), (1, 0.80), (2, 0.95)):
        dialog.chart.add(number, accuracy, pruned=False)
    assert dialog.chart.points("complete") == [(1, 0.80), (2, 0.95), (4, 0.90)]
    assert dialog.chart.points("best") == [(1, 0.80), (2, 0.95), (4, 0.95)]


def test_a_folder_typed_from_home_is_found(window, tmp_path, monkeypatch):
    dialog = open_search(window, tmp_path, monkeypatch)
    monkeypatch.setenv("HOME", str(tmp_path))
    dialog.data_edit.setText("~/mnist")
    assert dialog.request().folder == str(tmp_path / "mnist")


def test_a_search_whose_best_another_worker_retrains_says_so(window, tmp_path, monkeypatch):
    dialog = open_search(window, tmp_path, monkeypatch)
    done = {"trials_completed": 3, "trials_pruned": 1, "best_val_accuracy": 0.97}
    elsewhere = {"test_accuracy": None, "final_by_another_worker": True}
    dialog.runner.finished.emit("", {**done, **elsewhere})
    assert dialog.status_label.text().endswith("Another worker of the study retrains the best.")
    dialog.runner.finished.emit("", {**done, "test_accuracy": 0.975})
    assert dialog.status_label.text().endswith("test accuracy of the retrained best 97.50%.")
