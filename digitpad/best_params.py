"""The best training parameters a hyperparameter search found, kept for the Retrain dialog.

A finished search (``python -m training search``) writes them to
``<data folder>/best_params.json``; the dialog then offers them as its defaults
instead of the design's values. Plain JSON, no Qt and no torch, so both sides
share this module. A missing or unreadable file simply means "no search yet".
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

from digitpad.atomic import atomic_write

FILE_NAME = "best_params.json"

# What ``train`` accepts, with the type each value must have; anything else is ignored.
TRAIN_OPTIONS: dict[str, type] = {
    "lr": float,
    "batch_size": int,
    "weight_decay": float,
    "dropout": float,
    "augment": float,
    "elastic": float,
    "schedule": str,
    "hidden": int,
    "channels": list,
    "convs": int,
    "label_smoothing": float,
}

log = logging.getLogger(__name__)


def clean(params: dict[str, Any]) -> dict[str, Any]:
    """Only the known options, with values of the right type (a bad file never reaches train)."""
    out: dict[str, Any] = {}
    for name, kind in TRAIN_OPTIONS.items():
        value = params.get(name)
        if value is None or isinstance(value, bool):
            continue
        if kind is list:
            if (
                isinstance(value, (list, tuple))
                and len(value) == 2
                and all(isinstance(v, int) and v > 0 for v in value)
            ):
                out[name] = [int(v) for v in value]
        elif kind is str:
            if isinstance(value, str) and value.isidentifier():
                out[name] = value
        elif isinstance(value, (int, float)) and math.isfinite(value) and value >= 0:
            out[name] = kind(value)
    return out


def save(folder: Path, arch: str, params: dict[str, Any], **figures: Any) -> Path:
    """Write the search's best parameters for ``arch`` (atomically) and return the path."""
    path = Path(folder) / FILE_NAME
    record = {"arch": arch, "params": clean(params), **figures}
    with atomic_write(path) as handle:
        handle.write(json.dumps(record, indent=2).encode())
    return path


def load(folder: Path) -> dict[str, Any] | None:
    """``{"arch", "params", ...}`` from the last finished search, or None when there is none."""
    path = Path(folder) / FILE_NAME
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable %s: %s", path, exc)
        return None
    if not isinstance(record, dict) or not isinstance(record.get("params"), dict):
        log.warning("ignoring %s: not a parameters record", path)
        return None
    params = clean(record["params"])
    if not params:
        return None
    return {**record, "params": params}


def train_arguments(params: dict[str, Any]) -> list[str]:
    """``params`` as ``train`` command-line options (``--weight-decay 1e-05`` …)."""
    args: list[str] = []
    for name, value in clean(params).items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, list):
            args += [flag, *(str(v) for v in value)]
        else:
            args += [flag, repr(value) if isinstance(value, float) else str(value)]
    return args


def format_value(value: Any) -> str:
    """A parameter's value as the dialogs show it: 3 significant digits, channels as 32/64."""
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list):
        return "/".join(str(v) for v in value)
    return str(value)
