"""Light and dark palettes: the window and both dialogs take every colour from the palette."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QFontMetrics, QPalette
from PySide6.QtWidgets import QApplication

pytest_plugins = ["ui_helpers"]

from digitpad.ui.charts import LineChart, Series, chart_layout  # noqa: E402
from digitpad.ui.colours import COLOURS, colour, contrast, is_dark  # noqa: E402

ROLES = QPalette.ColorRole


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, value in {
        ROLES.Window: "#202124",
        ROLES.WindowText: "#e8eaed",
        ROLES.Base: "#18191b",
        ROLES.AlternateBase: "#2a2b2e",
        ROLES.Text: "#e8eaed",
        ROLES.Button: "#2d2e31",
        ROLES.ButtonText: "#e8eaed",
        ROLES.PlaceholderText: "#9aa0a6",
        ROLES.Highlight: "#8ab4f8",
        ROLES.HighlightedText: "#202124",
    }.items():
        palette.setColor(role, QColor(value))
    return palette


@pytest.fixture(params=["light", "dark"])
def themed(request, qapp):
    before = qapp.palette()
    palette = dark_palette() if request.param == "dark" else QApplication.style().standardPalette()
    qapp.setPalette(palette)
    yield palette
    qapp.setPalette(before)


@pytest.mark.parametrize("name", sorted(COLOURS))
def test_every_named_colour_stands_out_in_both_palettes(themed, name):
    needed = 4.5 if name == "error" else 3.0
    for role in (ROLES.Base, ROLES.Window):
        assert contrast(colour(name, themed), themed.color(role)) >= needed


def test_the_dialogs_and_the_window_follow_the_palette(themed, window, qtbot, tmp_path):
    dark = is_dark(themed)
    window.training.retrain_action.trigger()
    window.search.action.trigger()
    retrain, search = window.training.dialog, window.search.dialog
    retrain.chart.append("loss", 1, 0.5)
    retrain.chart.append("accuracy", 1, 0.9)
    retrain._show_error("Training failed: an example")
    for widget in (window, retrain, search):
        image = widget.grab().toImage()
        corner = image.pixelColor(image.width() // 2, image.height() - 3)
        assert (corner.lightness() < 128) == dark, widget
    chart = retrain.chart.grab().toImage()
    background = chart.pixelColor(chart.width() // 2, chart.height() - 2)
    assert (background.lightness() < 128) == dark
    label = retrain.error_label.palette().color(ROLES.WindowText)
    assert label == colour("error", themed)
    assert contrast(label, retrain.palette().color(ROLES.Window)) >= 4.5
    # The line is drawn in the palette's variant of its colour.
    line = retrain.chart._colour(retrain.chart._series["loss"])
    assert line == colour("loss", themed)


def test_a_palette_switch_recolours_an_error_label_already_shown(window, qapp):
    window.training.retrain_action.trigger()
    label = window.training.dialog.error_label
    before = qapp.palette()
    try:
        qapp.setPalette(dark_palette())
        qapp.processEvents()
        assert label.palette().color(ROLES.WindowText) == QColor(COLOURS["error"][1])
        qapp.setPalette(QApplication.style().standardPalette())
        qapp.processEvents()
        assert label.palette().color(ROLES.WindowText) == QColor(COLOURS["error"][0])
    finally:
        qapp.setPalette(before)


@pytest.mark.parametrize(
    ("loss", "accuracy"),
    [([0.5, 0.2], [0.9125, 0.9175]), ([1234.5, 3.0], [0.0125, 0.99]), ([0.001], [1.0])],
)
@pytest.mark.parametrize("size", [(240, 120), (420, 200), (900, 500)])
def test_no_chart_label_is_cut_at_the_edge(qapp, loss, accuracy, size):
    metrics = QFontMetrics(qapp.font())
    series = {
        "loss": Series("Training loss", "loss", "left", False, list(enumerate(loss, 1))),
        "accuracy": Series(
            "Test accuracy", "accuracy", "right", True, list(enumerate(accuracy, 1))
        ),
    }
    width, height = size
    layout = chart_layout(series, 40, width, height, metrics.horizontalAdvance, metrics.height())
    plot = layout.plot
    for side, axis in layout.axes.items():
        widest = max(metrics.horizontalAdvance(t.label) for t in axis.ticks)
        assert layout.label_width[side] >= widest + 4
        assert all(plot.top() - 0.5 <= t.position <= plot.bottom() + 0.5 for t in axis.ticks)
    assert plot.left() >= layout.label_width["left"] - 0.5
    assert plot.right() + layout.label_width["right"] <= width + 0.5
    assert layout.x_title.bottom() <= height + 0.5
    assert all(plot.left() - 0.5 <= t.position <= plot.right() + 0.5 for t in layout.x_ticks)
    for points in layout.lines.values():
        assert all(
            plot.contains(QPointF(p.x(), p.y())) or plot.adjusted(-1, -1, 1, 1).contains(p)
            for p in points
        )


def test_an_empty_chart_has_no_layout():
    assert chart_layout({"a": Series("a", "loss")}, None, 400, 200, len, 10) is None
    chart = LineChart()
    chart.add_series("a", "A", "loss")
    assert chart.points("a") == []


def test_disabled_text_is_dimmer_yet_readable_in_a_hand_made_dark_palette(qapp, qtbot, window):
    """``setColor`` without a group gives disabled text the enabled colour: nothing looked
    disabled. Cancel training (disabled while nothing runs) must be dimmer than Start,
    yet readable on its button."""
    before = qapp.palette()
    try:
        qapp.setPalette(dark_palette())
        window.training.retrain_action.trigger()
        dialog = window.training.dialog
        disabled_group = QPalette.ColorGroup.Disabled
        qtbot.waitUntil(
            lambda: (
                dialog.cancel_button.palette().color(disabled_group, ROLES.ButtonText)
                != dialog.start_button.palette().color(ROLES.ButtonText)
            )
        )
        assert dialog.start_button.isEnabled() and not dialog.cancel_button.isEnabled()
        button = dialog.cancel_button.palette().color(ROLES.Button)
        enabled, disabled = text_colour(dialog.start_button), text_colour(dialog.cancel_button)
        assert contrast(disabled, button) < contrast(enabled, button) - 2
        assert contrast(disabled, button) >= 2.5
    finally:
        qapp.setPalette(before)


def test_hints_in_empty_fields_are_readable_in_a_hand_made_dark_palette(qapp):
    """Such a palette keeps the light theme's dark grey for placeholder text: the Search
    dialog's "folder with train-images…" vanished on its dark field."""
    from digitpad.ui.colours import with_readable_disabled

    unset = dark_palette()
    unset.setColor(ROLES.PlaceholderText, QPalette().color(ROLES.PlaceholderText))
    made = with_readable_disabled(unset)
    base = made.color(ROLES.Base)
    hint, text = made.color(ROLES.PlaceholderText), made.color(ROLES.Text)
    assert 2.5 <= contrast(hint, base) < contrast(text, base)
    light = QPalette(QColor("#efefef"))  # a palette whose hints already read: left as it is
    assert with_readable_disabled(light).color(ROLES.PlaceholderText) == light.color(
        ROLES.PlaceholderText
    )


def text_colour(widget) -> QColor:
    """The colour of a widget's text as drawn: its pixel farthest from the button's face."""
    image = widget.grab().toImage()
    face = image.pixelColor(4, image.height() // 2)
    pixels = [
        image.pixelColor(x, y)
        for x in range(image.width() // 4, 3 * image.width() // 4)
        for y in range(image.height() // 4, 3 * image.height() // 4)
    ]
    return max(pixels, key=lambda c: contrast(c, face))
