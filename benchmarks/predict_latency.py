"""Latency from a 280×280 canvas image to probabilities, preprocessing included, one thread.

Usage: python benchmarks/predict_latency.py [--arch fcnn|cnn | --model FILE] [--n 1000]
Drawings are UniPen-like strokes rendered at random size, position and pen width.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import json
import time

import numpy as np

from digitpad.assets import bundled_model_path
from digitpad.model_file import load_model
from digitpad.recognizer import predict
from digitpad.selftest import DRAWINGS
from digitpad.strokes import render_strokes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--arch", default="fcnn")
    parser.add_argument("--model", help="a model file instead of the bundled one")
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    model = load_model(args.model or bundled_model_path(args.arch))
    name = f"{model.arch}{', deskewed input' if model.deskew else ''}"
    rng = np.random.default_rng(0)
    shapes = list(DRAWINGS.values())
    canvases = []
    for i in range(args.n):
        size = rng.uniform(0.2, 0.9)
        cx, cy = rng.uniform(size / 2 + 0.03, 1 - size / 2 - 0.03, 2)
        image = render_strokes(shapes[i % len(shapes)], 280, (cx, cy, size), rng.uniform(6, 30))
        canvases.append(np.asarray(image))
    for image in canvases[:50]:
        predict(model, image)  # warm up caches and allocators
    times = []
    for image in canvases:
        start = time.perf_counter()
        predict(model, image)
        times.append(time.perf_counter() - start)
    ms = np.array(times) * 1000
    result = {
        "arch": model.arch,
        "deskew": model.deskew,
        "n": args.n,
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
        "max_ms": round(float(ms.max()), 3),
    }
    print(f"{name}: p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms over {args.n} drawings")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
