"""Which moves of the digit a model's reading should average over, chosen on images it never saw.

Models trained on MNIST's first 10,000 training images (``--model``, made by
``python -m training train --data ../shared/data/mnist --seed N --out runs/first10k-N.npz``)
read training images 10,000-29,999 of the full set, prepared as the app
prepares drawings: as they are, and averaged over each set of moves below; the
line before the JSON is the mean over the models.
Neither MNIST's test set nor any drawing of the figures reported elsewhere is
looked at, so the choice (``digitpad.networks.ONE_PIXEL_SHIFTS``) does not
flatter them.

    python benchmarks/reading_moves.py --data ../shared/data/mnist-full --model runs/first10k-*.npz
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from digitpad.model_file import load_model
from digitpad.networks import shifted, softmax
from digitpad.preprocess import deskew
from training.data import load_mnist, prepare_all

MOVES = {
    "as it is": [],
    "one pixel, four ways": [(1, 0), (-1, 0), (0, 1), (0, -1)],
    "one pixel, diagonally": [(1, 1), (-1, -1), (1, -1), (-1, 1)],
    "one pixel, eight ways": [(a, b) for a in (-1, 0, 1) for b in (-1, 0, 1) if a or b],
    "one and two pixels, four ways": [
        (d * a, d * b) for d in (1, 2) for a, b in ((1, 0), (-1, 0), (0, 1), (0, -1))
    ],
}


def accuracies(model_path: str, images: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Accuracy of one model on prepared ``images`` for each set of moves."""
    model = load_model(model_path)
    if model.deskew:
        images = deskew(images)

    def read(moved: np.ndarray) -> np.ndarray:
        x = ((moved - model.mean) / model.std).astype(np.float32)
        return np.concatenate(
            [softmax(model.logits(x[i : i + 2000])) for i in range(0, len(x), 2000)]
        )

    alone = read(images)
    figures = {}
    for name, moves in MOVES.items():
        total = alone + sum((read(shifted(images, r, c)) for r, c in moves), np.zeros_like(alone))
        figures[name] = float((total.argmax(axis=1) == labels).mean())
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", nargs="+", required=True, help="models of the first 10,000")
    parser.add_argument("--data", required=True, help="the full MNIST folder (60,000)")
    args = parser.parse_args()
    train = load_mnist(args.data, "train")
    images = prepare_all(train.images[10_000:30_000])
    labels = train.labels[10_000:30_000]
    rows = {path: accuracies(path, images, labels) for path in args.model}
    names = list(MOVES)
    print("model".ljust(28) + "".join(f"{name[:16]:>18s}" for name in names))
    for path, figures in rows.items():
        print(f"{path[-28:]:28s}" + "".join(f"{figures[n]:18.2%}" for n in names))
    means = {n: float(np.mean([f[n] for f in rows.values()])) for n in names}
    print("mean".ljust(28) + "".join(f"{means[n]:18.2%}" for n in names))
    print(json.dumps({"images": len(labels), "accuracy": rows, "mean": means}))


if __name__ == "__main__":
    main()
