"""Recognition on the worker thread: models, predictions, and dropping stale answers."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QThread

from digitpad.strokes import render_strokes
from digitpad.ui.inference import Recognition

pytest_plugins = ["ui_helpers"]

SEVEN = [[(0.15, 0.05), (0.85, 0.05), (0.42, 0.95)]]
ONE = [[(0.35, 0.2), (0.55, 0.05), (0.55, 0.95)]]


def picture(strokes) -> np.ndarray:
    return np.asarray(render_strokes(strokes, 200, (0.5, 0.5, 0.7)))


@pytest.fixture
def recognition(qtbot, models_dir):
    rec = Recognition()
    with qtbot.waitSignal(rec.modelChanged, timeout=5000):
        rec.load_model("fcnn")
    yield rec
    rec.shutdown()


def test_model_loads_and_predicts_on_the_worker_thread(recognition, qtbot):
    with qtbot.waitSignal(recognition.predictionReady, timeout=5000) as blocker:
        recognition.predict(picture(SEVEN))
    assert blocker.args[0].digit == 7
    # The worker lives on its own running thread, not on the GUI thread.
    assert recognition._worker.thread() is recognition._thread
    assert recognition._thread.isRunning() and recognition._thread is not QThread.currentThread()


def test_only_the_newest_request_is_answered_and_stale_work_is_skipped(recognition, qtbot):
    answers = []
    recognition.predictionReady.connect(answers.append)
    recognition.predict(picture(ONE))  # goes to the worker at once
    recognition.predict(picture(ONE))  # waits behind it...
    last = recognition.predict(picture(SEVEN))  # ...and is replaced by this one
    qtbot.waitUntil(lambda: not recognition.busy, timeout=5000)
    qtbot.wait(20)
    assert [a.digit for a in answers] == [7]
    assert last == 3
    assert recognition.sent == 2  # one in flight plus the newest pending; never three


def test_answer_for_an_older_drawing_never_overwrites_a_newer_one(recognition, qtbot):
    answers = []
    recognition.predictionReady.connect(answers.append)
    with qtbot.waitSignal(recognition.predictionReady, timeout=5000):
        recognition.predict(picture(SEVEN))
    newest = recognition.predict(picture(ONE))
    # An answer tagged with an older number arrives late, as from a slow worker.
    recognition._on_predicted(newest - 1, "stale answer")
    qtbot.waitUntil(lambda: len(answers) == 2, timeout=5000)
    assert "stale answer" not in answers
    assert answers[-1].digit == 1


def test_cancel_drops_the_answer_in_flight(recognition, qtbot):
    answers = []
    recognition.predictionReady.connect(answers.append)
    recognition.predict(picture(SEVEN))
    recognition.cancel()
    qtbot.waitUntil(lambda: not recognition.busy, timeout=5000)
    qtbot.wait(20)
    assert answers == []


def test_live_requests_are_throttled_to_one_per_interval(recognition, qtbot):
    calls = []

    def source():
        calls.append(1)
        return picture(SEVEN)

    with qtbot.waitSignal(recognition.predictionReady, timeout=5000):
        for _ in range(50):
            recognition.schedule(source)
    assert len(calls) == 1


def test_broken_model_fails_and_the_previous_model_stays(recognition, qtbot, tmp_path):
    before = recognition.model
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"\x00" * 100)
    with qtbot.waitSignal(recognition.modelFailed, timeout=5000) as blocker:
        recognition.load_model(str(broken))
    assert "broken.npz" in blocker.args[0] and blocker.args[1] == str(broken)
    assert recognition.model is before and recognition.model_source == "fcnn"
    with qtbot.waitSignal(recognition.predictionReady, timeout=5000) as answer:
        recognition.predict(picture(SEVEN))
    assert answer.args[0].digit == 7


def test_prediction_without_a_model_reports_an_error(qtbot):
    rec = Recognition()
    try:
        with qtbot.waitSignal(rec.predictionFailed, timeout=5000) as blocker:
            rec.predict(picture(SEVEN))
        assert "no model" in blocker.args[0]
    finally:
        rec.shutdown()


def test_opening_a_file_that_is_not_an_image_reports_why(recognition, qtbot, tmp_path):
    path = tmp_path / "model.txt"
    path.write_text("hello")
    with qtbot.waitSignal(recognition.imageFailed, timeout=5000) as blocker:
        recognition.open_image(str(path))
    assert "model.txt" in blocker.args[0]


def test_shutdown_stops_the_thread(qtbot):
    rec = Recognition()
    rec.shutdown()
    assert not rec._thread.isRunning()
