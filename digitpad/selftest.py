"""``DigitPad --self-test``: prove an installed or packaged app can recognise digits.

Loads every bundled model, recognises a few built-in drawings placed around the
canvas, prints one JSON line and exits 0 only if every answer is right.
"""

from __future__ import annotations

import json
import time

from digitpad.assets import bundled_model_path
from digitpad.model_file import ModelFileError, load_model
from digitpad.networks import ARCHITECTURES
from digitpad.recognizer import predict
from digitpad.strokes import render_strokes

# Strokes in a unit square, y down, as a person would draw them.
DRAWINGS: dict[int, list] = {
    0: [
        [
            [0.5, 0.0],
            [0.15, 0.2],
            [0.05, 0.5],
            [0.15, 0.85],
            [0.5, 1.0],
            [0.85, 0.85],
            [0.95, 0.5],
            [0.85, 0.15],
            [0.5, 0.0],
        ]
    ],
    1: [[[0.45, 0.0], [0.5, 1.0]]],
    7: [[[0.05, 0.05], [0.95, 0.05], [0.4, 1.0]]],
}
PLACES = [(0.5, 0.5, 0.6), (0.2, 0.25, 0.3), (0.78, 0.75, 0.35)]


def run_self_test() -> dict:
    started = time.perf_counter()
    report: dict = {"ok": True, "models": {}, "failures": []}
    for arch in ARCHITECTURES:
        try:
            model = load_model(bundled_model_path(arch))
        except ModelFileError as exc:
            report["ok"] = False
            report["failures"].append(f"{arch}: {exc}")
            continue
        right = 0
        for digit, strokes in DRAWINGS.items():
            for place in PLACES:
                answer = predict(model, render_strokes(strokes, 280, place, 16)).digit
                right += answer == digit
                if answer != digit:
                    report["failures"].append(f"{arch}: drew {digit} at {place}, got {answer}")
        report["models"][arch] = {"right": right, "of": len(DRAWINGS) * len(PLACES)}
    report["ok"] = report["ok"] and not report["failures"]
    report["seconds"] = round(time.perf_counter() - started, 3)
    return report


def self_test_main() -> int:
    report = run_self_test()
    print(json.dumps(report), flush=True)  # noqa: T201
    return 0 if report["ok"] else 1
