"""Longest GUI event-loop stall while a retrain runs and the user draws (goal: ≤ 16 ms).

Opens the main window, starts Model → Retrain… on an MNIST folder (``--data``;
by default a synthetic 2,000-image IDX set written to a temporary folder) and,
once the training child reports it is training, draws with the mouse at 125 Hz
with live prediction on while a 1 ms timer records the gaps between its ticks.
The child's progress lines are read, the chart and progress bar repaint, and
every drawing is predicted, all on the GUI thread's event loop. Run with
``python benchmarks/retrain_stall.py`` (offscreen) or under ``xvfb-run -a``
with ``QT_QPA_PLATFORM=xcb``.
"""

from __future__ import annotations

import argparse
import gzip
import math
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtCore import QSettings, QTimer
from scribble import Scribbler

from digitpad.ui.app import create_application
from digitpad.ui.main_window import MainWindow
from digitpad.ui.settings import Settings


def synthetic_mnist(folder: Path, n_train: int = 2000, n_test: int = 500) -> Path:
    """Blobby random 'digits' in IDX files: enough to keep a training child busy."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    yy, xx = np.mgrid[0:28, 0:28]
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = np.zeros((n, 28, 28), np.uint8)
        for i, label in enumerate(labels):
            cx, cy = 14 + 5 * math.cos(label), 14 + 5 * math.sin(label)
            blob = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 18)
            images[i] = np.clip(255 * blob + rng.normal(0, 10, (28, 28)), 0, 255)
        for kind, dims, array, magic in (
            ("images", "idx3", images, 2051),
            ("labels", "idx1", labels, 2049),
        ):
            header = magic.to_bytes(4, "big") + b"".join(
                int(d).to_bytes(4, "big") for d in array.shape
            )
            (folder / f"{prefix}-{kind}-{dims}-ubyte.gz").write_bytes(
                gzip.compress(header + array.tobytes())
            )
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="MNIST folder (default: synthetic)")
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--cache",
        help="a prepared-data cache to lend the child (say data/cache), so that the full "
        "60,000 images start training in seconds rather than after a minute of preparation",
    )
    args = parser.parse_args()
    app = create_application([])
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DIGITPAD_DATA_DIR"] = os.path.join(tmp, "userdata")
        if args.cache:
            os.makedirs(os.environ["DIGITPAD_DATA_DIR"])
            os.symlink(os.path.abspath(args.cache), os.path.join(tmp, "userdata", "cache"))
        # Absolute: the training child does not run in this folder.
        data = (
            os.path.abspath(args.data) if args.data else str(synthetic_mnist(Path(tmp) / "mnist"))
        )
        settings = Settings(QSettings(os.path.join(tmp, "s.ini"), QSettings.Format.IniFormat))
        settings.live_prediction = True
        window = MainWindow(settings)
        window.resize(900, 640)
        window.show()
        window.start()
        while window.recognition.model is None:
            app.processEvents()
        dialog = window.training.open_retrain()
        dialog.folder_radio.setChecked(True)
        dialog.folder_edit.setText(data)
        dialog.epochs_spin.setValue(200)
        dialog.extra_args = ["--device", args.device]
        progress_lines = []
        failures = []
        dialog.runner.progress.connect(lambda *a: progress_lines.append(a))
        dialog.runner.failed.connect(lambda message, kind: failures.append(f"{kind}: {message}"))
        t0 = time.perf_counter()
        if not dialog.start_training():
            window.shutdown()
            sys.exit("the Retrain dialog did not start the run (its form has a problem)")
        while not progress_lines:
            if failures:
                window.shutdown()
                sys.exit(f"the training child failed: {failures[0]}")
            app.processEvents()
            time.sleep(0.005)
        ready_s = time.perf_counter() - t0
        canvas = window.canvas
        predictions = []
        window.recognition.predictionReady.connect(predictions.append)
        scribbler = Scribbler(canvas)
        n_progress = len(progress_lines)
        scribbler.start()
        state = {}

        def finish() -> None:
            # Before app.quit: quitting stops the child (aboutToQuit).
            scribbler.stop()
            state["training"] = dialog.runner.running
            t_stop = time.perf_counter()
            dialog.runner.stop()
            state["stop_ms"] = (time.perf_counter() - t_stop) * 1000
            app.quit()

        QTimer.singleShot(int(args.seconds * 1000), finish)
        app.exec()
        scribbler.stop()
        still_training, stop_ms = state["training"], state["stop_ms"]
        window.close()

    print(
        f"platform {os.environ['QT_QPA_PLATFORM']}, data {args.data or 'synthetic'}; "
        f"child training {ready_s:.1f} s after start; still training at the end: "
        f"{still_training}"
    )
    print(
        f"{args.seconds:.0f} s of drawing during training: {scribbler.events} mouse events, "
        f"{len(predictions)} live predictions, {len(progress_lines) - n_progress} progress "
        f"lines read"
    )
    print(scribbler.gaps_line())
    print(f"stopping the child took {stop_ms:.0f} ms")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
