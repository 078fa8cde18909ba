"""How often "two marks side by side" is said: to pairs of digits, and to single digits.

Each UniPen record is drawn alone, and beside another record with 0.15-0.5 of
their height of space between them, on the 280 px canvas with the app's thin,
medium and thick pens (8, 18 and 30 px), as written and slanted (sheared by
0.3, as italic handwriting leans), and passed through
``digitpad.preprocess.prepare``. A pair refused is right; a single digit
refused is a digit the app would not read. With ``--mnist DIR``, MNIST's test
and training images are counted too.

    python benchmarks/two_digits.py [--unipen FILE] [--pairs 1000] [--mnist DIR]
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from digitpad.preprocess import prepare
from digitpad.strokes import render_strokes
from training import unipen

UNIPEN = "../shared/data/unipen-digits/dev.json.gz"
PENS = {"thin": 8.0, "medium": 18.0, "thick": 30.0}  # the app's pens (main_window)
REFUSAL = "two marks side by side"
Strokes = list[list[list[float]]]


def unit(strokes: Strokes) -> Strokes:
    """``strokes`` moved and scaled so that their longer side spans [0, 1]."""
    xs = [x for stroke in strokes for x, _ in stroke]
    ys = [y for stroke in strokes for _, y in stroke]
    scale = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    return [[[(x - min(xs)) / scale, (y - min(ys)) / scale] for x, y in s] for s in strokes]


def side_by_side(left: Strokes, right: Strokes, space: float) -> Strokes:
    """Two digits in a row, ``space`` (in digit heights) between their boxes."""
    left, right = unit(left), unit(right)
    shift = max(x for stroke in left for x, _ in stroke) + space
    return unit(left + [[[x + shift, y] for x, y in stroke] for stroke in right])


def slanted(strokes: Strokes, lean: float = 0.3) -> Strokes:
    """``strokes`` leaning right, their tops moved by ``lean`` of their height."""
    return unit([[[x + lean * (1 - y), y] for x, y in stroke] for stroke in strokes])


def says_two(picture) -> bool:
    return (prepare(picture).blank_reason or "").startswith(REFUSAL)


def judged(strokes: Strokes, pen: float) -> tuple[bool, bool]:
    """(refused as two marks, drawn with an empty column inside its ink)."""
    picture = render_strokes(strokes, 280, (0.5, 0.5, 0.85), pen)
    inked = np.flatnonzero((np.asarray(picture) < 128).any(axis=0))
    return says_two(picture), bool(len(inked) and len(inked) < inked[-1] - inked[0] + 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unipen", default=UNIPEN)
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--mnist", help="an MNIST folder: count its images refused too")
    args = parser.parse_args()
    records = unipen.load_records(args.unipen)
    rng = np.random.default_rng(0)
    chosen = [(rng.choice(len(records), 2), rng.uniform(0.15, 0.5)) for _ in range(args.pairs)]
    figures: dict[str, dict] = {}
    for name, pen in PENS.items():
        for lean in ("as written", "slanted"):
            shape = slanted if lean == "slanted" else unit
            singles = sum(judged(shape(r["strokes"]), pen)[0] for r in records)
            pairs = np.array(
                [
                    judged(
                        shape(side_by_side(records[a]["strokes"], records[b]["strokes"], g)), pen
                    )
                    for (a, b), g in chosen
                ]
            )
            refused, open_gap = pairs.mean(axis=0)
            figures[f"{name}, {lean}"] = {
                "pairs_refused": float(refused),
                "pairs_with_an_empty_column": float(open_gap),
                "singles_refused": singles,
            }
            print(
                f"{name:6s} pen {pen:2.0f} px, {lean:10s}: pairs refused {refused:6.1%} of "
                f"{len(chosen)} ({open_gap:6.1%} drawn with an empty column between them), "
                f"single digits refused {singles} of {len(records)}"
            )
    if args.mnist:
        from training.data import load_mnist

        for split in ("test", "train"):
            images = load_mnist(args.mnist, split).images
            count = sum(says_two(image) for image in images)
            figures[f"mnist_{split}_refused"] = count
            print(f"MNIST {split}: {count} of {len(images)} refused")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
