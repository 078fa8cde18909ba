"""Leave-one-organisation-out scoring: every organisation is scored by its own model."""

from __future__ import annotations

import numpy as np
import pytest
from test_styles import PLAIN

from digitpad.model_file import validate
from digitpad.networks import ARCHITECTURES
from training import drawn, unipen


def always(digit: int):
    """A valid FCNN that answers ``digit`` whatever it sees."""
    sizes = {"hidden": 4}
    params = {k: np.zeros(s, np.float32) for k, s in ARCHITECTURES["fcnn"].shapes(sizes).items()}
    params["fc2.bias"][digit] = 5.0
    return validate("fcnn", params, {"sizes": sizes})


def records():
    out = []
    for org, labels in (("syn", (0, 1, 7, 7)), ("apa", (7, 9, 4)), ("gmd", (1, 7))):
        out += [{"label": k, "org": org, "writer": "w", "strokes": PLAIN[k]} for k in labels]
    return out


def test_tally_adds_up():
    total = drawn.Tally(3, 4) + drawn.Tally(1, 4)
    assert (total.hits, total.count, total.accuracy) == (4, 8, 0.5)
    assert np.isnan(drawn.Tally().accuracy)


def test_each_organisation_is_scored_by_the_model_that_never_saw_it():
    asked = []

    def model_for(org):
        asked.append(org)
        return always({"syn": 7, "apa": 9, "gmd": 1}[org])

    by_org, by_style = drawn.leave_one_out(records(), model_for, renders=2)
    assert asked == ["apa", "gmd", "syn"]
    assert by_org["syn"]["anywhere"] == drawn.Tally(4, 8)  # the two 7s of four digits
    assert by_org["apa"]["centred"] == drawn.Tally(2, 6)
    assert by_org["gmd"]["anywhere"] == drawn.Tally(2, 4)
    mean, worst, org = drawn.summary(by_org, "anywhere")
    assert mean == pytest.approx((0.5 + 1 / 3 + 0.5) / 3) and (worst, org) == (1 / 3, "apa")
    # Crossed 7s come from the plain writers' 7s: syn's two (its model says 7) and apa's one.
    assert by_style["7 crossed"] == drawn.Tally(4, 6)
    assert by_style["1 as written"] == drawn.Tally(0, 2)  # syn's 1, read as 7
    assert by_style["continental writers (gmd)"] == drawn.Tally(2, 4)
    assert by_style["small, in a corner"].count == 14


def test_blank_drawings_count_as_wrong():
    blank = [{"label": 7, "org": "syn", "writer": "w", "strokes": [[(0.5, 0.5)]]}]
    tally = drawn.score(always(7), blank, "centred", renders=2)
    assert tally == drawn.Tally(0, 2)


def test_lone_strokes_labelled_as_digits_are_fragments_and_whole_digits_are_not():
    def record(label, strokes):
        return {"label": label, "org": "ibm", "writer": "w", "strokes": strokes}

    bar = [[[0.5, 0.0], [0.5, 0.5], [0.51, 1.0]]]
    base = [[[0.0, 0.5], [0.5, 0.55], [1.0, 0.5]]]
    assert unipen.fragment(record(4, bar)) == "one straight stroke"
    assert unipen.fragment(record(1, bar)) is None  # a 1 may be one straight stroke
    assert unipen.fragment(record(1, base)) == "a 1 wider than tall"
    assert all(unipen.fragment(record(k, strokes)) is None for k, strokes in PLAIN.items())
    assert unipen.fragment(record(4, [])) is None and unipen.fragment(record(4, [[]])) is None
    kept = drawn.without_fragments([record(4, bar), record(1, base), record(1, bar)])
    assert [(r["label"], r["strokes"]) for r in kept] == [(1, bar)]


def test_organisations_are_scored_again_without_their_fragments():
    fragments = [{"label": 4, "org": "ibm", "writer": "w", "strokes": [[[0.5, 0], [0.5, 1]]]}]
    fours = [{"label": 4, "org": "ibm", "writer": "w", "strokes": PLAIN[4]}] * 3
    by_org = drawn.org_rows(fours + fragments, lambda _org: always(4), renders=1)
    clean = drawn.org_rows(drawn.without_fragments(fours + fragments), lambda _org: always(4), 1)
    assert (by_org["ibm"]["anywhere"].count, clean["ibm"]["anywhere"]) == (4, drawn.Tally(3, 3))
