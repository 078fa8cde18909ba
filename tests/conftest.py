"""Shared fixtures: small synthetic data written by the tests themselves (never the network).

``mnist_folder`` writes a tiny MNIST-like set of IDX files (drawn digit shapes
with random jitter) in any of the layouts :mod:`training.data` reads; use the
``make_mnist_folder`` factory fixture for a non-default layout or size.
"""

from __future__ import annotations

import gzip
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitpad.strokes import render_strokes

# Headless Qt for every test; set before any test module creates a QApplication.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Any QSettings a test (or a child process it starts) makes without a data folder lands
# here, never in the real user's configuration; Qt reads this once, at first use.
CONFIG_HOME = Path(tempfile.mkdtemp(prefix="digitpad-test-config-"))
os.environ["XDG_CONFIG_HOME"] = str(CONFIG_HOME)


def alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie waiting to be reaped does not count)."""
    try:
        os.kill(pid, 0)
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except (ProcessLookupError, OSError):
        return False


@pytest.fixture(autouse=True)
def private_user_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own DigitPad data folder: nothing touches the user's real one."""
    folder = tmp_path / "userdata"
    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(folder))
    return folder


def _circle(cx: float, cy: float, rx: float, ry: float, n: int = 16) -> list[list[float]]:
    return [
        [cx + rx * math.sin(2 * math.pi * i / n), cy - ry * math.cos(2 * math.pi * i / n)]
        for i in range(n + 1)
    ]


# One stroke sketch per digit in a unit square, y down; crude but clearly different shapes.
DIGIT_STROKES: dict[int, list[list[list[float]]]] = {
    0: [_circle(0.5, 0.5, 0.3, 0.45)],
    1: [[[0.35, 0.2], [0.55, 0.05], [0.55, 0.95]]],
    2: [
        [
            [0.2, 0.25],
            [0.35, 0.08],
            [0.65, 0.08],
            [0.8, 0.28],
            [0.7, 0.5],
            [0.2, 0.95],
            [0.85, 0.95],
        ]
    ],
    3: [[[0.2, 0.1], [0.75, 0.1], [0.45, 0.45], [0.8, 0.7], [0.6, 0.95], [0.2, 0.9]]],
    4: [[[0.6, 0.95], [0.6, 0.05], [0.15, 0.65], [0.85, 0.65]]],
    5: [
        [[0.8, 0.05], [0.25, 0.05], [0.2, 0.45], [0.7, 0.45], [0.8, 0.75], [0.6, 0.95], [0.2, 0.9]]
    ],
    6: [[[0.7, 0.05], [0.3, 0.4], [0.2, 0.75], [0.45, 0.95], [0.75, 0.8], [0.7, 0.55], [0.3, 0.6]]],
    7: [[[0.15, 0.05], [0.85, 0.05], [0.4, 0.95]]],
    8: [_circle(0.5, 0.27, 0.22, 0.22), _circle(0.5, 0.72, 0.27, 0.23)],
    9: [_circle(0.5, 0.3, 0.25, 0.25), [[0.75, 0.3], [0.65, 0.95]]],
}


def draw_digit(label: int, rng: np.random.Generator, canvas: int = 112) -> np.ndarray:
    """A jittered sketch of ``label`` as a 28×28 uint8 MNIST-style image (white ink on black)."""
    angle = rng.uniform(-0.2, 0.2)
    cos, sin = math.cos(angle), math.sin(angle)
    strokes = [
        [
            [0.5 + cos * (x - 0.5) - sin * (y - 0.5), 0.5 + sin * (x - 0.5) + cos * (y - 0.5)]
            for x, y in stroke
        ]
        for stroke in DIGIT_STROKES[label]
    ]
    box = (0.5 + rng.uniform(-0.03, 0.03), 0.5 + rng.uniform(-0.03, 0.03), rng.uniform(0.6, 0.72))
    image = render_strokes(strokes, canvas, box, pen_width=rng.uniform(7, 11))
    small = image.resize((28, 28), Image.Resampling.LANCZOS)
    return 255 - np.asarray(small, np.uint8)


def synthetic_digits(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.arange(count, dtype=np.uint8) % 10
    rng.shuffle(labels)
    images = np.stack([draw_digit(int(label), rng) for label in labels])
    return images, labels


def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + np.ascontiguousarray(array, np.uint8).tobytes()


LAYOUTS = ("torchvision", "kaggle", "torchvision-raw-subdir")


def write_mnist_folder(
    folder: Path,
    n_train: int = 200,
    n_test: int = 100,
    gz: bool = True,
    layout: str = "torchvision",
    seed: int = 0,
) -> Path:
    """Write train and test IDX files into ``folder`` (made if needed) and return ``folder``."""
    target = folder / "MNIST" / "raw" if layout == "torchvision-raw-subdir" else folder
    target.mkdir(parents=True, exist_ok=True)
    sep = "." if layout == "kaggle" else "-"
    for prefix, count, split_seed in (("train", n_train, seed), ("t10k", n_test, seed + 1)):
        images, labels = synthetic_digits(count, split_seed)
        for kind, dims, array, magic in (
            ("images", "idx3", images, 2051),
            ("labels", "idx1", labels, 2049),
        ):
            name = f"{prefix}-{kind}{sep}{dims}-ubyte" + (".gz" if gz else "")
            data = idx_bytes(array, magic)
            (target / name).write_bytes(gzip.compress(data) if gz else data)
    return folder


@pytest.fixture(scope="session")
def mnist_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 train / 100 test synthetic digits, gzipped, torchvision names. Do not modify."""
    return write_mnist_folder(tmp_path_factory.mktemp("mnist"))


@pytest.fixture
def make_mnist_folder(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``make_mnist_folder(n_train=, n_test=, gz=, layout=, seed=)`` → a fresh folder."""
    counter = iter(range(1000))

    def make(**kwargs) -> Path:
        return write_mnist_folder(tmp_path / f"mnist{next(counter)}", **kwargs)

    return make


@pytest.fixture
def unipen_file(tmp_path: Path) -> Path:
    """A small UniPen-format JSON.gz file: 3 orgs × 20 records of the sketched digits."""
    import json

    records = [
        {"label": label, "org": org, "writer": f"{org}{i}", "strokes": DIGIT_STROKES[label]}
        for org in ("syn", "apa", "aga")
        for i, label in enumerate(list(range(10)) * 2)
    ]
    path = tmp_path / "unipen.json.gz"
    path.write_bytes(gzip.compress(json.dumps(records).encode()))
    return path
