"""The probability bars and the model-input view: state, size and clicks."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from digitpad.ui.model_view import ModelInputView
from digitpad.ui.probability_bars import ProbabilityBars, percent

pytest_plugins = ["ui_helpers"]


@pytest.fixture
def bars(qtbot) -> ProbabilityBars:
    widget = ProbabilityBars()
    qtbot.addWidget(widget)
    widget.resize(240, 300)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_winner_is_the_largest_probability(bars):
    p = np.full(10, 0.02)
    p[3] = 0.82
    bars.set_probabilities(p)
    assert bars.winner() == 3
    assert bars.values()[3] == pytest.approx(0.82)
    assert "3" in bars.toolTip()


def test_clear_shows_a_message_and_no_values(bars):
    bars.set_probabilities(np.full(10, 0.1))
    bars.clear("Nothing drawn")
    assert bars.values() is None and bars.winner() is None
    assert bars.message() == "Nothing drawn"


@pytest.mark.parametrize(
    ("p", "text"),
    [(0.99996, ">99.9%"), (0.9994, "99.9%"), (0.5, "50.0%"), (0.0006, "0.1%"), (0.0001, "<0.1%")],
)
def test_percentages_never_claim_certainty(p, text):
    assert percent(p) == text
    assert percent(0.0) == "0.0%"  # exactly nothing is nothing


def test_bars_and_their_tooltip_never_claim_certainty(window):
    p = np.zeros(10)
    p[4], p[9] = 0.99996, 0.00004
    window.bars.set_probabilities(p)
    assert window.bars.value_text(4) == ">99.9%" and window.bars.value_text(9) == "<0.1%"
    assert ">99.9%" in window.bars.toolTip()


def test_wrong_number_of_values_is_refused(bars):
    with pytest.raises(ValueError):
        bars.set_probabilities([0.5, 0.5])


def test_clicking_a_bar_emits_its_digit(bars, qtbot):
    row = bars.height() / 10
    for digit in (0, 6, 9):
        with qtbot.waitSignal(bars.digitClicked, timeout=1000) as blocker:
            qtbot.mouseClick(
                bars,
                Qt.MouseButton.LeftButton,
                pos=QPoint(bars.width() // 2, int(row * digit + row / 2)),
            )
        assert blocker.args == [digit]


def test_size_hint_follows_the_font(bars):
    small = bars.sizeHint()
    font = bars.font()
    font.setPointSizeF(font.pointSizeF() * 2)
    bars.setFont(font)
    big = bars.sizeHint()
    assert big.width() > small.width() and big.height() > small.height()


def test_winner_bar_is_painted_in_the_highlight_colour(bars):
    p = np.zeros(10)
    p[5] = 1.0
    bars.set_probabilities(p)
    image = bars.grab().toImage()
    highlight = bars.palette().highlight().color()
    row_y = int(bars.height() / 10 * 5.5)
    colours = {image.pixelColor(x, row_y).name() for x in range(bars.width())}
    assert highlight.name() in colours


def test_model_view_shows_the_28x28_input(qtbot):
    view = ModelInputView()
    qtbot.addWidget(view)
    view.resize(140, 140)
    pixels = np.zeros((28, 28), np.float32)
    pixels[10:18, 13:15] = 1.0
    view.set_pixels(pixels)
    assert view.pixels().shape == (28, 28) and view.pixels().max() == 255
    image = view.grab().toImage()
    # 140 px → a 140 px square of 5 px cells; cell (14, 13) is ink, (2, 2) is background.
    assert image.pixelColor(13 * 5 + 2, 14 * 5 + 2).value() > 200
    assert image.pixelColor(2 * 5 + 2, 2 * 5 + 2).value() < 50
    view.set_pixels(None)
    assert view.pixels() is None
