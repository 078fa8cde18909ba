"""The drawing canvas, driven by real mouse events."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, Qt

pytest_plugins = ["ui_helpers"]


def test_new_canvas_is_empty_and_white(canvas):
    image = canvas.image()
    assert canvas.is_empty
    assert image.shape[0] >= 300 and image.shape[1] >= 300
    assert image.min() > 200


def test_stroke_leaves_ink_along_its_path_and_emits_signals(canvas, mouse, qtbot):
    with qtbot.waitSignal(canvas.strokeFinished, timeout=1000):
        mouse.drag(canvas, [(50, 150), (100, 150), (150, 150), (200, 150), (250, 150)])
    image = canvas.image()
    for x in range(50, 251, 10):
        assert mouse.ink_at(image, canvas, x, 150) > 200, f"no ink at x={x}"
    assert mouse.ink_at(image, canvas, 150, 60) == 0
    assert not canvas.is_empty
    assert len(canvas.strokes()) == 1


def test_fast_stroke_with_big_jumps_is_continuous(canvas, mouse):
    # Three mouse events across the whole canvas: the ink between them must be solid.
    mouse.drag(canvas, [(20, 20), (280, 280), (20, 280)])
    image = canvas.image()
    for t in range(0, 101, 4):
        x = 20 + 260 * t / 100
        assert mouse.ink_at(image, canvas, x, x) > 200, f"gap on the diagonal at {x:.0f}"
        assert mouse.ink_at(image, canvas, x, 280) > 200, f"gap on the bottom edge at {x:.0f}"


def test_ink_is_antialiased(canvas, mouse):
    mouse.drag(canvas, [(40, 100), (260, 140)])
    levels = set(canvas.image().ravel().tolist())
    assert len(levels) > 10, "edges should have intermediate grey levels"


def test_a_click_leaves_a_round_dot(canvas, mouse):
    mouse.drag(canvas, [(150, 150)])
    image = canvas.image()
    assert mouse.ink_at(image, canvas, 150, 150) > 200
    assert mouse.ink_at(image, canvas, 150 + 12, 150) == 0  # radius is 9 px for an 18 px pen


def test_every_move_asks_for_a_prediction_update(canvas, mouse, qtbot):
    changes = []
    canvas.changed.connect(lambda: changes.append(1))
    mouse.drag(canvas, [(50, 50), (60, 60), (70, 70), (80, 80)])
    assert len(changes) >= 4


def test_undo_removes_only_the_last_stroke(canvas, mouse):
    mouse.drag(canvas, [(50, 100), (250, 100)])
    mouse.drag(canvas, [(50, 200), (250, 200)])
    canvas.undo()
    image = canvas.image()
    assert mouse.ink_at(image, canvas, 150, 100) > 200
    assert mouse.ink_at(image, canvas, 150, 200) == 0
    assert len(canvas.strokes()) == 1
    canvas.undo()
    assert canvas.is_empty
    canvas.undo()  # nothing left: no error
    assert canvas.is_empty


def test_redo_takes_back_each_undo_until_a_new_stroke(canvas, mouse):
    mouse.drag(canvas, [(50, 100), (250, 100)])
    mouse.drag(canvas, [(50, 200), (250, 200)])
    drawn = canvas.image()
    assert not canvas.can_redo
    canvas.undo()
    canvas.undo()
    assert canvas.is_empty and canvas.can_redo
    canvas.redo()
    assert len(canvas.strokes()) == 1 and canvas.can_redo
    canvas.redo()
    assert (canvas.image() == drawn).all() and not canvas.can_redo
    canvas.redo()  # nothing left to redo: no error, nothing changes
    assert (canvas.image() == drawn).all()
    # A new stroke after an undo is a new drawing: what was undone cannot come back on it.
    canvas.undo()
    mouse.drag(canvas, [(150, 40), (150, 260)])
    assert not canvas.can_redo
    canvas.redo()
    image = canvas.image()
    assert mouse.ink_at(image, canvas, 150, 150) > 200
    assert mouse.ink_at(image, canvas, 100, 200) == 0


def test_undo_waits_for_the_pen_to_lift(canvas, mouse):
    mouse.drag(canvas, [(50, 100), (250, 100)])
    mouse.press(canvas, 50, 200)
    mouse.move(canvas, 250, 200)
    canvas.undo()  # mid-stroke: nothing to take yet
    mouse.release(canvas, 250, 200)
    assert len(canvas.strokes()) == 2 and not canvas.can_redo
    canvas.undo()
    canvas.redo()
    assert len(canvas.strokes()) == 2


def test_redo_after_undoing_a_clear_clears_again_and_undo_still_restores(canvas, mouse):
    mouse.drag(canvas, [(50, 100), (250, 100)])
    mouse.drag(canvas, [(50, 200), (250, 200)])
    drawn = canvas.image()
    canvas.clear()
    assert not canvas.can_redo  # Clear ends what Undo could redo, as a stroke does
    canvas.undo()  # the drawing back
    canvas.undo()  # and its last stroke taken
    canvas.redo()
    assert (canvas.image() == drawn).all() and canvas.redo_clears
    canvas.redo()  # the Clear again
    assert canvas.is_empty and canvas.can_restore
    canvas.undo()  # whole, though one stroke was undone and redone in between
    assert (canvas.image() == drawn).all()


def test_clear_empties_the_canvas(canvas, mouse, qtbot):
    mouse.draw(canvas, mouse.SEVEN)
    with qtbot.waitSignal(canvas.changed, timeout=1000):
        canvas.clear()
    assert canvas.is_empty
    assert canvas.image().min() > 200


def test_resize_keeps_the_drawing_scaled(canvas, mouse, qtbot):
    mouse.draw(canvas, mouse.ONE)
    mouse.drag(canvas, [(150, 140), (150, 160)])  # a mark in the very centre
    canvas.resize(600, 600)
    qtbot.wait(10)
    assert canvas.width() == canvas.height() == 600
    image = canvas.image()
    # Re-rendered at the new size, at device resolution.
    side_px = round(600 * canvas.devicePixelRatioF())
    assert image.shape == (side_px, side_px)
    assert mouse.ink_at(image, canvas, 300, 300) > 200
    assert len(canvas.strokes()) == 2
    # The 1's long vertical stroke stays in the same place relative to the canvas.
    side = 600 * 0.7
    assert mouse.ink_at(image, canvas, (600 - side) / 2 + 0.55 * side, 300 + 0.3 * side) > 200


def test_pen_width_changes_the_stroke(canvas, mouse):
    mouse.drag(canvas, [(50, 150), (250, 150)])
    thin = (canvas.image() < 128).sum()
    canvas.set_pen_width(36)
    thick = (canvas.image() < 128).sum()
    assert thick > 1.6 * thin


def test_right_button_does_not_draw(canvas, mouse):
    mouse.send(canvas, QEvent.Type.MouseButtonPress, QPointF(100, 100), Qt.MouseButton.RightButton)
    mouse.send(
        canvas, QEvent.Type.MouseButtonRelease, QPointF(100, 100), Qt.MouseButton.RightButton
    )
    assert canvas.is_empty


def test_pen_tablet_strokes_draw_like_the_mouse(canvas, mouse, qtbot):
    from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent
    from PySide6.QtWidgets import QApplication

    pen = QPointingDevice(
        "test pen",
        7,
        QInputDevice.DeviceType.Stylus,
        QPointingDevice.PointerType.Pen,
        QInputDevice.Capability.Position | QInputDevice.Capability.Pressure,
        1,
        2,
    )

    def tablet(kind: QEvent.Type, x: float, y: float) -> bool:
        pos = QPointF(x, y)
        held = (
            Qt.MouseButton.NoButton
            if kind == QEvent.Type.TabletRelease
            else Qt.MouseButton.LeftButton
        )
        event = QTabletEvent(
            kind,
            pen,
            pos,
            canvas.mapToGlobal(pos),
            0.8,
            0,
            0,
            0,
            0,
            0,
            Qt.KeyboardModifier.NoModifier,
            Qt.MouseButton.LeftButton,
            held,
        )
        QApplication.sendEvent(canvas, event)
        return event.isAccepted()

    with qtbot.waitSignal(canvas.strokeFinished, timeout=1000):
        assert tablet(QEvent.Type.TabletPress, 60, 60)
        for x in (120, 180, 240):
            tablet(QEvent.Type.TabletMove, x, x)
        tablet(QEvent.Type.TabletRelease, 240, 240)
    image = canvas.image()
    for x in range(60, 241, 15):
        assert mouse.ink_at(image, canvas, x, x) > 200, f"no ink at {x}"
    assert len(canvas.strokes()) == 1


def on_screen(widget, qtbot):
    """What the screen shows of ``widget`` now (its backing store), as 8-bit grey."""
    import numpy as np
    from PySide6.QtGui import QImage

    qtbot.wait(20)  # let pending partial repaints reach the screen
    image = widget.screen().grabWindow(widget.winId()).toImage()
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    rows = np.frombuffer(gray.constBits(), np.uint8).reshape(gray.height(), gray.bytesPerLine())
    return rows[:, : gray.width()].copy()


def hint_pixels(widget, qtbot) -> int:
    """Dark pixels in the middle band where the "Draw a digit here" hint is written."""
    shot = on_screen(widget, qtbot)
    h, w = shot.shape
    return int((shot[int(h * 0.43) : int(h * 0.57), int(w * 0.2) : int(w * 0.8)] < 200).sum())


def test_hint_shows_only_while_the_canvas_is_empty(canvas, mouse, qtbot):
    assert hint_pixels(canvas, qtbot) > 50  # the hint is there to begin with
    # A stroke in a corner, away from the hint: the hint must go all the same.
    mouse.drag(canvas, [(20, 20), (40, 40), (60, 30)])
    assert hint_pixels(canvas, qtbot) == 0
    canvas.clear()
    assert hint_pixels(canvas, qtbot) > 50
    mouse.drag(canvas, [(260, 260), (280, 280)])
    assert hint_pixels(canvas, qtbot) == 0
    canvas.undo()  # undo to empty brings it back
    assert hint_pixels(canvas, qtbot) > 50


def test_lifting_the_pen_leaves_what_a_full_repaint_of_the_strokes_gives(canvas, mouse):
    # A wiggly stroke: its live straight segments differ from the smooth curve it becomes.
    wiggle = [(40 + 10 * i, 150 + (30 if i % 2 else -30)) for i in range(23)]
    mouse.drag(canvas, wiggle)
    mouse.drag(canvas, [(60, 60), (240, 240)])
    mouse.drag(canvas, [(150, 40), (150, 260), (250, 200)])
    as_drawn = canvas.image()
    canvas.set_pen_width(canvas.pen_width())  # paints every stroke again from scratch
    assert (canvas.image() == as_drawn).all()


def test_clear_after_strokes_gives_a_blank_canvas_that_draws_again(canvas, mouse):
    blank = canvas.image()
    mouse.drag(canvas, [(50, 100), (250, 100)])
    canvas.clear()
    assert (canvas.image() == blank).all()
    mouse.drag(canvas, [(50, 200), (250, 200)])
    image = canvas.image()
    assert mouse.ink_at(image, canvas, 150, 200) > 200
    assert mouse.ink_at(image, canvas, 150, 100) == 0


def test_a_snapshot_keeps_the_drawing_as_it_was_while_the_pen_goes_on(canvas, mouse):
    from digitpad.ui.canvas import grey_pixels

    mouse.drag(canvas, [(50, 100), (250, 100)])
    before = canvas.image()
    snapshot = canvas.snapshot()
    mouse.drag(canvas, [(50, 200), (250, 200)])
    canvas.clear()
    assert (grey_pixels(snapshot) == before).all()
