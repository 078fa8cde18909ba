"""Choosing the study in the Search dialog: new or continued, never a trap after a failure."""

from __future__ import annotations

import optuna
import pytest

pytest_plugins = ["ui_helpers"]

from ui_helpers import wait_success  # noqa: E402

from digitpad.ui.search_dialog import SearchDialog, trials_note  # noqa: E402


@pytest.fixture
def dialog(window, qtbot, tmp_path, monkeypatch) -> SearchDialog:
    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(tmp_path / "userdata"))
    window.search.action.trigger()
    found = window.search.dialog
    with wait_success(qtbot, found.lister, found.lister.finished, timeout=60_000):
        found.list_studies()
    return found


def studies(dialog: SearchDialog) -> list[str]:
    return [dialog.study_combo.itemText(i) for i in range(dialog.study_combo.count())]


def relist(dialog: SearchDialog, qtbot) -> None:
    qtbot.waitUntil(lambda: not dialog.lister.running, timeout=60_000)
    with wait_success(qtbot, dialog.lister, dialog.lister.finished, timeout=60_000):
        dialog.list_studies()


def run_two_trials(dialog: SearchDialog, qtbot, folder) -> None:
    """A new study of two one-epoch trials on ``folder``, run to its end."""
    dialog.data_edit.setText(str(folder))
    dialog.epochs_spin.setValue(1)
    dialog.trials_spin.setValue(2)
    with wait_success(qtbot, dialog.runner, dialog.runner.finished, timeout=240_000):
        assert dialog.start()


def test_a_failed_start_leaves_no_study_and_a_later_start_works(
    dialog, qtbot, tmp_path, mnist_folder
):
    empty = tmp_path / "empty"
    empty.mkdir()
    dialog.data_edit.setText(str(empty))
    dialog.epochs_spin.setValue(10)
    with qtbot.waitSignal(dialog.runner.failed, timeout=120_000):
        assert dialog.start()
    assert "--" not in dialog.status_label.text()  # no command-line flags in the window
    relist(dialog, qtbot)
    assert studies(dialog) == ["A new study"]  # the bad folder made no study
    # The same new study with other epochs now starts and runs.
    run_two_trials(dialog, qtbot, mnist_folder)
    storage = f"sqlite:///{tmp_path / 'userdata' / 'search.db'}"
    study = optuna.load_study(study_name="digitpad-fcnn", storage=storage)
    assert study.user_attrs["epochs"] == 1 and len(study.trials) >= 2


def test_a_finished_study_is_offered_to_continue_with_its_settings(dialog, qtbot, mnist_folder):
    run_two_trials(dialog, qtbot, mnist_folder)
    relist(dialog, qtbot)
    listed = studies(dialog)
    assert len(listed) == 2 and listed[1].startswith(
        "Continue digitpad-fcnn: FCNN, 1 epoch a trial, 2 trials"
    )
    # With room for it all, the body does not scroll (the space searched is in wrapped text).
    assert dialog.space_label.text() and dialog.scroll.verticalScrollBar().maximum() == 0
    # The study just run is offered to continue; the total the user gave is left as given
    # (not raised behind their back), and the note beside it says what Start would do.
    assert dialog.study_combo.currentIndex() == 1 and dialog.trials_spin.value() == 2
    assert dialog.trials_note.isVisible()
    assert dialog.trials_note.text() == "The study holds 2 trials already: raise this to run more"
    assert not dialog.start() and not dialog.running  # nothing to run: said, nothing started
    assert "holds 2 trials already" in dialog.status_label.text()
    # As after a restart: nothing shown of the study, yet its best can be retrained.
    best = dict(dialog.best_params)
    dialog._forget_trials()
    relist(dialog, qtbot)
    assert dialog.retrain_button.isEnabled() and dialog.best_params == best
    # A new study with other epochs gets a name of its own, so it cannot clash.
    dialog.study_combo.setCurrentIndex(0)
    assert not dialog.retrain_button.isEnabled()  # a new study has no best to retrain yet
    dialog.epochs_spin.setValue(3)
    assert dialog.request().study == "digitpad-fcnn-2"
    dialog.study_edit.setText("digitpad-fcnn")  # a clash is said in words, before any child
    assert not dialog.start() and "already a study called digitpad-fcnn" in (
        dialog.status_label.text()
    )
    assert "--" not in dialog.status_label.text()
    dialog.study_edit.setText("")
    assert not dialog.trials_note.isVisible()  # a new study: the count is all it will run
    # Continuing fixes the network and the epochs to the study's.
    dialog.study_combo.setCurrentIndex(1)
    assert dialog.retrain_button.isEnabled() and dialog.best_params == best
    assert dialog.epochs_spin.value() == 1 and not dialog.epochs_spin.isEnabled()
    # Chosen by the user, it asks for more than the study has, and says so.
    assert dialog.trials_spin.value() == 12
    assert dialog.trials_note.text() == "10 more than the study holds: Start runs them"
    assert not dialog.arch_combo.isEnabled() and dialog.request().study == "digitpad-fcnn"
    dialog.trials_spin.setValue(3)
    assert dialog.trials_note.text() == "1 more than the study holds: Start runs it"
    with wait_success(qtbot, dialog.runner, dialog.runner.finished, timeout=240_000) as done:
        assert dialog.start()
    result = done.args[1]
    assert result["study"] == "digitpad-fcnn"
    assert result["trials_completed"] + result["trials_pruned"] == 3
    # The trials of the study resumed show their epochs like the new one (one each).
    rows = {dialog.table.item(r, 0).text(): r for r in range(dialog.table.rowCount())}
    assert sorted(rows) == ["0", "1", "2"]
    assert dialog.table.item(rows["0"], 1).text() == "complete earlier"
    for row in rows.values():
        assert dialog.table.item(row, 3) is not None, dialog.table.item(row, 1).text()
        assert dialog.table.item(row, 3).text() == "1"


@pytest.mark.parametrize(
    ("total", "held", "note"),
    [
        (12, 2, "10 more than the study holds: Start runs them"),
        (3, 2, "1 more than the study holds: Start runs it"),
        (2, 2, "The study holds 2 trials already: raise this to run more"),
        (1, 1, "The study holds 1 trial already: raise this to run more"),
    ],
)
def test_the_note_beside_the_total_says_what_start_runs(total, held, note):
    assert trials_note(total, held) == note


def test_a_failed_continuation_keeps_the_trials_shown(dialog, qtbot, tmp_path, mnist_folder):
    run_two_trials(dialog, qtbot, mnist_folder)
    shown = dialog.table.rowCount()
    assert shown >= 2 and dialog.retrain_button.isEnabled()
    relist(dialog, qtbot)
    dialog.study_combo.setCurrentIndex(1)  # continue it, from a folder with no MNIST
    dialog.trials_spin.setValue(4)
    empty = tmp_path / "empty"
    empty.mkdir()
    dialog.data_edit.setText(str(empty))
    with qtbot.waitSignal(dialog.runner.failed, timeout=120_000):
        assert dialog.start()
    assert dialog.table.rowCount() == shown  # the study's trials are still there to see
    assert dialog.retrain_button.isEnabled() and "failed" in dialog.status_label.text()


def test_trials_shown_always_belong_to_the_chosen_study_and_storage(dialog, qtbot, mnist_folder):
    run_two_trials(dialog, qtbot, mnist_folder)
    relist(dialog, qtbot)
    assert dialog.table.rowCount() >= 2 and dialog.retrain_button.isEnabled()
    dialog.study_combo.setCurrentIndex(1)  # the study just run: its trials stay
    assert dialog.table.rowCount() >= 2

    dialog.study_combo.setCurrentIndex(0)  # a new study has no trials yet
    assert dialog.table.rowCount() == 0 and not dialog.chart.points("complete")
    assert not dialog.retrain_button.isEnabled() and dialog.best_params is None

    # Another storage that cannot be reached: nothing of the local study is offered there.
    dialog.study_combo.setCurrentIndex(1)
    dialog.storage_edit.setText("postgresql://nobody@127.0.0.1:1/none")
    with qtbot.waitSignal(dialog.lister.failed, timeout=60_000):
        dialog.shared_radio.setChecked(True)  # lists the studies there
    assert studies(dialog) == ["A new study"]
    assert "Could not list the studies there" in dialog.status_label.text()


def test_a_failed_search_stays_said_when_listing_the_studies_fails_after_it(
    dialog, qtbot, mnist_folder
):
    dialog.data_edit.setText(str(mnist_folder))
    dialog.storage_edit.setText("postgresql://nobody@127.0.0.1:1/none")
    with qtbot.waitSignal(dialog.lister.failed, timeout=60_000):
        dialog.shared_radio.setChecked(True)
    with qtbot.waitSignal(dialog.runner.failed, timeout=120_000):
        assert dialog.start()
    qtbot.waitUntil(lambda: not dialog.lister.running, timeout=60_000)  # the relisting fails too
    assert dialog.status_label.text().startswith("The search failed:")
