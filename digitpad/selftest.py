"""``DigitPad --self-test``: prove an installed or packaged app works, end to end, in seconds.

Three checks, one JSON line, exit status 0 only if all pass:

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

``--self-test --drawings-only`` runs the first check alone (no torch, no child).
Only QtCore is used: no window, no display.
"""

from __future__ import annotations

import gzip
import json
import math
import tempfile
import time
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
CHILD_TIMEOUT_S = 180


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
    """A tiny MNIST look-alike in ``folder``: the four gzipped IDX files, torchvision's names."""
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, count, split_seed in (("train", n_train, seed), ("t10k", n_test, seed + 1)):
        images, labels = synthetic_digits(count, split_seed)
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(
            gzip.compress(_idx(images, 2051), 1)
        )
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(
            gzip.compress(_idx(labels, 2049), 1)
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


def _wait(loop_until, timeout_s: float) -> bool:
    """Run Qt's event loop until ``loop_until()`` is true or ``timeout_s`` passes."""
    from PySide6.QtCore import QCoreApplication, QEventLoop

    deadline = time.monotonic() + timeout_s
    while not loop_until():
        if time.monotonic() > deadline:
            return False
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)
    return True


def check_training_and_swap(report: dict, timeout_s: float = CHILD_TIMEOUT_S) -> None:
    """Retrain for one epoch through the app's child process, then swap to the new model."""
    from PySide6.QtCore import QCoreApplication

    from digitpad.requests import TrainRequest
    from digitpad.ui.child_process import ChildProcess
    from digitpad.ui.inference import Recognition

    app = QCoreApplication.instance() or QCoreApplication([])
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="digitpad-selftest-") as tmp:
        folder = write_synthetic_mnist(Path(tmp) / "mnist")
        out = Path(tmp) / "selftest.npz"
        request = TrainRequest(folder=str(folder), epochs=1, batch_size=32, corrections=False)
        if request.problem():
            report["failures"].append(f"training: {request.problem()}")
            return
        args = request.argv(out, Path(tmp) / "download", Path(tmp) / "cache", None)
        # The dialog runs its child at a lower priority so drawing stays smooth; a check
        # that someone waits for runs at theirs (on a busy machine it is several times faster).
        args = [arg for arg in args if arg != "--background"]
        runner = ChildProcess(name="self-test training")
        ended: dict = {}
        runner.finished.connect(lambda model, done: ended.update(model=model, done=done))
        runner.failed.connect(lambda message, kind: ended.update(error=f"{message} ({kind})"))
        runner.start(args)
        if not _wait(lambda: bool(ended), timeout_s):
            runner.stop()
            report["failures"].append(f"training: no answer from the child in {timeout_s:.0f} s")
            return
        if "error" in ended:
            report["failures"].append(f"training: {ended['error']}")
            return
        done = ended["done"]
        report["training"] = {
            "seconds": round(time.perf_counter() - started, 3),
            "test_accuracy": done.get("test_accuracy"),
            "samples": TRAIN_SIZE,
        }
        if Path(ended["model"]) != out or not out.is_file():
            report["failures"].append(
                f"training: no model at {out} (the child said {ended['model']!r})"
            )
            return
        accuracy = done.get("test_accuracy")
        if not isinstance(accuracy, (int, float)) or accuracy < 0.3:
            report["failures"].append(f"training: the new model scores {accuracy} (chance is 0.1)")

        swapped: dict = {}
        recognition = Recognition()
        recognition.modelChanged.connect(
            lambda model, source: swapped.update(model=model, source=source)
        )
        recognition.modelFailed.connect(lambda message, source: swapped.update(error=message))
        recognition.predictionReady.connect(
            lambda prediction: swapped.update(prediction=prediction)
        )
        recognition.predictionFailed.connect(lambda message: swapped.update(error=message))
        try:
            recognition.load_model(str(out))
            _wait(lambda: "model" in swapped or "error" in swapped, 30)
            if "model" in swapped:
                recognition.predict(render_strokes(SKETCHES[7], 280, (0.5, 0.5, 0.6), 16))
                _wait(lambda: "prediction" in swapped or "error" in swapped, 30)
        finally:
            recognition.shutdown()
        prediction = swapped.get("prediction")
        if "error" in swapped or prediction is None:
            report["failures"].append(
                f"swap: {swapped.get('error', 'no answer from the new model')}"
            )
            return
        probabilities = prediction.probabilities
        report["swap"] = {
            "source": swapped["source"],
            "arch": swapped["model"].arch,
            "drew": 7,
            "answer": prediction.digit,
        }
        if swapped["source"] != str(out) or prediction.digit is None:
            report["failures"].append(f"swap: the app did not answer with {out.name}")
        elif probabilities is None or not math.isclose(
            float(np.sum(probabilities)), 1.0, abs_tol=1e-3
        ):
            report["failures"].append("swap: the new model's probabilities do not add up to 1")
    del app


def run_self_test(training: bool = True) -> dict:
    started = time.perf_counter()
    report: dict = {"ok": True, "models": {}, "failures": []}
    check_drawings(report)
    if training:
        check_training_and_swap(report)
    report["ok"] = not report["failures"]
    report["seconds"] = round(time.perf_counter() - started, 3)
    return report


def self_test_main(args: list[str] | None = None) -> int:
    report = run_self_test(training="--drawings-only" not in (args or []))
    print(json.dumps(report), flush=True)  # noqa: T201
    return 0 if report["ok"] else 1
