"""The search space as Optuna sees it: suggesting values, and mapping them to TrainConfig."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from training.config import SEARCH_SPACE, Param, TrainConfig


def space_for(arch: str, space: dict[str, Param] | None = None) -> dict[str, Param]:
    """The dimensions of ``space`` (default: SEARCH_SPACE) that apply to ``arch``."""
    space = SEARCH_SPACE if space is None else space
    return {k: p for k, p in space.items() if arch in p.archs}


def _label(choice: Any) -> Any:
    """Optuna stores categorical choices as None/bool/int/float/str: tuples become "32x64"."""
    if isinstance(choice, (tuple, list)):
        return "x".join(str(c) for c in choice)
    return choice


def _unlabel(param: Param, value: Any) -> Any:
    for choice in param.choices:
        if _label(choice) == value:
            return list(choice) if isinstance(choice, (tuple, list)) else choice
    return value


def suggest(trial: Any, space: dict[str, Param]) -> dict[str, Any]:
    """Ask the trial for one value per dimension; returns TrainConfig field values."""
    values: dict[str, Any] = {}
    for name, p in space.items():
        if p.kind == "float":
            values[name] = trial.suggest_float(name, p.low, p.high, log=p.log)
        elif p.kind == "int":
            values[name] = trial.suggest_int(name, int(p.low), int(p.high), log=p.log)
        elif p.kind == "categorical":
            raw = trial.suggest_categorical(name, [_label(c) for c in p.choices])
            values[name] = _unlabel(p, raw)
        else:
            raise ValueError(f"search space {name!r}: unknown kind {p.kind!r}")
    return values


def config_values(params: dict[str, Any], space: dict[str, Param]) -> dict[str, Any]:
    """Optuna's stored params → TrainConfig field values (JSON-friendly)."""
    return {k: (_unlabel(space[k], v) if k in space else v) for k, v in params.items()}


def optuna_params(values: dict[str, Any]) -> dict[str, Any]:
    """TrainConfig field values → what Optuna stores (for enqueueing a known configuration)."""
    return {k: _label(v) for k, v in values.items()}


def within(values: dict[str, Any], space: dict[str, Param]) -> dict[str, Any]:
    """``values`` moved inside the space (e.g. weight decay 0 → the log range's low end);
    categorical values the space does not offer are dropped (the sampler picks)."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        p = space.get(name)
        if p is None:
            continue
        if p.kind == "categorical":
            if _label(value) in [_label(c) for c in p.choices]:
                out[name] = value
        else:
            v = min(max(value, p.low), p.high)
            out[name] = round(v) if p.kind == "int" else float(v)
    return out


def make_config(base: TrainConfig, values: dict[str, Any], **overrides: Any) -> TrainConfig:
    values = dict(values)
    if "channels" in values:
        values["channels"] = tuple(values["channels"])
    return replace(base, **values, **overrides)


def describe(p: Param) -> dict:
    """One dimension as the ``search_started`` event shows it."""
    if p.kind == "categorical":
        return {
            "kind": p.kind,
            "choices": [list(c) if isinstance(c, tuple) else c for c in p.choices],
        }
    return {"kind": p.kind, "low": p.low, "high": p.high, "log": p.log}
