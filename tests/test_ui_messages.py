"""The error strip describes the screen: it goes when a later success replaces its cause."""

from __future__ import annotations

import time

import pytest

pytest_plugins = ["ui_helpers"]

from ui_helpers import started_window  # noqa: E402

from digitpad.strokes import render_strokes  # noqa: E402


def fail_to_open(window, qtbot, tmp_path):
    text = tmp_path / "fake.png"
    text.write_text("not a picture")
    with qtbot.waitSignal(window.recognition.imageFailed, timeout=5000):
        window.open_image(str(text))
    assert window.banner.level() == "error" and "fake.png" in window.banner.text()
    return window.banner.text()


def test_a_picture_error_speaks_of_pictures_not_libraries(window, qtbot, tmp_path):
    text = fail_to_open(window, qtbot, tmp_path)
    assert "Pillow" not in text and "PNG, JPEG" in text


def test_a_new_drawing_dismisses_the_strip(window, qtbot, tmp_path, mouse):
    fail_to_open(window, qtbot, tmp_path)
    mouse.draw(window.canvas, mouse.SEVEN)
    assert window.banner.text() == ""


def test_a_successful_open_dismisses_the_strip(window, qtbot, tmp_path):
    fail_to_open(window, qtbot, tmp_path)
    seven = tmp_path / "seven.png"
    render_strokes([[(0.15, 0.05), (0.85, 0.05), (0.42, 0.95)]], 200, (0.5, 0.5, 0.7)).save(seven)
    with qtbot.waitSignal(window.recognition.imageOpened, timeout=5000):
        window.open_image(str(seven))
    assert window.banner.text() == ""


def test_a_model_switch_dismisses_the_strip(window, qtbot, tmp_path):
    fail_to_open(window, qtbot, tmp_path)
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=10_000):
        window.model_actions["cnn"].trigger()
    assert window.banner.text() == ""


def test_a_failed_first_model_keeps_its_explanation(qtbot, settings, models_dir, tmp_path):

    settings.model = str(tmp_path / "gone.npz")
    win = started_window(qtbot, settings)
    assert "gone.npz" in win.banner.text()  # the fallback's success does not hide why
    win.close()


@pytest.mark.parametrize("change", ["folder", "download"])
def test_retrains_data_error_goes_when_the_choice_changes(window, tmp_path, change):
    window.training.retrain_action.trigger()
    dialog = window.training.dialog
    dialog.folder_radio.setChecked(True)
    dialog.folder_edit.setText("")
    assert not dialog.start_training()
    assert dialog.error_label.isVisible() and "Choose the folder" in dialog.error_label.text()
    if change == "folder":
        dialog.folder_edit.setText(str(tmp_path))
    else:
        dialog.download_radio.setChecked(True)
    assert not dialog.error_label.isVisible()


def test_breakable_splits_only_words_too_long_to_wrap():
    from digitpad.ui.message_banner import LONGEST_WORD, breakable

    long_word = "a" * 1000 + ".npz"
    text = f"Could not load {long_word}: not a model"
    out = breakable(text)
    assert out.replace("\u200b", "") == text
    assert max(len(w) for w in out.replace("\u200b", " ").split()) <= LONGEST_WORD
    assert breakable("short words stay /as/they/are") == "short words stay /as/they/are"


def test_a_message_naming_a_very_long_file_wraps_inside_the_window(window, qtbot, tmp_path):
    name = "a" * 2000 + ".npz"
    window.show_error(f"{name} does not exist")
    qtbot.wait(10)
    assert window.banner.text().startswith(name)  # the text a user copies is the real name
    assert window.minimumSizeHint().width() < 800
    assert window.width() < 1000


def test_a_message_during_a_stroke_waits_for_the_pen_to_lift(window, qtbot, mouse):
    """The strip pushes the canvas down: it must not move under a pen drawing a stroke."""
    canvas = window.canvas
    qtbot.waitUntil(lambda: canvas.height() > 0)
    mouse.press(canvas, 60, 60)
    mouse.move(canvas, 120, 120)
    where = canvas.mapTo(window, canvas.rect().topLeft())
    window.banner.show_message("Learned your handwriting", "info")
    qtbot.wait(50)  # the layout would have moved by now
    assert window.banner.text() == "" and canvas.mapTo(window, canvas.rect().topLeft()) == where
    mouse.move(canvas, 180, 120)
    assert window.banner.text() == ""
    mouse.release(canvas, 180, 120)
    assert window.banner.text() == "Learned your handwriting"
    qtbot.waitUntil(lambda: canvas.mapTo(window, canvas.rect().topLeft()) != where)
    # Dismissed before the pen lifts, it never shows.
    window.banner.dismiss()
    mouse.press(canvas, 60, 200)
    window.banner.show_message("Learned your handwriting", "info")
    window.banner.dismiss()
    mouse.release(canvas, 90, 200)
    assert window.banner.text() == "" and not window.banner.isVisible()


def test_a_notice_of_work_done_in_the_background_waits_for_a_pause_in_the_drawing(
    window, qtbot, mouse
):
    """Between two strokes of a 7 the strip would move the canvas under the second one; an
    answer to what the user just did (an error opening a file) shows at once."""
    from digitpad.ui.main_window import BETWEEN_STROKES_S

    canvas = window.canvas
    qtbot.waitUntil(lambda: canvas.height() > 0)
    where = canvas.mapTo(window, canvas.rect().topLeft())
    mouse.draw(canvas, [[(0.2, 0.2), (0.8, 0.2)]])  # the bar of a 7
    window.banner.show_message("The retrain has finished.", "info", unbidden=True)
    qtbot.wait(int(BETWEEN_STROKES_S * 500))
    assert window.banner.text() == "" and canvas.mapTo(window, canvas.rect().topLeft()) == where
    mouse.draw(canvas, [[(0.8, 0.2), (0.4, 0.9)]])  # its stem, the canvas where it was
    started = time.monotonic()
    qtbot.waitUntil(lambda: window.banner.text() == "The retrain has finished.", timeout=3000)
    assert time.monotonic() - started >= BETWEEN_STROKES_S * 0.9
    window.banner.dismiss()
    mouse.draw(canvas, [[(0.2, 0.2), (0.8, 0.2)]])
    window.banner.show_message("Could not open the image: notes.txt", "error")
    assert window.banner.text() == "Could not open the image: notes.txt"
