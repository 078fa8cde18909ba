"""Preprocessing: any picture of a digit gives the same MNIST-like input, blanks are refused."""

from __future__ import annotations

import io
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from digitpad.preprocess import deskew, prepare
from digitpad.strokes import render_strokes

SEVEN = [[[0.1, 0.05], [0.9, 0.05], [0.45, 0.95]]]
FOUR = [[[0.6, 0.0], [0.05, 0.65], [0.95, 0.65]], [[0.7, 0.3], [0.7, 1.0]]]


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation after a light blur, so a one-pixel shift of a thin stroke does not count."""
    a, b = blur(a), blur(b)
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))


def blur(image: np.ndarray) -> np.ndarray:
    padded = np.pad(image, 1)
    return sum(padded[y : y + 28, x : x + 28] for y in range(3) for x in range(3)) / 9


def reference(strokes) -> np.ndarray:
    return prepare(render_strokes(strokes, 280, (0.5, 0.5, 0.6), 18)).image


@pytest.mark.parametrize("strokes", [SEVEN, FOUR])
@pytest.mark.parametrize("centre", [(0.14, 0.14), (0.86, 0.5), (0.5, 0.86), (0.3, 0.7)])
def test_digit_drawn_anywhere_gives_the_centred_input(strokes, centre):
    moved = prepare(render_strokes(strokes, 280, (*centre, 0.2), 14)).image
    centred = prepare(render_strokes(strokes, 280, (0.5, 0.5, 0.2), 14)).image
    assert similarity(moved, centred) > 0.97


@pytest.mark.parametrize("size", [0.2, 0.3, 0.95])
def test_digit_of_any_size_gives_a_similar_input(size):
    resized = prepare(render_strokes(FOUR, 280, (0.5, 0.5, size), 14)).image
    assert similarity(resized, reference(FOUR)) > 0.75


@pytest.mark.parametrize("pen", [2, 6, 30, 45])
def test_pen_width_is_normalised(pen):
    thin_or_thick = prepare(render_strokes(FOUR, 280, (0.5, 0.5, 0.6), pen)).image
    assert similarity(thin_or_thick, reference(FOUR)) > 0.7
    # Stroke mass stays close to the reference: hairlines are thickened, markers thinned.
    assert 0.6 < thin_or_thick.sum() / reference(FOUR).sum() < 1.6


def test_output_is_mnist_like():
    image = reference(FOUR)
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert image.min() >= 0.0 and image.max() <= 1.0
    rows, cols = np.nonzero(image > 0.05)
    assert max(np.ptp(rows), np.ptp(cols)) <= 22  # fits MNIST's 20 px box, plus filter spill
    ys, xs = np.indices(image.shape)
    assert abs((ys * image).sum() / image.sum() - 13.5) < 1.0
    assert abs((xs * image).sum() / image.sum() - 13.5) < 1.0


def test_polarity_is_detected():
    dark_on_light = render_strokes(SEVEN, 200, (0.5, 0.5, 0.6), 14)
    light_on_dark = Image.eval(dark_on_light, lambda v: 255 - v)
    np.testing.assert_allclose(
        prepare(light_on_dark).image, prepare(dark_on_light).image, atol=1e-5
    )


def test_ink_on_transparent_layer_is_seen():
    ink = np.asarray(render_strokes(SEVEN, 200, (0.5, 0.5, 0.6), 14))
    rgba = np.zeros((200, 200, 4), np.uint8)
    rgba[..., 3] = 255 - ink  # black ink, transparent elsewhere
    assert similarity(prepare(Image.fromarray(rgba, "RGBA")).image, reference(SEVEN)) > 0.9


def test_sixteen_bit_image_matches_eight_bit():
    eight = np.asarray(render_strokes(FOUR, 200, (0.5, 0.5, 0.6), 14))
    sixteen = Image.fromarray(eight.astype(np.uint16) * 257)
    # 8-bit pictures are resampled in 8 bits (faster): they may differ by one grey level.
    np.testing.assert_allclose(prepare(sixteen).image, prepare(eight).image, atol=1 / 255)


@pytest.mark.parametrize(
    ("image", "reason"),
    [
        (np.full((280, 280), 255, np.uint8), "nothing drawn"),
        (np.zeros((280, 280), np.uint8), "nothing drawn"),
        (np.full((1, 1), 0, np.uint8), "nothing drawn"),
        (render_strokes([[[0.5, 0.5]]], 280, (0.5, 0.5, 0.1), 18), "dot"),
        (render_strokes(SEVEN, 280, (0.5, 0.5, 0.8), 28).resize((5, 5)), "too small"),
    ],
)
def test_blank_or_dot_is_reported_not_guessed(image, reason):
    prepared = prepare(image)
    assert prepared.is_blank
    assert reason in prepared.blank_reason
    with pytest.raises(ValueError):
        prepared.normalised()


def test_a_small_digit_in_a_broad_pen_is_read_not_called_a_dot():
    oval = [[0.5 + 0.4 * np.sin(t), 0.5 - 0.5 * np.cos(t)] for t in np.linspace(0, 6.3, 40)]
    slashed_zero = [oval, [[0.85, 0.0], [0.15, 1.0]]]
    prepared = prepare(render_strokes(slashed_zero, 280, (0.2, 0.8, 0.1), 8))
    assert not prepared.is_blank, prepared.blank_reason


@pytest.mark.parametrize("slip", [0.0, 0.25, 0.5])  # in pen widths
@pytest.mark.parametrize("pen", [12, 18, 24])
def test_a_tap_that_slips_is_a_dot_at_every_angle(slip, pen):
    reasons = set()
    for angle in np.radians([0, 30, 45, 90, 135]):
        step = slip * pen / 280
        dash = [[[0.5, 0.5], [0.5 + step * np.cos(angle), 0.5 + step * np.sin(angle)]]]
        reasons.add(prepare(render_strokes(dash, 280, (0.5, 0.5, 1.0), pen)).blank_reason)
    assert reasons == {"a dot or a filled shape, not a digit"}


@pytest.mark.parametrize("pen", [6, 7, 8])
def test_a_tiny_eight_keeps_its_holes_and_is_no_dot(pen):
    def oval(cy, rx, ry):
        return [[0.5 + rx * np.sin(t), cy - ry * np.cos(t)] for t in np.linspace(0, 6.3, 30)]

    eight = [oval(0.27, 0.22, 0.25) + oval(0.73, 0.27, 0.25)]
    prepared = prepare(render_strokes(eight, 280, (0.5, 0.5, 0.07), pen))  # 20 px tall
    assert not prepared.is_blank, prepared.blank_reason


@pytest.mark.parametrize("side", [560, 2000])
def test_specks_scattered_over_a_large_picture_are_nothing_drawn(side):
    rng = np.random.default_rng(0)
    picture = np.full((side, side), 255, np.uint8)
    picture[rng.integers(0, side, 80), rng.integers(0, side, 80)] = 0
    assert prepare(picture).blank_reason == "nothing drawn"


def faint(image: np.ndarray, grey: int) -> np.ndarray:
    """``image`` (black ink on white) redrawn with a pen of ``grey`` (255 is white)."""
    return (255 - (255 - image.astype(np.float32)) * (255 - grey) / 255).astype(np.uint8)


def jpeg(image: np.ndarray, quality: int = 75) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("L"))


@pytest.mark.parametrize("grey", [120, 200, 225, 235])
@pytest.mark.parametrize(("save", "alike"), [(np.asarray, 0.98), (jpeg, 0.9)], ids=["png", "jpeg"])
def test_a_pale_or_faint_pen_is_prepared_as_a_black_one(grey, save, alike):
    black = render_strokes(SEVEN, 280, (0.5, 0.5, 0.7), 14)
    prepared = prepare(save(faint(np.asarray(black), grey)))
    assert not prepared.is_blank, prepared.blank_reason
    assert similarity(prepared.image, prepare(black).image) > alike


@pytest.mark.parametrize(
    "paper",
    [
        lambda rng, y, x: 230 + rng.normal(0, 3, x.shape),  # grain
        lambda rng, y, x: 200 + rng.normal(0, 8, x.shape),  # a dim, grainy photo
        lambda rng, y, x: 240 - 40 * x + rng.normal(0, 2, x.shape),  # light from one side
        lambda rng, y, x: 235 - 100 * ((x - 0.5) ** 2 + (y - 0.5) ** 2) + rng.normal(0, 2, x.shape),
    ],
    ids=["grain", "dim photo", "shading", "vignette"],
)
@pytest.mark.parametrize("save", [np.asarray, jpeg])
def test_blank_paper_is_nothing_drawn_however_it_was_lit(paper, save):
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:400, 0:400] / 400
    picture = np.clip(paper(rng, y, x), 0, 255).astype(np.uint8)
    assert prepare(save(picture)).blank_reason == "nothing drawn"


def framed(grey: int) -> np.ndarray:
    picture = np.full((280, 280), 255, np.uint8)
    picture[[0, -1], :] = picture[:, [0, -1]] = grey
    return picture


def ruled(grey: int) -> np.ndarray:
    picture = np.full((280, 280), 255, np.uint8)
    picture[::20, :] = grey
    return picture


def specks(grey: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    picture = np.full((280, 280), 255, np.uint8)
    for y, x in rng.integers(0, 278, (60, 2)):
        picture[y : y + 2, x : x + 2] = grey
    return picture


def tiny(grey: int) -> np.ndarray:
    picture = np.full((5, 5), 255, np.uint8)
    picture[2, 1:4] = grey
    return picture


@pytest.mark.parametrize("grey", [225, 240])
@pytest.mark.parametrize("make", [framed, ruled, specks, tiny])
def test_faint_lines_on_clean_paper_are_no_digit(make, grey):
    """A faint frame, ruled lines, specks strewn over the page or a tiny thumbnail: on
    paper with no grain at all, faint ink is read only where it could be strokes."""
    picture = make(grey)
    for version in (picture, 255 - picture, np.stack([picture] * 3, axis=-1)):
        assert prepare(version).blank_reason == "nothing drawn"


def test_a_faint_stain_is_no_zero_but_a_faint_pen_drawn_zero_is_read():
    """A dried drop of coffee: a darker rim fading into a paler middle. Its ring has a 0's
    outline, but not a pen's strokes, which are near their full strength across."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:280, 0:280]
    r = np.hypot(y - 140, x - 140)
    paper = 245 + rng.normal(0, 2, r.shape)
    stain = np.where(r < 35, 15.0, 0.0) + 15 * np.exp(-(((r - 35) / 4) ** 2))
    assert prepare(np.clip(paper - stain, 0, 255).astype(np.uint8)).blank_reason == "nothing drawn"
    oval = [[0.5 + 0.35 * np.sin(t), 0.5 - 0.45 * np.cos(t)] for t in np.linspace(0, 6.3, 40)]
    zero = np.asarray(render_strokes([oval], 280, (0.5, 0.5, 0.5), 10)).astype(np.float64)
    pale = np.clip(paper - (255 - zero) * 30 / 255, 0, 255).astype(np.uint8)
    assert not prepare(pale).is_blank


def test_faint_ink_on_a_large_picture_is_found_without_a_float_copy_of_it():
    black = np.asarray(render_strokes(SEVEN, 3000, (0.5, 0.5, 0.6), 120))
    pale = faint(black, 225)
    tracemalloc.start()
    prepared = prepare(pale)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert similarity(prepared.image, prepare(black).image) > 0.98
    assert peak < 4 * black.nbytes  # a float32 copy alone would be 4x the picture


def test_normalised_uses_mean_and_std():
    prepared = prepare(render_strokes(SEVEN))
    x = prepared.normalised(0.5, 0.5)
    assert x.min() == pytest.approx(-1.0) and x.max() <= 1.0


image_arrays = st.one_of(
    arrays(np.uint8, st.tuples(st.integers(1, 60), st.integers(1, 60))),
    arrays(
        np.uint16, st.tuples(st.integers(1, 40), st.integers(1, 40), st.sampled_from([1, 3, 4]))
    ),
    arrays(np.float64, st.tuples(st.integers(1, 40), st.integers(1, 40))),
    arrays(np.uint8, st.tuples(st.integers(1, 40), st.integers(1, 40), st.sampled_from([2, 3, 4]))),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(image_arrays)
def test_any_array_gives_a_finite_input_or_blank(array):
    prepared = prepare(array)
    if not prepared.is_blank:
        assert prepared.image.shape == (28, 28)
        assert np.all(np.isfinite(prepared.normalised()))


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["1", "L", "P", "RGB", "RGBA", "CMYK", "LA", "I", "I;16", "F", "PA"]),
    st.integers(1, 50),
    st.integers(1, 50),
    st.integers(0, 2**32 - 1),
)
def test_any_pil_mode_gives_a_finite_input_or_blank(mode, width, height, seed):
    noise = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    image = Image.fromarray(noise, "RGB").convert(mode)
    prepared = prepare(image)
    if not prepared.is_blank:
        assert np.all(np.isfinite(prepared.normalised()))


def slanted_bar(slope: float) -> np.ndarray:
    """A 20 px tall bar leaning ``slope`` px sideways per px of height."""
    image = np.zeros((28, 28), np.float32)
    for y in range(4, 24):
        x = 13.5 + slope * (y - 13.5)
        left = int(np.floor(x))
        image[y, left], image[y, left + 1] = left + 1 - x, x - left
    return image


def column_spread(image: np.ndarray) -> float:
    """How far the ink's centre moves from row to row (0 for an upright stroke)."""
    xs = np.arange(28)
    centres = [np.average(xs, weights=row) for row in image if row.sum() > 0.05]
    return float(np.ptp(centres))


@pytest.mark.parametrize("slope", [-0.4, 0.25, 0.5])
def test_deskew_stands_a_slanted_stroke_upright_in_place(slope):
    bar = slanted_bar(slope)
    upright = deskew(bar)
    assert column_spread(bar) > 4 and column_spread(upright) < 1
    xs = np.arange(28)
    assert np.average(xs, weights=upright.sum(0)) == pytest.approx(
        np.average(xs, weights=bar.sum(0)), abs=0.1
    )  # centre of mass stays where prepare put it
    assert upright.sum() == pytest.approx(bar.sum(), rel=0.02)  # no ink lost


def test_deskew_leaves_an_upright_digit_alone_and_handles_batches_and_blanks():
    upright = slanted_bar(0.0)
    np.testing.assert_allclose(deskew(upright), upright, atol=1e-5)
    batch = np.stack([slanted_bar(0.3), np.zeros((28, 28), np.float32), reference(SEVEN)])
    out = deskew(batch)
    assert out.shape == batch.shape and out.dtype == np.float32 and np.isfinite(out).all()
    for one, many in zip(batch, out, strict=True):
        np.testing.assert_allclose(deskew(one), many, atol=1e-6)
    assert not out[1].any()


FILLED_SQUARE = [[(0.05, y), (0.45, y)] for y in np.arange(0.1, 0.5, 0.02)]


@pytest.mark.parametrize("pen", [6, 8, 12, 18])
@pytest.mark.parametrize("size", [0.5, 0.65, 0.8])
def test_thin_stroke_beside_a_filled_area_keeps_full_contrast(pen, size):
    """A filled blob must not make the erosion that normalises stroke width fade a line.

    The blob fills the top left; below it, rows 19-23 of the input hold only the line.
    """
    line = [[(0.7, 0.05), (0.7, 0.95)]]
    image = prepare(render_strokes(FILLED_SQUARE + line, 280, (0.5, 0.5, size), pen)).image
    below_blob = image[19:24]
    assert below_blob.max(axis=1).min() > 0.9


def _oval(cx: float, cy: float, rx: float, ry: float) -> list[list[float]]:
    return [[cx + rx * np.sin(t), cy - ry * np.cos(t)] for t in np.linspace(0, 6.3, 40)]


SIDE_BY_SIDE = "two marks side by side; draw one digit at a time"


@pytest.mark.parametrize(
    ("box", "pen"),
    [((0.5, 0.5, 0.8), 8), ((0.5, 0.5, 0.8), 18), ((0.5, 0.5, 0.8), 28), ((0.3, 0.7, 0.3), 8)],
)
def test_two_digits_side_by_side_are_not_read_as_one(box, pen):
    one_zero = [[[0.1, 0.0], [0.1, 1.0]], _oval(0.7, 0.5, 0.25, 0.5)]
    seven_seven = [[[0.0, 0.0], [0.35, 0.0], [0.1, 1.0]], [[0.65, 0.0], [1.0, 0.0], [0.75, 1.0]]]
    for strokes in (one_zero, seven_seven):
        assert prepare(render_strokes(strokes, 280, box, pen)).blank_reason == SIDE_BY_SIDE


@pytest.mark.parametrize(
    "strokes",
    [
        # a 4 of two strokes that touch, a 5 whose flag is apart, a crossed 7, a flagged 1
        [[[0.6, 0.0], [0.0, 0.6], [1.0, 0.6]], [[0.7, 0.2], [0.7, 1.0]]],
        [
            [[0.3, 0.0], [0.2, 0.45], [0.6, 0.4], [0.75, 0.7], [0.5, 1.0], [0.1, 0.9]],
            [[0.4, 0.0], [0.9, 0.0]],
        ],
        [[[0.0, 0.0], [1.0, 0.0], [0.4, 1.0]], [[0.3, 0.5], [0.9, 0.5]]],
        [[[0.2, 0.3], [0.6, 0.0], [0.6, 1.0]]],
        # a 4 whose "L" stops short of its stem, by 15% of its height
        [[[0.35, 0.0], [0.0, 0.65], [0.55, 0.65]], [[0.7, 0.2], [0.7, 1.0]]],
        # a digit beside a short stray mark: read as it is, mark and all
        [_oval(0.35, 0.5, 0.3, 0.5), [[0.95, 0.4], [0.95, 0.6]]],
    ],
)
def test_one_digit_in_several_strokes_is_read(strokes):
    prepared = prepare(render_strokes(strokes, 280, (0.5, 0.5, 0.6), 18))
    assert not prepared.is_blank, prepared.blank_reason


@pytest.mark.parametrize(("apart", "refused"), [(0.12, False), (0.16, True)])
def test_two_marks_are_two_digits_only_with_space_between_them(apart, refused):
    """Two strokes with one and eight empty columns between them (18 px pen, 187 px tall:
    2% of the height is 3.7 columns)."""
    bars = [[[0.0, 0.0], [0.0, 1.0]], [[apart, 0.0], [apart, 1.0]]]
    reason = prepare(render_strokes(bars, 280, (0.5, 0.5, 0.6), 18)).blank_reason
    assert (reason == SIDE_BY_SIDE) is refused


def test_a_mark_beside_a_digit_is_no_second_digit_if_short_or_light():
    rings = [_oval(0.75, 0.5, 0.25, 0.5), _oval(0.75, 0.5, 0.17, 0.4), _oval(0.75, 0.5, 0.09, 0.3)]
    tall_line = [[0.0, 0.0], [0.0, 1.0]]  # as tall as the rings, under a fifth of the ink
    square = [[0.0, 0.3], [0.25, 0.3], [0.25, 0.7], [0.0, 0.7]]
    scribble = square + [[x, 0.5 + (y - 0.5) * 0.8] for x, y in square] * 2  # dense, 46% tall
    for strokes in ([tall_line, *rings], [scribble, _oval(0.75, 0.5, 0.2, 0.5)]):
        prepared = prepare(render_strokes(strokes, 280, (0.5, 0.5, 0.6), 18))
        assert prepared.blank_reason != SIDE_BY_SIDE


@pytest.mark.parametrize("pen", [8, 18])
def test_two_slanted_digits_with_no_empty_column_between_them_are_two(pen):
    """Italic 77: as drawn, the top of the second 7 overhangs the foot of the first."""
    sevens = [[[0.0, 0.0], [0.35, 0.0], [0.1, 1.0]], [[0.5, 0.0], [0.85, 0.0], [0.6, 1.0]]]
    italic = [[[x + 0.35 * (1 - y), y] for x, y in stroke] for stroke in sevens]
    picture = render_strokes(italic, 280, (0.5, 0.5, 0.8), pen)
    inked = np.flatnonzero((np.asarray(picture) < 128).any(axis=0))
    assert len(inked) == inked[-1] - inked[0] + 1  # no empty column as drawn
    assert prepare(picture).blank_reason == SIDE_BY_SIDE
