"""The Search dialog on a study in a real PostgreSQL server, shared with another worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from digitpad.requests import without_password
from digitpad.ui.search_dialog import SearchDialog

pytest_plugins = ["ui_helpers", "postgres_server"]


def wait_for_end(qtbot, dialog: SearchDialog, timeout: int = 240_000) -> dict:
    """The child's done event; fails at once with the message if the search fails."""
    ended: dict = {}
    dialog.runner.finished.connect(lambda _model, done: ended.update(done=done))
    dialog.runner.failed.connect(lambda message, kind: ended.update(failed=(message, kind)))
    qtbot.waitUntil(lambda: bool(ended), timeout=timeout)
    assert "failed" not in ended, ended.get("failed")
    return ended["done"]


def test_a_search_in_a_shared_database_from_the_dialog(
    window, qtbot, mnist_folder, tmp_path, monkeypatch, new_database
):
    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(tmp_path / "userdata"))
    url = new_database("gui")
    address, password = without_password(url), url.split(":")[2].split("@")[0]
    window.search.action.trigger()
    dialog: SearchDialog = window.search.dialog
    dialog.data_edit.setText(str(mnist_folder))
    dialog.trials_spin.setValue(2)
    dialog.epochs_spin.setValue(1)
    dialog.study_edit.setText("gui-team")
    qtbot.keyClicks(dialog.storage_edit, address)  # typing an address chooses "shared"
    assert dialog.shared_radio.isChecked()
    dialog.password_edit.setText(password)
    assert dialog.start()
    assert password not in " ".join(dialog.runner._process.arguments())
    assert address in dialog.status_label.text() and password not in dialog.status_label.text()

    done = wait_for_end(qtbot, dialog)
    assert done["trials_completed"] + done["trials_pruned"] == 2
    assert dialog.table.rowCount() == 2
    study = optuna.load_study(study_name="gui-team", storage=url)
    states = [t.state for t in study.trials]
    assert states.count(TrialState.COMPLETE) + states.count(TrialState.PRUNED) == 2

    # The address is remembered, the password is not (not in the settings file at all).
    remembered = window.settings.search_request
    assert remembered.storage == address
    window.settings.sync()
    settings_text = Path(window.settings.store.fileName()).read_text(encoding="utf-8")
    assert password not in settings_text
    dialog.close()
    window.search.dialog = None
    window.search.action.trigger()
    again = window.search.dialog
    assert again.shared_radio.isChecked() and again.storage_edit.text() == address
    assert again.password_edit.text() == ""


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("http://127.0.0.1/x", "starts with postgresql://"),
        ("postgresql:///nohost", "needs a host"),
    ],
)
def test_a_bad_database_address_is_refused_before_any_process(
    window, mnist_folder, tmp_path, monkeypatch, address, words
):
    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(tmp_path / "userdata"))
    window.search.action.trigger()
    dialog: SearchDialog = window.search.dialog
    dialog.data_edit.setText(str(mnist_folder))
    dialog.shared_radio.setChecked(True)
    dialog.storage_edit.setText(address)
    assert not dialog.start()
    assert words in dialog.status_label.text() and not dialog.running


def test_the_dialog_shows_the_trials_of_every_worker(
    window, qtbot, mnist_folder, tmp_path, monkeypatch, new_database
):
    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(tmp_path / "userdata"))
    url = new_database("gui_two")
    window.search.action.trigger()
    dialog: SearchDialog = window.search.dialog
    dialog.data_edit.setText(str(mnist_folder))
    dialog.trials_spin.setValue(8)
    dialog.epochs_spin.setValue(1)
    dialog.study_edit.setText("pair")
    dialog.shared_radio.setChecked(True)
    dialog.storage_edit.setText(url)  # a password typed into the address works too
    other = subprocess.Popen(
        [
            sys.executable, "-m", "training", "search", "--data", str(mnist_folder),
            "--storage", url, "--study-name", "pair", "--trials", "8", "--epochs", "1",
            "--device", "cpu", "--cache", str(tmp_path / "other-cache"), "--no-final",
            "--progress", "jsonl",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    try:
        for line in other.stdout:  # the other worker has begun its first trial
            if '"trial_started"' in line:
                break
        assert dialog.start()
        # The password typed into the address moved to the password box, which hides it.
        assert dialog.storage_edit.text() == without_password(url)
        assert dialog.password_edit.text() == url.split(":")[2].split("@")[0]
        done = wait_for_end(qtbot, dialog)
        # The study as it was when the dialog's search ended: the other worker may finish
        # more trials afterwards, which no window could have shown.
        study = optuna.load_study(study_name="pair", storage=url)
        finished = [t.number for t in study.trials if t.state.is_finished() and t.value is not None]
    finally:
        _, err = other.communicate(timeout=240)
    assert other.returncode == 0, err
    states = {dialog.table.item(r, 0).text(): dialog.table.item(r, 1).text() for r in range(
        dialog.table.rowCount())}  # fmt: skip
    # Every finished trial of the study is in the table, the other worker's marked as such.
    assert {str(n) for n in finished} <= set(states)
    theirs = [e for e in states.values() if "another computer" in e or "earlier" in e]
    assert theirs, states
    # Each finished trial shows its epochs, the other worker's too (one each here).
    epochs = {dialog.table.item(r, 0).text(): dialog.table.item(r, 3) for r in range(
        dialog.table.rowCount())}  # fmt: skip
    assert all(epochs[str(n)] is not None and epochs[str(n)].text() == "1" for n in finished)
    assert done["trials_completed"] + done["trials_pruned"] == 8


def test_a_wrong_password_is_one_clear_line(
    window, qtbot, mnist_folder, tmp_path, monkeypatch, new_database
):
    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(tmp_path / "userdata"))
    address = without_password(new_database("gui_wrong"))
    window.search.action.trigger()
    dialog: SearchDialog = window.search.dialog
    dialog.data_edit.setText(str(mnist_folder))
    dialog.epochs_spin.setValue(1)
    dialog.shared_radio.setChecked(True)
    dialog.storage_edit.setText(address)
    dialog.password_edit.setText("not-the-password")
    with qtbot.waitSignal(dialog.runner.failed, timeout=120_000) as blocker:
        assert dialog.start()
    message, kind = blocker.args
    assert kind == "storage" and "password" in message.lower()
    assert "not-the-password" not in message and len(message.splitlines()) == 1
    assert json.dumps(message)  # plain text, shown in the dialog
    assert "password" in dialog.status_label.text().lower()
    qtbot.keyClicks(dialog.password_edit, "x")  # trying another: the old failure goes
    assert dialog.status_label.text() == "Not started."


def test_a_listing_asked_while_another_runs_answers_for_the_form_as_it_is_now(
    window, qtbot, tmp_path, monkeypatch, new_database
):
    """A wrong password corrected while the studies were being listed: the stale answer
    ("password authentication failed") must not be the one shown."""
    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(tmp_path / "userdata"))
    url = new_database("relist")
    address, password = without_password(url), url.split(":")[2].split("@")[0]
    optuna.create_study(study_name="kept", storage=url).set_user_attr("digitpad_search", True)
    window.search.action.trigger()
    dialog: SearchDialog = window.search.dialog
    dialog.shared_radio.setChecked(True)
    dialog.storage_edit.setText(address)
    dialog.password_edit.setText("wrong")
    dialog.password_edit.editingFinished.emit()
    assert dialog.lister.running
    dialog.password_edit.setText(password)
    dialog.password_edit.editingFinished.emit()
    qtbot.waitUntil(lambda: any(s["study"] == "kept" for s in dialog.studies), timeout=60_000)
    assert "Could not list" not in dialog.status_label.text()


@pytest.mark.parametrize(
    ("driver_says", "words"),
    [
        (
            'connection failed: FATAL:  password authentication failed for user "digit"',
            "db.example port 5433 refused the password of user digit: check it",
        ),
        ("connection failed: fe_sendauth: no password supplied", "asks for a password"),
        ('FATAL:  role "digt" does not exist', "there is no user digt on db.example"),
    ],
)
def test_password_problems_are_said_in_plain_words(driver_says, words):
    from training.search.errors import storage_reason

    reason = storage_reason(RuntimeError(driver_says), "postgresql://digit@db.example:5433/x")
    assert words in reason and "FATAL" not in reason


def test_a_missing_database_driver_says_how_to_install_it():
    from training.search.errors import storage_reason

    error = ImportError("Failed to import DB access module for the specified storage URL.")
    assert storage_reason(error, "mysql://me@db/x") == (
        "the driver for mysql databases is not installed here: pip install pymysql"
    )
