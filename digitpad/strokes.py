"""Render pen strokes to an image as the canvas would: dark round-capped ink on white.

Used by the self-test's built-in drawings, by training (drawn digits) and by tests.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageDraw

Stroke = Sequence[Sequence[float]]


def render_strokes(
    strokes: Sequence[Stroke],
    canvas: int = 280,
    box: tuple[float, float, float] = (0.5, 0.5, 0.6),
    pen_width: float = 18.0,
) -> Image.Image:
    """Draw ``strokes`` (points in a unit square, y down) on a white ``canvas``×``canvas`` image.

    ``box`` is (centre x, centre y, size) as fractions of the canvas: where the
    unit square of the strokes lands, so callers can place digits anywhere.
    """
    image = Image.new("L", (canvas, canvas), 255)
    draw = ImageDraw.Draw(image)
    cx, cy, size = box
    scale = size * canvas
    x0, y0 = cx * canvas - scale / 2, cy * canvas - scale / 2
    radius = pen_width / 2
    for stroke in strokes:
        points = [(x0 + x * scale, y0 + y * scale) for x, y in stroke]
        if len(points) > 1:
            draw.line(points, fill=0, width=max(1, round(pen_width)), joint="curve")
        for x, y in (points[0], points[-1]) if points else ():
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=0)
    return image
