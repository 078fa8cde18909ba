"""Writing styles made from pen strokes: each edit does what its name says, and only that."""

from __future__ import annotations

import gzip
import json
import math
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from training import styles, unipen
from training.styles import (
    STYLES,
    maybe_restyle,
    random_restyle,
    restyle,
    restyle_chance,
    style_by_name,
)


def ellipse(cx, cy, rx, ry, n=24):
    return [
        (cx + rx * math.sin(2 * math.pi * i / n), cy - ry * math.cos(2 * math.pi * i / n))
        for i in range(n + 1)
    ]


def line(a, b, n=12):
    return [(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t) for t in np.linspace(0, 1, n)]


# Plain North American forms, as records of the data (unit square, y down).
PLAIN = {
    0: [ellipse(0.5, 0.5, 0.3, 0.5)],
    1: [line((0.55, 0.0), (0.45, 1.0))],
    2: [
        [
            (0.2, 0.2),
            (0.4, 0.02),
            (0.7, 0.05),
            (0.8, 0.3),
            (0.6, 0.6),
            (0.3, 0.85),
            *line((0.15, 1.0), (0.9, 1.0)),
        ]
    ],
    4: [line((0.5, 0.0), (0.1, 0.6)) + line((0.1, 0.6), (0.9, 0.6)), line((0.7, 0.1), (0.7, 1.0))],
    7: [line((0.1, 0.0), (0.9, 0.0)) + line((0.9, 0.0), (0.4, 1.0))],
    9: [ellipse(0.5, 0.25, 0.25, 0.25) + line((0.75, 0.25), (0.7, 1.0))],
}


def record(label: int, org: str = "syn") -> dict:
    return {"label": label, "org": org, "writer": "w", "strokes": PLAIN[label]}


def points(strokes) -> np.ndarray:
    return np.concatenate([np.asarray(s, float) for s in strokes])


def made(name: str, seed: int = 0) -> list:
    style = style_by_name(name)
    out = restyle(record(style.label), style, np.random.default_rng(seed))
    assert out is not None, f"{name} could not be made from a plain {style.label}"
    return out["strokes"]


@pytest.mark.parametrize("style", STYLES, ids=lambda s: s.name)
def test_every_style_edits_a_plain_digit_and_stays_in_the_unit_square(style):
    for seed in range(5):
        out = restyle(record(style.label), style, np.random.default_rng(seed))
        assert out is not None and out["label"] == style.label and out["style"] == style.name
        p = points(out["strokes"])
        assert p.min() >= -1e-9 and p.max() <= 1 + 1e-9
        assert math.isclose(max(np.ptp(p[:, 0]), np.ptp(p[:, 1])), 1.0, rel_tol=1e-6)
        assert out["strokes"] != styles.normalise(styles._copy(PLAIN[style.label]))


def test_seven_gets_a_bar_across_the_middle_of_its_stem():
    strokes = made("7 crossed")
    assert len(strokes) == 2
    bar = np.asarray(strokes[1])
    assert 0.35 < bar[:, 1].mean() < 0.75  # across the middle, not at the top
    assert np.ptp(bar[:, 0]) > 3 * np.ptp(bar[:, 1])  # about level


def test_zero_gets_a_slash_reaching_beyond_the_oval():
    strokes = made("0 slashed")
    oval, slash = np.asarray(strokes[0]), np.asarray(strokes[1])
    assert len(strokes) == 2
    assert slash[:, 0].min() < oval[:, 0].min() or slash[:, 0].max() > oval[:, 0].max()


def test_zero_gets_a_level_bar_across_its_middle():
    for seed in range(5):
        strokes = made("0 barred", seed)
        oval, bar = np.asarray(strokes[0]), np.asarray(strokes[1])
        assert len(strokes) == 2
        middle = (oval[:, 1].min() + oval[:, 1].max()) / 2
        assert abs(bar[:, 1].mean() - middle) < 0.1 * np.ptp(oval[:, 1])
        assert np.ptp(bar[:, 0]) > 5 * np.ptp(bar[:, 1])  # about level
        assert np.ptp(bar[:, 0]) > 0.7 * np.ptp(oval[:, 0])  # across the oval, not a tick


def test_one_gets_a_flag_down_to_the_left_of_its_top():
    strokes = made("1 flagged")
    p = np.asarray(strokes[0])
    top = p[np.argmin(p[:, 1])]
    start = p[0]
    assert start[0] < top[0] and start[1] > top[1] + 0.1  # drawn up into the top of the stem


def test_printed_one_gets_a_short_almost_level_flag_and_a_base():
    for seed in range(5):
        strokes = made("1 printed", seed)
        stem, base = np.asarray(strokes[0]), np.asarray(strokes[-1])
        top = stem[np.argmin(stem[:, 1])]
        flag = stem[: np.argmin(stem[:, 1]) + 1]
        rise, run = top[1] - flag[0, 1], flag[0, 0] - top[0]
        assert run < 0 and abs(rise) < 0.6 * abs(run)  # to the left, nearer level than upright
        assert np.hypot(rise, run) < 0.4  # short: a serif, not a continental flag
        assert np.ptp(base[:, 0]) > 4 * np.ptp(base[:, 1])  # a level base line...
        assert base[:, 1].min() > 0.9  # ...at the bottom


def test_one_that_is_not_a_plain_stem_is_left_alone():
    hooked = {**record(1), "strokes": [line((0.5, 0.0), (0.5, 1.0)) + line((0.5, 1.0), (0.9, 0.9))]}
    assert restyle(hooked, style_by_name("1 flagged"), np.random.default_rng(0)) is None


@pytest.mark.parametrize("shape", [[[[0.3, 0.3]]], [[[0.2, 0.5], [0.5, 0.5], [0.8, 0.5]]]])
@pytest.mark.parametrize("style", STYLES, ids=lambda s: s.name)
def test_a_record_drawn_flat_or_as_a_dot_is_left_alone_by_every_style(shape, style):
    """Such records are in real files (a lone stroke labelled as its digit); one of them
    stopped a whole training run."""
    flat = {**record(style.label), "strokes": shape}
    for seed in range(5):
        made = restyle(flat, style, np.random.default_rng(seed))
        assert made is None or all(0 <= v <= 1 for s in made["strokes"] for p in s for v in p)


def test_open_four_stands_its_arm_up():
    before = np.asarray(styles.normalise(styles._copy(PLAIN[4]))[0])
    after = np.asarray(made("4 open")[0])
    # The arm's top moved left, towards the corner, away from the stem.
    assert after[0, 0] < before[0, 0] - 0.2


@pytest.mark.parametrize("name", ["9 straight tail", "9 curled tail"])
def test_nine_keeps_its_loop_and_gets_a_new_tail(name):
    strokes = made(name)
    p = np.asarray(strokes[0])
    end = p[-1]
    bottom = p[np.argmax(p[:, 1])]
    if name == "9 curled tail":
        assert end[0] < p[np.argmax(p[:, 1] > 0.7) - 1, 0] - 0.05  # left of where the tail began
    else:
        assert end[1] == pytest.approx(bottom[1])


def test_restyle_refuses_another_digit_and_random_restyle_keeps_the_label():
    assert restyle(record(7), style_by_name("0 slashed"), np.random.default_rng(0)) is None
    rng = np.random.default_rng(0)
    for label in PLAIN:
        out = random_restyle(record(label), rng)
        assert out["label"] == label
    three = {"label": 3, "org": "x", "strokes": [[(0, 0), (1, 1)]]}
    assert random_restyle(three, rng) is three  # no style for 3: as it was


def test_a_digit_whose_styles_weigh_more_is_rewritten_more_often():
    # Weight 1 (1s, 4s, 2s...) rewrites the fraction asked for; 3 has no style.
    assert restyle_chance(1, 0.5) == pytest.approx(0.5)
    assert restyle_chance(4, 0.3) == pytest.approx(0.3)
    assert restyle_chance(3, 0.5) == 0.0
    # The zeros' styles weigh 2.5: three renders in four or more are rewritten.
    assert restyle_chance(0, 0.5) == pytest.approx(1 - 0.5**2.5)
    assert restyle_chance(0, 0.0) == 0.0


def test_maybe_restyle_draws_each_style_in_proportion_to_its_weight():
    rng = np.random.default_rng(0)
    counts: dict[str, int] = {}
    n = 4000
    for _ in range(n):
        style = maybe_restyle(record(0), 0.5, rng).get("style", "as written")
        counts[style] = counts.get(style, 0) + 1
    slashed, barred = counts["0 slashed"] / n, counts["0 barred"] / n
    chance = restyle_chance(0, 0.5)
    assert slashed == pytest.approx(chance * 1.5 / 2.5, abs=0.03)
    assert barred == pytest.approx(chance * 1.0 / 2.5, abs=0.03)
    assert counts["as written"] / n == pytest.approx(1 - chance, abs=0.03)
    assert maybe_restyle(record(0), 0.0, rng) == record(0)


def test_styles_are_repeatable_for_a_seed():
    assert made("7 crossed", seed=3) == made("7 crossed", seed=3)
    assert made("7 crossed", seed=3) != made("7 crossed", seed=4)


def test_styled_renders_change_the_digits_but_not_the_labels():
    records = [record(7), record(0), record(1)]
    plain = unipen.render(records, unipen.PLACEMENTS["centred"], renders=1, seed=0)
    styled = unipen.render(records, unipen.PLACEMENTS["centred"], renders=1, seed=0, styled=1.0)
    assert plain.labels.tolist() == styled.labels.tolist() == [7, 0, 1]
    for a, b in zip(plain.images, styled.images, strict=True):
        assert np.abs(a - b).sum() > 5  # visibly different ink


def test_corner_placement_draws_small_digits_in_a_corner():
    rng = np.random.default_rng(0)
    corners = set()
    for _ in range(200):
        cx, cy, size, _pen = unipen.place(rng, unipen.PLACEMENTS["corner"])
        assert 0.12 <= size <= 0.25
        for c in (cx, cy):
            assert size / 2 <= c <= 1 - size / 2  # wholly on the canvas
            assert min(c - size / 2, 1 - size / 2 - c) <= 0.04  # against an edge
        corners.add((cx < 0.5, cy < 0.5))
    assert len(corners) == 4
    image = unipen.render_one(record(7), rng, unipen.PLACEMENTS["corner"])
    assert image is not None and image.shape == (28, 28)  # still found and prepared


def test_contact_sheet_shows_every_style(tmp_path):
    records = [record(label, org) for label in PLAIN for org in ("syn", "apa")]
    records += [record(label, "gmd") for label in (0, 1, 4, 7, 9)]
    source = tmp_path / "unipen.json.gz"
    source.write_bytes(gzip.compress(json.dumps(records).encode()))
    out = tmp_path / "sheet" / "styles.png"
    done = subprocess.run(
        [sys.executable, "-m", "training", "styles", "--unipen", str(source), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["styles"] == len(STYLES)
    from training.contact_sheet import CELL

    with Image.open(out) as image:
        assert image.height == (len(STYLES) + 1) * CELL
        pixels = np.asarray(image.convert("L"))
    # Every row has ink beyond its label: a drawing in each.
    for row in range(len(STYLES) + 1):
        cells = pixels[row * CELL : (row + 1) * CELL - 1, 150:]
        assert (cells < 128).sum() > 50, f"row {row} is empty"
