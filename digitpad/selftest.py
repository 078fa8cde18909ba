"""The self-test's checks that need no Qt: built-in drawings and a made-up data set.

``DigitPad --self-test`` (:mod:`digitpad.ui.selftest`) proves an installed or
packaged app works, end to end, in seconds, with three checks:

``drawings``
    every bundled model recognises a few built-in drawings placed around the canvas;
``training``
    a one-epoch retrain runs as the app runs it: the Retrain dialog's own command
    line (:class:`digitpad.requests.TrainRequest`) started through
    :class:`digitpad.ui.child_process.ChildProcess`, that is through this
    launcher's hidden ``train`` subcommand, on a tiny data set drawn here in code
    (MNIST's IDX format, in a temporary folder) — so torch and the training code
    are proved to load and learn;
``swap``
    the freshly trained model is loaded through the recogniser the window uses
    (:class:`digitpad.ui.inference.Recognition`, on its worker thread) and
    answers a drawing.

The drawings and the data set live here, with no Qt, so the build's import trace
and the tests can draw the same digits; the child and the swap are in
:mod:`digitpad.ui.selftest`. ``--self-test --drawings-only`` runs the first check
alone (no torch, no child).
"""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np
from PIL import Image

from digitpad.assets import bundled_model_path
from digitpad.model_file import ModelFileError, load_model
from digitpad.networks import ARCHITECTURES
from digitpad.recognizer import predict
from digitpad.strokes import render_strokes

# Strokes in a unit square, y down, as a person would draw them.
DRAWINGS: dict[int, list] = {
    0: [
        [
            [0.5, 0.0],
            [0.15, 0.2],
            [0.05, 0.5],
            [0.15, 0.85],
            [0.5, 1.0],
            [0.85, 0.85],
            [0.95, 0.5],
            [0.85, 0.15],
            [0.5, 0.0],
        ]
    ],
    1: [[[0.45, 0.0], [0.5, 1.0]]],
    7: [[[0.05, 0.05], [0.95, 0.05], [0.4, 1.0]]],
}
PLACES = [(0.5, 0.5, 0.6), (0.2, 0.25, 0.3), (0.78, 0.75, 0.35)]


def _ring(cx: float, cy: float, rx: float, ry: float, points: int = 13) -> list[list[float]]:
    return [
        [
            cx + rx * math.sin(2 * math.pi * i / (points - 1)),
            cy - ry * math.cos(2 * math.pi * i / (points - 1)),
        ]
        for i in range(points)
    ]


# One plain way of writing each digit, for the made-up training set.
SKETCHES: dict[int, list] = {
    0: [_ring(0.5, 0.5, 0.28, 0.46)],
    1: [[[0.3, 0.22], [0.52, 0.04], [0.52, 0.96]]],
    2: [[[0.18, 0.22], [0.4, 0.04], [0.72, 0.1], [0.76, 0.34], [0.2, 0.96], [0.84, 0.96]]],
    3: [[[0.18, 0.08], [0.78, 0.08], [0.42, 0.44], [0.78, 0.62], [0.66, 0.94], [0.16, 0.9]]],
    4: [[[0.62, 0.96], [0.62, 0.04], [0.12, 0.66], [0.88, 0.66]]],
    5: [
        [
            [0.82, 0.04],
            [0.24, 0.04],
            [0.2, 0.44],
            [0.68, 0.42],
            [0.8, 0.72],
            [0.55, 0.96],
            [0.16, 0.88],
        ]
    ],
    6: [
        [
            [0.72, 0.04],
            [0.28, 0.42],
            [0.2, 0.78],
            [0.46, 0.96],
            [0.76, 0.8],
            [0.68, 0.54],
            [0.26, 0.62],
        ]
    ],
    7: [[[0.12, 0.06], [0.88, 0.06], [0.38, 0.96]]],
    8: [_ring(0.5, 0.27, 0.21, 0.22), _ring(0.5, 0.72, 0.27, 0.24)],
    9: [_ring(0.5, 0.3, 0.26, 0.26), [[0.76, 0.3], [0.64, 0.96]]],
}
TRAIN_SIZE, TEST_SIZE = 400, 100


def synthetic_digits(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` jittered sketches, all ten digits in turn: 28×28 uint8, white ink on black."""
    rng = np.random.default_rng(seed)
    labels = (np.arange(count) % 10).astype(np.uint8)
    rng.shuffle(labels)
    images = np.empty((count, 28, 28), np.uint8)
    for i, label in enumerate(labels):
        turn = rng.uniform(-0.15, 0.15)
        c, s = math.cos(turn), math.sin(turn)
        strokes = [
            [
                [0.5 + c * (x - 0.5) - s * (y - 0.5), 0.5 + s * (x - 0.5) + c * (y - 0.5)]
                for x, y in stroke
            ]
            for stroke in SKETCHES[int(label)]
        ]
        box = (
            0.5 + rng.uniform(-0.04, 0.04),
            0.5 + rng.uniform(-0.04, 0.04),
            rng.uniform(0.55, 0.7),
        )
        picture = render_strokes(strokes, 84, box, pen_width=rng.uniform(6, 9))
        small = picture.resize((28, 28), Image.Resampling.BILINEAR)
        images[i] = 255 - np.asarray(small, np.uint8)
    return images, labels


def _idx(array: np.ndarray, magic: int) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + np.ascontiguousarray(array, np.uint8).tobytes()


def write_synthetic_mnist(
    folder: Path, n_train: int = TRAIN_SIZE, n_test: int = TEST_SIZE, seed: int = 0
) -> Path:
    """A tiny MNIST look-alike in ``folder``: the four gzipped IDX files, torchvision's names,
    the same bytes each time (no time stamp in the gzip header)."""
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, count, split_seed in (("train", n_train, seed), ("t10k", n_test, seed + 1)):
        images, labels = synthetic_digits(count, split_seed)
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(
            gzip.compress(_idx(images, 2051), 1, mtime=0)
        )
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(
            gzip.compress(_idx(labels, 2049), 1, mtime=0)
        )
    return folder


def write_corrections(folder: Path, count: int = 20, seed: int = 2) -> Path:
    """Drawings saved as the app saves corrections: ``<label>_<id>.png``, dark ink on light."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(count):
        label = i % 10
        box = (0.5 + rng.uniform(-0.2, 0.2), 0.5 + rng.uniform(-0.2, 0.2), rng.uniform(0.35, 0.6))
        render_strokes(SKETCHES[label], 280, box, 16).save(folder / f"{label}_selftest-{i}.png")
    return folder


# --- the checks ---------------------------------------------------------------------------


def check_drawings(report: dict) -> None:
    for arch in ARCHITECTURES:
        try:
            model = load_model(bundled_model_path(arch))
        except ModelFileError as exc:
            report["failures"].append(f"{arch}: {exc}")
            continue
        right = 0
        for digit, strokes in DRAWINGS.items():
            for place in PLACES:
                answer = predict(model, render_strokes(strokes, 280, place, 16)).digit
                right += answer == digit
                if answer != digit:
                    report["failures"].append(f"{arch}: drew {digit} at {place}, got {answer}")
        report["models"][arch] = {"right": right, "of": len(DRAWINGS) * len(PLACES)}
