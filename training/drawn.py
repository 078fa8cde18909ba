"""How well a model reads drawn digits of writers it never saw, overall and per writing style.

Pure functions over UniPen records and model files, shared by
``benchmarks/drawn_digits.py`` and the tests. Two tables come out of them:

- **by organisation**: each organisation's records drawn centred and anywhere on
  the canvas, scored by a model that never saw that organisation (leave one
  organisation out), with the mean and the worst;
- **by style**: the same records rewritten in each style of
  :mod:`training.styles` (and as written, for the plain 1s and 7s the styles
  must not cost), small digits in a corner, and the real continental writers,
  each scored by the model that never saw the writer.

A record that preprocessing calls blank counts as wrong: the user drew something.
Records that are a lone stroke of a digit (:func:`training.unipen.fragment`) are
scored as labelled; :func:`without_fragments` sets them aside for a second figure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from digitpad.model_file import Model
from training import unipen
from training.evaluate import predict_labels
from training.styles import STYLES, restyle

RENDER_SEED = 2024
PLAIN_DIGITS = (1, 7)
CONTINENTAL_ORG = "gmd"


@dataclass(frozen=True)
class Tally:
    """Hits out of a count; adds up across organisations."""

    hits: int = 0
    count: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.hits + other.hits, self.count + other.count)

    @property
    def accuracy(self) -> float:
        return self.hits / self.count if self.count else float("nan")


def score(
    model: Model, records: Sequence[dict], placement: str, renders: int = 2, seed: int = RENDER_SEED
) -> Tally:
    """Records drawn ``renders`` times with ``placement``, prepared and classified by ``model``."""
    if not records:
        return Tally()
    digits = unipen.render(records, unipen.PLACEMENTS[placement], renders, seed)
    hits = int((predict_labels(model, digits.images) == digits.labels).sum()) if len(digits) else 0
    return Tally(hits, len(records) * renders)


def style_sets(records: Sequence[dict], seed: int = RENDER_SEED) -> dict[str, list[dict]]:
    """Each style's records made from ``records``, plus the plain digits they must not cost."""
    rng = np.random.default_rng(seed)
    plain = [r for r in records if r["org"] != CONTINENTAL_ORG]
    sets: dict[str, list[dict]] = {}
    for style in STYLES:
        made = (restyle(r, style, rng) for r in plain if int(r["label"]) == style.label)
        sets[style.name] = [r for r in made if r is not None]
    for digit in PLAIN_DIGITS:
        sets[f"{digit} as written"] = [r for r in plain if int(r["label"]) == digit]
    return sets


def org_row(model: Model, records: Sequence[dict], renders: int = 2) -> dict[str, Tally]:
    """One organisation's records centred and anywhere."""
    return {
        placement: score(model, records, placement, renders)
        for placement in ("centred", "anywhere")
    }


def style_row(model: Model, records: Sequence[dict], renders: int = 2) -> dict[str, Tally]:
    """One organisation's records in every style, in a corner, and (continental) as written."""
    row = {
        name: score(model, chosen, "anywhere", renders)
        for name, chosen in style_sets(records).items()
    }
    plain = [r for r in records if r["org"] != CONTINENTAL_ORG]
    row["small, in a corner"] = score(model, plain, "corner", renders)
    row[f"continental writers ({CONTINENTAL_ORG})"] = score(
        model, [r for r in records if r["org"] == CONTINENTAL_ORG], "anywhere", renders
    )
    return row


def combine(rows: Iterable[dict[str, Tally]]) -> dict[str, Tally]:
    """Sum tallies by key across organisations."""
    total: dict[str, Tally] = {}
    for row in rows:
        for key, tally in row.items():
            total[key] = total.get(key, Tally()) + tally
    return total


def without_fragments(records: Sequence[dict]) -> list[dict]:
    """``records`` less the lone strokes of a digit that the source labels as the digit."""
    return [r for r in records if unipen.fragment(r) is None]


def org_rows(
    records: Sequence[dict], model_for: Callable[[str], Model], renders: int = 2
) -> dict[str, dict[str, Tally]]:
    """Each organisation's :func:`org_row`, scored by ``model_for(org)``."""
    orgs = sorted({r["org"] for r in records})
    return {
        org: org_row(model_for(org), [r for r in records if r["org"] == org], renders)
        for org in orgs
    }


def leave_one_out(
    records: Sequence[dict], model_for: Callable[[str], Model], renders: int = 2
) -> tuple[dict[str, dict[str, Tally]], dict[str, Tally]]:
    """(per-organisation rows, per-style totals), each org scored by ``model_for(org)``."""
    orgs = sorted({r["org"] for r in records})
    by_org, by_style = {}, []
    for org in orgs:
        mine = [r for r in records if r["org"] == org]
        model = model_for(org)
        by_org[org] = org_row(model, mine, renders)
        by_style.append(style_row(model, mine, renders))
    return by_org, combine(by_style)


def summary(by_org: dict[str, dict[str, Tally]], placement: str) -> tuple[float, float, str]:
    """(mean over organisations, worst organisation's accuracy, its name) for ``placement``."""
    accuracies = {org: row[placement].accuracy for org, row in by_org.items()}
    worst = min(accuracies, key=accuracies.__getitem__)
    return float(np.mean(list(accuracies.values()))), accuracies[worst], worst
