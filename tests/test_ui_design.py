"""The design pass: what a person notices in the first minute, each checked on real widgets."""

from __future__ import annotations

from PySide6.QtCore import QPointF
from PySide6.QtGui import QPainterPath, QPalette

pytest_plugins = ["ui_helpers"]

from digitpad.ui.canvas import stroke_path  # noqa: E402
from digitpad.ui.main_window import MIN_CANVAS  # noqa: E402


def kinds(path: QPainterPath) -> list[str]:
    names = {
        QPainterPath.ElementType.MoveToElement: "move",
        QPainterPath.ElementType.LineToElement: "line",
        QPainterPath.ElementType.CurveToElement: "curve",
        QPainterPath.ElementType.CurveToDataElement: "data",
    }
    return [names[path.elementAt(i).type] for i in range(path.elementCount())]


def test_gentle_turns_are_rounded_and_sharp_corners_kept():
    arc = [QPointF(100 + 50 * i, 100 + 8 * i * i) for i in range(5)]
    assert "curve" in kinds(stroke_path(arc))  # no facets on a curve drawn with few points
    seven = [QPointF(0, 0), QPointF(100, 0), QPointF(40, 150)]  # the corner of a 7
    path = stroke_path(seven)
    assert "curve" not in kinds(path)
    corner = path.elementAt(1)
    assert (corner.x, corner.y) == (100, 0)  # the ink reaches the corner the hand made


def test_the_canvas_stays_a_usable_square_at_the_smallest_window(window, qtbot):
    window.resize(100, 100)
    qtbot.wait(20)
    assert window.canvas.width() >= MIN_CANVAS and window.canvas.height() >= MIN_CANVAS


def test_the_answer_is_large_and_its_confidence_beside_it(window, qtbot, mouse):
    window.live_action.setChecked(False)
    mouse.draw(window.canvas, mouse.SEVEN)
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        window.predict()
    assert window.result_label.text() == "7"
    assert window.result_label.font().pointSizeF() >= 2.5 * window.font().pointSizeF()
    assert window.confidence_label.text().endswith("% sure")
    window.clear()
    assert window.result_label.text() == "–" and window.confidence_label.text() == ""


def test_the_model_is_named_once(window):
    label = window.model_label.text()
    assert label.count("FCNN") == 1 and label.endswith("%")
    assert window.active_model_action.text() == f"In use: {label}"
    assert "Using" not in window.statusBar().currentMessage()


def test_empty_views_draw_no_track_under_the_message_and_keep_their_frame(window):
    bars = window.bars.grab().toImage()
    palette = window.bars.palette()
    track = palette.color(QPalette.ColorRole.AlternateBase)
    background = bars.pixelColor(2, 2)
    if track != background:
        row = window.bars._track_rect(0)  # the first row's track, away from the message
        assert bars.pixelColor(int(row.center().x()), int(row.center().y())) != track
    view = window.model_view
    image = view.grab().toImage()
    target = view._target()
    edge = image.pixelColor(int(target.left()), int(target.center().y()))
    assert edge.rgb() == view.palette().color(QPalette.ColorRole.Mid).rgb()  # 8 bits a channel
