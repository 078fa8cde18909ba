"""Learn my handwriting: how long it takes, what it learns, and what it costs on MNIST.

For each writer of an organisation (default: the continental writers, gmd),
half of the writer's digits are drawn on the canvas as a user would draw them;
those the model reads wrong become corrections (at most --max-corrections), as
a user would make them by clicking the right bar. ``python -m training adapt``
then runs as the app runs it, and is timed as a process. The adapted model is
scored on the writer's *other* half, drawn afresh, and on the MNIST test set.

    python benchmarks/adapt.py --data ../shared/data/mnist-full [--model FILE | --arch fcnn]

The bundled models learned from every organisation; to measure writers a model
never saw, pass a leave-one-out model, e.g. ``--model runs/loo-fcnn/gmd.npz``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from digitpad.assets import bundled_model_path
from digitpad.model_file import load_model
from digitpad.preprocess import prepare
from digitpad.strokes import render_strokes
from training import unipen
from training.data import load_mnist
from training.evaluate import evaluate, predict_labels

UNIPEN = "../shared/data/unipen-digits/dev.json.gz"


def drawings(records: list[dict], seed: int) -> list[tuple[np.ndarray, int]]:
    """Each record drawn anywhere on a 280 px canvas: (canvas pixels, label)."""
    rng = np.random.default_rng(seed)
    spec = unipen.PLACEMENTS["anywhere"]
    out = []
    for record in records:
        size, pen = rng.uniform(*spec.size), rng.uniform(*spec.pen)
        cx, cy = rng.uniform(size / 2, 1 - size / 2, size=2)
        canvas = render_strokes(record["strokes"], unipen.CANVAS, (cx, cy, size), pen)
        out.append((np.asarray(canvas), int(record["label"])))
    return out


def accuracy(model, pictures: list[tuple[np.ndarray, int]]) -> float:
    prepared = [(prepare(p).image, label) for p, label in pictures]
    images = np.stack(
        [im if im is not None else np.zeros((28, 28), np.float32) for im, _ in prepared]
    )
    labels = np.array([label for _, label in prepared])
    return float((predict_labels(model, images) == labels).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="MNIST folder (its test set)")
    parser.add_argument("--model")
    parser.add_argument("--arch", default="fcnn")
    parser.add_argument("--unipen", default=UNIPEN)
    parser.add_argument("--org", default="gmd")
    parser.add_argument("--max-corrections", type=int, default=200)
    args = parser.parse_args()
    path = Path(args.model) if args.model else bundled_model_path(args.arch)
    model = load_model(path)
    test = load_mnist(args.data, "test").prepared("data/cache")
    mnist_before = evaluate(model, test.images, test.labels).accuracy
    records = [r for r in unipen.load_records(args.unipen) if r["org"] == args.org]
    rows = []
    for writer in sorted({r["writer"] for r in records}):
        mine = [r for r in records if r["writer"] == writer]
        order = np.random.default_rng(0).permutation(len(mine))
        teach = [mine[k] for k in order[: len(mine) // 2]]
        check = [mine[k] for k in order[len(mine) // 2 :]]
        shown = drawings(teach, seed=1)
        wrong = [
            (p, label)
            for p, label in shown
            if prepare(p).image is not None and accuracy(model, [(p, label)]) == 0.0
        ]
        wrong = wrong[: args.max_corrections]
        fresh = drawings(check, seed=2)
        before = accuracy(model, fresh)
        if not wrong:
            print(f"{writer}: the model reads all {len(shown)} drawings right; nothing to learn")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "corrections"
            folder.mkdir()
            from PIL import Image

            for i, (pixels, label) in enumerate(wrong):
                Image.fromarray(pixels).save(folder / f"{label}_{i}.png")
            out = Path(tmp) / "adapted.npz"
            start = time.perf_counter()
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "training",
                    "adapt",
                    "--model",
                    str(path),
                    "--corrections",
                    str(folder),
                    "--out",
                    str(out),
                    "--progress",
                    "jsonl",
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            seconds = time.perf_counter() - start
            adapted = load_model(out)
        after = accuracy(adapted, fresh)
        mnist_after = evaluate(adapted, test.images, test.labels).accuracy
        rows.append(
            {
                "writer": writer,
                "corrections": len(wrong),
                "seconds": round(seconds, 2),
                "fit_seconds": json.loads(done.stdout.splitlines()[-1])["seconds"],
                "before": round(before, 4),
                "after": round(after, 4),
                "mnist_after": round(mnist_after, 4),
                "checked": len(fresh),
            }
        )
    print(f"model: {path} ({model.arch}); MNIST test before: {mnist_before:.2%}")
    print(
        f"{'writer':<10}{'corr.':>6}{'wall s':>8}{'fit s':>7}{'before':>9}{'after':>9}"
        f"{'MNIST':>9}{'change':>8}"
    )
    for r in rows:
        print(
            f"{r['writer']:<10}{r['corrections']:>6}{r['seconds']:>8.2f}{r['fit_seconds']:>7.2f}"
            f"{r['before']:>9.2%}{r['after']:>9.2%}{r['mnist_after']:>9.2%}"
            f"{(r['mnist_after'] - mnist_before) * 100:>+7.2f}p"
        )
    print(json.dumps({"model": str(path), "mnist_before": mnist_before, "writers": rows}))


if __name__ == "__main__":
    main()
