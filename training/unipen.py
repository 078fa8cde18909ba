"""Real pen-stroke digits (UniPen) rendered the way the app's canvas would show them.

Each record's strokes are drawn with :func:`digitpad.strokes.render_strokes` on a
280 px canvas at a chosen size, position and pen width, then passed through
:func:`digitpad.preprocess.prepare`, so training and evaluation see exactly the
28×28 inputs the app would. Records are split by contributor (``org``): the
held-out orgs measure accuracy on writers the model never saw.

Renderer settings (fractions of the canvas side unless stated):

- ``centred``: box centre (0.5, 0.5), size 0.6, pen 18 px - the canvas defaults.
- ``anywhere``: size uniform in [0.2, 0.9], centre uniform wherever the whole box
  stays on the canvas (so edges and corners included), pen uniform in [8, 28] px.
- ``train``: wider than ``anywhere`` so evaluation is inside the trained range:
  size [0.15, 0.95], pen [4, 32] px, position anywhere on the canvas.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.preprocess import VERSION as PREPROCESS_VERSION
from digitpad.preprocess import prepare
from digitpad.strokes import render_strokes
from training.data import DataError, Digits

CANVAS = 280


@dataclass(frozen=True)
class Placement:
    """Ranges a render draws from: digit size and pen width; ``centred`` pins the position."""

    size: tuple[float, float]
    pen: tuple[float, float]
    centred: bool = False


PLACEMENTS = {
    "centred": Placement((0.6, 0.6), (18.0, 18.0), centred=True),
    "anywhere": Placement((0.2, 0.9), (8.0, 28.0)),
    "train": Placement((0.15, 0.95), (4.0, 32.0)),
}


def load_records(path: str | os.PathLike) -> list[dict]:
    """The records of a UniPen JSON file (gzipped or not), checked for the fields we use."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        text = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        records = json.loads(text)
    except FileNotFoundError:
        raise DataError(f"UniPen file {path} does not exist") from None
    except (OSError, EOFError, ValueError) as exc:
        raise DataError(f"cannot read UniPen file {path}: {exc}") from None
    if not isinstance(records, list) or not records:
        raise DataError(f"{path} holds no UniPen records")
    for i, record in enumerate(records):
        if not isinstance(record, dict) or not {"label", "org", "strokes"} <= record.keys():
            raise DataError(f"{path}: record {i} lacks label, org or strokes")
    return records


def split_by_org(
    records: Sequence[dict], held_out: Sequence[str]
) -> tuple[list[dict], list[dict]]:
    """(training records, held-out records): whole contributors go to one side only."""
    held = set(held_out)
    train = [r for r in records if r["org"] not in held]
    test = [r for r in records if r["org"] in held]
    return train, test


def render_one(record: dict, rng: np.random.Generator, placement: Placement) -> np.ndarray | None:
    """One record drawn on the canvas and prepared; None when preprocessing finds no digit."""
    size = rng.uniform(*placement.size)
    pen = rng.uniform(*placement.pen)
    if placement.centred:
        cx = cy = 0.5
    else:
        # The strokes' box is a unit square scaled to ``size``; keep it on the canvas.
        half = size / 2
        cx, cy = rng.uniform(half, 1 - half, size=2)
    image = render_strokes(record["strokes"], CANVAS, (cx, cy, size), pen)
    return prepare(np.asarray(image)).image


def render(
    records: Sequence[dict], placement: Placement, renders: int = 1, seed: int = 0
) -> Digits:
    """``renders`` prepared images per record; records that come out blank are skipped."""
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for _ in range(renders):
        for record in records:
            image = render_one(record, rng, placement)
            if image is not None:
                images.append(image)
                labels.append(int(record["label"]))
    return Digits(
        np.stack(images).astype(np.float32),
        np.asarray(labels, np.int64),
        f"{len(labels)} UniPen renders",
    )


def _cache_key(
    path: Path, orgs: Sequence[str], placement: Placement, renders: int, seed: int
) -> str:
    stat = path.stat()
    text = json.dumps([str(path.resolve()), stat.st_size, int(stat.st_mtime), sorted(orgs),
                       placement.__dict__, renders, seed, PREPROCESS_VERSION])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_rendered(
    path: str | os.PathLike,
    orgs: Sequence[str] | None = None,
    exclude_orgs: Sequence[str] = (),
    placement: str = "train",
    renders: int = 1,
    seed: int = 0,
    cache: str | os.PathLike | None = None,
) -> Digits:
    """Rendered UniPen digits of ``orgs`` (all but ``exclude_orgs`` when None), cached as .npz."""
    path = Path(path)
    records = load_records(path)
    if orgs is None:
        orgs = sorted({r["org"] for r in records} - set(exclude_orgs))
    chosen = [r for r in records if r["org"] in set(orgs)]
    if not chosen:
        raise DataError(f"{path} holds no records of orgs {', '.join(orgs)}")
    spec = PLACEMENTS[placement]
    description = (
        f"UniPen {path.name} orgs {','.join(orgs)}: {renders} {placement} render(s) per record"
    )
    cache_file = None
    if cache is not None:
        cache_file = Path(cache) / f"unipen-{_cache_key(path, orgs, spec, renders, seed)}.npz"
        if cache_file.is_file():
            with np.load(cache_file, allow_pickle=False) as archive:
                return Digits(archive["images"], archive["labels"], description)
    digits = render(chosen, spec, renders, seed)
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(".tmp.npz")
        np.savez(tmp, images=digits.images, labels=digits.labels)
        os.replace(tmp, cache_file)
    return Digits(digits.images, digits.labels, description)
