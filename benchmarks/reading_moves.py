"""Which moves of the digit a model's reading should average over, chosen on images it never saw.

Models trained on MNIST's first 10,000 training images (``--model``, made by
``python -m training train --data ../shared/data/mnist --seed N --out runs/first10k-N.npz``)
read training images 10,000-29,999 of the full set, prepared as the app
prepares drawings: as they are, and averaged over each set of moves below; the
line before the JSON is the mean over the models.
Neither MNIST's test set nor any drawing of the figures reported elsewhere is
looked at, so the choice (``digitpad.networks.ONE_PIXEL_SHIFTS``) does not
flatter them.

With ``--loo DIR`` (leave-one-out FCNNs ``DIR/<org>.npz``, as
``benchmarks/drawn_digits.py`` makes them) each set is also scored on drawn
digits of the writers each model never saw: per organisation, the mean and
the worst, centred and anywhere, each writing style and small digits in a corner.

    python benchmarks/reading_moves.py --data ../shared/data/mnist-full --model runs/first10k-*.npz
        [--loo runs/loo-m]

A move is linear in the pixels, so for an FCNN it folds into the first layer:
reading a digit over k moves is one product with k first layers side by side.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from digitpad.model_file import Model, load_model
from digitpad.networks import INPUT_SIDE, softmax
from digitpad.preprocess import deskew
from training import drawn, unipen
from training.data import load_mnist, prepare_all

# (degrees turned, scale, rows down, columns right) about the digit's centre.
Move = tuple[float, float, float, float]
SHIFTS: list[Move] = [(0, 1, 0, 0), (0, 1, 1, 0), (0, 1, -1, 0), (0, 1, 0, 1), (0, 1, 0, -1)]
MOVES: dict[str, list[Move]] = {
    "as it is": [(0, 1, 0, 0)],
    "one pixel, four ways": SHIFTS,
    "one pixel, diagonally": [(0, 1, 0, 0)] + [(0, 1, a, b) for a in (1, -1) for b in (1, -1)],
    "one pixel, eight ways": [(0, 1, a, b) for a in (-1, 0, 1) for b in (-1, 0, 1)],
    "one and two pixels": [
        *SHIFTS,
        *((0, 1, 2 * a, 2 * b) for a, b in ((1, 0), (-1, 0), (0, 1), (0, -1))),
    ],
    "shifts, turned 4°": [*SHIFTS, (4, 1, 0, 0), (-4, 1, 0, 0)],
    "shifts, turned 7°": [*SHIFTS, (7, 1, 0, 0), (-7, 1, 0, 0)],
    "turned 7° alone": [(0, 1, 0, 0), (7, 1, 0, 0), (-7, 1, 0, 0)],
    "shifts, scaled 8%": [*SHIFTS, (0, 0.92, 0, 0), (0, 1.08, 0, 0)],
    "shifts, turned, scaled": [
        *SHIFTS,
        (7, 1, 0, 0),
        (-7, 1, 0, 0),
        (0, 0.9, 0, 0),
        (0, 1.1, 0, 0),
    ],
}
LOO_PLACEMENTS = ("centred", "anywhere")


def move_matrix(move: Move) -> np.ndarray:
    """The 784×784 map of ``move`` (bilinear; what moves in from outside is blank)."""
    degrees, scale, down, right = move
    side, centre = INPUT_SIDE, (INPUT_SIDE - 1) / 2
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    ys, xs = np.mgrid[0:side, 0:side].astype(np.float64)
    y, x = ys - centre - down, xs - centre - right
    src_y, src_x = (c * y + s * x) / scale + centre, (-s * y + c * x) / scale + centre
    y0, x0 = np.floor(src_y).astype(int), np.floor(src_x).astype(int)
    fy, fx = src_y - y0, src_x - x0
    out = np.arange(side * side).reshape(side, side)
    matrix = np.zeros((side * side, side * side))
    for dy, dx, weight in ((0, 0, (1 - fy) * (1 - fx)), (1, 0, fy * (1 - fx)),
                           (0, 1, (1 - fy) * fx), (1, 1, fy * fx)):  # fmt: skip
        yy, xx = y0 + dy, x0 + dx
        inside = (yy >= 0) & (yy < side) & (xx >= 0) & (xx < side)
        np.add.at(matrix, (out[inside], yy[inside] * side + xx[inside]), weight[inside])
    return matrix.astype(np.float32)


class Reader:
    """An FCNN reading prepared digits averaged over ``moves``, folded into its first layer."""

    def __init__(self, model: Model, moves: list[Move]) -> None:
        if model.arch != "fcnn":
            raise SystemExit("moves fold into an FCNN's first layer: give FCNN models")
        p = model.params
        w1 = p["fc1.weight"]
        self.model, self.count = model, len(moves)
        self.w1 = np.concatenate([w1 @ move_matrix(m) / model.std for m in moves])
        self.b1 = np.tile(p["fc1.bias"] - model.mean / model.std * w1.sum(axis=1), len(moves))

    def labels(self, images: np.ndarray) -> np.ndarray:
        """The digit read for each prepared N×28×28 image (deskewed here if the model is)."""
        p = self.model.params
        x = (deskew(images) if self.model.deskew else images).reshape(len(images), -1)
        out = []
        for part in np.array_split(x, max(1, len(x) // 4096)):
            hidden = np.maximum(part @ self.w1.T + self.b1, 0).reshape(len(part), self.count, -1)
            out.append(softmax(hidden @ p["fc2.weight"].T + p["fc2.bias"]).mean(axis=1))
        return np.concatenate(out).argmax(axis=1)


def mnist_figures(paths: list[str], data: str) -> dict[str, dict[str, float]]:
    train = load_mnist(data, "train")
    images = prepare_all(train.images[10_000:30_000])
    labels = train.labels[10_000:30_000]
    rows = {}
    for path in paths:
        model = load_model(path)
        rows[path] = {
            name: float((Reader(model, moves).labels(images) == labels).mean())
            for name, moves in MOVES.items()
        }
    return rows


def loo_figures(folder: Path, unipen_file: str) -> dict[str, dict[str, drawn.Tally]]:
    """Each set of moves: tallies per "<placement>:<org>", per style and in a corner."""
    records = unipen.load_records(unipen_file)
    tallies: dict[str, dict[str, drawn.Tally]] = {name: {} for name in MOVES}
    for org in sorted({r["org"] for r in records}):
        model = load_model(folder / f"{org}.npz")
        readers = {name: Reader(model, moves) for name, moves in MOVES.items()}
        mine = [r for r in records if r["org"] == org]
        groups = {f"{p}:{org}": (p, mine) for p in LOO_PLACEMENTS}
        groups |= {name: ("anywhere", chosen) for name, chosen in drawn.style_sets(mine).items()}
        plain = [r for r in mine if r["org"] != drawn.CONTINENTAL_ORG]
        groups["small, in a corner"] = ("corner", plain)
        for key, (placement, chosen) in groups.items():
            if not chosen:
                continue
            digits = unipen.render(chosen, unipen.PLACEMENTS[placement], 2, drawn.RENDER_SEED)
            for name, reader in readers.items():
                hits = int((reader.labels(digits.images) == digits.labels).sum())
                tally = drawn.Tally(hits, len(chosen) * 2)
                tallies[name][key] = tallies[name].get(key, drawn.Tally()) + tally
        print(f"scored {org}", flush=True)
    return tallies


def print_loo(tallies: dict[str, dict[str, drawn.Tally]]) -> dict:
    summary = {}
    print(f"{'moves':24s}{'anywhere':>10}{'worst':>16}{'centred':>10}{'corner':>9}")
    for name, rows in tallies.items():
        by_org = {
            k.split(":", 1)[1]: t.accuracy for k, t in rows.items() if k.startswith("anywhere:")
        }
        centred = [t.accuracy for k, t in rows.items() if k.startswith("centred:")]
        worst = min(by_org, key=by_org.__getitem__)
        styles = {k: t.accuracy for k, t in rows.items() if ":" not in k}
        summary[name] = {
            "anywhere_mean": float(np.mean(list(by_org.values()))),
            "worst": [worst, by_org[worst]],
            "centred_mean": float(np.mean(centred)),
            "by_org": by_org,
            "styles": styles,
        }
        s = summary[name]
        print(
            f"{name:24s}{s['anywhere_mean']:>10.2%}{by_org[worst]:>9.2%} ({worst})"
            f"{s['centred_mean']:>10.2%}{styles['small, in a corner']:>9.2%}"
        )
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", nargs="+", required=True, help="models of the first 10,000")
    parser.add_argument("--data", required=True, help="the full MNIST folder (60,000)")
    parser.add_argument("--loo", type=Path, help="folder of leave-one-out FCNNs <org>.npz")
    parser.add_argument("--unipen", default="../shared/data/unipen-digits/dev.json.gz")
    args = parser.parse_args()
    rows = mnist_figures(args.model, args.data)
    names = list(MOVES)
    print("model".ljust(28) + "".join(f"{name[:16]:>18s}" for name in names))
    for path, figures in rows.items():
        print(f"{path[-28:]:28s}" + "".join(f"{figures[n]:18.2%}" for n in names))
    means = {n: float(np.mean([f[n] for f in rows.values()])) for n in names}
    print("mean".ljust(28) + "".join(f"{means[n]:18.2%}" for n in names))
    loo = print_loo(loo_figures(args.loo, args.unipen)) if args.loo else None
    print(json.dumps({"images": 20_000, "accuracy": rows, "mean": means, "loo": loo}))


if __name__ == "__main__":
    main()
