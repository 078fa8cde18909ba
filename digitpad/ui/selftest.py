"""``DigitPad --self-test``: the drawings, a one-epoch retrain through the app's child
process, and the swap to the new model; one JSON line, exit status 0 only if all pass.

See :mod:`digitpad.selftest` for the checks and the made-up data. Only QtCore is
used: no window, no display.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from pathlib import Path

import numpy as np

from digitpad.selftest import SKETCHES, TRAIN_SIZE, check_drawings, write_synthetic_mnist
from digitpad.strokes import render_strokes

CHILD_TIMEOUT_S = 180


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
