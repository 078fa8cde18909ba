"""Retraining from the GUI, end to end: real windows, real menus, real training children."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

pytest_plugins = ["ui_helpers"]
from conftest import alive  # noqa: E402
from ui_helpers import BUNDLED_FCNN, random_model, wait_success  # noqa: E402

from digitpad import best_params  # noqa: E402
from digitpad import training_defaults as defaults  # noqa: E402
from digitpad.model_file import load_model, save_model  # noqa: E402
from digitpad.recognizer import predict  # noqa: E402
from digitpad.ui import child_process  # noqa: E402
from digitpad.ui.main_window import MainWindow  # noqa: E402
from digitpad.ui.retrain_dialog import NOT_FINISHED, comparison, percent, plain_error  # noqa: E402
from digitpad.userdata import ENV_VAR, UserData  # noqa: E402
from digitpad.words import a_digit  # noqa: E402

CHILD_MS = 180_000
CPU = ["--device", "cpu"]

# Deliberately odd drawings (unit square, y down) and the digit the user says each is.
ODD = [
    (3, [[(0.1, 0.2), (0.9, 0.2), (0.1, 0.5), (0.9, 0.5), (0.1, 0.8), (0.9, 0.8)]]),
    (5, [[(0.2, 0.2), (0.8, 0.2), (0.8, 0.8), (0.2, 0.8), (0.2, 0.2)], [(0.2, 0.2), (0.8, 0.8)]]),
    (8, [[(0.5, 0.05), (0.5, 0.95)], [(0.1, 0.5), (0.9, 0.5)]]),
    (2, [[(0.1, 0.2), (0.3, 0.8), (0.5, 0.3), (0.7, 0.8), (0.9, 0.2)]]),  # a W
    (6, [[(0.2, 0.1), (0.8, 0.9)], [(0.8, 0.1), (0.2, 0.9)]]),
]


@pytest.fixture
def userdata(tmp_path, monkeypatch) -> UserData:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "userdata"))
    return UserData(tmp_path / "userdata")


@pytest.fixture
def dialog_for(qtbot):
    def open_dialog(window, folder, epochs=2, extra=()):
        assert window.training.retrain_action in window.model_menu.actions()
        window.training.retrain_action.trigger()
        dialog = window.training.dialog
        assert dialog.isVisible() and not dialog.isModal()
        dialog.folder_radio.setChecked(True)
        dialog.folder_edit.setText(str(folder))
        dialog.epochs_spin.setValue(epochs)
        dialog.extra_args = [*CPU, *extra]
        return dialog

    return open_dialog


def predicted(window, qtbot):
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000) as blocker:
        window.predict()
    return blocker.args[0]


def test_retrain_use_keep_restart_and_reset(
    qtbot, userdata, window, settings, mnist_folder, dialog_for, mouse
):
    dialog = dialog_for(window, mnist_folder)
    progress, epochs = [], []
    dialog.runner.progress.connect(lambda *a: progress.append(a))
    dialog.runner.epochFinished.connect(epochs.append)
    with wait_success(qtbot, dialog.runner, dialog.runner.finished, timeout=CHILD_MS):
        assert dialog.start_training()
    assert progress and len(epochs) == 2
    assert len(dialog.chart.points("loss")) == 2 and len(dialog.chart.points("accuracy")) == 2
    assert dialog.use_button.isVisible() and "Model in use" in dialog.result_label.text()
    assert not dialog.error_label.isVisible()
    # Far worse than the bundled model (tiny data, two epochs): said so before it is used.
    assert "less accurate than the model in use" in dialog.result_label.text()
    assert dialog.use_button.text() == "Use it anyway"
    # Finished is kept among the user's models, used or not.
    assert Path(dialog.result_path).parent == userdata.models

    with qtbot.waitSignal(window.recognition.modelChanged, timeout=10_000):
        dialog.use_button.click()
    source = window.recognition.model_source
    assert Path(source).parent == userdata.models and Path(source).is_file()
    assert settings.model == source
    assert "(the new one)" in dialog.result_label.text() and "less accurate" not in (
        dialog.result_label.text()
    )
    assert dialog.use_button.text() == "In use" and not dialog.use_button.isEnabled()
    assert not any(userdata.pending_models.iterdir())

    # The app predicts with the new model.
    window.live_action.setChecked(False)
    mouse.draw(window.canvas, mouse.SEVEN)
    shown = predicted(window, qtbot)
    expected = predict(load_model(source), window.canvas.image())
    np.testing.assert_allclose(shown.probabilities, expected.probabilities, atol=1e-6)
    np.testing.assert_allclose(window.bars.values(), expected.probabilities, atol=1e-6)

    # It comes back after the window is made again.
    window.close()
    again = MainWindow(settings)
    qtbot.addWidget(again)
    again.show()
    with qtbot.waitSignal(again.modelReady, timeout=10_000):
        again.start()
    assert again.recognition.model_source == source

    # Reset returns to the bundled model (and remembers that).
    with qtbot.waitSignal(again.recognition.modelChanged, timeout=10_000):
        again.training.reset_action.trigger()
    assert again.recognition.model_source == "fcnn" and settings.model == "fcnn"
    assert again.model_actions["fcnn"].isChecked()
    again.close()


def test_cancel_leaves_the_current_model_and_no_partial_file(
    qtbot, userdata, window, mnist_folder, dialog_for
):
    before_source = window.recognition.model_source
    before_model = window.recognition.model
    dialog = dialog_for(window, mnist_folder, epochs=300)
    with wait_success(qtbot, dialog.runner, dialog.runner.epochFinished, timeout=CHILD_MS):
        dialog.start_training()
    assert dialog.chart.points("loss")
    # A search's parameters are not filled in under a running retrain: the form describes it.
    lr = dialog.request().lr
    assert not dialog.prefill({"lr": 0.002, "epochs": 3})
    assert dialog.request().lr == lr and dialog.epochs_spin.value() == 300
    assert dialog.error_label.isVisible() and "retrain is running" in dialog.error_label.text()
    pid = dialog.runner.pid()
    with wait_success(qtbot, dialog.runner, dialog.runner.cancelled, timeout=1500):
        dialog.cancel_button.click()
    assert not alive(pid)
    assert window.recognition.model_source == before_source
    assert window.recognition.model is before_model
    leftovers = [p for p in userdata.root.rglob("*") if p.is_file() and ".npz" in p.name]
    assert leftovers == []
    assert "Cancelled" in dialog.status_label.text() and dialog.start_button.isEnabled()
    # Nothing of the run is kept: no curves of it are left to read as a result, and the
    # note about the search's parameters is done with.
    assert dialog.chart.points("loss") == [] and dialog.chart.points("accuracy") == []
    assert not dialog.error_label.isVisible()


def test_broken_data_folder_shows_an_error(qtbot, userdata, window, tmp_path, dialog_for):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03truncated")
    dialog = dialog_for(window, broken)
    with qtbot.waitSignal(dialog.runner.failed, timeout=CHILD_MS) as blocker:
        dialog.start_training()
    assert blocker.args[1] == "data"  # the kind comes from the child, not from the words
    assert dialog.error_label.isVisible()
    assert "Training failed" in dialog.error_label.text()
    assert "four MNIST files" in dialog.error_label.text()
    assert window.recognition.model_source == "fcnn"
    assert dialog.status_label.text() == NOT_FINISHED
    # Typing another folder: the error and the line it explained both go.
    qtbot.keyClicks(dialog.folder_edit, "-fixed")
    assert not dialog.error_label.isVisible() and dialog.status_label.text() == ""
    # A folder that does not exist is caught before any child starts.
    dialog.folder_edit.setText(str(tmp_path / "missing"))
    assert not dialog.start_training()
    assert "no folder" in dialog.error_label.text()


def test_editing_the_data_after_a_failed_run_takes_its_chart_away_with_its_error(
    qtbot, userdata, window, mnist_folder, dialog_for, monkeypatch
):
    events = [
        {"event": "start", "train_samples": 10, "epochs": 3},
        {"event": "epoch", "epoch": 1, "train_loss": 0.9, "test_accuracy": 0.5},
        {"event": "error", "message": "the data folder went away", "kind": "data"},
    ]
    lines = "".join(json.dumps(event) + "\n" for event in events)
    script = f"import sys; sys.stdout.write({lines!r}); sys.exit(1)"
    monkeypatch.setattr(
        child_process, "entry_command", lambda _args: (sys.executable, ["-c", script])
    )
    dialog = dialog_for(window, mnist_folder, epochs=3)
    with qtbot.waitSignal(dialog.runner.failed, timeout=CHILD_MS):
        dialog.start_training()
    assert dialog.chart.points("loss") == [(1, 0.9)] and dialog.status_label.text() == NOT_FINISHED
    qtbot.keyClicks(dialog.folder_edit, "-fixed")
    assert not dialog.error_label.isVisible() and dialog.status_label.text() == ""
    assert dialog.chart.points("loss") == [] and dialog.chart.points("accuracy") == []


def test_killed_child_shows_an_error(qtbot, userdata, window, mnist_folder, dialog_for):
    dialog = dialog_for(window, mnist_folder, epochs=300)
    with wait_success(qtbot, dialog.runner, dialog.runner.progress, timeout=CHILD_MS):
        dialog.start_training()
    with qtbot.waitSignal(dialog.runner.failed, timeout=5000):
        os.kill(dialog.runner.pid(), signal.SIGKILL)
    assert "stopped unexpectedly" in dialog.error_label.text()
    assert "MNIST files" not in dialog.error_label.text()  # no data hint for a crash
    assert dialog.start_button.isEnabled()
    assert window.recognition.model_source == "fcnn"


def test_closing_the_window_stops_training(qtbot, userdata, window, mnist_folder, dialog_for):
    dialog = dialog_for(window, mnist_folder, epochs=300)
    with wait_success(qtbot, dialog.runner, dialog.runner.progress, timeout=CHILD_MS):
        dialog.start_training()
    pid = dialog.runner.pid()
    window.close()  # asks first: the retrain goes on if the user says so
    box = window.quit_box
    assert box.isVisible() and "a retrain is still running" in box.text().lower()
    assert box.defaultButton().text() == "Keep running"  # Enter does not stop the run
    assert window.isVisible() and dialog.runner.running
    keep = next(b for b in box.buttons() if b.text() == "Keep running")
    keep.click()
    assert window.isVisible() and dialog.runner.running and alive(pid)
    window.close()
    quit_button = next(b for b in window.quit_box.buttons() if b.text() == "Quit and stop it")
    quit_button.click()
    assert not window.isVisible()
    assert not dialog.runner.running
    assert not alive(pid)


def test_corrections_from_keys_and_bars_then_retraining_learns_them(
    qtbot, userdata, window, mnist_folder, dialog_for, mouse
):
    window.live_action.setChecked(False)
    bundled = window.recognition.model
    images = []
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    for i, (label, strokes) in enumerate(ODD):
        window.clear()
        # Nothing to correct before a prediction.
        assert window.training.correct(label) is None
        mouse.draw(window.canvas, strokes)
        predicted(window, qtbot)
        images.append(window.canvas.image())
        if i % 2:
            bars = window.bars
            y = bars._row_rect(label).center().y()
            qtbot.mouseClick(bars, Qt.MouseButton.LeftButton, pos=QPoint(bars.width() // 2, int(y)))
        else:
            qtbot.keyClick(window, getattr(Qt.Key, f"Key_{label}"))
        assert window.training.corrections.count() == i + 1
        assert (
            window.statusBar()
            .currentMessage()
            .startswith(f"Saved as {a_digit(label)} — {i + 1} correction{'s' if i else ''}")
        )
    wrong = sum(
        predict(bundled, image).digit != label
        for image, (label, _) in zip(images, ODD, strict=True)
    )
    assert wrong >= 3  # the drawings really are odd for the bundled model

    dialog = dialog_for(window, mnist_folder, epochs=20)
    assert dialog.corrections_check.isEnabled() and "5 saved" in dialog.corrections_check.text()
    dialog.corrections_check.setChecked(True)
    args = dialog.arguments(Path("out.npz"))
    assert "--corrections" in args and "--corrections-weight" in args
    with wait_success(qtbot, dialog.runner, dialog.runner.finished, timeout=CHILD_MS):
        dialog.start_training()
    assert "5 corrections" in load_model(dialog.result_path).meta["trained_on"]
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=10_000):
        dialog.use_model()
    model = window.recognition.model
    answers = [predict(model, image).digit for image in images]
    assert answers == [label for label, _ in ODD]


def test_defaults_are_the_searchs_best_when_there_is_one(qtbot, userdata, window, mnist_folder):
    best_params.save(
        userdata.root, "fcnn", {"lr": 0.003, "batch_size": 256, "hidden": 64, "weight_decay": 2e-5}
    )
    window.training.retrain_action.trigger()
    dialog = window.training.dialog
    assert dialog.lr_spin.value() == pytest.approx(0.003)
    assert dialog.batch_spin.value() == 256
    assert dialog.epochs_spin.value() == defaults.EPOCHS
    assert dialog.tuned_label.isVisible() and "hidden 64" in dialog.tuned_label.text()
    args = dialog.arguments(userdata.root / "out.npz")
    assert args[args.index("--hidden") + 1] == "64"
    assert args[args.index("--weight-decay") + 1] == "2e-05"

    # A broken file means the design's values, never a crash.
    (userdata.root / best_params.FILE_NAME).write_text("{broken")
    dialog.defaults_button.click()
    assert dialog.lr_spin.value() == pytest.approx(defaults.LR, abs=1e-6)
    assert dialog.request().lr == defaults.LR  # exactly: the box shows it rounded
    args = dialog.arguments(userdata.root / "out.npz")
    assert float(args[args.index("--lr") + 1]) == defaults.LR
    assert dialog.batch_spin.value() == defaults.BATCH_SIZE
    assert not dialog.tuned_label.isVisible() and "--hidden" not in dialog.arguments(
        userdata.root / "out.npz"
    )
    dialog.lr_spin.setValue(0.002)  # a rate the user types is taken as shown
    assert dialog.request().lr == pytest.approx(0.002)
    dialog.close()


@pytest.mark.parametrize(
    ("typed", "rate"),
    [
        ("1e-3", 0.001),
        ("5e-4", 0.0005),
        ("0,01", 0.01),
        ("0.0000001", 1e-6),
        ("2", 1.0),
        ("1e-", defaults.LR),  # left half typed: the rate before, not the 1 typed first
        ("1.5e-6", 2e-6),  # as shown: the box never uses what it does not show
        ("\u0660\u066b\u0660\u0660\u0661", 0.001),  # Arabic-Indic digits and separator
        ("\uff10.\uff10\uff10\uff15", 0.005),  # full-width digits
    ],
)
def test_a_learning_rate_is_typed_as_people_write_it(qtbot, window, typed, rate):
    """Not 1e-3 taken for 1 (a useless model); out of range, the nearest allowed, shown."""
    window.training.retrain_action.trigger()
    box = window.training.dialog.lr_spin
    box.activateWindow()  # Tab then leaves the field, which settles what was typed
    qtbot.waitUntil(box.isActiveWindow, timeout=3000)
    box.setFocus()
    box.lineEdit().selectAll()
    if typed.isascii():
        qtbot.keyClicks(box, typed)  # key by key, as typed
    else:  # Qt's test keyboard has ASCII keys only; an input method enters text whole
        box.lineEdit().insert(typed)
    qtbot.keyClick(box, Qt.Key.Key_Tab)
    assert box.value() == pytest.approx(rate, abs=5e-7)  # as shown, to six decimals
    assert window.training.dialog.request().lr == pytest.approx(rate)
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, "abc")  # refused as typed: the rate stays
    qtbot.keyClick(box, Qt.Key.Key_Tab)
    assert box.value() == pytest.approx(rate, abs=5e-7)  # as shown, to six decimals


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("epochs", 99999999999, 500),  # clamped to the box's range
        ("batch_size", 2**31, 65536),
        ("epochs", -3, 1),
        ("lr", "nan", defaults.LR),  # not a number: the default
        ("lr", float("inf"), defaults.LR),
        ("lr", "abc", defaults.LR),
        ("arch", "resnet", "fcnn"),
        ("folder", ["not", "text"], ""),
    ],
)
def test_out_of_range_remembered_values_fall_back_and_the_dialog_opens(
    qtbot, userdata, window, key, value, shown
):
    remembered = {"lr": defaults.LR, "epochs": 7, key: value}
    window.settings.store.setValue("retrain/request", json.dumps(remembered))
    window.training.retrain_action.trigger()
    dialog = window.training.dialog
    assert dialog.isVisible()
    request = dialog.request()
    assert getattr(request, key) == pytest.approx(shown, abs=1e-6)
    if key != "epochs":
        assert request.epochs == 7  # the rest of what was remembered survives


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.04, "0.0 s"), (0.4, "0.4 s"), (9.94, "9.9 s"), (29.4, "29 s")]
)
def test_times_taken_keep_a_decimal_for_short_runs(seconds, text):
    from digitpad.ui.retrain_dialog import seconds_text

    assert seconds_text(seconds) == text


def test_a_retrain_whose_dialog_was_closed_shows_in_the_window(
    qtbot, userdata, window, mnist_folder, dialog_for
):
    dialog = dialog_for(window, mnist_folder, epochs=3)
    button = window.training.background_button
    seen: list[str] = []
    for said in (dialog.runner.message, dialog.runner.progress):
        said.connect(lambda *_: button.isVisible() and seen.append(button.text()))
    with wait_success(qtbot, dialog.runner, dialog.runner.finished, timeout=CHILD_MS):
        assert dialog.start_training()
        dialog.close()  # it goes on without its dialog, and says so at once
        assert button.isVisible() and button.text() == "Retraining… starting"
    # Then each step of preparing the data, then the share done.
    steps = [text for text in seen if "preparing the data" in text]
    assert steps and re.fullmatch(r"Retraining… preparing the data \(1 of \d\)", steps[0])
    assert seen.index(steps[-1]) < min(i for i, text in enumerate(seen) if "%" in text)
    assert "Retraining…" in seen[-1] and "%" in seen[-1]
    assert not button.isVisible()
    assert window.banner.level() == "info" and "retrain has finished" in window.banner.text()
    # Opened again, the dialog still offers the new model, and the notice is old news.
    window.training.open_retrain()
    assert dialog.isVisible() and dialog.use_button.isVisible()
    assert window.banner.text() == ""
    dialog.close()


class FinishedUnseen:
    """A retrain dialog, closed, whose run has finished and kept its model at ``path``."""

    def __init__(self, path: Path) -> None:
        self.result_path, self.result = path, {"accuracy": 0.97}

    def isVisible(self) -> bool:  # noqa: N802 (Qt's name)
        return False


@pytest.mark.parametrize("then", ["used", "deleted", "renamed, then used"])
def test_the_retrain_finished_notice_goes_once_its_model_is_used_or_deleted(qtbot, window, then):
    actions = window.training
    kept = random_model(actions.userdata.models / "fcnn-retrained-20261207-101010.npz")
    other = random_model(actions.userdata.models / "other.npz", seed=1)
    actions._background_ended(FinishedUnseen(kept), None)
    assert "The retrain has finished (97.00% test accuracy)" in window.banner.text()
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=10_000):
        window.choose_model(str(other))  # another model: the notice still holds
    assert "The retrain has finished" in window.banner.text()
    if then == "deleted":
        actions.delete_model(kept)
    else:
        if then.startswith("renamed"):
            kept = actions.rename_model(kept, "my retrain")
        with qtbot.waitSignal(window.recognition.modelChanged, timeout=10_000):
            window.choose_model(str(kept))
    assert window.banner.text() == ""


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-1, "estimating time left…"),
        (0.3, "almost done"),
        (12.4, "about 12 s left"),
        (75, "about 1 min 15 s left"),
        (3725, "about 1 h 02 min left"),
    ],
)
def test_time_left_is_said_in_words(seconds, text):
    from digitpad.ui.retrain_dialog import format_duration

    assert format_duration(seconds) == text


def adapted_model(path: Path) -> Path:
    """The bundled FCNN as Learn my handwriting leaves it: no test accuracy recorded."""
    model = load_model(BUNDLED_FCNN)
    meta = {k: v for k, v in model.meta.items() if k != "test_accuracy"}
    save_model(path, model.arch, model.params, {**meta, "adapted": {"corrections": 3}})
    return path


def test_a_result_is_compared_with_the_model_in_use_now(
    qtbot, userdata, window, tmp_path, mnist_folder, dialog_for
):
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=10_000):
        window.choose_model(str(adapted_model(tmp_path / "adapted.npz")))
    assert window.recognition.model.test_accuracy is None
    dialog = dialog_for(window, mnist_folder, epochs=1)
    with wait_success(qtbot, dialog.runner, dialog.runner.finished, timeout=CHILD_MS):
        assert dialog.start_training()
    # Nothing to compare with: said plainly, and neither model is called the better.
    text = dialog.result_label.text()
    assert "the model in use has no recorded test accuracy to compare with" in text.lower()
    assert "less accurate" not in text and "better" not in text
    assert dialog.use_button.isVisible() and dialog.use_button.text() == "Use this model"

    # A one-epoch run's chart: its epoch in the middle of an axis of one tick.
    layout = dialog.chart.placed()
    assert [tick.label for tick in layout.x_ticks] == ["1"]
    for points in layout.lines.values():
        assert points[0].x() == pytest.approx(layout.plot.center().x())

    # The bundled model is chosen again: the result now compares with it.
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=10_000):
        window.training.reset_action.trigger()
    bundled = window.recognition.model.test_accuracy
    text = dialog.result_label.text()
    assert f"Model in use: {percent(bundled)}" in text
    assert "less accurate than the model in use" in text and "no recorded" not in text
    assert dialog.use_button.text() == "Use it anyway"

    # Used, then another model chosen: the dialog no longer says the new one is in use.
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=10_000):
        dialog.use_button.click()
    assert "(the new one)" in dialog.result_label.text()
    kept = Path(window.recognition.model_source)
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=10_000):
        window.training.reset_action.trigger()
    text = dialog.result_label.text()
    assert "(the new one)" not in text and f"Model in use: {percent(bundled)}" in text
    assert "My models" in text and not dialog.use_button.isVisible()
    assert kept.is_file()


@pytest.mark.parametrize(
    ("new", "current", "says", "button"),
    [
        (
            0.90,
            0.987,
            "less accurate than the model in use: 7.7 times as many mistakes.</b>",
            "Use it anyway",
        ),
        (0.9855, 0.987, "About as accurate as the model in use", "Use this model"),  # noise
        (0.9789, 0.9803, "About as accurate as the model in use", "Use this model"),
        (
            0.9911,
            0.9881,
            "It is 0.3 points more accurate than the model in use: 25% fewer mistakes.",
            "Use this model",
        ),
        (
            0.984,
            0.987,
            "It is 0.3 points less accurate than the model in use: 23% more mistakes.",
            "Use this model",
        ),
        (
            0.995,
            0.987,
            "0.8 points more accurate than the model in use: 62% fewer mistakes",
            "Use this model",
        ),
        (1.0, 0.987, "1.3 points more accurate than the model in use.", "Use this model"),
        (0.502, 0.5, "0.2 points more accurate than the model in use.", "Use this model"),
        (0.50, None, "no recorded test accuracy to compare with", "Use this model"),
        (None, 0.987, "New model: <b>unknown</b>", "Use this model"),
    ],
)
def test_the_result_words_compare_only_what_is_known(new, current, says, button):
    text, label = comparison(new, current)
    assert says in text and label == button
    if current is None:
        assert "less accurate" not in text and "Model in use:" not in text


def test_filling_in_a_searchs_parameters_clears_a_finished_result(
    qtbot, userdata, window, mnist_folder, dialog_for
):
    dialog = dialog_for(window, mnist_folder, epochs=1)
    with wait_success(qtbot, dialog.runner, dialog.runner.finished, timeout=CHILD_MS):
        assert dialog.start_training()
    kept = Path(dialog.result_path)
    dialog.close()
    # Model → Search → Retrain with the best… (the search dialog's signal).
    window.search.open().retrainRequested.emit({"arch": "fcnn", "lr": 0.002, "batch_size": 64})
    assert dialog.isVisible()
    assert dialog.lr_spin.value() == pytest.approx(0.002) and dialog.batch_spin.value() == 64
    # Only the new form is shown: no earlier result to adopt in its place.
    assert not dialog.use_button.isVisible() and dialog.result_path is None
    assert dialog.result_label.text() == "" and dialog.chart.points("loss") == []
    assert "Done" not in dialog.status_label.text() and "My models" in dialog.status_label.text()
    assert kept.is_file() and kept.parent == userdata.models  # kept, as ever
    assert window.recognition.model_source == "fcnn"


def model_action(window, model: Path, text: str):
    """The action ``text`` ("Use", "Rename…", "Delete…") of ``model`` under Model → My models."""
    window.training.refresh_models()
    entry = next(
        a for a in window.training.models_menu.actions() if a.text().startswith(model.stem + " —")
    )
    return next(a for a in entry.menu().actions() if a.text() == text)


def test_a_result_renamed_or_deleted_in_my_models_is_followed_by_the_dialog(
    qtbot, userdata, window, mnist_folder, dialog_for
):
    dialog = dialog_for(window, mnist_folder, epochs=1)
    with wait_success(qtbot, dialog.runner, dialog.runner.finished, timeout=CHILD_MS):
        assert dialog.start_training()
    kept = Path(dialog.result_path)

    # Renamed under My models before it is used: "Use this model" uses it by its new name.
    model_action(window, kept, "Rename…").trigger()
    prompt = window.training.rename_dialog
    prompt.setTextValue("Mine")
    prompt.accept()
    mine = userdata.models / "Mine.npz"
    assert mine.is_file() and not kept.exists()
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=10_000):
        dialog.use_button.click()
    assert window.recognition.model_source == str(mine)
    assert window.banner.text() == "" and "(the new one)" in dialog.result_label.text()

    # Deleted under My models: the dialog no longer shows a model that is gone.
    model_action(window, mine, "Delete…").trigger()
    box = window.training.delete_box
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=10_000):
        box.button(box.StandardButton.Yes).click()
    assert not mine.exists() and window.recognition.model_source == "fcnn"
    assert dialog.result_label.text() == "" and not dialog.use_button.isVisible()
    assert "deleted" in dialog.status_label.text()


def test_a_result_deleted_outside_the_app_is_dropped_when_used(
    qtbot, userdata, window, mnist_folder, dialog_for
):
    dialog = dialog_for(window, mnist_folder, epochs=1)
    with wait_success(qtbot, dialog.runner, dialog.runner.finished, timeout=CHILD_MS):
        assert dialog.start_training()
    Path(dialog.result_path).unlink()
    dialog.use_button.click()
    assert "no longer at" in dialog.error_label.text()
    assert dialog.result_path is None and not dialog.use_button.isVisible()
    # A later change of model does not offer the vanished file again.
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=10_000):
        window.choose_model("cnn")
    assert not dialog.use_button.isVisible() and window.recognition.model_source == "cnn"


def test_a_retrain_clears_only_its_own_leftovers_not_a_learning_runs_model(
    qtbot, userdata, window, mnist_folder, dialog_for
):
    # Learn my handwriting writes its model beside a retrain's, and may be saving it now.
    pending = userdata.pending_models
    pending.mkdir(parents=True)
    learning = pending / "fcnn-adapted-20260101-120000.npz"
    learning.write_bytes(b"the adapted model being written")
    stale = pending / "fcnn-retrained-20260101-110000.npz"
    stale.write_bytes(b"an old retrain nobody chose")
    an_hour_ago = time.time() - 3600  # a model written minutes ago may be another window's
    os.utime(stale, (an_hour_ago, an_hour_ago))
    dialog = dialog_for(window, mnist_folder, epochs=50)
    with wait_success(qtbot, dialog.runner, dialog.runner.started, timeout=CHILD_MS):
        assert dialog.start_training()
    with wait_success(qtbot, dialog.runner, dialog.runner.cancelled, timeout=10_000):
        dialog.cancel_button.click()
    assert learning.is_file() and not stale.exists()


def test_use_this_model_with_a_file_damaged_since_says_it_is_not_in_use(
    qtbot, userdata, window, mnist_folder, dialog_for
):
    dialog = dialog_for(window, mnist_folder, epochs=1)
    adopted = []
    dialog.modelAdopted.connect(adopted.append)
    with wait_success(qtbot, dialog.runner, dialog.runner.finished, timeout=CHILD_MS):
        assert dialog.start_training()
    kept = Path(dialog.result_path)
    kept.write_bytes(kept.read_bytes()[:200])  # damaged on disk before it is used
    with qtbot.waitSignal(window.recognition.modelFailed, timeout=10_000):
        qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
        assert dialog.use_button.text() == "Loading…" and not dialog.use_button.isEnabled()
    assert window.recognition.model_source == "fcnn"
    assert dialog.use_button.text() != "In use" and not dialog.use_button.isEnabled()
    assert "(the new one)" not in dialog.result_label.text()
    assert "could not be loaded" in dialog.result_label.text()
    assert "Now using" not in dialog.status_label.text()
    assert "current model is unchanged" in dialog.status_label.text()
    assert dialog.error_label.isVisible() and "could not be loaded" in dialog.error_label.text()
    assert adopted == [] and "Now using" not in window.statusBar().currentMessage()


def test_a_searched_network_size_is_the_one_the_architecture_names(
    window, mnist_folder, dialog_for
):
    dialog = dialog_for(window, mnist_folder)
    assert "784-128-10" in dialog.arch_combo.currentText()
    assert dialog.prefill({"arch": "fcnn", "hidden": 256, "lr": 0.002})
    assert "784-256-10" in dialog.arch_combo.currentText()  # what will be trained
    args = dialog.arguments(Path("out.npz"))
    assert args[args.index("--hidden") + 1] == "256"
    dialog.show_request(dialog.request().with_params({"arch": "fcnn", "lr": 0.001}))
    assert "784-128-10" in dialog.arch_combo.currentText()


def test_a_childs_disk_error_reads_without_pythons_error_number():
    said = plain_error("[Errno 28] No space left on device: '/data/cache/x.npy'", "disk")
    assert said == (
        "Training failed: No space left on device: '/data/cache/x.npy'\n"
        "Check that the disk has free space and that you may write to the data folder."
    )
