"""Model → Learn my handwriting, end to end through the window and a real child process.

The test user writes 3 in a way of their own (a W, like a 3 lying on its
back), which the bundled model does not read as 3. They draw and correct
twenty of them by clicking the bar of 3, learn, and the app must then read
fresh ones, never corrected, as 3, while it still reads plain digits right.
"""

from __future__ import annotations

import errno
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

pytest_plugins = ["ui_helpers"]

from conftest import alive  # noqa: E402
from ui_helpers import random_model, trigger_learning, wait_success  # noqa: E402

from digitpad.assets import bundled_model_path  # noqa: E402
from digitpad.model_file import load_model  # noqa: E402
from digitpad.ui import child_process  # noqa: E402
from digitpad.ui.corrections_view import THUMB  # noqa: E402
from digitpad.ui.learning import LEARN, STOP, learned_message  # noqa: E402
from digitpad.userdata import UserData  # noqa: E402

CHILD_MS = 300_000
THREE_AS_W = [(0.05, 0.2), (0.28, 0.85), (0.5, 0.35), (0.72, 0.85), (0.95, 0.2)]


def my_three(rng: np.random.Generator) -> list[list[tuple[float, float]]]:
    """One of the user's 3s: the same W, never drawn twice alike."""
    scale = rng.uniform(0.8, 1.0)
    return [
        [
            (
                0.5 + (x - 0.5) * scale + rng.uniform(-0.04, 0.04),
                0.5 + (y - 0.5) * scale + rng.uniform(-0.04, 0.04),
            )
            for x, y in THREE_AS_W
        ]
    ]


def read(window, qtbot, mouse, strokes) -> int:
    """Clear, draw ``strokes`` with the mouse, and return the digit the window shows."""
    window.clear()
    mouse.draw(window.canvas, strokes)
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000) as blocker:
        window.predict()
    return blocker.args[0].digit


def click_bar(window, qtbot, digit: int) -> None:
    bars = window.bars
    row = bars.height() / 10
    qtbot.mouseClick(
        bars, Qt.MouseButton.LeftButton, pos=QPoint(bars.width() // 2, int(row * digit + row / 2))
    )


def learned_in_use(qtbot, window, mouse) -> str:
    """A 7 saved as a 1, learned from: the adapted model's path, once it is in use."""
    read(window, qtbot, mouse, mouse.SEVEN)
    click_bar(window, qtbot, 1)
    path = learn(qtbot, window.training.learner)
    qtbot.waitUntil(lambda: window.recognition.model_source == path, timeout=10_000)
    return path


def learn(qtbot, learner) -> str:
    """Start learning; the adapted model's path. Fails at once, with the message, if
    learning fails."""
    with wait_success(qtbot, learner.runner, learner.learned, timeout=CHILD_MS) as blocker:
        trigger_learning(learner)
        # One run at a time: while it runs the same entry stops it.
        assert learner.action.isEnabled() and learner.action.text() == STOP
    assert learner.action.text() == LEARN
    return blocker.args[0]


def test_learn_my_handwriting_from_corrections(qtbot, window, mouse, private_user_data):
    learner = window.training.learner
    assert learner.action in window.model_menu.actions()
    assert not learner.action.isEnabled(), "nothing to learn from yet"

    rng = np.random.default_rng(0)
    before = [read(window, qtbot, mouse, my_three(rng)) for _ in range(20)]
    assert sum(d == 3 for d in before) <= 6, f"the bundled model already reads these: {before}"

    # Correct each drawing as a user does: draw it, then click the bar of 3.
    rng = np.random.default_rng(1)
    for _ in range(20):
        read(window, qtbot, mouse, my_three(rng))
        click_bar(window, qtbot, 3)
    corrections = UserData(private_user_data).corrections
    assert len(list(corrections.glob("3_*.png"))) == 20
    assert learner.action.isEnabled()

    path = learn(qtbot, learner)

    assert Path(path).parent == UserData(private_user_data).models
    qtbot.waitUntil(lambda: window.recognition.model_source == path, timeout=10_000)
    model = load_model(path)
    assert model.meta["adapted"]["corrections"] == 20
    assert "adapted to your handwriting from 20 corrections" in window.active_model_action.text()
    # Said where it stays while the new model loads and the drawing is read again.
    assert window.banner.level() == "info"
    assert "Learned your handwriting from 20 corrections in " in window.banner.text()
    assert "Reset to bundled model goes back" in window.banner.text()

    rng = np.random.default_rng(2)  # fresh drawings, none of them corrected
    after = [read(window, qtbot, mouse, my_three(rng)) for _ in range(20)]
    assert sum(d == 3 for d in after) >= 18, after
    assert read(window, qtbot, mouse, mouse.ONE) == 1
    assert read(window, qtbot, mouse, mouse.SEVEN) == 7

    # The adapted model is the user's: it comes back after Reset only if chosen again.
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=10_000):
        window.training.reset_action.trigger()
    assert window.recognition.model_source == "fcnn"
    assert window.statusBar().currentMessage() == "Back to FCNN (bundled)"
    assert Path(path).is_file()


def use_my_model(qtbot, window, private_user_data) -> Path:
    """A kept model of the user's (a small random FCNN, as an adapted one records no
    accuracy) in use in the window; its path."""
    models = UserData(private_user_data).models
    models.mkdir(parents=True, exist_ok=True)
    path = random_model(models / "mine.npz", accuracy=None)
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=10_000):
        window.choose_model(str(path))
    return path


def test_learning_adapts_the_loaded_model_when_its_file_has_gone(
    qtbot, window, mouse, private_user_data, tmp_path, monkeypatch
):
    temporary = tmp_path / "temporary"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    mine = use_my_model(qtbot, window, private_user_data)
    read(window, qtbot, mouse, mouse.ONE)
    click_bar(window, qtbot, 1)
    mine.unlink()  # another DigitPad window on the same data folder deleted it

    path = learn(qtbot, window.training.learner)

    model = load_model(path)
    assert model.meta["sizes"] == {"hidden": 16}, "adapted from the model in use, not bundled"
    assert model.meta["adapted"]["from"] == str(mine)  # adapted from its copy, which has gone
    assert not list(temporary.iterdir()), "its copy goes once the learning has ended"
    qtbot.waitUntil(lambda: window.recognition.model_source == path, timeout=10_000)


def test_a_model_renamed_while_learning_starts_is_learned_all_the_same(
    qtbot, window, mouse, private_user_data, monkeypatch
):
    """The child is given a copy of the model as it is loaded: Model → My models renaming
    its file, after learning chose it and before the child reads it, changes nothing."""
    mine = use_my_model(qtbot, window, private_user_data)
    read(window, qtbot, mouse, mouse.ONE)
    click_bar(window, qtbot, 1)
    learner = window.training.learner
    start = learner.runner.start

    def rename_then_start(*args, **kwargs) -> None:
        assert window.training.rename_model(mine, "renamed") is not None
        start(*args, **kwargs)

    monkeypatch.setattr(learner.runner, "start", rename_then_start)
    path = learn(qtbot, learner)
    assert load_model(path).meta["sizes"] == {"hidden": 16}
    assert learner.action.isEnabled() and learner.action.text() == LEARN


def test_a_model_replaced_by_another_windows_of_its_name_is_not_the_one_learned(
    qtbot, window, mouse, private_user_data
):
    """Another window deleted this window's model and gave its own that name: learning
    adapts the weights this window reads with, not what the file now holds."""
    mine = use_my_model(qtbot, window, private_user_data)
    read(window, qtbot, mouse, mouse.ONE)
    click_bar(window, qtbot, 1)
    random_model(mine, accuracy=None, seed=7)  # same name and size, other weights
    loaded = window.recognition.model.params["fc1.weight"]
    path = learn(qtbot, window.training.learner)
    adapted = load_model(path).params["fc1.weight"]
    replaced = load_model(mine).params["fc1.weight"]
    # Fine-tuning moves the weights a little: nearer the loaded ones by far than the others.
    assert np.abs(adapted - loaded).mean() < 0.2 * np.abs(adapted - replaced).mean()


def fake_child(monkeypatch, *events: dict, status: int = 1) -> None:
    """The learning child, replaced by one that prints ``events`` and exits with ``status``."""
    lines = "".join(json.dumps(event) + "\n" for event in events)
    script = f"import sys; sys.stdout.write({lines!r}); sys.exit({status})"
    monkeypatch.setattr(
        child_process, "entry_command", lambda _args: (sys.executable, ["-c", script])
    )


def test_a_full_disk_while_learning_is_said_with_the_folder_and_advice(
    qtbot, window, mouse, private_user_data, monkeypatch
):
    read(window, qtbot, mouse, mouse.ONE)
    click_bar(window, qtbot, 1)
    full = {"event": "error", "message": "[Errno 28] No space left on device", "kind": "disk"}
    fake_child(monkeypatch, full)
    learner = window.training.learner
    with qtbot.waitSignal(learner.runner.failed, timeout=10_000):
        trigger_learning(learner)
    # Said once the pen has been up a moment: a notice of work done in the background.
    qtbot.waitUntil(lambda: window.banner.text() != "", timeout=5000)
    text = window.banner.text()
    assert "Could not learn your handwriting: No space left on device" in text
    assert "Errno" not in text
    assert f"DigitPad's data folder {private_user_data}" in text
    assert "free space" in text  # the Retrain dialog's advice for a disk error
    assert window.recognition.model_source == "fcnn"


def test_an_adapted_model_that_cannot_be_kept_is_said_in_words(
    qtbot, window, private_user_data, tmp_path, monkeypatch
):
    made = random_model(tmp_path / "fcnn-adapted-20260101-000000.npz")
    learner = window.training.learner

    def full_disk(path):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(learner.store, "adopt", full_disk)
    learner.runner.finished.emit(str(made), {"corrections": 1})
    text = window.banner.text()
    assert text.startswith(
        f"Could not learn your handwriting: the adapted model {made.name} could not be kept in "
        f"{UserData(private_user_data).models}: {os.strerror(errno.ENOSPC)}"
    )
    assert "Errno" not in text
    assert window.recognition.model_source == "fcnn"


def test_a_run_that_left_its_reserved_name_empty_wrote_no_model(qtbot, window, tmp_path):
    reserved = tmp_path / "fcnn-adapted-20260101-000000.npz"
    reserved.touch()  # the name a run reserves, never written over
    window.training.learner.runner.finished.emit(str(reserved), {"corrections": 1})
    text = window.banner.text()
    assert "ended without writing a model" in text and "disk" not in text
    assert window.recognition.model_source == "fcnn"


def test_damaged_corrections_are_left_out_of_learning_and_named(
    qtbot, window, mouse, private_user_data
):
    rng = np.random.default_rng(1)
    for _ in range(3):
        read(window, qtbot, mouse, my_three(rng))
        click_bar(window, qtbot, 3)
    corrections = UserData(private_user_data).corrections
    (corrections / "8_garbage.png").write_bytes(b"random bytes, no picture")
    (corrections / "2_empty.png").write_bytes(b"")

    path = learn(qtbot, window.training.learner)

    assert load_model(path).meta["adapted"]["corrections"] == 3
    text = window.banner.text()
    assert window.banner.level() == "info"
    assert text.startswith("Learned your handwriting from 3 corrections")
    assert "2 corrected drawings could not be read" in text
    assert "8_garbage.png" in text and "2_empty.png" in text
    # Named where they are, not in the copy the learning read and has deleted.
    assert str(corrections) in text and "digitpad-learning-" not in text


def test_a_correction_that_overrules_a_sure_answer_is_asked_about_before_learning(
    qtbot, window, mouse
):
    """A 7 read as a 7 at 99% and saved as a 1 is a stray key as likely as a new style:
    learning asks first, Cancel by default; once answered, it does not ask again."""
    learner = window.training.learner
    read(window, qtbot, mouse, mouse.SEVEN)
    assert window.bars.winner() == 7
    click_bar(window, qtbot, 1)
    learner.action.trigger()
    box = learner.question
    assert box.isVisible() and not learner.busy
    assert box.text().startswith("One of your corrections (a 7 saved as a 1) overrules")
    # The button says what it does, not "Yes".
    assert box.button(box.StandardButton.Yes).text() == "Learn anyway"
    qtbot.keyClick(box, Qt.Key.Key_Return)  # Enter is Cancel
    assert not learner.busy
    learner.action.trigger()  # cancelled: asked again
    assert learner.question.isVisible() and not learner.busy
    learner.question.close()
    path = learn(qtbot, learner)  # trigger_learning answers Yes
    qtbot.waitUntil(lambda: window.recognition.model_source == path, timeout=10_000)
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=10_000):
        window.training.reset_action.trigger()
    learner.action.trigger()  # the same corrections again: answered already
    assert learner.question is None and learner.busy
    qtbot.waitUntil(lambda: not learner.busy, timeout=CHILD_MS)


def test_a_correction_made_while_learning_waits_for_the_next_run_and_its_question(
    qtbot, window, mouse
):
    """The child learns the corrections there were when it started: a slip made while it
    runs (a plain 7 saved as a 1) must not be learned before it is asked about."""
    learner = window.training.learner
    read(window, qtbot, mouse, mouse.ONE)
    first = window.training.correct(1)  # agrees with the answer: no question
    with wait_success(qtbot, learner.runner, learner.learned, timeout=CHILD_MS):
        learner.action.trigger()
        assert learner.busy
        read(window, qtbot, mouse, mouse.SEVEN)
        click_bar(window, qtbot, 1)  # the slip, while the child runs
    assert window.banner.text().startswith("Learned your handwriting from 1 correction in ")
    learner.action.trigger()
    assert learner.question.isVisible() and not learner.busy
    assert "(a 7 saved as a 1)" in learner.question.text()
    learner.question.close()
    # Relabelled in another window it is still asked about, under its new label; relabelled
    # as it was read, it is no slip.
    corrections = window.training.corrections
    slip = next(p for p in corrections.paths() if p.name[0] == "1" and p.name != first.name)
    moved = corrections.relabel(slip, 4)
    learner.action.trigger()
    assert "(a 7 saved as a 4)" in learner.question.text()
    learner.question.close()
    corrections.relabel(moved, 7)
    learner.action.trigger()
    assert learner.question is None and learner.busy
    qtbot.waitUntil(lambda: not learner.busy, timeout=CHILD_MS)


def test_the_status_line_counts_the_seconds_until_the_child_reports_but_keeps_an_answer(
    qtbot, window, mouse
):
    learner = window.training.learner
    read(window, qtbot, mouse, mouse.ONE)
    click_bar(window, qtbot, 1)
    with wait_success(qtbot, learner.runner, learner.learned, timeout=CHILD_MS):
        learner.action.trigger()
        bar = window.statusBar()
        said = "Learning your handwriting from 1 correction… 0 s (the Model menu stops it)"
        assert bar.currentMessage() == said
        qtbot.waitUntil(lambda: bar.currentMessage() != said, timeout=3000)
        assert bar.currentMessage().startswith("Learning your handwriting from 1 correction… ")
        read(window, qtbot, mouse, mouse.SEVEN)  # an answer, which the ticks leave alone
        assert bar.currentMessage().startswith("Looks like a 7")
        qtbot.wait(1200)
        assert not bar.currentMessage().startswith("Learning your handwriting")


def held_copy(qtbot, window, mouse, monkeypatch, tmp_path):
    """One correction, whose copying for a run waits until the event returned is set;
    the threads that copied it, and the temporary folder the copy goes in."""
    temporary = tmp_path / "temporary"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    read(window, qtbot, mouse, mouse.ONE)
    click_bar(window, qtbot, 1)
    corrections = window.training.corrections
    release, threads = threading.Event(), []
    snapshot = corrections.snapshot

    def held(*args, **kwargs) -> int:
        threads.append(threading.current_thread())
        assert release.wait(30), "never released"
        return snapshot(*args, **kwargs)

    monkeypatch.setattr(corrections, "snapshot", held)
    return release, threads, temporary


def test_the_corrections_are_copied_off_the_gui_thread_while_the_window_goes_on(
    qtbot, window, mouse, monkeypatch, tmp_path
):
    """Thousands of corrections take a noticeable moment to link or copy: the window is
    drawn on and read meanwhile, and one saved then waits for the next run."""
    release, threads, temporary = held_copy(qtbot, window, mouse, monkeypatch, tmp_path)
    learner = window.training.learner
    with wait_success(qtbot, learner.runner, learner.learned, timeout=CHILD_MS):
        learner.action.trigger()
        qtbot.waitUntil(lambda: len(threads) == 1, timeout=5000)
        assert threads[0] is not threading.main_thread()
        assert learner.busy and not learner.runner.running
        assert learner.action.text() == STOP
        said = "Learning your handwriting from 1 correction… 0 s (the Model menu stops it)"
        assert window.statusBar().currentMessage() == said
        assert read(window, qtbot, mouse, mouse.SEVEN) == 7  # the window goes on
        click_bar(window, qtbot, 7)  # saved while the copy is made: for the next run
        release.set()
    assert window.banner.text().startswith("Learned your handwriting from 1 correction in ")
    assert list(temporary.iterdir()) == [], "the copy goes once the run has ended"


def test_stopping_while_the_corrections_are_copied_starts_no_child(
    qtbot, window, mouse, monkeypatch, tmp_path, private_user_data
):
    release, threads, temporary = held_copy(qtbot, window, mouse, monkeypatch, tmp_path)
    learner = window.training.learner
    started = []
    monkeypatch.setattr(learner.runner, "start", lambda *args, **kwargs: started.append(args))
    learner.action.trigger()
    qtbot.waitUntil(lambda: len(threads) == 1, timeout=5000)
    learner.action.trigger()  # Stop learning my handwriting
    assert not learner.busy and learner.action.text() == LEARN
    assert "the model in use is unchanged" in window.statusBar().currentMessage()
    release.set()
    qtbot.waitUntil(lambda: list(temporary.iterdir()) == [], timeout=5000)
    qtbot.wait(100)
    assert started == [] and not learner.busy
    assert list(UserData(private_user_data).pending_models.iterdir()) == []


def test_the_model_switched_while_the_corrections_are_copied_is_not_the_one_learned(
    qtbot, window, mouse, monkeypatch, tmp_path, private_user_data
):
    release, _threads, _temporary = held_copy(qtbot, window, mouse, monkeypatch, tmp_path)
    learner = window.training.learner
    with wait_success(qtbot, learner.runner, learner.learned, timeout=CHILD_MS) as blocker:
        learner.action.trigger()
        use_my_model(qtbot, window, private_user_data)  # chosen while the copy is made
        release.set()
    assert Path(load_model(blocker.args[0]).meta["adapted"]["from"]) == bundled_model_path("fcnn")


def test_closing_while_the_corrections_are_copied_waits_for_nothing(
    qtbot, window, mouse, monkeypatch, tmp_path
):
    release, threads, temporary = held_copy(qtbot, window, mouse, monkeypatch, tmp_path)
    learner = window.training.learner
    learner.action.trigger()
    qtbot.waitUntil(lambda: len(threads) == 1, timeout=5000)
    started = time.monotonic()
    learner.shutdown()
    assert time.monotonic() - started < 1 and not learner.busy
    release.set()  # the thread sees it was stopped, and tidies its folder away
    qtbot.waitUntil(lambda: list(temporary.iterdir()) == [], timeout=5000)
    assert not learner.runner.running


def test_a_copy_that_fails_unforeseen_is_said_and_leaves_nothing_running(
    qtbot, window, mouse, monkeypatch, tmp_path
):
    read(window, qtbot, mouse, mouse.ONE)
    click_bar(window, qtbot, 1)

    def broken(*_args, **_kwargs):
        raise ValueError("a name the file system cannot hold")

    monkeypatch.setattr(window.training.corrections, "snapshot", broken)
    learner = window.training.learner
    learner.action.trigger()
    qtbot.waitUntil(lambda: not learner.busy, timeout=5000)
    assert "Could not learn your handwriting: the corrections could not be copied: a name" in (
        window.banner.text()
    )
    assert learner.action.text() == LEARN and not learner.runner.running


def test_the_question_names_one_overruled_answer_and_counts_the_rest():
    from digitpad.ui.learning import doubt_question

    one = doubt_question([(1, 7)])
    assert one.startswith("One of your corrections (a 7 saved as a 1) overrules an answer")
    assert "Learn from it as it is?" in one
    two = doubt_question([(8, 3), (1, 7)])
    assert two.startswith("2 of your corrections (such as a 3 saved as an 8) overrule answers")
    assert "Learn from them as they are?" in two


@pytest.mark.parametrize("second", [None, 7])
def test_corrections_that_agree_with_the_answer_are_learned_without_a_question(
    qtbot, window, mouse, second
):
    learner = window.training.learner
    read(window, qtbot, mouse, mouse.SEVEN)
    click_bar(window, qtbot, 1 if second else 7)
    if second is not None:
        qtbot.keyClick(window, Qt.Key.Key_7)  # changed their mind: the answer was right
    learner.action.trigger()
    assert learner.question is None and learner.busy
    qtbot.waitUntil(lambda: not learner.busy, timeout=CHILD_MS)


def test_learning_without_corrections_says_what_to_do(window):
    learner = window.training.learner
    assert not learner.start()
    assert "Correct a few drawings first" in window.statusBar().currentMessage()


def test_one_correction_per_drawing_a_second_press_relabels_it(qtbot, window, mouse):
    corrections = window.training.corrections
    read(window, qtbot, mouse, mouse.SEVEN)
    click_bar(window, qtbot, 1)
    qtbot.keyClick(window, Qt.Key.Key_7)  # changed their mind: it was a 7
    (saved,) = corrections.paths()
    assert saved.name.startswith("7_")
    assert "Changed this drawing's correction to 7" in window.statusBar().currentMessage()
    read(window, qtbot, mouse, mouse.ONE)  # a new drawing is a new correction
    click_bar(window, qtbot, 1)
    assert sorted(p.name[0] for p in corrections.paths()) == ["1", "7"]


def test_confirming_the_answer_shown_is_saved_and_said_to_be_no_correction(qtbot, window, mouse):
    shown = read(window, qtbot, mouse, mouse.SEVEN)
    click_bar(window, qtbot, shown)
    assert window.training.corrections.count() == 1
    said = window.statusBar().currentMessage()
    assert "(it was read right; Model → Corrections → Undo)" in said
    # Whole at the default window size: the status line shows it unclipped.
    assert window.statusBar().fontMetrics().horizontalAdvance(said) < 780 - 200
    read(window, qtbot, mouse, mouse.SEVEN)
    click_bar(window, qtbot, (shown + 1) % 10)
    assert "it was read right" not in window.statusBar().currentMessage()


def test_the_last_corrections_can_be_undone_one_by_one(qtbot, window, mouse):
    actions = window.training
    read(window, qtbot, mouse, mouse.SEVEN)
    click_bar(window, qtbot, 1)
    read(window, qtbot, mouse, mouse.ONE)
    click_bar(window, qtbot, 2)
    assert actions.undo_action.isEnabled() and actions.corrections.count() == 2
    actions.undo_action.trigger()
    assert [p.name[0] for p in actions.corrections.paths()] == ["1"]
    said = window.statusBar().currentMessage()
    assert "Removed the last correction (a drawing saved as a 2)" in said
    actions.undo_action.trigger()
    assert actions.corrections.count() == 0 and not actions.undo_action.isEnabled()
    assert not actions.undo_last()
    assert "No correction to undo" in window.statusBar().currentMessage()
    assert "Click the right digit's bar" in window.bars.toolTip()


def test_the_first_answers_ever_say_how_to_correct_them_then_never_again(
    qtbot, window, mouse, monkeypatch
):
    import digitpad.ui.training_actions as actions

    assert not window.settings.correction_hint_shown
    read(window, qtbot, mouse, mouse.SEVEN)
    said = window.statusBar().currentMessage()
    assert said.endswith(". Wrong? Click the right bar, or press its number")
    assert window.settings.correction_hint_shown
    later = actions.time.monotonic() + 31
    monkeypatch.setattr(actions.time, "monotonic", lambda: later)  # half a minute on
    read(window, qtbot, mouse, mouse.ONE)
    assert "Wrong?" not in window.statusBar().currentMessage()


def corrected_then_listed(qtbot, window, mouse, corrections):
    """Each (strokes, digit) drawn, read and saved as ``digit``; then Show all…, open."""
    for strokes, digit in corrections:
        read(window, qtbot, mouse, strokes)
        click_bar(window, qtbot, digit)
    view = window.training.show_corrections()
    qtbot.addWidget(view)
    return view


def test_corrections_view_relabels_and_deletes_single_drawings(qtbot, window, mouse):
    actions = window.training
    view = corrected_then_listed(
        qtbot, window, mouse, ((mouse.SEVEN, 1), (mouse.ONE, 1), (mouse.SEVEN, 7))
    )
    assert view.isVisible() and view.list.count() == 3
    qtbot.waitUntil(lambda: not view._pending, timeout=3000)  # every thumbnail read
    view.activateWindow()  # keys go to the window a person looks at, as they would
    qtbot.waitUntil(view.isActiveWindow, timeout=3000)
    # The oldest (a 7 saved as 1 by mistake) is last: relabel it with a key press.
    view.list.item(2).setSelected(True)
    qtbot.keyClick(view.list, Qt.Key.Key_7)
    assert sorted(p.name[0] for p in actions.corrections.paths()) == ["1", "7", "7"]
    assert view.list.item(2).text() == "7"
    view.list.clearSelection()
    view.list.item(0).setSelected(True)
    view.delete_button.click()
    assert actions.corrections.count() == 2 and view.list.count() == 2
    assert "2 corrected drawings saved" in actions.count_action.text()


def test_a_small_digit_in_a_corner_fills_its_thumbnail(qtbot, window, mouse):
    from digitpad.preprocess import ink_bounds
    from digitpad.ui.canvas import grey_pixels

    window.clear()
    canvas = window.canvas
    side = min(canvas.width(), canvas.height())
    # A 7 a sixth of the canvas tall, in its top left corner.
    corner = [[(x * side / 6 + 10, y * side / 6 + 10) for x, y in mouse.SEVEN[0]]]
    mouse.drag(canvas, corner[0])
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        window.predict()
    click_bar(window, qtbot, 7)
    view = window.training.show_corrections()
    qtbot.addWidget(view)
    item = view.list.item(0)
    qtbot.waitUntil(lambda: not view._pending, timeout=3000)
    shown = grey_pixels(item.icon().pixmap(THUMB, THUMB).toImage())
    top, bottom, left, right = ink_bounds(shown)
    # Framed on the digit: about 70% of the thumbnail's height, in its middle.
    assert bottom - top >= 0.6 * shown.shape[0]
    assert abs((left + right) / 2 - shown.shape[1] / 2) <= 0.1 * shown.shape[1]


def test_the_thumbnails_line_up_in_columns_as_they_arrive(qtbot, window, mouse):
    from digitpad.strokes import render_strokes

    for k in range(30):  # more than a screenful: the scroll bar comes as the items do
        drawing = render_strokes(mouse.SEVEN, 300, (0.3 + k % 3 * 0.2, 0.5, 0.3), 18)
        window.training.corrections.save(np.asarray(drawing), 7)
    view = window.training.show_corrections()
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: not view._pending, timeout=5000)
    QApplication.processEvents()
    places = [view.list.visualItemRect(view.list.item(i)).topLeft() for i in range(30)]
    top = min(p.y() for p in places)
    columns = sorted(p.x() for p in places if p.y() == top)
    assert len(columns) < 30, "one row: nothing to line up"
    assert all(p.x() in columns for p in places), (columns, [p.x() for p in places])


def test_a_drawing_frame_is_a_square_centred_on_the_ink():
    from digitpad.ui.corrections_view import drawing_frame

    def frame(*args):
        rect = drawing_frame(*args)
        return rect.x(), rect.y(), rect.width(), rect.height()

    # 15% of the ink's size on each side.
    assert frame((100, 200, 120, 180), 300, 300) == (85, 85, 130, 130)
    # Against an edge it reaches past the picture, keeping the ink in the middle.
    assert frame((0, 100, 0, 50), 300, 300) == (-40, -15, 130, 130)
    # A speck gets a tenth of the canvas and its margins, not the whole thumbnail.
    assert frame((150, 152, 150, 152), 400, 400) == (125, 125, 52, 52)
    # Ink wider than the picture is tall: as wide as it needs, square.
    assert frame((10, 90, 0, 300), 100, 320) == (-45, -145, 390, 390)


def active(qtbot, widget) -> None:
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow, timeout=3000)


def test_with_live_prediction_off_a_new_drawing_asks_for_predict_before_a_correction(
    qtbot, window, mouse
):
    window.live_action.setChecked(False)
    mouse.draw(window.canvas, mouse.SEVEN)
    assert window.bars.message() == "Press Predict (Enter) to read this drawing"
    qtbot.keyClick(window, Qt.Key.Key_7)
    assert window.training.corrections.count() == 0
    assert "Press Predict (Enter) to read the drawing first" in window.statusBar().currentMessage()
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        window.predict_button.click()
    qtbot.keyClick(window, Qt.Key.Key_7)
    assert window.training.corrections.count() == 1
    mouse.draw(window.canvas, mouse.ONE)  # one more stroke: the answer shown is old now
    assert window.bars.message() == "Press Predict (Enter) to read this drawing"


def test_a_drawing_refused_as_no_digit_says_why_it_cannot_be_corrected(qtbot, window, mouse):
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        mouse.draw(window.canvas, [[(0.5, 0.5), (0.51, 0.5)]])  # a dot
    assert window.refusal and "dot" in window.refusal
    qtbot.keyClick(window, Qt.Key.Key_0)
    said = window.statusBar().currentMessage()
    assert said.startswith(f"There is no answer to correct: {window.refusal}")
    assert window.training.corrections.count() == 0
    window.clear_button.click()
    qtbot.keyClick(window, Qt.Key.Key_0)
    assert "Draw a digit and let it be read first" in window.statusBar().currentMessage()


def test_a_refusal_is_forgotten_once_the_drawing_changes_without_a_new_answer(qtbot, window, mouse):
    window.live_action.setChecked(False)
    mouse.draw(window.canvas, [[(0.25, 0.1), (0.25, 0.9)], [(0.75, 0.1), (0.75, 0.9)]])  # "11"
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        window.predict()
    assert window.refusal == "two marks side by side; draw one digit at a time"
    window.canvas.undo()  # the second 1 goes: a 1 is left, not read yet
    qtbot.keyClick(window, Qt.Key.Key_7)
    assert "Press Predict (Enter) to read the drawing first" in window.statusBar().currentMessage()


def test_a_drawing_relabelled_under_show_all_is_still_saved_once(qtbot, window, mouse):
    """Relabelled in the list, then corrected again in the window: one file, the last label."""
    actions = window.training
    read(window, qtbot, mouse, mouse.SEVEN)
    click_bar(window, qtbot, 3)
    assert "Saved as a 3" in window.statusBar().currentMessage()
    view = actions.show_corrections()
    qtbot.addWidget(view)
    view.list.item(0).setSelected(True)
    assert view.label_combo.currentText() == "3"  # the box starts from the digit saved
    active(qtbot, view)  # number keys are the window's too, while it is the active one
    qtbot.keyClick(view.list, Qt.Key.Key_5)
    assert view.list.item(0).text() == "5" and view.label_combo.currentText() == "5"
    assert window.bars.saved() == 5  # the window outlines the label it has now
    view.close()
    active(qtbot, window)  # as closing the list does on a desktop
    qtbot.keyClick(window, Qt.Key.Key_8)
    assert [p.name[0] for p in actions.corrections.paths()] == ["8"]
    assert "Changed this drawing's correction to 8" in window.statusBar().currentMessage()
    actions.undo_action.trigger()  # Undo follows the file too
    assert actions.corrections.count() == 0
    assert "(a drawing saved as an 8)" in window.statusBar().currentMessage()


def test_a_drawing_deleted_under_show_all_is_saved_again_by_a_new_press(qtbot, window, mouse):
    actions = window.training
    read(window, qtbot, mouse, mouse.SEVEN)
    click_bar(window, qtbot, 3)
    view = actions.show_corrections()
    qtbot.addWidget(view)
    view.list.item(0).setSelected(True)
    active(qtbot, view)  # Delete is also the window's Clear, while that is the active one
    qtbot.keyClick(view.list, Qt.Key.Key_Delete)  # one drawing: no question
    assert actions.corrections.count() == 0 and window.bars.saved() is None
    view.close()
    active(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_4)
    assert [p.name[0] for p in actions.corrections.paths()] == ["4"]
    assert "Saved as a 4 — 1 correction" in window.statusBar().currentMessage()


def test_deleting_several_corrections_under_show_all_asks_first(qtbot, window, mouse):
    actions = window.training
    view = corrected_then_listed(
        qtbot, window, mouse, ((mouse.SEVEN, 1), (mouse.ONE, 2), (mouse.SEVEN, 8))
    )
    view.list.selectAll()
    active(qtbot, view)
    qtbot.keyClick(view.list, Qt.Key.Key_Delete)
    box = view.delete_box
    assert box.isVisible() and "Delete the 3 selected drawings?" in box.text()
    qtbot.keyClick(box, Qt.Key.Key_Return)  # Enter is Cancel: nothing goes
    assert actions.corrections.count() == 3 and view.list.count() == 3
    view.list.selectAll()
    view.delete_button.click()
    next(b for b in view.delete_box.buttons() if b.text() == "Delete").click()
    assert actions.corrections.count() == 0 and view.list.count() == 0


def test_delete_all_corrections_asks_with_cancel_the_default(qtbot, window, mouse):
    actions = window.training
    read(window, qtbot, mouse, mouse.SEVEN)
    click_bar(window, qtbot, 8)
    assert "Saved as an 8" in window.statusBar().currentMessage()
    actions.delete_action.trigger()
    box = actions.delete_box
    assert "Delete the corrected drawing? This cannot be undone." in box.text()
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert actions.corrections.count() == 1
    view = actions.show_corrections()
    qtbot.addWidget(view)
    actions.delete_action.trigger()
    next(b for b in actions.delete_box.buttons() if b.text() == "Delete").click()
    assert actions.corrections.count() == 0
    assert view.list.count() == 0 and window.bars.saved() is None  # both follow
    assert not actions.undo_action.isEnabled()
    qtbot.keyClick(window, Qt.Key.Key_3)  # the drawing on screen is saved anew
    assert [p.name[0] for p in actions.corrections.paths()] == ["3"]


def test_corrections_view_marks_a_damaged_drawing(qtbot, window, mouse, private_user_data):
    read(window, qtbot, mouse, mouse.SEVEN)
    click_bar(window, qtbot, 1)
    folder = UserData(private_user_data).corrections
    (folder / "4_zzz-damaged.png").write_bytes(b"\x89PNG\r\n\x1a\n and then nothing")
    # A JPEG under a correction's name, which learning does not read either.
    Image.new("L", (28, 28), 255).save(folder / "5_zzz-jpeg.png", "JPEG")
    # A file larger than any correction, sparse: it costs nothing on disk.
    with open(folder / "6_zzz-huge.png", "wb") as handle:
        handle.truncate(2**30)
    view = window.training.show_corrections()
    qtbot.addWidget(view)
    assert view.list.count() == 4
    qtbot.waitUntil(lambda: not view._loader.isActive(), timeout=3000)
    texts = {view.list.item(i).text() for i in range(4)}
    assert texts == {"1", "4 (damaged)", "5 (damaged)", "6 (damaged)"}
    tips = {view.list.item(i).text()[0]: view.list.item(i).toolTip() for i in range(4)}
    assert all("unreadable" in tips[digit] for digit in "456")
    assert "1,024 MB, far larger than a corrected drawing" in tips["6"]


def test_a_model_adapted_from_one_correction_says_so_in_the_singular(qtbot, window, tmp_path):
    from digitpad.model_file import save_model

    model = load_model(bundled_model_path("fcnn"))
    path = tmp_path / "mine.npz"
    meta = {**model.meta, "adapted": {"corrections": 1}}
    save_model(path, "fcnn", model.params, meta)
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=10_000):
        window.choose_model(str(path))
    assert window.active_model_action.text().endswith("from 1 correction)")
    assert learned_message(1, 2.0).startswith("Learned your handwriting from 1 correction in")


def test_an_adapted_model_is_called_yours_until_renamed():
    from digitpad.ui.main_window import model_name

    assert model_name("/d/models/fcnn-adapted-20261206-220402.npz", adapted=True) == "Your model"
    assert model_name("/d/models/Mine (v1).npz", adapted=True) == "Mine (v1)"
    assert model_name("/d/models/fcnn-retrained-20261206-220402.npz", adapted=False) == (
        "fcnn-retrained-20261206-220402"
    )
    assert model_name("fcnn", adapted=False) == "FCNN (bundled)"


def test_learning_when_the_data_folder_cannot_be_written_says_so(
    qtbot, window, mouse, private_user_data
):
    read(window, qtbot, mouse, mouse.ONE)
    click_bar(window, qtbot, 1)
    # Where the adapted model would be written is taken by a file (a folder made read-only,
    # a full disk and the like end the same way).
    pending = UserData(private_user_data).pending_models
    pending.parent.mkdir(parents=True, exist_ok=True)
    pending.write_text("not a folder")
    learner = window.training.learner
    trigger_learning(learner)
    assert not learner.busy
    assert "Could not learn your handwriting" in window.banner.text()
    # The file in the way is named, not only the data folder it is in.
    assert f"cannot write to {pending} in DigitPad's data folder" in window.banner.text()
    assert "it is not a folder" in window.banner.text()  # not "File exists"
    assert learner.action.isEnabled() and learner.action.text() == LEARN
    assert window.recognition.model_source == "fcnn"


def start_learning(qtbot, learner) -> int:
    """Start learning from the Model menu and wait until the child is at work; its pid."""
    with wait_success(qtbot, learner.runner, learner.runner.progress, timeout=CHILD_MS):
        trigger_learning(learner)
    return learner.runner.pid()


def test_learning_can_be_stopped_from_the_same_menu_entry(qtbot, window, mouse, private_user_data):
    read(window, qtbot, mouse, mouse.SEVEN)
    click_bar(window, qtbot, 1)
    learner = window.training.learner
    pid = start_learning(qtbot, learner)
    assert "(the Model menu stops it)" in window.statusBar().currentMessage()
    assert learner.action.text() == STOP and "Stop" in learner.action.toolTip()
    with wait_success(qtbot, learner.runner, learner.runner.cancelled, timeout=10_000):
        learner.action.trigger()
    qtbot.waitUntil(lambda: not alive(pid), timeout=5000)
    assert learner.action.text() == LEARN and learner.action.isEnabled()
    assert "the model in use is unchanged" in window.statusBar().currentMessage()
    assert window.recognition.model_source == "fcnn"
    data = UserData(private_user_data)
    assert list(data.pending_models.iterdir()) == [], "nothing half-written is left"
    assert list(data.models.glob("*.npz")) == [], "no model is kept"


def test_closing_the_window_while_learning_asks_then_stops_it(
    qtbot, window, mouse, private_user_data
):
    read(window, qtbot, mouse, mouse.SEVEN)
    click_bar(window, qtbot, 1)
    learner = window.training.learner
    pid = start_learning(qtbot, learner)
    window.close()
    box = window.quit_box
    assert box.isVisible() and "Learning your handwriting is still running" in box.text()
    assert learner.busy, "asking stops nothing"
    quit_button = next(b for b in box.buttons() if b.text() == "Quit and stop it")
    quit_button.click()
    assert not window.isVisible() and not learner.busy
    qtbot.waitUntil(lambda: not alive(pid), timeout=5000)
    assert list(UserData(private_user_data).pending_models.iterdir()) == []


def test_learning_twice_in_a_row_starts_from_the_adapted_model(
    qtbot, window, mouse, private_user_data
):
    learner = window.training.learner
    read(window, qtbot, mouse, mouse.SEVEN)
    click_bar(window, qtbot, 1)  # one correction is enough to learn from
    first = learn(qtbot, learner)
    assert "from 1 correction in" in window.banner.text()
    qtbot.waitUntil(lambda: window.recognition.model_source == first, timeout=10_000)
    read(window, qtbot, mouse, mouse.ONE)
    click_bar(window, qtbot, 7)
    second = learn(qtbot, learner)
    assert second != first and Path(first).is_file()
    assert load_model(second).meta["adapted"]["from"] == first
    assert load_model(second).meta["adapted"]["corrections"] == 2
    qtbot.waitUntil(lambda: window.recognition.model_source == second, timeout=10_000)
    # Nothing new since: asked first, Cancel by default.
    learner.action.trigger()
    box = learner.question
    assert box.isVisible() and not learner.busy
    assert box.text().startswith("The model in use has already learned your 2 corrections")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert not learner.busy
    # A correction relabelled since is something new.
    window.training.corrections.relabel(window.training.corrections.paths()[0], 4)
    learner.action.trigger()
    assert learner.question is None and learner.busy
    qtbot.waitUntil(lambda: not learner.busy, timeout=CHILD_MS)


def test_an_adapted_model_damaged_afterwards_is_said_and_the_old_one_kept(
    qtbot, window, mouse, private_user_data
):
    path = learned_in_use(qtbot, window, mouse)
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=10_000):
        window.training.reset_action.trigger()
    Path(path).write_bytes(Path(path).read_bytes()[:300])  # a disk error, a bad copy
    window.training.refresh_models()
    (entry,) = [a for a in window.training.models_menu.actions() if a.menu() is not None]
    assert "unreadable" in entry.text()
    use = entry.menu().actions()[0]
    assert not use.isEnabled()
    with qtbot.waitSignal(window.recognition.modelFailed, timeout=10_000):
        window.choose_model(path)
    assert window.recognition.model_source == "fcnn"
    assert "Could not load the model" in window.banner.text()


def test_old_models_deleted_to_make_room_for_the_learned_one_are_said_in_the_strip(
    qtbot, window, mouse
):
    from digitpad.ui.model_store import KEEP_MODELS

    models = window.training.userdata.models
    models.mkdir(parents=True, exist_ok=True)
    for i in range(KEEP_MODELS + 1):
        old = random_model(models / f"fcnn-retrained-2026010{i}-120000.npz", seed=i)
        os.utime(old, (1e9 + i, 1e9 + i))
    learned_in_use(qtbot, window, mouse)
    assert "Deleted the oldest unnamed model to make room" in window.banner.text()
    assert not (models / "fcnn-retrained-20260100-120000.npz").exists()


def test_a_model_that_fails_to_load_names_the_adapted_one_kept_as_the_menu_does(
    qtbot, window, mouse, tmp_path
):
    learned_in_use(qtbot, window, mouse)
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a model")
    with qtbot.waitSignal(window.recognition.modelFailed, timeout=10_000):
        window.choose_model(str(broken))
    assert "Still using Your model." in window.banner.text()
    assert window.model_label.text().startswith("Your model")


def test_learning_from_200_corrections_while_a_retrain_runs(
    qtbot, window, mouse, private_user_data, mnist_folder
):
    rng = np.random.default_rng(3)
    for _ in range(200):  # the real save path: a drawing on the canvas, recognised, corrected
        window.clear()
        mouse.draw(window.canvas, my_three(rng))
        with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
            window.predict()
        assert window.training.correct(3) is not None
    assert window.training.corrections.count() == 200
    dialog = window.training.open_retrain()
    dialog.folder_radio.setChecked(True)
    dialog.folder_edit.setText(str(mnist_folder))
    dialog.epochs_spin.setValue(600)  # long enough to be still training when learning starts
    dialog.extra_args = ["--device", "cpu"]
    with wait_success(qtbot, dialog.runner, dialog.runner.started, timeout=CHILD_MS):
        assert dialog.start_training()

    learner = window.training.learner
    assert dialog.runner.running  # learning is asked for while the retrain runs
    path = learn(qtbot, learner)

    qtbot.waitUntil(lambda: window.recognition.model_source == path, timeout=10_000)
    assert load_model(path).meta["adapted"]["corrections"] == 200
    if dialog.runner.running:
        with wait_success(qtbot, dialog.runner, dialog.runner.finished, timeout=CHILD_MS):
            pass
    # Each run kept its own model; the retrain's waits to be chosen, the adapted one is in use.
    assert Path(dialog.result_path).is_file() and Path(path).is_file()
    assert window.recognition.model_source == path
    assert "no recorded test accuracy" in dialog.result_label.text()


def adapted_model(folder: Path) -> Path:
    """A model file as Learn my handwriting writes it (the bundled FCNN, marked adapted)."""
    from digitpad.model_file import save_model

    model = load_model(bundled_model_path("fcnn"))
    path = folder / "fcnn-adapted-20260101-000000.npz"
    save_model(path, "fcnn", model.params, {**model.meta, "adapted": {"corrections": 3}})
    return path


def finish_learning(qtbot, window, folder: Path) -> str:
    """The learning child reports its model; the window adopts it. The adopted path."""
    learner = window.training.learner
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=10_000):
        learner.runner.finished.emit(str(adapted_model(folder)), {"corrections": 3})
    return window.recognition.model_source


def test_the_learned_notice_goes_once_the_bundled_model_is_back(qtbot, window, tmp_path):
    path = finish_learning(qtbot, window, tmp_path)
    assert "now uses your own model" in window.banner.text(), "kept while its model loads"
    assert "adapted" in path

    with qtbot.waitSignal(window.recognition.modelChanged, timeout=10_000):
        window.training.reset_action.trigger()

    assert window.recognition.model_source == "fcnn"
    assert window.banner.text() == "", "it would say DigitPad uses the user's model"


def test_the_learned_notice_goes_when_another_model_is_chosen(qtbot, window, tmp_path):
    finish_learning(qtbot, window, tmp_path)
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=10_000):
        window.model_actions["cnn"].trigger()
    assert window.banner.text() == ""


def test_other_notices_stay_when_the_model_changes(qtbot, window):
    window.banner.show_message("The retrain has finished.", "info")
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=10_000):
        window.model_actions["cnn"].trigger()
    assert window.banner.text() == "The retrain has finished."


def test_an_idx_export_leaves_out_an_unreadable_drawing_and_names_it(
    qtbot, window, mouse, private_user_data, tmp_path
):
    read(window, qtbot, mouse, mouse.SEVEN)
    click_bar(window, qtbot, 1)
    folder = UserData(private_user_data).corrections
    Image.new("L", (28, 28), 255).save(folder / "5_zzz-jpeg.png", "JPEG")
    paths = window.training.export_idx(str(tmp_path / "idx"))
    assert paths is not None and paths[1].stat().st_size == 8 + 1  # the one drawing
    text = window.banner.text()
    assert text.startswith(f"Exported 1 correction as IDX to {tmp_path / 'idx'}.\n1 corrected ")
    assert "• 5_zzz-jpeg.png" in text and "Show all…" in text


def test_a_drawing_cleared_and_brought_back_is_still_one_correction(
    qtbot, window, mouse, private_user_data
):
    read(window, qtbot, mouse, mouse.SEVEN)
    click_bar(window, qtbot, 7)  # saved as a 7
    qtbot.keyClick(window.canvas, Qt.Key.Key_Escape)  # cleared by accident
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    click_bar(window, qtbot, 1)  # "no, it is a 1": the same drawing, relabelled
    corrections = UserData(private_user_data).corrections
    assert sorted(p.name[0] for p in corrections.glob("*.png")) == ["1"]
    # A new drawing after another Clear is a new correction.
    window.clear()
    read(window, qtbot, mouse, mouse.ONE)
    click_bar(window, qtbot, 1)
    assert sorted(p.name[0] for p in corrections.glob("*.png")) == ["1", "1"]


def read_crossed_seven(window, qtbot, mouse) -> None:
    """Clear, draw a 7 and then its crossbar (two strokes), and read the drawing."""
    read(window, qtbot, mouse, mouse.SEVEN)
    mouse.drag(window.canvas, [(120, 150), (190, 150)])
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        window.predict()


def test_a_stroke_undone_and_redone_keeps_one_correction_and_a_part_is_another(
    qtbot, window, mouse, private_user_data
):
    read_crossed_seven(window, qtbot, mouse)
    click_bar(window, qtbot, 7)
    corrections = UserData(private_user_data).corrections
    window.canvas.undo()  # the crossbar taken off, then put back: the same drawing
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        window.redo()
        window.predict()
    click_bar(window, qtbot, 4)
    assert sorted(p.name[0] for p in corrections.glob("*.png")) == ["4"]
    # The drawing without its crossbar is another drawing: its correction is a new one.
    window.canvas.undo()
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        window.predict()
    click_bar(window, qtbot, 1)
    assert sorted(p.name[0] for p in corrections.glob("*.png")) == ["1", "4"]


def test_a_drawing_corrected_then_undone_corrected_and_redone_is_still_one_correction(
    qtbot, window, mouse, private_user_data
):
    read_crossed_seven(window, qtbot, mouse)
    click_bar(window, qtbot, 7)  # A and B: a 7
    window.canvas.undo()
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        window.predict()
    click_bar(window, qtbot, 1)  # A alone, another drawing: saved as a 1
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        window.redo()
        window.predict()
    click_bar(window, qtbot, 4)  # A and B again: its 7 becomes a 4, not a second file
    corrections = UserData(private_user_data).corrections
    assert sorted(p.name[0] for p in corrections.glob("*.png")) == ["1", "4"]


def test_a_correction_relabelled_in_another_window_is_still_this_drawings(
    qtbot, window, mouse, private_user_data
):
    from digitpad.corrections import Corrections

    read(window, qtbot, mouse, mouse.SEVEN)
    saved = window.training.correct(7)
    corrections = UserData(private_user_data).corrections
    Corrections(corrections).relabel(saved, 1)  # another window, under Show all…
    click_bar(window, qtbot, 4)  # this window's drawing: relabelled, not saved again
    assert sorted(p.name[0] for p in corrections.glob("*.png")) == ["4"]
    assert window.statusBar().currentMessage() == "Changed this drawing's correction to 4"
    Corrections(corrections).relabel(next(corrections.glob("*.png")), 2)
    assert window.training.undo_last()  # Corrections → Undo finds it under its new label
    assert list(corrections.glob("*.png")) == []


def test_copies_left_by_killed_learning_runs_are_swept_a_day_later(tmp_path, monkeypatch):
    from digitpad.ui.learning import COPY_PREFIX, sweep_copies

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    old, young = tmp_path / f"{COPY_PREFIX}old", tmp_path / f"{COPY_PREFIX}young"
    for folder in (old, young):
        folder.mkdir()
        (folder / "mine.npz").write_bytes(b"a copy")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    other = tmp_path / "someone-else"
    other.mkdir()
    os.utime(other, (two_days_ago, two_days_ago))
    sweep_copies()
    assert not old.exists() and young.is_dir() and other.is_dir()
