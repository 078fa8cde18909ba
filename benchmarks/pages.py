"""Digits photographed on paper: how often each kind of page is read right.

Usage: python benchmarks/pages.py [--arch fcnn|cnn | --model FILE] [--per-mark 300]
    [--unipen ../shared/data/unipen-digits/dev.json.gz] [--orgs ibm,syn] [--sheet docs/pages.png]

Each UniPen record drawn (``training/pages.py``) on a clean page, under uneven
light (a gradient, a shadow, a vignette), on ruled or squared paper and in a
drawn box, and opened as a file is (``prepare(..., page=True)``); beside it the
same pictures read without the page cleaning (``page=False``), as a canvas
drawing is. A picture called blank counts as wrong. Pick organisations the
model never saw (``--orgs``) for a figure about unseen writers. ``--sheet`` also
draws one page of each kind, cleaned, and what the model sees of it.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from digitpad.assets import bundled_model_path
from digitpad.model_file import load_model
from digitpad.page import clean_page
from digitpad.preprocess import prepare
from digitpad.recognizer import predict
from training import unipen
from training.pages import MARKS, page_photo


def contact_sheet(records: list[dict], path: str, seed: int, side: int = 180) -> None:
    """One row a kind of page: the photo, the page cleaned, and the 28×28 the model sees."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    record = records[int(rng.integers(len(records)))]
    rows = []
    for marks in MARKS:
        photo = page_photo(record["strokes"], marks, np.random.default_rng(seed), side)
        cleaned = np.round(clean_page(photo.astype(np.float32) / 255) * 255).astype(np.uint8)
        seen = prepare(photo, page=True).image
        seen = np.zeros((28, 28)) if seen is None else seen
        big = np.kron(255 - np.round(seen * 255), np.ones((6, 6))).astype(np.uint8)
        row = np.full((side, 3 * side + 2 * 8), 255, np.uint8)
        row[:, :side], row[:, side + 8 : 2 * side + 8] = photo, cleaned
        row[(side - 168) // 2 : (side + 168) // 2, 2 * side + 16 : 2 * side + 16 + 168] = big
        rows += [row, np.full((8, row.shape[1]), 255, np.uint8)]
    sheet = Image.fromarray(np.vstack(rows[:-1]))
    labelled = Image.new("L", (sheet.width + 110, sheet.height), 255)
    labelled.paste(sheet, (110, 0))
    draw = ImageDraw.Draw(labelled)
    for i, marks in enumerate(MARKS):
        draw.text((6, i * (side + 8) + side // 2 - 6), marks, fill=0)
    labelled.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--arch", default="fcnn")
    parser.add_argument("--model", help="a model file instead of the bundled one")
    parser.add_argument("--unipen", default="../shared/data/unipen-digits/dev.json.gz")
    parser.add_argument("--orgs", default="", help="comma-separated organisations (default all)")
    parser.add_argument("--per-mark", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sheet", help="write a picture of each kind of page here")
    args = parser.parse_args()
    model = load_model(args.model or bundled_model_path(args.arch))
    records = unipen.load_records(args.unipen)
    if args.orgs:
        records = [r for r in records if r["org"] in set(args.orgs.split(","))]
    if args.sheet:
        contact_sheet(records, args.sheet, args.seed)
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
