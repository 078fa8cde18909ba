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
- ``corner``: small digits drawn out of the way: size [0.12, 0.25], pen [6, 16] px,
  pushed into a random corner.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.preprocess import VERSION as PREPROCESS_VERSION
from digitpad.preprocess import prepare
from digitpad.strokes import render_strokes
from training.cache import cached, digit_labels, pictures
from training.data import DataError, Digits
from training.styles import VERSION as STYLES_VERSION
from training.styles import maybe_restyle

CANVAS = 280
# The UniPen digits are 9 MB of JSON; parsing takes about 15 times that in memory.
MAX_JSON_BYTES = 64 * 2**20
# A drawn digit has at most a few hundred points; millions would take minutes to draw.
MAX_POINTS = 20_000
# Points in a whole file: ten times the UniPen digits' (543,000 in 11,654 records).
MAX_FILE_POINTS = 5_000_000
# Strokes are points in a unit square; some margin for digits that reach past it.
COORD_RANGE = (-1.0, 2.0)


@dataclass(frozen=True)
class Placement:
    """Ranges a render draws from: digit size and pen width; ``centred`` pins the position."""

    size: tuple[float, float]
    pen: tuple[float, float]
    centred: bool = False
    # Pushed into a random corner of the canvas (small digits drawn out of the way).
    corner: bool = False


PLACEMENTS = {
    "centred": Placement((0.6, 0.6), (18.0, 18.0), centred=True),
    "anywhere": Placement((0.2, 0.9), (8.0, 28.0)),
    "train": Placement((0.15, 0.95), (4.0, 32.0)),
    "corner": Placement((0.12, 0.25), (6.0, 16.0), corner=True),
}


def load_records(path: str | os.PathLike) -> list[dict]:
    """The records of a UniPen JSON file (gzipped or not), each checked for what we draw.

    A record that is not a digit 0-9 with an org name and strokes of finite
    ``[x, y]`` points near the unit square is refused with its index: drawn as
    it is, it would be trained on as a wrong digit or crash the run.
    """
    path = Path(path)
    try:
        records = json.loads(_read_json_bytes(path))
    except FileNotFoundError:
        raise DataError(f"UniPen file {path} does not exist") from None
    except IsADirectoryError:
        raise DataError(f"UniPen file {path} is a folder") from None
    except RecursionError:
        raise DataError(f"cannot read UniPen file {path}: it is nested too deeply") from None
    except (OSError, EOFError, ValueError, zlib.error) as exc:
        raise DataError(f"cannot read UniPen file {path}: {exc!s:.200}") from None
    if not isinstance(records, list) or not records:
        raise DataError(f"{path} holds no UniPen records")
    for i, record in enumerate(records):
        problem = _record_problem(record)
        if problem:
            raise DataError(f"{path}: record {i} {problem}")
    points = sum(len(stroke) for record in records for stroke in record["strokes"])
    if points > MAX_FILE_POINTS:
        raise DataError(
            f"{path} holds {points:,} points, more than {MAX_FILE_POINTS:,}: drawing its "
            "digits would take hours (split it, or keep fewer points a stroke)"
        )
    return records


def _read_json_bytes(path: Path) -> bytes:
    """The file's JSON text, inflated to at most :data:`MAX_JSON_BYTES` (a gzip bomb is refused)."""
    if not path.is_file() and path.exists():
        raise DataError(f"UniPen file {path} is not a regular file")
    with open(path, "rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
    opener = gzip.open if gzipped else open
    with opener(path, "rb") as handle:
        text = handle.read(MAX_JSON_BYTES + 1)
    if len(text) > MAX_JSON_BYTES:
        raise DataError(
            f"UniPen file {path} holds more than {MAX_JSON_BYTES // 2**20} MiB of JSON, "
            "more than this reader accepts"
        )
    return text


def _record_problem(record: object) -> str | None:
    """Why ``record`` cannot be drawn and trained on, or None."""
    if not isinstance(record, dict) or not {"label", "org", "strokes"} <= record.keys():
        return "lacks label, org or strokes"
    label = record["label"]
    if not isinstance(label, int) or isinstance(label, bool) or not 0 <= label <= 9:
        return f"has label {label!r:.40}, expected a digit 0-9"
    if not isinstance(record["org"], str):
        return f"has org {record['org']!r:.40}, expected a name"
    strokes = record["strokes"]
    if not isinstance(strokes, list) or not all(isinstance(s, list) for s in strokes):
        return "has strokes that are not lists of points"
    points = [point for stroke in strokes for point in stroke]
    if len(points) > MAX_POINTS:
        return f"has {len(points):,} points, more than a drawn digit ({MAX_POINTS:,})"
    low, high = COORD_RANGE
    for point in points:
        if (
            not isinstance(point, list)
            or len(point) != 2
            or not all(_number(v) and low <= v <= high for v in point)
        ):
            return f"has point {point!r:.60}, expected [x, y] in the unit square"
    return None


def _number(value: object) -> bool:
    """A JSON number that is finite (NaN and Infinity parse as floats); an integer of any
    length is compared exactly, never made a float (a 400-digit one cannot be)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


# A stroke whose ends lie this share of its length apart is a straight line.
STRAIGHT = 0.9
# A 1 is taller than wide: one whose height is under this share of its width is a base or
# a flag alone.
FLAT_ONE = 0.6


def fragment(record: dict) -> str | None:
    """Why ``record`` is a lone stroke of a digit rather than the digit, or None.

    The source sometimes labels each stroke of a multi-stroke digit as a digit of
    its own (about 5% of ``ibm``'s records, the data's README says), so that a "|"
    is labelled 4 and a base line 1. Two shapes that no writer makes for the
    labelled digit are recognised, by geometry alone so that no model decides what
    counts: one straight stroke labelled anything but 1, and a 1 wider than tall.
    """
    strokes = [np.asarray(stroke, np.float64).reshape(-1, 2) for stroke in record["strokes"]]
    points = np.concatenate(strokes) if strokes else np.zeros((0, 2))
    if not len(points):
        return None  # nothing to draw: a blank render, scored as such
    label = int(record["label"])
    if label != 1 and len(strokes) == 1 and len(points) > 1:
        length = float(np.linalg.norm(np.diff(points, axis=0), axis=1).sum())
        if np.linalg.norm(points[-1] - points[0]) >= STRAIGHT * length:
            return "one straight stroke"
    width, height = np.ptp(points, axis=0)
    if label == 1 and height < FLAT_ONE * width:
        return "a 1 wider than tall"
    return None


def split_by_org(records: Sequence[dict], held_out: Sequence[str]) -> tuple[list[dict], list[dict]]:
    """(training records, held-out records): whole contributors go to one side only."""
    held = set(held_out)
    train = [r for r in records if r["org"] not in held]
    test = [r for r in records if r["org"] in held]
    return train, test


def place(rng: np.random.Generator, placement: Placement) -> tuple[float, float, float, float]:
    """(centre x, centre y, size, pen px) of one drawing; the whole box stays on the canvas."""
    size = rng.uniform(*placement.size)
    pen = rng.uniform(*placement.pen)
    if placement.centred:
        cx = cy = 0.5
    elif placement.corner:
        cx, cy = (
            size / 2 + rng.uniform(0, 0.04) if near else 1 - size / 2 - rng.uniform(0, 0.04)
            for near in rng.integers(0, 2, size=2)
        )
    else:
        # The strokes' box is a unit square scaled to ``size``; keep it on the canvas.
        half = size / 2
        cx, cy = rng.uniform(half, 1 - half, size=2)
    return float(cx), float(cy), float(size), float(pen)


def render_one(record: dict, rng: np.random.Generator, placement: Placement) -> np.ndarray | None:
    """One record drawn on the canvas and prepared; None when preprocessing finds no digit."""
    cx, cy, size, pen = place(rng, placement)
    image = render_strokes(record["strokes"], CANVAS, (cx, cy, size), pen)
    return prepare(np.asarray(image)).image


def render(
    records: Sequence[dict],
    placement: Placement,
    renders: int = 1,
    seed: int = 0,
    styled: float = 0.0,
) -> Digits:
    """``renders`` prepared images per record; records that come out blank are skipped.

    About a fraction ``styled`` of the renders is first rewritten in one of the
    writing styles of :mod:`training.styles` that fits the record's digit (more for
    digits whose styles weigh more: :func:`training.styles.restyle_chance`).
    """
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for _ in range(renders):
        for record in records:
            image = render_one(maybe_restyle(record, styled, rng), rng, placement)
            if image is not None:
                images.append(image)
                labels.append(int(record["label"]))
    return Digits(
        np.stack(images).astype(np.float32) if images else np.zeros((0, 28, 28), np.float32),
        np.asarray(labels, np.int64),
        f"{len(labels)} UniPen renders",
    )


def _file_digest(path: Path) -> str:
    """A hash of ``path``'s bytes: a file edited and given its old time back (``cp -p``,
    ``rsync -a``) must not be served the renders of what it held before."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def _cache_key(
    digest: str, org: str, placement: Placement, renders: int, seed: int, styled: float
) -> str:
    text = json.dumps(
        [
            digest,
            org,
            placement.__dict__,
            renders,
            seed,
            PREPROCESS_VERSION,
            *([STYLES_VERSION, styled] if styled else []),
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _org_seed(seed: int, org: str) -> int:
    """Each organisation's own random stream, so its renders do not depend on the others."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{org}".encode()).digest()[:4], "little")


def load_rendered(
    path: str | os.PathLike,
    orgs: Sequence[str] | None = None,
    exclude_orgs: Sequence[str] = (),
    placement: str = "train",
    renders: int = 1,
    seed: int = 0,
    cache: str | os.PathLike | None = None,
    styled: float = 0.0,
) -> Digits:
    """Rendered UniPen digits of ``orgs`` (all but ``exclude_orgs`` when None).

    Each organisation is rendered with its own random stream and cached as its
    own .npz, so runs that leave different organisations out share the work.
    """
    path = Path(path)
    records = load_records(path)
    if orgs is None:
        orgs = sorted({r["org"] for r in records} - set(exclude_orgs))
    chosen = [r for r in records if r["org"] in set(orgs)]
    missing = sorted(set(orgs) - {r["org"] for r in chosen})
    if missing and chosen:
        raise DataError(
            f"{path} holds no records of organisation(s) {', '.join(missing)}; it holds "
            f"{', '.join(sorted({r['org'] for r in records}))} (--held-out-orgs names the "
            'ones kept for testing; "" for none)'
        )
    if not chosen:
        named = ", ".join(orgs) or "(none left once the held-out ones are set aside)"
        raise DataError(
            f"{path} holds no records of organisations {named}; it holds "
            f"{', '.join(sorted({r['org'] for r in records}))} (--held-out-orgs names the "
            'ones kept for testing; "" for none)'
        )
    spec = PLACEMENTS[placement]
    description = (
        f"UniPen {path.name} orgs {','.join(orgs)}: {renders} {placement} render(s) per record"
        + (f", {styled:.0%} restyled (styles version {STYLES_VERSION})" if styled else "")
    )
    parts = []
    digest = _file_digest(path) if cache is not None else ""
    for org in sorted(set(orgs)):
        mine = [r for r in chosen if r["org"] == org]
        if not mine:
            continue
        cache_file = None
        if cache is not None:
            key = _cache_key(digest, org, spec, renders, seed, styled)
            cache_file = Path(cache) / f"unipen-{key}.npz"
        parts.append(_render_cached(mine, spec, renders, _org_seed(seed, org), styled, cache_file))
    if not any(len(part) for part in parts):
        raise DataError(f"{path}: no record of orgs {', '.join(orgs)} draws a visible digit")
    return Digits.concat(parts, description)


def _render_cached(
    records: Sequence[dict],
    spec: Placement,
    renders: int,
    seed: int,
    styled: float,
    cache_file: Path | None,
) -> Digits:
    """One organisation's renders, read from ``cache_file`` when an earlier run made them."""
    if cache_file is None:
        return render(records, spec, renders, seed, styled)

    def make() -> dict[str, np.ndarray]:
        digits = render(records, spec, renders, seed, styled)
        return {"images": digits.images, "labels": digits.labels}

    def valid(found: dict[str, np.ndarray]) -> bool:
        images = found.get("images")
        return (
            pictures(images, (-1, 28, 28))
            and 0 < len(images) <= len(records) * renders
            and digit_labels(found.get("labels"), len(images))
        )

    arrays = cached(cache_file, make, valid)
    return Digits(arrays["images"], arrays["labels"], "", key=cache_file.stem)
