"""Photos of pages: uneven light and the page's own lines are taken away, the digit is kept."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from digitpad.page import _find_lines, clean_page
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
        assert clean_page(picture) is picture  # prepare() relies on the very same array


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


# A square 0 and a seven-segment 8: straight strokes, parallel, nearly edge to edge.
BOXY = {
    0: [[(0.05, 0.05), (0.95, 0.05), (0.95, 0.95), (0.05, 0.95), (0.05, 0.05)]],
    8: [
        [(0.05, 0.05), (0.95, 0.05), (0.95, 0.95), (0.05, 0.95), (0.05, 0.05)],
        [(0.05, 0.5), (0.95, 0.5)],
    ],
}


@pytest.mark.parametrize("pen", [3, 8])
@pytest.mark.parametrize("digit", sorted(BOXY))
def test_a_digit_of_straight_strokes_is_not_taken_for_lines(digit, pen):
    drawing = grey(render_strokes(BOXY[digit], 280, (0.5, 0.5, 0.9), pen))
    assert clean_page(drawing) is drawing


def test_a_stroke_across_less_than_the_reach_is_no_line():
    mask = np.zeros((300, 300), bool)
    mask[150:152, 20:143] = True  # 41% of the width, two pixels thick
    assert _find_lines(mask) == []
    mask[150:151, 20:270] = True  # 83%: a line
    assert len(_find_lines(mask)) == 1


def blank_ruled(tilt_degrees: float, side: int = 400) -> np.ndarray:
    """A blank page ruled every 40 px, tilted: the lines leave it through its top and bottom."""
    ys, xs = np.mgrid[0:side, 0:side].astype(np.float32)
    along = ys - np.tan(np.radians(tilt_degrees)) * xs
    page = np.where(np.abs((along % 40) - 20) < 1.2, 0.55, 0.92).astype(np.float32)
    return page + np.random.default_rng(0).normal(0, 0.01, page.shape).astype(np.float32)


@pytest.mark.parametrize("tilt", [0.0, 1.0, 2.5, 5.0, 8.0])
def test_a_blank_ruled_page_taken_askew_is_nothing_drawn(tilt):
    assert prepare(blank_ruled(tilt), page=True).is_blank
    assert not prepare(blank_ruled(tilt)).is_blank  # the lines alone would be read as a digit


def test_a_dim_photo_is_read_as_its_well_lit_page():
    lit = page_photo(DRAWINGS[7], "plain", np.random.default_rng(5)).astype(np.float32) / 255
    clean = prepare(lit, page=True)
    dim = lit * 0.35  # the paper grey, not white; the ink darker still
    assert similarity(prepare(dim, page=True).image, clean.image) > 0.95
    assert prepare(dim).image is None or similarity(prepare(dim).image, clean.image) < 0.9


@pytest.mark.parametrize("covered", [0.6, 0.8])
def test_a_shadow_over_most_of_the_page_is_still_paper(covered):
    # Its edge stays clear of the digit: a sharp edge across the strokes leaves a trace.
    lit = page_photo(DRAWINGS[0], "plain", np.random.default_rng(6)).astype(np.float32) / 255
    xs = np.linspace(0, 1, lit.shape[1])[None, :]
    shade = 1 - 0.55 / (1 + np.exp(-(covered - xs) / 0.03))  # the left part in shadow
    shaded = (lit * shade).astype(np.float32)
    assert similarity(prepare(shaded, page=True).image, prepare(lit, page=True).image) > 0.95


def test_a_broad_marker_is_not_hollowed_out():
    photo = grey(render_strokes(DRAWINGS[1], 300, (0.5, 0.5, 0.8), 51)) * 0.9
    photo = photo + np.random.default_rng(7).normal(0, 0.01, photo.shape).astype(np.float32)
    read = prepare(photo, page=True).image
    assert similarity(read, prepare(photo).image) > 0.95


FOUR = [[(0.7, 0.05), (0.05, 0.65), (0.95, 0.65)], [(0.7, 0.05), (0.7, 0.98)]]


def test_a_digits_long_stroke_inside_a_box_is_kept():
    drawing = grey(render_strokes(FOUR, 240, (0.5, 0.5, 0.8), 6))
    boxed = drawing.copy()
    boxed[10:230, 10:13] = boxed[10:230, 227:230] = 0.0  # a box 10 px in, round the 4
    boxed[10:13, 10:230] = boxed[227:230, 10:230] = 0.0
    read = prepare(boxed, page=True).image
    assert similarity(read, prepare(drawing).image) > 0.95  # its stem too


def test_a_digits_long_stroke_on_squared_paper_is_kept():
    drawing = grey(render_strokes(FOUR, 200, (0.5, 0.5, 0.92), 6))
    squared = drawing.copy()
    for at in range(10, 200, 30):  # the bar runs along one line
        squared[at : at + 2, :] = np.minimum(squared[at : at + 2, :], 0.55)
        squared[:, at : at + 2] = np.minimum(squared[:, at : at + 2], 0.55)
    read = prepare(squared, page=True).image
    assert similarity(read, prepare(drawing).image) > 0.9


def test_a_digits_paler_straight_stroke_is_not_a_printed_line():
    seven = np.full((200, 200), 0.92, np.float32)
    seven[20:24, 8:190] = 0.35  # the bar, paler than the stem
    for row in range(24, 190):  # the stem, the pen's full strength
        col = int(190 - (row - 24) * 0.6)
        seven[row, col - 2 : col + 2] = 0.05
    assert clean_page(seven) is seven


def test_a_broad_pale_stroke_under_uneven_light_keeps_its_ink():
    ring = grey(render_strokes(DRAWINGS[0], 200, (0.5, 0.5, 0.7), 20))
    ink = 1 - ring  # 1 on the stroke
    light = np.linspace(1.0, 0.6, 200, dtype=np.float32)[None, :]
    photo = (0.9 * (1 - 0.5 * ink) * light).astype(np.float32)  # the stroke half the paper
    flat = (0.9 * (1 - 0.5 * ink)).astype(np.float32)
    assert similarity(prepare(photo, page=True).image, prepare(flat).image) > 0.95


@pytest.mark.parametrize("marks", ["ruled", "squared"])
def test_a_page_photographed_askew_loses_its_lines_to_the_paper_edge(marks):
    def askew(picture: np.ndarray) -> np.ndarray:
        turned = Image.fromarray(picture).rotate(7, Image.Resampling.BILINEAR, fillcolor=230)
        return np.asarray(turned)  # the table's grey in the corners the paper leaves

    clean = askew(page_photo(DRAWINGS[0], "plain", np.random.default_rng(8)))
    marked = askew(page_photo(DRAWINGS[0], marks, np.random.default_rng(8)))
    read = prepare(marked, page=True).image
    assert similarity(read, prepare(clean, page=True).image) > 0.95
