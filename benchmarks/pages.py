"""Digits photographed on paper: how often each kind of page is read right.

Usage: python benchmarks/pages.py [--arch fcnn|cnn | --model FILE] [--per-mark 300]
    [--unipen ../shared/data/unipen-digits/dev.json.gz] [--orgs ibm,syn]

Each UniPen record drawn (``training/pages.py``) on a clean page, under uneven
light (a gradient, a shadow, a vignette), on ruled or squared paper and in a
drawn box, and opened as a file is (``prepare(..., page=True)``); beside it the
same pictures read without the page cleaning (``page=False``), as a canvas
drawing is. A picture called blank counts as wrong. Pick organisations the
model never saw (``--orgs``) for a figure about unseen writers.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from digitpad.assets import bundled_model_path
from digitpad.model_file import load_model
from digitpad.recognizer import predict
from training import unipen
from training.pages import MARKS, page_photo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--arch", default="fcnn")
    parser.add_argument("--model", help="a model file instead of the bundled one")
    parser.add_argument("--unipen", default="../shared/data/unipen-digits/dev.json.gz")
    parser.add_argument("--orgs", default="", help="comma-separated organisations (default all)")
    parser.add_argument("--per-mark", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    model = load_model(args.model or bundled_model_path(args.arch))
    records = unipen.load_records(args.unipen)
    if args.orgs:
        records = [r for r in records if r["org"] in set(args.orgs.split(","))]
    rng = np.random.default_rng(args.seed)
    picks = rng.choice(len(records), size=args.per_mark, replace=len(records) < args.per_mark)
    results = {}
    print(f"{args.model or args.arch}: {args.per_mark} pages a kind, read right")
    print(f"{'page':14} {'opened as a file':>17} {'without cleaning':>17} {'ms a page':>10}")
    for marks in MARKS:
        page_rng = np.random.default_rng([args.seed, MARKS.index(marks)])
        pages = [page_photo(records[i]["strokes"], marks, page_rng) for i in picks]
        labels = [int(records[i]["label"]) for i in picks]
        start = time.perf_counter()
        cleaned = sum(
            predict(model, p, page=True).digit == y for p, y in zip(pages, labels, strict=True)
        )
        ms = (time.perf_counter() - start) * 1000 / len(pages)
        plain = sum(predict(model, p).digit == y for p, y in zip(pages, labels, strict=True))
        results[marks] = {"cleaned": cleaned / len(pages), "uncleaned": plain / len(pages)}
        print(
            f"{marks:14} {100 * cleaned / len(pages):16.1f}% {100 * plain / len(pages):16.1f}%"
            f" {ms:10.2f}"
        )
    print(json.dumps({"model": args.model or args.arch, "per_mark": args.per_mark, **results}))


if __name__ == "__main__":
    main()
