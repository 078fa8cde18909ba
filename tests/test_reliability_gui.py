"""Bad pictures opened or dropped in the window, and mouse abuse on the canvas.

Every picture ends in a prediction, "nothing to recognise" or an error in the
banner, never a crash, and the active model stays loaded. The canvas is
driven with real mouse events, including moves outside the widget and a
window resize while the button is held.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog

from digitpad.strokes import render_strokes

pytest_plugins = ["ui_helpers"]

SEVEN = [[(0.15, 0.05), (0.85, 0.05), (0.42, 0.95)]]
ONE = [[(0.45, 0.0), (0.5, 1.0)]]


def seven() -> Image.Image:
    return render_strokes(SEVEN, 200, (0.5, 0.5, 0.7), 16)


def png_declaring(width: int, height: int) -> bytes:
    """A real 1×1 PNG whose header claims ``width``×``height`` (with a correct CRC)."""
    buffer = io.BytesIO()
    Image.new("L", (1, 1), 255).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    data[16:24] = struct.pack(">II", width, height)  # IHDR data starts at byte 16
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))  # over type + data
    return bytes(data)


def sixteen_bit(image: Image.Image) -> Image.Image:
    return Image.fromarray(np.asarray(image, np.uint16) * 257)  # mode I;16


def animated_gif(path: Path) -> None:
    frames = [seven(), render_strokes(ONE, 200, (0.5, 0.5, 0.7), 16)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)


def truncated_png(path: Path) -> None:
    buffer = io.BytesIO()
    seven().save(buffer, "PNG")
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])


# name → (how to write it, expected ending: "error", "blank" or a digit, words in the message)
PICTURES = {
    "notes.txt": (lambda p: p.write_text("not a picture"), "error", "not a picture"),
    "folder": (lambda p: p.mkdir(), "error", "is a folder"),
    "empty.png": (lambda p: p.write_bytes(b""), "error", "not a picture"),
    "huge.png": (lambda p: p.write_bytes(png_declaring(20_000, 20_000)), "error", "too large"),
    "truncated.png": (truncated_png, "error", "could not be read"),
    "missing.png": (lambda p: None, "error", "does not exist"),
    "dot.png": (lambda p: Image.new("L", (1, 1), 0).save(p), "blank", "nothing drawn"),
    "clear.png": (
        lambda p: Image.new("RGBA", (120, 120), (0, 0, 0, 0)).save(p),
        "blank",
        "nothing drawn",
    ),
    "deep.png": (lambda p: sixteen_bit(seven()).save(p), 7, ""),
    "cmyk.jpg": (lambda p: seven().convert("CMYK").save(p, quality=95), 7, ""),
    "palette.png": (lambda p: seven().convert("P").save(p), 7, ""),
    "anim.gif": (animated_gif, 7, ""),
}


def expected_signal(window, ending):
    rec = window.recognition
    return rec.imageFailed if ending == "error" else rec.imageOpened


def check_ending(window, before_model, path: Path, ending, words: str) -> None:
    assert window.recognition.model is before_model  # the model never changes
    assert window.recognition.model_source == "fcnn"
    if ending == "error":
        text = window.banner.text()
        assert window.banner.level() == "error" and "Could not open the image" in text
        assert words in text and path.name in text
        assert window.bars.winner() == 1  # the drawing under it is still recognised
        assert not window.canvas.has_picture and len(window.canvas.strokes()) == 1
    elif ending == "blank":
        assert window.canvas.has_picture
        assert window.bars.values() is None and window.bars.winner() is None
        assert f"Nothing to recognise: {words}" == window.bars.message()
    else:
        assert window.canvas.has_picture
        assert window.bars.winner() == ending
        assert abs(sum(window.bars.values()) - 1) < 1e-4


def mime_for(path: Path | str, kind: str = "file") -> QMimeData:
    """What a file manager ("file"), a browser ("web") or a text editor ("text") drags."""
    data = QMimeData()
    if kind == "file":
        data.setUrls([QUrl.fromLocalFile(str(path))])
    elif kind == "web":
        data.setUrls([QUrl("https://example.com/seven.png")])
    else:
        data.setText(str(path))
    return data


def drop_on(widget, path: Path | str, kind: str = "file") -> tuple[bool, bool]:
    """Drag ``path`` over ``widget`` and drop it; returns whether each event was accepted."""
    data = mime_for(path, kind)  # kept alive here: the events only point to it
    buttons, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPoint(100, 100), Qt.DropAction.CopyAction, data, buttons, none)
    drop = QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, data, buttons, none)
    enter.setAccepted(False)
    drop.setAccepted(False)
    QApplication.sendEvent(widget, enter)
    QApplication.sendEvent(widget, drop)
    return enter.isAccepted(), drop.isAccepted()


@pytest.fixture
def drawn_one(window, qtbot, mouse):
    """The window showing a recognised 1, drawn with the mouse."""
    window.banner.dismiss()
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        mouse.draw(window.canvas, mouse.ONE)
    qtbot.waitUntil(lambda: window.bars.winner() == 1, timeout=3000)
    return window


@pytest.mark.parametrize("name", list(PICTURES))
def test_picture_from_file_open(drawn_one, qtbot, tmp_path, monkeypatch, name):
    window = drawn_one
    make, ending, words = PICTURES[name]
    path = tmp_path / name
    make(path)
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *args, **kwargs: (str(path), ""))
    )
    before = window.recognition.model
    with qtbot.waitSignal(expected_signal(window, ending), timeout=10_000):
        window.open_action.trigger()
    check_ending(window, before, path, ending, words)


@pytest.mark.parametrize("name", list(PICTURES))
def test_picture_dropped_on_the_canvas(drawn_one, qtbot, tmp_path, name):
    window = drawn_one
    make, ending, words = PICTURES[name]
    path = tmp_path / name
    make(path)
    before = window.recognition.model
    with qtbot.waitSignal(expected_signal(window, ending), timeout=10_000):
        accepted = drop_on(window.canvas, path)
    assert accepted == (True, True)
    check_ending(window, before, path, ending, words)


def test_a_failed_open_leaves_the_opened_picture_and_its_answer_as_they_were(
    window, qtbot, tmp_path, monkeypatch
):
    """A light-on-dark, wide picture of a 7 is read right; a fake PNG must not change that."""
    picture = ImageOps.invert(render_strokes(SEVEN, 200, (0.5, 0.5, 0.7), 16))
    wide = Image.new("L", (420, 200), 0)
    wide.paste(picture, (110, 0))
    good, fake = tmp_path / "seven.png", tmp_path / "fake.png"
    wide.save(good)
    fake.write_text("not a picture at all")
    chosen = iter([good, fake])
    monkeypatch.setattr(
        QFileDialog,
        "getOpenFileName",
        staticmethod(lambda *args, **kwargs: (str(next(chosen)), "")),
    )
    with qtbot.waitSignal(window.recognition.imageOpened, timeout=10_000):
        window.open_action.trigger()
    assert window.bars.winner() == 7
    before = (window.bars.values(), window.result_label.text())
    with qtbot.waitSignal(window.recognition.imageFailed, timeout=10_000):
        window.open_action.trigger()
    qtbot.wait(300)  # any answer that followed would have arrived by now
    assert "fake.png" in window.banner.text()
    assert window.bars.values() == before[0] and window.bars.winner() == 7
    assert window.result_label.text() == before[1]
    assert window.canvas.has_picture and window.canvas.strokes() == []
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=10_000):
        window.predict()  # Predict still reads the opened picture, not the screen
    assert window.bars.winner() == 7


def test_dropped_broken_model_or_model_folder_keeps_the_model(window, qtbot, tmp_path):
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    folder = tmp_path / "folder.npz"
    folder.mkdir()
    before = window.recognition.model
    for path, words in ((broken, "not a DigitPad model file"), (folder, "is a folder")):
        with qtbot.waitSignal(window.recognition.modelFailed, timeout=5000):
            assert drop_on(window.canvas, path) == (True, True)
        assert window.recognition.model is before and window.settings.model == "fcnn"
        assert words in window.banner.text() and "Still using FCNN" in window.banner.text()


def test_drops_that_are_not_local_files_are_refused(drawn_one, qtbot, tmp_path):
    window = drawn_one
    path = tmp_path / "seven.png"
    seven().save(path)
    opened = []
    window.recognition.imageOpened.connect(lambda *a: opened.append(a))
    window.recognition.imageFailed.connect(opened.append)
    assert drop_on(window.canvas, path, kind="web") == (False, False)
    assert drop_on(window.canvas, path, kind="text") == (False, False)
    qtbot.wait(200)
    assert opened == [] and window.banner.text() == ""
    assert window.bars.winner() == 1 and not window.canvas.has_picture


# --- the canvas under the mouse -------------------------------------------------------------
def predicted(window, qtbot, action):
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000) as blocker:
        action()
    return blocker.args[0]


@pytest.mark.parametrize("pen", ["Thin", "Medium", "Thick"])
def test_a_single_click_is_nothing_drawn_not_a_guess(window, qtbot, mouse, pen):
    window.pen_actions[pen].trigger()
    canvas = window.canvas
    # Live prediction answers when the button is released.
    answer = predicted(
        window, qtbot, lambda: mouse.drag(canvas, [(canvas.width() / 2, canvas.height() / 2)])
    )
    assert answer.digit is None and answer.probabilities is None
    assert not canvas.is_empty  # the dot is on the canvas
    # Predict, asked for explicitly, says the same.
    answer = predicted(window, qtbot, window.predict_button.click)
    assert answer.digit is None
    assert window.bars.values() is None and window.bars.message().startswith("Nothing to recognise")
    assert window.result_label.text() == "–"


def test_a_canvas_covered_in_ink_gives_no_crash(window, qtbot, mouse):
    window.live_action.setChecked(False)
    window.pen_actions["Thick"].trigger()
    canvas = window.canvas
    w, h = canvas.width(), canvas.height()
    for y in range(-10, h + 20, 12):
        mouse.drag(canvas, [(-10, y), (w + 10, y)])
    image = canvas.image()
    assert image.max() < 80, "the canvas should be covered in ink"
    # Ink everywhere is a dark background with nothing on it: no digit, and no guess.
    answer = predicted(window, qtbot, window.predict_button.click)
    assert answer.digit is None and answer.probabilities is None
    assert window.bars.values() is None
    assert window.bars.message() == "Nothing to recognise: nothing drawn"
    assert window.result_label.text() == "–"
    assert window.banner.text() == ""


def test_a_stroke_that_leaves_the_canvas_and_comes_back_stays_continuous(canvas, mouse, qtbot):
    # Right across, out past the right edge and the top, back in, down the middle.
    path = [(60, 150), (200, 150), (420, 150), (420, -80), (150, -80), (150, 60), (150, 250)]
    with qtbot.waitSignal(canvas.strokeFinished, timeout=1000):
        mouse.drag(canvas, path)
    image = canvas.image()
    for x in range(60, 300, 8):
        assert mouse.ink_at(image, canvas, x, 150) > 200, f"gap at x={x} on the way out"
    for y in range(2, 251, 8):
        assert mouse.ink_at(image, canvas, 150, y) > 200, f"gap at y={y} on the way back"
    assert mouse.ink_at(image, canvas, 60, 60) == 0
    # The points outside are kept, so the stroke re-renders the same after a resize.
    stroke = canvas.strokes()[0]
    assert len(stroke) == len(path) and max(x for x, _ in stroke) > 0.5
    canvas.resize(400, 400)
    qtbot.waitUntil(lambda: canvas.image().shape[1] >= 400, timeout=1000)
    image = canvas.image()
    assert mouse.ink_at(image, canvas, 200 + (150 - 150) * 4 / 3, 200 + (250 - 150) * 4 / 3) > 200
    assert mouse.ink_at(image, canvas, 399, 200) > 200  # the part that left reaches the edge


def test_resizing_the_window_while_the_button_is_down(window, qtbot, mouse):
    window.live_action.setChecked(False)
    canvas = window.canvas
    old_w, old_h = canvas.width(), canvas.height()
    side = min(old_w, old_h)
    start = (old_w / 2 - side * 0.3, old_h / 2)
    middle = (old_w / 2, old_h / 2)
    mouse.press(canvas, *start)
    for t in range(1, 11):
        mouse.move(canvas, start[0] + (middle[0] - start[0]) * t / 10, old_h / 2)

    window.resize(window.width() + 300, window.height() + 200)
    qtbot.waitUntil(lambda: canvas.width() > old_w and canvas.height() > old_h, timeout=2000)
    w, h = canvas.width(), canvas.height()
    new_side = min(w, h)
    # What was drawn before the resize is still on screen, scaled like finished strokes.
    image = canvas.image()
    for t in (0.1, 0.5, 0.9):
        x = w / 2 + (-0.3 + 0.3 * t) * new_side
        assert mouse.ink_at(image, canvas, x, h / 2) > 200, f"the stroke lost its ink at {t}"

    # The stroke goes on from where the pointer now is, then down.
    end = (w / 2, h / 2 + new_side * 0.3)
    for t in range(1, 11):
        mouse.move(canvas, w / 2, h / 2 + (end[1] - h / 2) * t / 10)
    mouse.release(canvas, *end)
    image = canvas.image()
    for t in (0.1, 0.5, 0.9):
        assert mouse.ink_at(image, canvas, w / 2, h / 2 + new_side * 0.3 * t) > 200
    stroke = canvas.strokes()[0]
    assert len(canvas.strokes()) == 1
    assert stroke[0] == pytest.approx((-0.3, 0.0), abs=1e-6)  # where the press was
    assert stroke[-1] == pytest.approx((0.0, 0.3), abs=0.01)
    answer = predicted(window, qtbot, window.predict_button.click)
    assert answer.digit is not None or answer.reason
