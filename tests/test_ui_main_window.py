"""The main window: drawing, predicting, menus, errors and shortcuts, with real widgets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QSize, Qt, QUrl
from PySide6.QtWidgets import QApplication, QMessageBox

from digitpad import __version__

pytest_plugins = ["ui_helpers"]


def predicted(window, qtbot, action) -> None:
    """Run ``action`` and wait for the prediction it causes."""
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        action()


def test_window_starts_with_the_bundled_fcnn_and_says_nothing_is_drawn(window):
    assert window.recognition.model.arch == "fcnn"
    assert window.model_actions["fcnn"].isChecked()
    label = window.model_label.text()
    assert "FCNN" in label and "%" in label and "FCNN" not in label.split("FCNN", 1)[1]
    assert window.bars.values() is None
    assert "Nothing drawn" in window.bars.message()


def test_clearly_drawn_seven_is_recognised(window, qtbot, mouse):
    window.live_action.setChecked(False)
    mouse.draw(window.canvas, mouse.SEVEN)
    predicted(window, qtbot, window.predict_button.click)
    assert window.bars.winner() == 7
    values = window.bars.values()
    assert abs(sum(values) - 1) < 1e-4 and max(values) == values[7] > 0.5
    assert window.result_label.text().startswith("7")
    seen = window.model_view.pixels()
    assert seen.shape == (28, 28) and seen.max() > 200


def test_clearly_drawn_one_is_recognised_live_without_pressing_predict(window, qtbot, mouse):
    assert window.live_action.isChecked()
    predicted(window, qtbot, lambda: mouse.draw(window.canvas, mouse.ONE))
    qtbot.waitUntil(lambda: window.bars.winner() == 1, timeout=3000)


def test_two_digits_drawn_side_by_side_are_refused_not_guessed(window, qtbot, mouse):
    window.live_action.setChecked(False)
    oval = [[0.75 + 0.2 * np.sin(t), 0.5 - 0.45 * np.cos(t)] for t in np.linspace(0, 6.3, 24)]
    mouse.draw(window.canvas, [[[0.15, 0.05], [0.15, 0.95]], oval])  # "10"
    predicted(window, qtbot, window.predict_button.click)
    assert window.bars.values() is None
    assert "two marks side by side" in window.bars.message()
    assert "two marks side by side" in window.result_label.accessibleName()
    window.clear_button.click()
    mouse.draw(window.canvas, [[[0.45, 0.05], [0.45, 0.95]]])  # the 1 alone is read
    predicted(window, qtbot, window.predict_button.click)
    assert window.bars.winner() == 1


def test_live_prediction_updates_the_bars_while_drawing(window, qtbot, mouse):
    canvas = window.canvas
    points = [mouse.to_canvas(canvas, 0.2 + 0.6 * t / 40, 0.1 + 0.8 * t / 40) for t in range(41)]
    updates = []
    window.recognition.predictionReady.connect(updates.append)
    mouse.press(canvas, *points[0])
    for point in points[1:]:
        mouse.move(canvas, *point)
        qtbot.wait(5)
    # The pen is still down, yet predictions have arrived without pressing Predict.
    qtbot.waitUntil(lambda: len(updates) >= 1, timeout=3000)
    assert window.bars.values() is not None
    assert window.recognition.sent < len(points)  # throttled: not one per mouse move
    mouse.release(canvas, *points[-1])


def test_the_drawing_is_converted_for_recognition_off_the_gui_thread(
    window, qtbot, mouse, monkeypatch
):
    # Converting a large canvas to grey pixels takes milliseconds: on the GUI thread it
    # would stall the pen at the end of every stroke and at every live prediction.
    from PySide6.QtCore import QThread

    import digitpad.ui.canvas
    import digitpad.ui.inference

    threads = []
    convert = digitpad.ui.canvas.grey_pixels

    def recording(image):
        threads.append(QThread.currentThread() is QApplication.instance().thread())
        return convert(image)

    monkeypatch.setattr(digitpad.ui.canvas, "grey_pixels", recording)
    monkeypatch.setattr(digitpad.ui.inference, "grey_pixels", recording)
    predicted(window, qtbot, lambda: mouse.draw(window.canvas, mouse.ONE))
    predicted(window, qtbot, window.predict_button.click)
    qtbot.waitUntil(lambda: window.bars.winner() == 1, timeout=3000)
    assert threads and not any(threads), "converted on the GUI thread"


def test_enter_predicts_escape_and_delete_clear_ctrl_z_undoes(window, qtbot, mouse):
    window.live_action.setChecked(False)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    mouse.draw(window.canvas, mouse.SEVEN)
    predicted(window, qtbot, lambda: qtbot.keyClick(window.canvas, Qt.Key.Key_Return))
    assert window.bars.winner() == 7

    mouse.drag(window.canvas, [(20, 20), (60, 20)])
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(window.canvas.strokes()) == 1

    qtbot.keyClick(window.canvas, Qt.Key.Key_Escape)
    assert window.canvas.is_empty and window.bars.values() is None
    mouse.draw(window.canvas, mouse.ONE)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Delete)
    assert window.canvas.is_empty


def test_clear_button_empties_canvas_and_prediction(window, qtbot, mouse):
    predicted(window, qtbot, lambda: mouse.draw(window.canvas, mouse.SEVEN))
    window.clear_button.click()
    assert window.canvas.is_empty
    assert window.bars.values() is None and window.model_view.pixels() is None
    assert "Nothing drawn" in window.statusBar().currentMessage()


def test_predict_on_empty_canvas_says_nothing_is_drawn(window):
    window.predict_button.click()
    assert window.bars.values() is None
    assert "draw a digit" in window.bars.message().lower()


def test_switching_model_in_the_menu_changes_the_active_model(window, qtbot):
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=5000):
        window.model_actions["cnn"].trigger()
    assert window.recognition.model.arch == "cnn"
    assert window.model_actions["cnn"].isChecked() and not window.model_actions["fcnn"].isChecked()
    assert "CNN" in window.model_label.text() and "25.00%" in window.model_label.text()
    assert "CNN" in window.active_model_action.text()
    assert window.settings.model == "cnn"


def test_broken_model_file_shows_an_error_and_keeps_the_model(window, qtbot, tmp_path):
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"this is not a model")
    before = window.recognition.model
    with qtbot.waitSignal(window.recognition.modelFailed, timeout=5000):
        window.choose_model(str(broken))
    assert window.recognition.model is before
    assert "broken.npz" in window.banner.text() and "Still using FCNN" in window.banner.text()
    assert window.banner.level() == "error"
    assert window.model_actions["fcnn"].isChecked()
    assert window.settings.model == "fcnn"


def test_model_file_loads_from_the_model_menu_path(window, qtbot, make_model):
    path = make_model("mine.npz", "fcnn", accuracy=0.42)
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=5000):
        window.choose_model(str(path))
    assert window.recognition.model.test_accuracy == 0.42
    assert not any(a.isChecked() for a in window.model_actions.values())
    assert window.settings.model == str(path)


def test_opening_a_non_image_file_shows_an_error(window, qtbot, tmp_path, mouse):
    mouse.draw(window.canvas, mouse.SEVEN)
    text = tmp_path / "notes.txt"
    text.write_text("not a picture")
    with qtbot.waitSignal(window.recognition.imageFailed, timeout=5000):
        window.open_image(str(text))
    assert "notes.txt" in window.banner.text()
    assert not window.canvas.is_empty  # the drawing is still there


def test_opening_an_image_shows_it_and_recognises_it(window, qtbot, tmp_path):
    from digitpad.strokes import render_strokes

    path = tmp_path / "seven.png"
    render_strokes([[(0.15, 0.05), (0.85, 0.05), (0.42, 0.95)]], 200, (0.5, 0.5, 0.7)).save(path)
    with qtbot.waitSignal(window.recognition.imageOpened, timeout=5000):
        window.open_file(str(path))
    assert window.canvas.has_picture
    assert window.bars.winner() == 7
    # Undone and redone, the picture is back, read again (live prediction)…
    saved = window.training.correct(1)
    window.canvas.undo()
    assert window.canvas.is_empty and window.bars.winner() is None
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        window.redo()
    assert window.canvas.has_picture and window.bars.winner() == 7
    # …and still the drawing saved: a digit pressed relabels it.
    window.training.correct(7)
    assert [p.name[0] for p in window.training.corrections.paths()] == ["7"]
    assert window.training.corrections.now_at(saved).name[0] == "7"
    # Cleared, it comes back with Ctrl+Z as a drawing does, read again.
    qtbot.keyClick(window.canvas, Qt.Key.Key_Escape)
    assert window.canvas.is_empty and window.canvas.can_restore
    assert window.statusBar().currentMessage().endswith("brings back the drawing cleared")
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.canvas.has_picture and window.bars.winner() == 7
    # On Predict, with live prediction off.
    window.live_action.setChecked(False)
    window.canvas.undo()
    window.redo()
    assert window.canvas.has_picture and window.bars.winner() is None
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        window.predict()
    assert window.bars.winner() == 7


def opened_seven(window, qtbot, path: Path, size: tuple[int, int] = (200, 200)) -> None:
    """Open a picture of a 7 (``size``: its width and height) saved at ``path``."""
    seven_picture(size).save(path)
    with qtbot.waitSignal(window.recognition.imageOpened, timeout=5000):
        window.open_file(str(path))
    assert window.bars.winner() == 7


def test_undo_brings_back_what_a_picture_took_the_place_of_and_what_replaced_it(
    window, qtbot, mouse, tmp_path
):
    canvas = window.canvas
    mouse.draw(canvas, mouse.ONE)
    drawn = canvas.strokes()
    opened_seven(window, qtbot, tmp_path / "seven.png")
    assert canvas.has_picture and window.undo_action.text() == "&Undo open image"
    # Undo takes the picture away and brings the drawing back, in one step…
    predicted(window, qtbot, window.undo)
    assert not canvas.has_picture and canvas.strokes() == drawn and window.bars.winner() == 1
    assert window.redo_action.text() == "&Redo open image"
    predicted(window, qtbot, window.redo)  # …and Redo the picture
    assert canvas.has_picture and canvas.strokes() == [] and window.bars.winner() == 7
    # A stroke drawn on the picture takes its place; undoing it brings the picture back.
    mouse.draw(canvas, [[(0.3, 0.5), (0.7, 0.5)]])
    assert not canvas.has_picture and window.undo_action.text() == "&Undo stroke"
    predicted(window, qtbot, window.undo)
    assert canvas.has_picture and canvas.strokes() == [] and window.bars.winner() == 7
    predicted(window, qtbot, window.redo)
    assert not canvas.has_picture and len(canvas.strokes()) == 1
    # Cleared while the stroke over it is being drawn, the picture comes back too.
    predicted(window, qtbot, window.undo)
    mouse.press(canvas, 100, 100)
    mouse.move(canvas, 150, 150)
    window.clear()
    mouse.release(canvas, 150, 150)
    predicted(window, qtbot, window.undo)
    assert canvas.has_picture and window.bars.winner() == 7


@pytest.mark.parametrize("fate", ["replaced", "deleted"])
def test_a_picture_brought_back_is_read_as_it_was_opened_whatever_became_of_its_file(
    window, qtbot, tmp_path, fate
):
    from PIL import Image

    path = tmp_path / "digit.png"
    opened_seven(window, qtbot, path)
    window.clear()
    if fate == "replaced":
        Image.new("L", (200, 200), 255).save(path)  # now a blank page
    else:
        path.unlink()
    predicted(window, qtbot, window.undo)
    assert window.canvas.has_picture and window.bars.winner() == 7
    assert window.banner.text() == ""
    predicted(window, qtbot, window.predict)
    assert window.bars.winner() == 7 and window.banner.text() == ""


@pytest.mark.parametrize("size", [(200, 200), (480, 200), (200, 480)])
def test_a_correction_of_a_picture_is_the_picture_as_it_was_read(window, qtbot, tmp_path, size):
    """Not the canvas, where the picture is scaled and between bands of paper, whose
    colour follows the theme: learning must read what the model read."""
    from PIL import Image

    from digitpad.corrections import read_correction

    path = tmp_path / "seven.png"
    opened_seven(window, qtbot, path, size)
    shown = window.bars.values()
    saved = window.training.correct(1)
    assert np.array_equal(np.asarray(Image.open(saved)), np.asarray(Image.open(path)))
    model, prepared = window.recognition.model, read_correction(saved)  # as learning reads it
    if model.deskew:
        prepared = prepared.deskewed()
    assert np.allclose(model.probabilities(prepared.image[None])[0], shown, atol=1e-4)


def test_a_picture_s_correction_is_compressed_off_the_gui_thread(
    window, qtbot, tmp_path, monkeypatch
):
    """A photo's PNG takes a tenth of a second or more to compress: it is made while the
    answer is read, and the correction of a picture brought back by Undo is still its own."""
    import threading

    from PIL import Image

    from digitpad import corrections

    made_on_gui_thread = []
    real = corrections.png_of

    def recording(image, picture=False):
        made_on_gui_thread.append(threading.current_thread() is threading.main_thread())
        return real(image, picture)

    monkeypatch.setattr(corrections, "png_of", recording)
    first, second = tmp_path / "first.png", tmp_path / "second.png"
    opened_seven(window, qtbot, first, (900, 700))
    opened_seven(window, qtbot, second, (700, 900))
    predicted(window, qtbot, window.undo)  # the first picture again: not the second's file
    saved = window.training.correct(1)
    assert np.array_equal(np.asarray(Image.open(saved)), np.asarray(Image.open(first)))
    predicted(window, qtbot, window.redo)
    saved = window.training.correct(2)
    assert np.array_equal(np.asarray(Image.open(saved)), np.asarray(Image.open(second)))
    # Each picture's file was made on a thread as it opened; only the one brought back by
    # Undo, whose file was no longer kept, was made again when corrected.
    assert sorted(made_on_gui_thread) == [False, False, True]  # threads run when they run


@pytest.fixture
def unstarted_window(qtbot, settings, models_dir):
    """The main window on screen before its first model is asked for."""
    from PySide6.QtCore import QEvent

    from digitpad.ui.main_window import MainWindow

    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.quit_without_asking()
    win.shutdown()
    win.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def test_a_picture_given_before_the_model_is_in_opens_once_it_is(unstarted_window, qtbot, tmp_path):
    window, path = unstarted_window, tmp_path / "seven.png"
    seven_picture().save(path)
    window.open_file(str(path))
    assert window.statusBar().currentMessage() == "seven.png opens once the model has loaded…"
    with qtbot.waitSignal(window.recognition.imageOpened, timeout=10_000):
        window.start()
    assert window.canvas.has_picture and window.bars.winner() == 7
    assert window.banner.text() == ""


def no_model_loads(tmp_path, monkeypatch) -> None:
    """The bundled models are damaged files: no model can load."""
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a model")
    monkeypatch.setattr("digitpad.ui.inference.bundled_model_path", lambda _arch: broken)


def test_a_picture_waiting_for_a_model_that_cannot_load_is_said_not_opened(
    unstarted_window, qtbot, tmp_path, monkeypatch
):
    window, path = unstarted_window, tmp_path / "seven.png"
    no_model_loads(tmp_path, monkeypatch)
    seven_picture().save(path)
    window.open_file(str(path))
    with qtbot.waitSignal(window.recognition.modelFailed, timeout=10_000):
        window.start()
    assert "the picture was not opened" in window.banner.text()
    assert not window.canvas.has_picture


def test_a_picture_given_when_no_model_could_load_is_said_not_opened_at_once(
    unstarted_window, qtbot, tmp_path, monkeypatch
):
    window, path = unstarted_window, tmp_path / "seven.png"
    no_model_loads(tmp_path, monkeypatch)
    with qtbot.waitSignal(window.recognition.modelFailed, timeout=10_000):
        window.start()
    seven_picture().save(path)
    window.open_file(str(path))  # nothing is loading: no "opens once the model has loaded"
    assert window.banner.text().startswith("seven.png was not opened: no model is loaded")
    assert not window.canvas.has_picture


def test_a_picture_waiting_for_the_fallback_model_keeps_the_notice_of_why(
    unstarted_window, qtbot, tmp_path, mouse
):
    """The model used last time is gone: the bundled one loads instead, and the banner
    saying so stays when the picture given meanwhile opens."""
    window, path = unstarted_window, tmp_path / "seven.png"
    window.settings.model = str(tmp_path / "gone.npz")
    seven_picture().save(path)
    window.open_file(str(path))
    with qtbot.waitSignal(window.recognition.imageOpened, timeout=10_000):
        window.start()
    assert window.canvas.has_picture and window.bars.winner() == 7
    notice = window.banner.text()
    assert notice.startswith("Could not load the model used last time")
    assert notice.endswith("DigitPad uses the bundled FCNN instead.")
    # About the model, not the screen: a drawing or another picture leaves it be…
    with qtbot.waitSignal(window.recognition.imageOpened, timeout=10_000):
        window.open_file(str(path))
    window.clear()
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        mouse.draw(window.canvas, mouse.SEVEN)
    assert window.banner.text() == notice
    # …until another model is chosen.
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=10_000):
        window.choose_model("cnn")
    assert window.banner.text() == ""


def seven_picture(size: tuple[int, int] = (200, 200)):
    """A 7 in dark ink on a white page of ``size`` (width, height), as Pillow makes it."""
    from PIL import Image

    from digitpad.strokes import render_strokes

    seven = render_strokes([[(0.15, 0.05), (0.85, 0.05), (0.42, 0.95)]], 200, (0.5, 0.5, 0.7))
    page = Image.new("L", size, 255)
    page.paste(seven, ((size[0] - 200) // 2, (size[1] - 200) // 2))
    return page


@pytest.fixture
def clipboard():
    """The application's clipboard, emptied before and after the test: data a test leaves
    on it makes the interpreter crash on its way out (PySide6 frees it twice)."""
    board = QApplication.clipboard()
    board.clear()
    yield board
    board.clear()


def test_a_picture_copied_is_pasted_and_read_as_an_opened_one(
    window, qtbot, mouse, tmp_path, monkeypatch, clipboard
):
    from PIL import Image
    from PySide6.QtGui import QImage

    qtbot.keyClick(window, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert window.statusBar().currentMessage().startswith("Nothing to paste")
    mouse.draw(window.canvas, mouse.ONE)
    drawn = window.canvas.strokes()
    page = seven_picture().convert("RGB")
    pixels = np.ascontiguousarray(np.asarray(page))
    copied = QImage(pixels.data, 200, 200, 600, QImage.Format.Format_RGB888).copy()
    clipboard.setImage(copied)
    with qtbot.waitSignal(window.recognition.imageOpened, timeout=5000):
        qtbot.keyClick(window, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert window.canvas.has_picture and window.bars.winner() == 7
    saved = window.training.correct(1)  # the picture pasted, as it was read
    assert np.array_equal(np.asarray(Image.open(saved).convert("RGB")), pixels)
    predicted(window, qtbot, window.undo)  # the drawing it was pasted over comes back
    assert window.canvas.strokes() == drawn and window.bars.winner() == 1
    # A file copied in a file manager opens as if it were dropped.
    path = tmp_path / "seven.png"
    seven_picture().save(path)
    files = QMimeData()
    files.setUrls([QUrl.fromLocalFile(str(path))])
    clipboard.setMimeData(files)
    with qtbot.waitSignal(window.recognition.imageOpened, timeout=5000):
        window.paste_action.trigger()
    assert window.canvas.has_picture and window.bars.winner() == 7
    # One too large is refused before it is copied for reading, with what to do.
    for where in ("digitpad.preprocess", "digitpad.images"):
        monkeypatch.setattr(f"{where}.MAX_PIXELS", 30_000)
    clipboard.setImage(copied)
    window.paste_action.trigger()
    assert window.banner.text() == (
        "Could not open the image: the picture pasted is 40,000 pixels, too large to open (at "
        "most 0.03 million): save a smaller copy, or crop it to the digit"
    )
    # A link to a web page's picture is not the picture.
    link = QMimeData()
    link.setUrls([QUrl("https://example.org/seven.png")])
    clipboard.setMimeData(link)
    window.paste_action.trigger()
    assert (
        window.statusBar()
        .currentMessage()
        .startswith("Only pictures and files on this computer can be pasted")
    )


def test_a_picture_that_failed_to_open_is_not_taken_for_the_one_shown(window, qtbot, tmp_path):
    from digitpad.strokes import render_strokes

    shown, broken = tmp_path / "seven.png", tmp_path / "notes.png"
    render_strokes([[(0.15, 0.05), (0.85, 0.05), (0.42, 0.95)]], 200, (0.5, 0.5, 0.7)).save(shown)
    broken.write_text("not a picture")
    with qtbot.waitSignal(window.recognition.imageOpened, timeout=5000):
        window.open_file(str(shown))
    with qtbot.waitSignal(window.recognition.imageFailed, timeout=5000):
        window.open_file(str(broken))
    window.dismiss_error()
    for _ in range(2):  # read again, twice: the broken one never comes back
        with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
            window.predict()
        assert window.bars.winner() == 7 and window.banner.text() == ""


def test_a_photo_of_a_ruled_page_in_a_shadow_is_read_without_its_lines(window, qtbot, tmp_path):
    from PIL import Image

    from digitpad.selftest import DRAWINGS
    from training.pages import page_photo

    path = tmp_path / "photo.jpg"
    photo = page_photo(DRAWINGS[7], "ruled+shadow", np.random.default_rng(2))
    Image.fromarray(photo).save(path, quality=90)
    with qtbot.waitSignal(window.recognition.imageOpened, timeout=5000):
        window.open_file(str(path))
    assert window.bars.winner() == 7
    # Asked again (Predict, or a model switch): read as it was loaded, cleaned again.
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        window.predict()
    assert window.bars.winner() == 7
    # Saved as a correction, it is read back as a picture: its lines are left out again.
    from digitpad.corrections import SOURCE_KEY, read_correction

    saved = window.training.correct(7)
    assert Image.open(saved).info.get(SOURCE_KEY) == "picture"
    assert read_correction(saved).image is not None


@pytest.mark.parametrize("ink", [(255, 255, 255), (0, 0, 0)])
def test_an_opened_transparent_image_shows_its_ink(window, qtbot, tmp_path, ink):
    """Ink on a transparent layer is read as a 7; the canvas must show that 7 too."""
    from PIL import Image, ImageDraw

    path = tmp_path / "seven.png"
    picture = Image.new("RGBA", (200, 200), (*ink, 0))
    ImageDraw.Draw(picture).line([(50, 20), (150, 20), (90, 180)], fill=(*ink, 255), width=14)
    picture.save(path)
    with qtbot.waitSignal(window.recognition.imageOpened, timeout=5000):
        window.open_file(str(path))
    assert window.bars.winner() == 7
    shown = window.canvas.image()
    assert int(shown.max()) - int(shown.min()) > 200  # ink and paper differ on screen


def test_a_window_resized_below_its_minimum_grows_back(window, qtbot, mouse):
    """Without a window manager to enforce it, the panel would be drawn over the canvas.

    The native window is resized, as a display without a window manager lets a tool do;
    ``QWidget.resize`` would itself refuse to go below the minimum.
    """
    sizes = []
    window.windowHandle().widthChanged.connect(lambda _: sizes.append(window.windowHandle().size()))
    window.windowHandle().resize(200, 150)
    qtbot.waitUntil(lambda: QSize(200, 150) in sizes)  # the small size did arrive
    minimum = window.minimumSizeHint()
    qtbot.waitUntil(
        lambda: window.width() >= minimum.width() and window.height() >= minimum.height()
    )
    panel_left = window.bars.mapTo(window, window.bars.rect().topLeft()).x()
    canvas_right = window.canvas.mapTo(window, window.canvas.rect().topRight()).x()
    assert canvas_right < panel_left
    mouse.draw(window.canvas, mouse.SEVEN)
    assert not window.canvas.is_empty


def test_save_drawing_writes_a_png(window, tmp_path, mouse):
    from PIL import Image

    mouse.draw(window.canvas, mouse.ONE)
    target = tmp_path / "drawing.png"
    assert window.save_drawing(str(target))
    saved = np.asarray(Image.open(target).convert("L"))
    assert saved.min() < 50 and saved.max() > 200


def test_save_to_an_impossible_place_shows_an_error(window, tmp_path):
    assert not window.save_drawing(str(tmp_path / "missing" / "folder" / "x.png"))
    assert "Could not save" in window.banner.text()


def test_about_shows_versions_without_blocking(window, qtbot):
    window.about_action.trigger()
    boxes = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    ]
    assert len(boxes) == 1
    text = boxes[0].text()
    assert "PySide6" in text and "NumPy" in text and "torch" not in text
    assert text.count(f"DigitPad {__version__}") == 1  # the heading, not again below it
    assert "Model in use:</b> FCNN (bundled)" in text and "Your data:" in text
    boxes[0].close()


def test_screenshots_at_two_window_sizes(window, qtbot, mouse, tmp_path):
    predicted(window, qtbot, lambda: mouse.draw(window.canvas, mouse.SEVEN))
    for width, height in ((760, 500), (1100, 760)):
        window.resize(width, height)
        qtbot.wait(50)
        qtbot.waitUntil(lambda: window.bars.winner() == 7, timeout=3000)
        shot = window.grab()
        assert shot.width() >= width * 0.9
        assert shot.save(str(tmp_path / f"window-{width}x{height}.png"))
    # Keep the shots where a person can look at them after a run.
    out = Path(__file__).resolve().parent.parent / ".pytest_cache" / "ui-shots"
    out.mkdir(parents=True, exist_ok=True)
    for shot in tmp_path.glob("window-*.png"):
        shot.replace(out / shot.name)


def test_a_deskewing_model_shows_and_gets_the_digit_upright(window, qtbot, mouse, tmp_path):
    from digitpad.assets import bundled_model_path
    from digitpad.model_file import load_model, save_model

    def lean(pixels: np.ndarray) -> float:
        """Sideways drift of the ink's centre from the top row to the bottom one."""
        rows = [y for y in range(28) if pixels[y].sum() > 100]
        centre = [np.average(np.arange(28), weights=pixels[y]) for y in (rows[0], rows[-1])]
        return abs(centre[1] - centre[0])

    bundled = load_model(bundled_model_path("fcnn"))
    slanted, upright = tmp_path / "slanted.npz", tmp_path / "upright.npz"
    save_model(slanted, "fcnn", bundled.params, {**bundled.meta, "deskew": False})
    save_model(upright, "fcnn", bundled.params, {**bundled.meta, "deskew": True})
    window.live_action.setChecked(False)
    mouse.draw(window.canvas, [[(0.25, 0.95), (0.75, 0.05)]])  # a 1 leaning far to the right
    predicted(window, qtbot, lambda: window.choose_model(str(slanted)))
    assert not window.recognition.model.deskew
    assert lean(window.model_view.pixels().astype(float)) > 6
    predicted(window, qtbot, lambda: window.choose_model(str(upright)))
    assert window.recognition.model.deskew
    assert lean(window.model_view.pixels().astype(float)) < 2
    assert window.bars.winner() == 1


def test_why_this_answer_tints_the_model_input_only_when_asked(window, qtbot, mouse):
    from PySide6.QtGui import QColor, QPalette

    # A theme whose highlight is orange (Ubuntu's): the tint's blue and red stay apart.
    palette = window.palette()
    palette.setColor(QPalette.ColorRole.Highlight, QColor("#e95420"))
    window.setPalette(palette)
    window.live_action.setChecked(False)
    mouse.draw(window.canvas, mouse.SEVEN)
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000) as plain:
        window.predict()
    assert plain.args[0].evidence is None and not window.model_view.has_evidence()
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000) as why:
        window.why_check.setChecked(True)  # asks again for what is on screen
    evidence = why.args[0].evidence
    assert evidence is not None and evidence.shape == (28, 28)
    assert window.model_view.has_evidence()
    shown = window.model_view.grab().toImage()
    tinted = [
        shown.pixelColor(x, y).saturation() > 60
        for x in range(0, shown.width(), 3)
        for y in range(0, shown.height(), 3)
    ]
    assert sum(tinted) > 20  # coloured where the ink is, no longer plain grey
    hues = {
        "blue" if 200 <= hue <= 240 else "red" if hue <= 15 or hue >= 345 else "other"
        for x in range(shown.width())
        for y in range(shown.height())
        if (colour := shown.pixelColor(x, y)).saturation() > 60 and (hue := colour.hue()) >= 0
    }
    assert hues == {"blue", "red"}
    runner_up = int(np.argsort(why.args[0].probabilities)[-2])
    named = f"blue for 7, red for {runner_up}".replace(" ", "\u00a0")  # no break in a phrase
    assert window.seen_label.text() == f"What the model sees: {named}"
    window.why_check.setChecked(False)
    assert not window.model_view.has_evidence()
    assert window.seen_label.text() == "What the model sees"
    window.clear()
    assert not window.model_view.has_evidence()


def test_why_this_answer_brings_the_picture_into_view_on_a_short_window(window, qtbot, mouse):
    """The side panel scrolls on a short screen, and takes no keyboard focus: turning on
    Why this answer (Alt+W) shows the picture it tints."""
    mouse.draw(window.canvas, mouse.SEVEN)
    window.resize(window.width(), window.minimumSizeHint().height())
    qtbot.waitUntil(lambda: window.side_panel.verticalScrollBar().maximum() > 0, timeout=3000)
    window.side_panel.verticalScrollBar().setValue(0)
    view = window.model_view
    qtbot.waitUntil(lambda: view.visibleRegion().boundingRect().height() < view.height())
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        window.why_check.setChecked(True)
    # Whole, once the caption naming the two digits (longer, wrapped) is laid out too.
    qtbot.waitUntil(lambda: "blue" in window.seen_label.text())
    qtbot.waitUntil(lambda: view.visibleRegion().boundingRect().height() == view.height())
    qtbot.wait(50)
    assert view.visibleRegion().boundingRect().height() == view.height()


def test_file_dialogs_start_where_the_last_one_was_used(window, mouse, tmp_path, monkeypatch):
    from pathlib import Path

    from PySide6.QtWidgets import QFileDialog

    pictures = tmp_path / "pictures"
    pictures.mkdir()
    started: list[str] = []

    def pick(*args, **kwargs):
        started.append(args[2])
        return str(pictures / "mine.png"), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(pick))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(pick))
    mouse.draw(window.canvas, mouse.ONE)
    window.save_action.trigger()
    assert Path(started[0]).parent == Path.home()  # not the folder the app started in
    assert (pictures / "mine.png").is_file()
    window.open_action.trigger()
    window.load_model_action.trigger()
    assert started[1:] == [str(pictures), str(pictures)]
    assert window.settings.file_folder == str(pictures)
    pictures.joinpath("mine.png").unlink()
    pictures.rmdir()
    assert window.settings.file_folder == str(Path.home())  # the folder is gone


def test_tab_visits_the_controls_in_the_order_they_stand(window):
    from PySide6.QtCore import Qt as QtNs

    order, widget = [], window.canvas
    for _ in range(200):
        widget = widget.nextInFocusChain()
        if widget is window.canvas:
            break
        if widget.focusPolicy() & QtNs.FocusPolicy.TabFocus and widget.isVisible():
            order.append(widget)
    wanted = [window.why_check, window.live_check, window.predict_button, window.clear_button]
    assert [w for w in order if w in wanted] == wanted


def test_the_bar_clicked_to_correct_is_marked_until_the_next_answer(window, qtbot, mouse):
    mouse.draw(window.canvas, mouse.SEVEN)
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        window.predict()
    wrong = 9 if window.bars.winner() != 9 else 8
    row = window.bars.height() / 10 * (wrong + 0.5)
    before = window.bars.grab().toImage()
    qtbot.mouseClick(window.bars, Qt.MouseButton.LeftButton, pos=QPoint(5, int(row)))
    assert window.bars.saved() == wrong
    assert f"Saved as {'an' if wrong == 8 else 'a'} {wrong}." in window.bars.accessibleDescription()
    # The outline is drawn in that row: its edge now has the highlight colour.
    after = window.bars.grab().toImage()
    highlight = window.bars.palette().highlight().color().name()
    edge = [after.pixelColor(x, int(row - window.bars.height() / 20) + 1) for x in range(20, 60)]
    was = [before.pixelColor(x, int(row - window.bars.height() / 20) + 1) for x in range(20, 60)]
    assert highlight in {c.name() for c in edge} and highlight not in {c.name() for c in was}
    window.training.undo_last()
    assert window.bars.saved() is None
    qtbot.mouseClick(window.bars, Qt.MouseButton.LeftButton, pos=QPoint(5, int(row)))
    mouse.draw(window.canvas, mouse.SEVEN)  # another stroke: a new answer, nothing saved yet
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        window.predict()
    assert window.bars.saved() is None


def test_the_model_in_use_is_saved_where_the_user_chooses(window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from digitpad.model_file import load_model
    from digitpad.ui.model_watch import SETTLE_MS

    (tmp_path / "shared").mkdir()
    offered = []

    def choose(_parent, _title, start, _filter):
        offered.append(start)
        return str(tmp_path / "shared" / "mine"), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", choose)
    assert window.save_model_action in window.model_menu.actions()
    window.save_model_action.trigger()
    assert Path(offered[0]).name == "fcnn.npz"  # the bundled model, by its own name
    saved = tmp_path / "shared" / "mine.npz"
    model, again = window.recognition.model, load_model(saved)
    assert again.arch == model.arch and again.meta["sizes"] == model.meta["sizes"]
    assert all(np.array_equal(again.params[k], v) for k, v in model.params.items())
    assert window.statusBar().currentMessage() == "Saved the model in use as mine.npz"
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=5000):
        window.choose_model(str(saved))  # any DigitPad loads it again
    window.save_model_action.trigger()  # over its own file: this window's doing, not news
    assert Path(offered[1]).name == "mine.npz"
    qtbot.wait(2 * SETTLE_MS)
    assert window.banner.text() == ""
    # Where it cannot be written, it says so and writes nothing.
    (tmp_path / "a-file").write_text("not a folder")
    assert not window.save_model_copy(str(tmp_path / "a-file" / "m.npz"))
    assert window.banner.text().startswith(f"Could not save the model to {tmp_path / 'a-file'}")
    assert [p.name for p in (tmp_path / "shared").iterdir()] == ["mine.npz"]


def test_the_model_in_use_is_never_saved_over_the_bundled_ones(window, tmp_path, monkeypatch):
    """Reset to bundled model must bring back the model DigitPad shipped with."""
    import shutil

    from digitpad import assets

    installed = tmp_path / "resources"  # a copy: a broken refusal must not harm the real one
    shutil.copytree(assets.resources_dir() / "models", installed / "models")
    monkeypatch.setattr(assets, "resources_dir", lambda: installed)
    shipped = (installed / "models" / "cnn.npz").read_bytes()
    assert not window.save_model_copy(str(installed / "models" / "cnn.npz"))
    assert "that folder holds DigitPad's own files" in window.banner.text()
    assert (installed / "models" / "cnn.npz").read_bytes() == shipped
    assert not window.save_model_copy(str(installed / "models" / ".." / "mine.npz"))
    assert not (installed / "mine.npz").exists()
