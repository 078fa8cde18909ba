"""Digits photographed on paper: pen strokes on a page with its lighting and its printed lines.

A picture a user opens is often a photo of a page, not a canvas: the light falls
off across it, a hand or a phone casts a shadow, and exercise books are ruled
or squared. These pictures measure how well recognition copes with that
(``benchmarks/pages.py``) and test the page cleaning that copes with it
(:mod:`digitpad.page`). Pure NumPy and Pillow; the same seed makes the same page.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from digitpad.strokes import Stroke, render_strokes

# What a page can carry besides the digit; "plain" is a clean, evenly lit page.
MARKS = ("plain", "gradient", "shadow", "vignette", "ruled", "squared", "frame", "ruled+shadow")


def page_photo(
    strokes: Sequence[Stroke], marks: str, rng: np.random.Generator, side: int = 360
) -> np.ndarray:
    """An 8-bit grey photo (``side``×``side``) of ``strokes`` written on a page with ``marks``.

    The digit takes 0.3–0.6 of the picture, in a pen darker than a printed ruling (a drawn
    box may be as dark); the paper's light, its lines and the sensor's grain multiply as
    they do in a photo.
    """
    if marks not in MARKS:
        raise ValueError(f"unknown page marks {marks!r}; expected one of {', '.join(MARKS)}")
    size = rng.uniform(0.3, 0.6)
    cx, cy = rng.uniform(size / 2 + 0.08, 1 - size / 2 - 0.08, 2)
    pen = rng.uniform(0.012, 0.035) * side
    digit = np.asarray(render_strokes(strokes, side, (cx, cy, size), pen), np.float32) / 255
    pen_grey = rng.uniform(0.05, 0.3)
    page = rng.uniform(0.8, 0.97) * (digit + (1 - digit) * pen_grey)
    for mark in marks.split("+"):
        if mark in LIGHTS:
            page *= LIGHTS[mark](side, rng)
        elif mark in LINES:
            page *= LINES[mark](side, rng)
    page += rng.normal(0, 0.012, page.shape)
    return np.clip(page * 255 + 0.5, 0, 255).astype(np.uint8)


def _gradient(side: int, rng: np.random.Generator) -> np.ndarray:
    """Light falling off linearly across the page, to 45–75% at its far side."""
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:side, 0:side] / (side - 1) - 0.5
    along = xs * np.cos(angle) + ys * np.sin(angle)
    along = (along - along.min()) / np.ptp(along)
    return 1 - rng.uniform(0.25, 0.55) * along


def _shadow(side: int, rng: np.random.Generator) -> np.ndarray:
    """A soft-edged shadow (a hand's, a phone's) over one side: 50–70% light under it."""
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:side, 0:side] / (side - 1) - 0.5
    along = xs * np.cos(angle) + ys * np.sin(angle)
    edge, softness = rng.uniform(-0.15, 0.25), rng.uniform(0.02, 0.08)
    under = 1 / (1 + np.exp(-(along - edge) / softness))
    return 1 - rng.uniform(0.3, 0.5) * under


def _vignette(side: int, rng: np.random.Generator) -> np.ndarray:
    """Light fading towards the corners, as a phone's lens and a lamp above make it."""
    ys, xs = np.mgrid[0:side, 0:side] / (side - 1) - rng.uniform(0.35, 0.65, 2)[:, None, None]
    return 1 - rng.uniform(0.3, 0.5) * np.clip((xs**2 + ys**2) / 0.5, 0, 1)


def _lines(side: int, rng: np.random.Generator, across: bool, down: bool) -> np.ndarray:
    """Printed lines the whole way across the page, a little tilted as a photo takes them."""
    image = Image.new("L", (side, side), 255)
    draw = ImageDraw.Draw(image)
    spacing = rng.uniform(0.12, 0.25) * side
    grey = int(rng.uniform(0.45, 0.75) * 255)
    width = int(rng.integers(1, 4))
    tilt = np.tan(np.radians(rng.uniform(-1.5, 1.5)))
    for offset in np.arange(rng.uniform(0, spacing), side, spacing):
        if across:
            draw.line([(0, offset), (side, offset + tilt * side)], fill=grey, width=width)
        if down:
            draw.line([(offset, 0), (offset - tilt * side, side)], fill=grey, width=width)
    return np.asarray(image, np.float32) / 255


def _frame(side: int, rng: np.random.Generator) -> np.ndarray:
    """A box drawn or printed around the digit, 3–7% in from the picture's edges."""
    image = Image.new("L", (side, side), 255)
    margin = rng.uniform(0.03, 0.07, 4) * side
    box = (margin[0], margin[1], side - margin[2], side - margin[3])
    grey = int(rng.uniform(0.1, 0.6) * 255)
    ImageDraw.Draw(image).rectangle(box, outline=grey, width=int(rng.integers(2, 6)))
    return np.asarray(image, np.float32) / 255


LIGHTS = {"gradient": _gradient, "shadow": _shadow, "vignette": _vignette}
LINES = {
    "ruled": lambda side, rng: _lines(side, rng, across=True, down=False),
    "squared": lambda side, rng: _lines(side, rng, across=True, down=True),
    "frame": _frame,
}
