"""How a model reads a prepared digit: the FCNN averages over the digit and its one-pixel
moves, the CNN reads it as it is, and the app, the CLI and every figure read the same way."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.model_file import validate
from digitpad.networks import ARCHITECTURES, shifted, softmax
from digitpad.preprocess import deskew, prepare
from digitpad.recognizer import predict
from digitpad.strokes import render_strokes
from training.evaluate import predict_labels


def _random_model(arch: str, seed: int = 0):
    rng = np.random.default_rng(seed)
    sizes = {"hidden": 16} if arch == "fcnn" else {"channels": [4, 6], "hidden": 8, "convs": 1}
    shapes = ARCHITECTURES[arch].shapes(sizes)
    params = {name: rng.normal(0, 0.3, shape).astype(np.float32) for name, shape in shapes.items()}
    return validate(arch, params, {"sizes": sizes})


def test_shifted_moves_the_picture_and_leaves_blank_what_comes_in():
    images = np.arange(2 * 4 * 5, dtype=np.float32).reshape(2, 4, 5) + 1
    down = shifted(images, 1, 0)
    np.testing.assert_array_equal(down[:, 1:], images[:, :-1])
    assert not down[:, 0].any()
    left = shifted(images, 0, -2)
    np.testing.assert_array_equal(left[:, :, :3], images[:, :, 2:])
    assert not left[:, :, 3:].any()
    np.testing.assert_array_equal(shifted(images, 0, 0), images)


def test_the_fcnn_averages_over_the_digit_and_its_four_one_pixel_moves():
    model = _random_model("fcnn")
    digits = np.random.default_rng(1).random((3, 28, 28)).astype(np.float32)
    copies = [
        digits,
        np.pad(digits, ((0, 0), (1, 0), (0, 0)))[:, :28],  # down
        np.pad(digits, ((0, 0), (0, 1), (0, 0)))[:, 1:],  # up
        np.pad(digits, ((0, 0), (0, 0), (1, 0)))[:, :, :28],  # right
        np.pad(digits, ((0, 0), (0, 0), (0, 1)))[:, :, 1:],  # left
    ]
    expected = np.mean([softmax(model.logits((c - 0.5) / 0.5)) for c in copies], axis=0)
    got = model.probabilities(digits)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-6)


def test_the_cnn_reads_the_digit_as_it_is():
    model = _random_model("cnn")
    digits = np.random.default_rng(1).random((3, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(
        model.probabilities(digits), softmax(model.logits((digits - 0.5) / 0.5)), rtol=1e-5
    )


def test_a_digit_one_pixel_from_where_the_fcnn_learned_it_still_counts():
    """A network that knows a 3 only by ink at one pixel: ink one pixel to its right reads as
    no 3 at all to the network alone, and as partly a 3 once the moves are averaged."""
    params = {
        "fc1.weight": np.zeros((2, 784), np.float32),
        "fc1.bias": np.zeros(2, np.float32),
        "fc2.weight": np.zeros((10, 2), np.float32),
        "fc2.bias": np.zeros(10, np.float32),
    }
    params["fc1.weight"][0, 14 * 28 + 14] = 5.0
    params["fc1.bias"][0] = 5.0  # blank (-1 normalised) gives 0, ink (+1) gives 10
    params["fc2.weight"][3, 0] = 1.0
    model = validate("fcnn", params, {"sizes": {"hidden": 2}})
    digit = np.zeros((1, 28, 28), np.float32)
    digit[0, 14, 15] = 1.0
    alone = softmax(model.logits((digit - 0.5) / 0.5))[0]
    assert alone.argmax() != 3 and alone[3] < 0.11
    read = model.probabilities(digit)[0]
    assert read[3] > 0.19


@pytest.mark.parametrize("upright", [False, True])
@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_the_app_and_the_figures_read_the_same_way(arch, upright):
    """The window (``predict``) and every figure (``predict_labels``, given the digit as
    prepared, before any deskewing) agree, for models trained upright or not."""
    plain = _random_model(arch, seed=3)
    model = validate(arch, plain.params, {**plain.meta, "deskew": upright})
    drawing = render_strokes([[[0.2, 0.1], [0.8, 0.3], [0.3, 0.9]]], 280, (0.5, 0.5, 0.6), 16)
    seen = prepare(drawing).image
    result = predict(model, drawing)
    expected = model.probabilities((deskew(seen) if upright else seen)[None])[0]
    np.testing.assert_allclose(result.probabilities, expected, rtol=1e-6)
    assert predict_labels(model, seen[None])[0] == result.digit == int(expected.argmax())


def test_odd_batches_read_without_error():
    fcnn, cnn = _random_model("fcnn"), _random_model("cnn")
    for model in (fcnn, cnn):
        assert model.probabilities(np.zeros((0, 28, 28), np.float32)).shape == (0, 10)
    one = np.random.default_rng(4).random((1, 28, 28)).astype(np.float32)
    assert fcnn.probabilities(one).shape == (1, 10)
    assert not shifted(one, 28, 0).any() and not shifted(one, 0, -40).any()
