"""DigitPad in display environments unlike a developer's: fractional scales, right-to-left
layouts, large fonts, pen tablets and small screens, each on real widgets."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QImage,
    QInputDevice,
    QMouseEvent,
    QPainter,
    QPalette,
    QPointingDevice,
    QTabletEvent,
)
from PySide6.QtWidgets import QApplication, QWidget

pytest_plugins = ["ui_helpers"]


def grey(image: QImage) -> np.ndarray:
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    rows = np.frombuffer(gray.constBits(), np.uint8).reshape(gray.height(), gray.bytesPerLine())
    return rows[:, : gray.width()].copy()


def rendered(widget: QWidget, ratio: float) -> np.ndarray:
    """``widget`` painted into an image of device pixel ``ratio``, as a screen at that scale
    would show it."""
    size = widget.size() * ratio
    image = QImage(size.width(), size.height(), QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(ratio)
    image.fill(Qt.GlobalColor.black)
    widget.render(image)
    return grey(image)


def run_lengths(line: np.ndarray) -> list[int]:
    """Lengths of the runs of light and dark pixels along ``line``."""
    light = line > 127
    edges = np.flatnonzero(light[1:] != light[:-1]) + 1
    return np.diff(np.concatenate([[0], edges, [len(line)]])).tolist()


@pytest.mark.parametrize("ratio", [1.25, 1.5, 1.75, 2.0])
def test_the_model_view_shows_every_pixel_as_an_equal_square_at_any_scale(qtbot, ratio):
    from digitpad.ui.model_view import ModelInputView

    view = ModelInputView()
    qtbot.addWidget(view)
    view.resize(100, 100)
    stripes = np.zeros((28, 28))
    stripes[:, ::2] = 1.0  # one light column in two
    view.set_pixels(stripes)
    image = rendered(view, ratio)
    middle = image[image.shape[0] // 2]
    inside = run_lengths(middle)[2:-2]  # the 28 columns, less the frame and the margins
    assert len(set(inside)) == 1, f"columns of unequal widths at {ratio}: {inside}"


def trimmed_ink(band: np.ndarray) -> np.ndarray:
    """The dark pixels of ``band`` (text), cut to their bounding box."""
    ink = band < 100
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def text_picture(widget: QWidget, text: str, size: QSize) -> np.ndarray:
    """``text`` in ``widget``'s font and colours, left to right at the left of ``size``."""
    image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(widget.palette().color(QPalette.ColorRole.Window))
    painter = QPainter(image)
    painter.setFont(widget.font())
    painter.setPen(widget.palette().color(QPalette.ColorRole.WindowText))
    flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    painter.drawText(QRectF(0, 0, size.width(), size.height()), flags, text)
    painter.end()
    return grey(image)


@pytest.fixture
def bars(qtbot):
    from digitpad.ui.probability_bars import ProbabilityBars

    widget = ProbabilityBars()
    qtbot.addWidget(widget)
    widget.resize(300, 250)
    return widget


def row_band(image: np.ndarray, bars, digit: int) -> np.ndarray:
    row = bars._row_rect(digit)
    return image[int(row.top()) + 1 : int(row.bottom()) - 1]


def test_the_winners_bold_value_keeps_clear_of_its_bar_at_a_large_font(bars):
    font = bars.font()
    font.setPointSizeF(font.pointSizeF() * 2)
    bars.setFont(font)
    bars.resize(bars.minimumSizeHint().width(), 400)
    bars.set_probabilities([1.0] + [0.0] * 9)  # a full bar, its value ">99.9%" in bold
    band = row_band(rendered(bars, 1.0), bars, 0)
    bar = bars._track_rect(0)  # the value is 1: the bar fills its track
    text_columns = np.flatnonzero((band[:, int(bar.right()) - 2 :] < 60).any(axis=0))
    # The first dark column right of the bar's end is the text; the bar itself is not dark.
    assert text_columns.size and text_columns[0] >= 4, "the value runs into the bar"


def test_right_to_left_bars_grow_from_the_right_and_values_read_as_numbers(bars):
    values = [0.0001, 0.0, 0.0, 0.5, 0.2, 0.1, 0.1, 0.05, 0.0499, 0.0]
    bars.set_probabilities(values)
    ltr = rendered(bars, 1.0)
    bars.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    rtl = rendered(bars, 1.0)
    bar = bars.bar_rect(3)
    assert bar.left() > bars.width() / 2 and bar.right() > bars.width() - bars._value_width()
    # The filled half is on the right: the ink of LTR's bar is found at its mirror image.
    y, x = int(bar.center().y()), int(bar.center().x())
    assert rtl[y, x] == ltr[y, bars.width() - 1 - x] != rtl[y, bars.width() - 1 - x]
    # "<0.1%" is the same picture in both directions (not "0.1%>"), at the far left in RTL.
    row = bars._row_rect(0)
    cell = QSize(bars._value_width(), int(row.height()))
    shown = rtl[: cell.height(), : cell.width()]
    assert np.array_equal(trimmed_ink(shown), trimmed_ink(text_picture(bars, "<0.1%", cell)))


def stylus(pointer: QPointingDevice.PointerType) -> QPointingDevice:
    return QPointingDevice(
        "test stylus",
        7,
        QInputDevice.DeviceType.Stylus,
        pointer,
        QInputDevice.Capability.Position | QInputDevice.Capability.Pressure,
        1,
        3,
    )


class Pen:
    """Tablet events as a pen sends them: tip or eraser, pressure 0–1, any button."""

    def __init__(self, widget: QWidget, pointer=QPointingDevice.PointerType.Pen) -> None:
        self.widget, self.device = widget, stylus(pointer)

    def send(self, kind, x, y, pressure=0.6, button=Qt.MouseButton.LeftButton) -> bool:
        pos = QPointF(x, y)
        held = Qt.MouseButton.NoButton if kind == QEvent.Type.TabletRelease else button
        event = QTabletEvent(
            kind,
            self.device,
            pos,
            self.widget.mapToGlobal(pos),
            pressure,
            0,
            0,
            0,
            0,
            0,
            Qt.KeyboardModifier.NoModifier,
            button,
            held,
        )
        QApplication.sendEvent(self.widget, event)
        return event.isAccepted()

    def mouse(self, kind, x, y) -> None:
        """The mouse event a platform synthesises from the pen, sent as it would be."""
        pos = QPointF(x, y)
        held = (
            Qt.MouseButton.NoButton
            if kind == QEvent.Type.MouseButtonRelease
            else Qt.MouseButton.LeftButton
        )
        button = (
            Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else Qt.MouseButton.LeftButton
        )
        event = QMouseEvent(
            kind,
            pos,
            pos,
            self.widget.mapToGlobal(pos),
            button,
            held,
            Qt.KeyboardModifier.NoModifier,
            Qt.MouseEventSource.MouseEventSynthesizedByQt,
            self.device,
        )
        QApplication.sendEvent(self.widget, event)

    def stroke(self, points, pressures=None, button=Qt.MouseButton.LeftButton) -> None:
        pressures = pressures or [0.6] * len(points)
        (x0, y0), *rest = points
        self.send(QEvent.Type.TabletPress, x0, y0, pressures[0], button)
        for (x, y), p in zip(rest, pressures[1:], strict=True):
            self.send(QEvent.Type.TabletMove, x, y, p, button)
        self.send(QEvent.Type.TabletRelease, *points[-1], 0.0, button)


def test_the_eraser_end_removes_the_stroke_it_touches_and_draws_nothing(canvas, mouse, qtbot):
    mouse.drag(canvas, [(50, 100), (250, 100)])
    mouse.drag(canvas, [(50, 200), (250, 200)])
    eraser = Pen(canvas, QPointingDevice.PointerType.Eraser)
    with qtbot.waitSignal(canvas.strokeFinished, timeout=1000):
        eraser.stroke([(150, 190), (150, 215)])  # across the lower line only
    image = canvas.image()
    assert len(canvas.strokes()) == 1
    assert mouse.ink_at(image, canvas, 150, 100) > 200
    assert mouse.ink_at(image, canvas, 150, 200) == 0 and mouse.ink_at(image, canvas, 150, 215) == 0
    eraser.stroke([(40, 40), (60, 60)])  # over bare paper: nothing drawn, nothing removed
    assert len(canvas.strokes()) == 1 and mouse.ink_at(canvas.image(), canvas, 50, 50) == 0


def picture_of(canvas, shade: int):
    """Open a plain picture of grey ``shade`` on the canvas; the Picture shown."""
    from PySide6.QtGui import QColor, QImage

    from digitpad.ui.inference import Page

    image = QImage(64, 64, QImage.Format.Format_RGB32)
    image.fill(QColor(shade, shade, shade))
    canvas.set_picture(image, Page(None))
    return canvas.picture


def test_erasing_the_stroke_drawn_first_over_a_picture_leaves_it_within_undos_reach(
    canvas, mouse, qtbot
):
    picture = picture_of(canvas, 200)
    mouse.drag(canvas, [(50, 100), (250, 100)])  # replaces the picture
    mouse.drag(canvas, [(50, 200), (250, 200)])
    Pen(canvas, QPointingDevice.PointerType.Eraser).stroke([(150, 90), (150, 110)])
    assert len(canvas.strokes()) == 1 and not canvas.has_picture
    canvas.undo()
    assert canvas.picture is picture and canvas.strokes() == []
    # Every stroke erased: the picture comes back as a cleared drawing does.
    canvas.redo()
    Pen(canvas, QPointingDevice.PointerType.Eraser).stroke([(150, 190), (150, 210)])
    assert canvas.is_empty and canvas.can_restore
    canvas.undo()
    assert canvas.picture is picture


def test_pictures_opened_one_after_another_do_not_all_stay_in_memory(canvas, mouse):
    import gc
    import weakref

    alive = []
    for shade in range(0, 200, 20):
        alive.append(weakref.ref(picture_of(canvas, shade)))
        mouse.drag(canvas, [(50, 100), (250, 100)])  # drawn over, then another opened
    gc.collect()
    assert sum(ref() is not None for ref in alive) <= 2
    # Undo still goes back: the last picture, then the stroke it was opened over.
    last = alive[-1]()
    assert len(canvas.strokes()) == 1 and not canvas.has_picture
    canvas.undo()
    assert canvas.picture is last and canvas.strokes() == []
    canvas.undo()
    assert len(canvas.strokes()) == 1 and not canvas.has_picture


def test_a_pen_side_button_does_not_draw(canvas):
    Pen(canvas).stroke([(50, 50), (150, 150)], button=Qt.MouseButton.RightButton)
    assert canvas.is_empty


def test_mouse_events_sent_with_a_pen_stroke_do_not_make_a_second_one(canvas, mouse, qtbot):
    pen = Pen(canvas)
    finished = []
    canvas.strokeFinished.connect(lambda: finished.append(1))
    kind = QEvent.Type
    pen.send(kind.TabletPress, 50.4, 150.3)
    pen.mouse(kind.MouseButtonPress, 50, 150)  # rounded to whole pixels, as synthesised
    for x in range(70, 251, 20):
        pen.send(kind.TabletMove, x + 0.4, 150.3)
        pen.mouse(kind.MouseMove, x, 150)
    pen.send(kind.TabletRelease, 250.4, 150.3)
    pen.mouse(kind.MouseButtonRelease, 250, 150)
    strokes = canvas.strokes()
    assert len(strokes) == 1 and len(finished) == 1
    assert len(strokes[0]) == 11  # the pen's press and ten moves (it lifts where it was)
    assert mouse.ink_at(canvas.image(), canvas, 52, 150) > 200  # the stroke's start is kept


def test_pressure_from_0_to_1_draws_one_even_line_and_leaving_the_canvas_is_harmless(canvas, mouse):
    points = [(40 + 20 * i, 150) for i in range(12)] + [(400, 150), (-60, 150)]
    pressures = [i / 13 for i in range(14)]
    pressures[0] = 0.0  # a press at no pressure still draws
    Pen(canvas).stroke(points, pressures)
    image = canvas.image()
    assert len(canvas.strokes()) == 1
    widths = [int((image[:, x] < 128).sum()) for x in (60, 150, 240)]
    assert max(widths) - min(widths) <= 1 and min(widths) >= 16  # an 18 px pen throughout


SMALL_SCREEN = QRect(0, 0, 800, 480)


@pytest.fixture
def small_screen(monkeypatch):
    from digitpad.ui import dialog_fit

    monkeypatch.setattr(dialog_fit, "available_geometry", lambda _widget: SMALL_SCREEN)
    return SMALL_SCREEN


def open_window(qtbot, settings, font_scale: float = 1.0):
    from digitpad.ui.main_window import MainWindow

    win = MainWindow(settings)
    qtbot.addWidget(win)
    if font_scale != 1.0:
        font = win.font()
        font.setPointSizeF(font.pointSizeF() * font_scale)
        win.setFont(font)
    win.show()
    qtbot.waitExposed(win)
    qtbot.wait(20)  # let a resize that grows the window back happen, if one would
    return win


@pytest.mark.parametrize("font_scale", [1.0, 2.0])
def test_on_an_800_by_480_screen_the_window_fits_and_every_control_is_in_reach(
    qtbot, settings, small_screen, font_scale
):
    win = open_window(qtbot, settings, font_scale)
    try:
        assert small_screen.contains(win.frameGeometry()), win.frameGeometry()

        def in_reach(widget) -> bool:
            top_left = widget.mapTo(win, widget.rect().topLeft())
            bottom_right = widget.mapTo(win, widget.rect().bottomRight())
            return win.rect().contains(top_left) and win.rect().contains(bottom_right)

        controls = (win.why_check, win.live_check, win.predict_button, win.clear_button)
        # The controls stay in view whatever the panel above them shows: no scrolling.
        assert all(in_reach(widget) and widget.isVisible() for widget in controls)
        panel = win.side_panel
        for widget in (win.bars, win.model_view, *controls):
            # Never squeezed below the least size it can draw in: the panel scrolls instead.
            assert widget.height() >= widget.minimumSizeHint().height(), widget
            if panel.isAncestorOf(widget):
                panel.ensureWidgetVisible(widget)
            assert in_reach(widget), widget
            if widget in controls:
                # Not hidden behind the scrolling panel either.
                where = widget.mapTo(win, widget.rect().center())
                assert not panel.geometry().contains(panel.parentWidget().mapFrom(win, where))
        assert win.canvas.width() >= 240 and win.canvas.height() >= 240
    finally:
        win.close()
