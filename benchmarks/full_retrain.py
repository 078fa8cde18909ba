"""Time for a full default retrain of the FCNN through the app's runner, and its accuracy.

Runs what Model → Retrain… runs with the dialog's defaults (the design's
hyperparameters from ``digitpad.training_defaults``): ``digitpad train`` as a
child process read by :class:`digitpad.ui.child_process.ChildProcess`.
Usage: ``python benchmarks/full_retrain.py --data ../shared/data/mnist``
(``--epochs``/``--arch``/``--device`` to vary it).

It also checks the time left the dialog shows: each estimate is compared with
the time the training loop really ended (its ``evaluating`` phase), and the
first estimate's error and the worst while more than 3 s remained are printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication

from digitpad import training_defaults as d
from digitpad.model_file import load_model
from digitpad.ui.child_process import ChildProcess


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--arch", default="fcnn")
    parser.add_argument("--epochs", type=int, default=d.EPOCHS)
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--cache",
        help="the prepared-data cache to use (default: a new, empty one: a first retrain)",
    )
    args = parser.parse_args()
    app = QCoreApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "model.npz")
        runner = ChildProcess()
        state: dict = {"epochs": []}
        runner.started.connect(lambda info: state.setdefault("t_train", time.perf_counter()))
        runner.epochFinished.connect(state["epochs"].append)
        estimates: list[tuple[float, float]] = []
        runner.progress.connect(
            lambda _f, eta, _e: eta >= 0 and estimates.append((time.perf_counter(), eta))
        )
        runner.message.connect(
            lambda event: (
                event.get("phase") == "evaluating"
                and state.setdefault("t_loop_end", time.perf_counter())
            )
        )
        runner.finished.connect(lambda path, result: (state.update(result=result), app.quit()))
        runner.failed.connect(lambda message, _kind: (state.update(error=message), app.quit()))
        t0 = time.perf_counter()
        runner.start(
            [
                "train",
                "--data",
                args.data,
                "--arch",
                args.arch,
                "--epochs",
                str(args.epochs),
                "--lr",
                repr(d.LR),
                "--batch-size",
                str(d.BATCH_SIZE),
                "--device",
                args.device,
                "--out",
                out,
                "--cache",
                args.cache or os.path.join(tmp, "cache"),
                "--progress",
                "jsonl",
            ]
        )
        app.exec()
        total = time.perf_counter() - t0
        if "error" in state:
            print(f"failed: {state['error']}")
            sys.exit(1)
        result = state["result"]
        model = load_model(out)
        end = state.get("t_loop_end", time.perf_counter())
        errors = [
            (abs(eta - (end - at)) / (end - at), end - at) for at, eta in estimates if end - at > 3
        ]
    print(
        f"{args.arch} {args.epochs} epochs on {args.data} ({args.device}): "
        f"{total:.1f} s from start to model file, "
        f"training loop {result.get('seconds')} s, {result.get('samples_per_second')} samples/s"
    )
    print(
        f"test accuracy {100 * result['accuracy']:.2f}% "
        f"(raw MNIST test {100 * result.get('test_accuracy_raw', float('nan')):.2f}%); "
        f"trained on {model.meta.get('trained_on')}"
    )
    if errors:
        first, remaining = errors[0]
        print(
            f"time left shown: first estimate {remaining:.1f} s before the end, off by "
            f"{first:.0%}; worst while more than 3 s remained {max(e for e, _ in errors):.0%} "
            f"({len(errors)} estimates)"
        )


if __name__ == "__main__":
    main()
