"""A picture of every writing style the training data is given: ``python -m training styles``.

One row per style in :data:`training.styles.STYLES`: the first column is an
ordinary record as its writer drew it, the others the same style made from
other writers' records, each drawn as the app's canvas would show it. The last
row shows real digits of the contributor that writes the continental way.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from digitpad.atomic import atomic_write
from digitpad.strokes import render_strokes
from training.styles import STYLES, restyle

CELL = 72
LABEL_WIDTH = 150
CONTINENTAL_ORG = "gmd"


def _cell(strokes: Sequence) -> Image.Image:
    return render_strokes(strokes, CELL, (0.5, 0.5, 0.8), 4.0)


def sheet(records: Sequence[dict], columns: int = 10, seed: int = 0) -> Image.Image:
    """The contact sheet as an image (rows: styles, then the continental writers' own)."""
    rng = np.random.default_rng(seed)
    plain = [r for r in records if r["org"] != CONTINENTAL_ORG]
    rows: list[tuple[str, list]] = []
    for style in STYLES:
        pool = [r for r in plain if int(r["label"]) == style.label]
        order = rng.permutation(len(pool))
        cells = [pool[order[0]]["strokes"]] if len(pool) else []
        for k in order[1:]:
            if len(cells) == columns:
                break
            made = restyle(pool[k], style, rng)
            if made is not None:
                cells.append(made["strokes"])
        rows.append((style.name, cells))
    real = [
        r for r in records if r["org"] == CONTINENTAL_ORG and int(r["label"]) in (0, 1, 4, 7, 9)
    ]
    picks = rng.permutation(len(real))[:columns]
    rows.append((f"real ({CONTINENTAL_ORG})", [real[k]["strokes"] for k in picks]))
    image = Image.new("L", (LABEL_WIDTH + columns * CELL, len(rows) * CELL), 255)
    draw = ImageDraw.Draw(image)
    for row, (name, cells) in enumerate(rows):
        draw.text((6, row * CELL + CELL // 2 - 6), name, fill=0)
        for col, strokes in enumerate(cells):
            image.paste(_cell(strokes), (LABEL_WIDTH + col * CELL, row * CELL))
        draw.line((0, (row + 1) * CELL - 1, image.width, (row + 1) * CELL - 1), fill=200)
    draw.line((LABEL_WIDTH + CELL - 1, 0, LABEL_WIDTH + CELL - 1, image.height), fill=160)
    return image


def add_styles_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("styles", help="draw a contact sheet of the writing styles trained on")
    p.add_argument("--unipen", required=True, help="UniPen JSON file to take the strokes from")
    p.add_argument("--out", default="docs/styles.png")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run_styles)


def run_styles(args: argparse.Namespace) -> int:
    from training.progress import emit
    from training.unipen import load_records

    picture = sheet(load_records(args.unipen), seed=args.seed)
    out = Path(args.out)
    with atomic_write(out) as handle:
        picture.save(handle, "PNG")
    emit("done", out=str(out), styles=len(STYLES))
    return 0
