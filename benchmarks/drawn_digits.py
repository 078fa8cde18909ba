"""Accuracy on real pen-drawn digits of writers the model never saw, as the app would see them.

The UniPen records of the held-out orgs (apa, aga, imp by default) are drawn on
a 280 px canvas by digitpad.strokes.render_strokes and passed through
digitpad.preprocess.prepare, then classified by the model file's NumPy forward
pass. Two renderings (see training/unipen.py for the exact ranges):

- centred: box centre (0.5, 0.5), size 0.6 of the canvas, pen 18 px;
- anywhere: size uniform in [0.2, 0.9] of the canvas, centre uniform wherever the
  whole digit stays on the canvas (edges and corners included), pen uniform in [8, 28] px.

    python benchmarks/drawn_digits.py [--model FILE | --arch fcnn|cnn] [--unipen FILE]
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from digitpad.assets import bundled_model_path
from digitpad.model_file import load_model
from training import unipen
from training.config import HELD_OUT_ORGS
from training.evaluate import predict_labels

RENDER_SEED = 2024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model")
    parser.add_argument("--arch", default="fcnn")
    parser.add_argument("--unipen", default="/work/shared/data/unipen-digits/dev.json.gz")
    parser.add_argument("--orgs", default=",".join(HELD_OUT_ORGS))
    parser.add_argument("--renders", type=int, default=2, help="renders per record and placement")
    args = parser.parse_args()
    path = args.model or bundled_model_path(args.arch)
    model = load_model(path)
    orgs = args.orgs.split(",")
    records = [r for r in unipen.load_records(args.unipen) if r["org"] in orgs]
    rows: dict[str, dict[str, float]] = {}
    totals = {}
    for placement in ("centred", "anywhere"):
        correct: dict[str, list[bool]] = {org: [] for org in orgs}
        for org in orgs:
            chosen = [r for r in records if r["org"] == org]
            digits = unipen.render(chosen, unipen.PLACEMENTS[placement], args.renders, RENDER_SEED)
            hits = predict_labels(model, digits.images) == digits.labels
            # A record that preprocessing calls blank counts as wrong.
            missing = len(chosen) * args.renders - len(digits)
            correct[org] = [*hits.tolist(), *([False] * missing)]
        for org in orgs:
            rows.setdefault(org, {})[placement] = float(np.mean(correct[org]))
        totals[placement] = float(np.mean([h for org in orgs for h in correct[org]]))
    rows["overall"] = totals
    print(f"model: {path} ({model.arch}), {args.renders} render(s) per record and placement")
    print(f"{'org':<10}{'n':>6}{'centred':>10}{'anywhere':>10}{'diff':>8}")
    for org, figures in rows.items():
        n = len(records) if org == "overall" else sum(r["org"] == org for r in records)
        diff = figures["anywhere"] - figures["centred"]
        print(f"{org:<10}{n:>6}{figures['centred']:>10.2%}{figures['anywhere']:>10.2%}"
              f"{diff * 100:>+7.2f}p")
    print(json.dumps({"model": str(path), "arch": model.arch, "renders": args.renders,
                      "accuracy": {org: {k: round(v, 5) for k, v in f.items()}
                                   for org, f in rows.items()}}))


if __name__ == "__main__":
    main()
