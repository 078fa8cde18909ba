"""Why this answer: the evidence is the true input × gradient, for each architecture."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.explain import evidence
from digitpad.model_file import validate
from digitpad.networks import ARCHITECTURES

SIZES = {"fcnn": {"hidden": 16}, "cnn": {"channels": [3, 4], "hidden": 8, "convs": 2}}


def small_model(arch: str, seed: int = 0):
    rng = np.random.default_rng(seed)
    shapes = ARCHITECTURES[arch].shapes(SIZES[arch])
    params = {k: rng.normal(0, 0.5, s).astype(np.float32) for k, s in shapes.items()}
    return validate(arch, params, {"sizes": SIZES[arch]})


def margin(model, x, a, b) -> float:
    logits = model.logits(x[None].astype(np.float64).astype(np.float32))[0]
    return float(logits[a]) - float(logits[b])


@pytest.mark.parametrize("arch", ["fcnn", "cnn"])
def test_evidence_is_input_times_the_gradient_of_the_margin(arch):
    model = small_model(arch)
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (28, 28)).astype(np.float32)
    found = evidence(model, x, 3, 5)
    blank = -model.mean / model.std
    # Central differences on a few pixels, one at a time.
    for row, col in [(3, 4), (14, 14), (20, 9), (27, 27), (0, 0)]:
        step = 1e-2
        up, down = x.copy(), x.copy()
        up[row, col] += step
        down[row, col] -= step
        slope = (margin(model, up, 3, 5) - margin(model, down, 3, 5)) / (2 * step)
        assert found[row, col] == pytest.approx((x[row, col] - blank) * slope, rel=0.05, abs=1e-3)


def test_blank_pixels_carry_no_evidence():
    model = small_model("fcnn")
    x = np.full((28, 28), -1.0, np.float32)  # normalised blank canvas
    x[10:18, 12:15] = 1.0  # a little ink
    found = evidence(model, x, 1, 7)
    assert np.count_nonzero(found) <= 8 * 3
    assert np.all(found[:10] == 0)


def test_evidence_of_the_bundled_model_points_at_the_ink():
    from digitpad.assets import bundled_model_path
    from digitpad.model_file import load_model
    from digitpad.recognizer import predict
    from digitpad.strokes import render_strokes

    model = load_model(bundled_model_path("fcnn"))
    seven = render_strokes([[(0.1, 0.05), (0.9, 0.05), (0.45, 0.95)]])
    result = predict(model, seven, explain=True)
    assert result.digit == 7 and result.evidence is not None
    assert result.evidence.shape == (28, 28)
    ink = result.model_input > 0.3
    assert np.abs(result.evidence[ink]).sum() > 10 * np.abs(result.evidence[~ink]).sum()
    assert predict(model, seven).evidence is None  # only when asked
