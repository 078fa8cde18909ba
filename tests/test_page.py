"""Photos of pages: uneven light and the page's own lines are taken away, the digit is kept."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from digitpad.page import clean_page
from digitpad.preprocess import prepare
from digitpad.selftest import DRAWINGS, SKETCHES
from digitpad.strokes import render_strokes
from training.pages import MARKS, page_photo


def similarity(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """Cosine similarity of two prepared inputs (0 when either is blank)."""
    if a is None or b is None:
        return 0.0
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))


def grey(image) -> np.ndarray:
    return np.asarray(image, np.float32) / 255


@pytest.mark.parametrize("marks", [m for m in MARKS if m != "plain"])
@pytest.mark.parametrize("digit", sorted(DRAWINGS))
def test_a_page_with_marks_is_prepared_as_the_clean_page_is(marks, digit):
    # The same seed writes the same digit in the same place, then adds the marks.
    clean = prepare(page_photo(DRAWINGS[digit], "plain", np.random.default_rng(2)), page=True)
    marked = page_photo(DRAWINGS[digit], marks, np.random.default_rng(2))
    assert similarity(prepare(marked, page=True).image, clean.image) > 0.95


@pytest.mark.parametrize("marks", ["vignette", "ruled", "squared", "frame", "ruled+shadow"])
def test_without_the_cleaning_the_marks_are_taken_for_ink(marks):
    clean = prepare(page_photo(DRAWINGS[7], "plain", np.random.default_rng(2)))
    marked = page_photo(DRAWINGS[7], marks, np.random.default_rng(2))
    assert similarity(prepare(marked).image, clean.image) < 0.6


@pytest.mark.parametrize("pen", [4, 16, 32])
@pytest.mark.parametrize("size", [0.3, 0.6, 1.0])
@pytest.mark.parametrize("sketch", [*SKETCHES.values(), *DRAWINGS.values()])
def test_drawings_and_their_tight_crops_come_back_as_they_were(sketch, size, pen):
    drawing = grey(render_strokes(sketch, 280, (0.5, 0.5, size), pen))
    ys, xs = np.nonzero(drawing < 0.5)
    crop = drawing[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    for picture in (drawing, crop):
        assert np.array_equal(clean_page(picture), picture)


def test_small_pictures_are_not_pages():
    tiny = np.ones((40, 40), np.float32)
    tiny[:, ::8] = 0.5  # would be ruled paper, if it were large enough to be a page
    assert clean_page(tiny) is tiny


def lines_across(side: int, rows: list[int], grey_level: float, width: int = 2) -> np.ndarray:
    page = np.full((side, side), 0.92, np.float32)
    for row in rows:
        page[row : row + width] = grey_level
    return page


def test_a_single_stroke_as_dark_as_the_pen_is_the_digit_not_a_line():
    one = lines_across(200, [], 0.1).T.copy()
    one[:, 96:104] = 0.1  # a tightly cut 1: one straight stroke from edge to edge
    assert np.array_equal(clean_page(one), one)


def test_a_lone_printed_line_paler_than_the_pen_is_removed():
    page = lines_across(200, [150], 0.6)
    page[40:140, 96:104] = 0.1  # the digit: a 1 above the line
    cleaned = clean_page(page)
    assert cleaned[150:152].min() > 0.85  # the line is paper again
    assert np.array_equal(cleaned[40:140, 96:104], page[40:140, 96:104])  # the pen's is kept


def test_strokes_crossing_ruled_lines_keep_their_ink():
    page = lines_across(240, [40, 90, 140, 190], 0.1)  # ruled as dark as the pen
    page[20:220, 110:118] = 0.1  # a stroke crossing all four
    cleaned = clean_page(page)
    assert cleaned[:, 110:118][20:220].max() < 0.2  # unbroken where it crosses
    for row in (40, 90, 140, 190):
        assert cleaned[row : row + 2, :100].min() > 0.85  # the lines themselves are gone
        assert cleaned[row : row + 2, 130:].min() > 0.85


def test_chalk_on_a_dark_board_is_cleaned_too():
    rng = np.random.default_rng(3)
    clean = 1 - grey(page_photo(DRAWINGS[7], "plain", rng))
    marked = 1 - grey(page_photo(DRAWINGS[7], "squared", np.random.default_rng(3)))
    assert similarity(prepare(marked, page=True).image, prepare(clean, page=True).image) > 0.95


def test_a_picture_opened_from_a_file_is_cleaned_but_a_drawing_is_not(tmp_path):
    from digitpad.images import load_image

    path = tmp_path / "ruled.png"
    Image.fromarray(page_photo(DRAWINGS[1], "ruled", np.random.default_rng(4))).save(path)
    clean = prepare(page_photo(DRAWINGS[1], "plain", np.random.default_rng(4)), page=True)
    assert similarity(prepare(load_image(path), page=True).image, clean.image) > 0.95


def test_unknown_marks_are_refused():
    with pytest.raises(ValueError, match="unknown page marks"):
        page_photo(DRAWINGS[1], "coffee", np.random.default_rng(0))


def test_the_same_seed_makes_the_same_page():
    first = page_photo(DRAWINGS[0], "ruled+shadow", np.random.default_rng(9))
    again = page_photo(DRAWINGS[0], "ruled+shadow", np.random.default_rng(9))
    assert first.dtype == np.uint8 and np.array_equal(first, again)


@pytest.mark.parametrize("digit", sorted(DRAWINGS))
def test_a_saved_drawing_opened_again_is_prepared_exactly_as_on_the_canvas(digit, tmp_path):
    from digitpad.images import load_image

    drawing = render_strokes(DRAWINGS[digit], 280, (0.4, 0.6, 0.5), 24)
    drawing.save(tmp_path / "drawing.png")
    opened = prepare(load_image(tmp_path / "drawing.png"), page=True)
    assert np.array_equal(opened.image, prepare(np.asarray(drawing)).image)
