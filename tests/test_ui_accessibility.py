"""Screen readers and colour: what the custom-painted widgets say, read through Qt's
accessibility interfaces of real widgets driven with the mouse."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent, QAccessibleEvent, QPalette

from digitpad.ui.charts import LineChart
from digitpad.ui.probability_bars import spoken

pytest_plugins = ["ui_helpers"]

NAME, DESCRIPTION = QAccessible.Text.Name, QAccessible.Text.Description


def said(widget, text: QAccessible.Text = DESCRIPTION) -> str:
    return QAccessible.queryAccessibleInterface(widget).text(text)


@pytest.fixture
def events(monkeypatch) -> list[QAccessibleEvent]:
    """The accessibility events the app sends to the platform's screen reader bridge."""
    sent: list[QAccessibleEvent] = []
    monkeypatch.setattr(QAccessible, "updateAccessibility", staticmethod(sent.append))
    return sent


def predicted(window, qtbot, action) -> None:
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        action()


def test_the_bars_speak_every_probability_most_likely_first(window, qtbot, mouse):
    bars = window.bars
    assert said(bars, NAME) == "Probability of each digit"
    assert "Nothing drawn" in said(bars)
    predicted(window, qtbot, lambda: mouse.draw(window.canvas, mouse.SEVEN))
    qtbot.waitUntil(lambda: bars.winner() == 7, timeout=3000)
    words = said(bars)
    assert words.startswith(f"7: {bars.value_text(7)}, ")
    assert sorted(int(part.split(":")[0]) for part in words.split(", ")) == list(range(10))
    window.clear_button.click()
    assert said(bars) == "Nothing drawn"


def test_spoken_bars_never_claim_certainty():
    assert spoken([0.0] * 9 + [0.99999]).startswith("9: >99.9%, 0: 0.0%")


def test_the_canvas_says_whether_it_holds_a_drawing(canvas, mouse):
    assert said(canvas, NAME) == "Drawing canvas"
    assert said(canvas).startswith("Empty")
    mouse.drag(canvas, [(40, 40), (120, 120)])
    assert said(canvas) == "Has a drawing of 1 stroke"
    mouse.drag(canvas, [(120, 40), (40, 120)])
    assert said(canvas) == "Has a drawing of 2 strokes"
    canvas.undo()
    canvas.undo()
    assert said(canvas).startswith("Empty")


def test_the_canvas_focus_frame_is_thicker_not_only_coloured(canvas, qtbot):
    canvas.activateWindow()
    canvas.setFocus()
    qtbot.waitUntil(canvas.hasFocus, timeout=2000)
    highlight = canvas.palette().color(QPalette.ColorRole.Highlight)
    middle = canvas.height() // 2
    focused = canvas.grab().toImage()
    assert focused.pixelColor(2, middle) == highlight
    canvas.clearFocus()
    qtbot.waitUntil(lambda: not canvas.hasFocus(), timeout=2000)
    assert canvas.grab().toImage().pixelColor(2, middle) != highlight


def test_the_answer_is_named_and_announced_when_it_changes(window, qtbot, mouse, events):
    label = window.result_label
    window.live_action.setChecked(False)
    mouse.draw(window.canvas, mouse.SEVEN)
    predicted(window, qtbot, window.predict_button.click)
    sure = window.confidence_label.text()
    assert said(label, NAME) == f"Recognised digit: 7, {sure}"
    spoken_now = [e.message() for e in events if isinstance(e, QAccessibleAnnouncementEvent)]
    assert spoken_now[-1] == f"Recognised digit: 7, {sure}"
    predicted(window, qtbot, window.predict_button.click)  # the same answer again
    again = [e.message() for e in events if isinstance(e, QAccessibleAnnouncementEvent)]
    assert again == spoken_now
    window.clear_button.click()
    assert said(label, NAME) == "No digit recognised: Nothing drawn"
    last = [e for e in events if isinstance(e, QAccessibleAnnouncementEvent)][-1]
    assert last.message() == "No digit recognised: Nothing drawn"


def test_an_error_in_the_strip_is_an_alert_with_its_words(window, qtbot, tmp_path, events):
    fake = tmp_path / "fake.png"
    fake.write_text("not a picture")
    with qtbot.waitSignal(window.recognition.imageFailed, timeout=5000):
        window.open_image(str(fake))
    strip = QAccessible.queryAccessibleInterface(window.banner)
    assert strip.role() == QAccessible.Role.AlertMessage
    assert strip.text(NAME).startswith("Error: Could not open the image") and "fake.png" in (
        strip.text(NAME)
    )
    alerts = [e for e in events if e.type() == QAccessible.Event.Alert]
    assert alerts and alerts[-1].object() is window.banner
    names = [strip.child(i).text(NAME) for i in range(strip.childCount())]
    assert "Error" in names and "Dismiss the message" in names


def test_the_strip_shows_its_level_by_icon_as_well_as_tint(window):
    window.banner.show_message("Saved", "info")
    info = window.banner.findChildren(type(window.result_label))[0].pixmap().toImage()
    assert said(window.banner, NAME) == "Notice: Saved"
    window.banner.show_message("Broken", "error")
    error = window.banner.findChildren(type(window.result_label))[0].pixmap().toImage()
    assert not info.isNull() and not error.isNull() and info != error


def test_what_the_model_sees_says_what_it_shows(window, qtbot, mouse):
    view = window.model_view
    assert said(view).startswith("Empty")
    window.why_check.setChecked(True)
    predicted(window, qtbot, lambda: mouse.draw(window.canvas, mouse.SEVEN))
    qtbot.waitUntil(view.has_evidence, timeout=3000)
    assert "28×28" in said(view) and "red" in said(view)


def test_the_chart_names_itself_and_speaks_its_latest_values(qtbot):
    chart = LineChart(x_label="epoch", empty_message="Loss and accuracy per epoch")
    qtbot.addWidget(chart)
    chart.add_series("loss", "Training loss", "loss", axis="left")
    chart.add_series("accuracy", "Test accuracy", "accuracy", axis="right", percent=True)
    assert said(chart, NAME) == "Chart of Training loss, Test accuracy by epoch"
    assert said(chart) == "Loss and accuracy per epoch"
    chart.append("loss", 1, 0.5)
    chart.append("accuracy", 1, 0.9)
    chart.append("loss", 2, 0.25)
    assert said(chart) == "Training loss 0.25 at epoch 2; Test accuracy 90.0% at epoch 1"
    chart.clear()
    assert said(chart) == "Loss and accuracy per epoch"


def test_chart_lines_differ_in_style_not_only_colour(qtbot):
    chart = LineChart()
    qtbot.addWidget(chart)
    for key in ("a", "b", "c"):
        chart.add_series(key, key, "loss")
    assert len(set(chart._styles().values())) == 3


ROLE_WITH_A_SCREEN_READER = """
import os, sys
from PySide6.QtCore import QSettings
from PySide6.QtGui import QAccessible
from digitpad.ui.app import create_application
from digitpad.ui.main_window import MainWindow
from digitpad.ui.settings import Settings

app = create_application([])
QAccessible.setActive(True)  # a screen reader is running: Qt makes interfaces as widgets appear
window = MainWindow(Settings(QSettings(sys.argv[1], QSettings.Format.IniFormat)))
window.show()
app.processEvents()
window.show_error("something went wrong")
print(QAccessible.queryAccessibleInterface(window.banner).role().name)
sys.stdout.flush()
os._exit(0)
"""


def test_the_strip_is_an_alert_when_a_screen_reader_was_running_first(tmp_path):
    """Qt keeps the first interface it made for a widget: with a screen reader running, one is
    made while the window is built, so the strip's role must be settled before then."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", ROLE_WITH_A_SCREEN_READER, str(tmp_path / "s.ini")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "AlertMessage", result.stderr
