"""Clean a photographed page before looking for ink: even out its light, take away its lines.

A digit on a canvas sits on uniform white; a digit in a photo sits on paper
whose light falls off across it or under a shadow, often ruled, squared or in
a drawn box. Without cleaning, a shadow or a line at least a fifth darker than
the paper counts as ink, and the picture is read as whatever its marks look
like. :func:`clean_page` divides the picture by its paper's own light and paints
over lines that run straight across the whole picture, keeping the pen's
strokes where they cross them. A picture without such light or lines (every
canvas drawing) comes back as it was, so a saved drawing opened again reads
the same. Pure NumPy and Pillow, on the picture :mod:`digitpad.images` loads
(at most 1024 px a side).
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

# Smaller pictures are a digit's crop or an icon, not a page: they are left as they are.
MIN_SIDE = 64
# The paper's light is read in blocks of about 1/BLOCKS of the picture's longer side: the
# brightest PAPER_RANK of each block is paper, whatever ink it holds.
BLOCKS = 36
PAPER_RANK = 0.9
# Blocks wholly inked (a broad stroke) take the light of their neighbours this far away.
FILL_BLOCKS = 2
# Light that varies by less than this share across the picture is left as it is.
UNEVEN = 0.06
# A line of the page: ink at least LINE_INK strong along LINE_REACH of the picture's
# width (or height), at most LINE_WIDTH of the picture thick, tilted MAX_TILT at most.
LINE_INK = 0.15
LINE_REACH = 0.8
LINE_WIDTH = 0.025
MAX_TILT = math.tan(math.radians(3.0))
# Lines are looked for on a picture pooled to about this side (a thin line stays, as the
# darkest pixel of its block).
LINE_SIDE = 360
# A line paler than this share of the pen's ink is printed; lines as dark as the pen are a
# page's when there are at least RULED of them in parallel (or two each way: a box).
PRINTED = 0.7
RULED = 3
# A pen stroke crossing or running along a line is kept where its ink is past this share of
# the way from the line's strength to the pen's.
OVER_LINE = 0.5
MIN_OVER_LINE = 0.2


def clean_page(gray: np.ndarray) -> np.ndarray:
    """``gray`` (float in [0, 1], either polarity) with the paper's light evened out and the
    page's lines removed; the same array when it has neither, or is too small to be a page."""
    if min(gray.shape) < MIN_SIDE:
        return gray
    flipped = float(np.median(_sample(gray))) < 0.5
    page = 1.0 - gray if flipped else gray
    cleaned = _without_lines(_even_light(page))
    # Light "evened" inside a broad stroke only (ink stays ink) changes nothing visible.
    if cleaned is page or float(np.abs(cleaned - page).max()) < 0.5 / 255:
        return gray
    return 1.0 - cleaned if flipped else cleaned


def _sample(picture: np.ndarray) -> np.ndarray:
    """About 64×64 pixels spread evenly over ``picture``: enough to read its paper's level."""
    return picture[:: max(1, picture.shape[0] // 64), :: max(1, picture.shape[1] // 64)]


def _even_light(page: np.ndarray) -> np.ndarray:
    """``page`` (dark ink on light paper) divided by its paper's light, where that varies."""
    h, w = page.shape
    block = max(2, math.ceil(max(h, w) / BLOCKS))
    rows, cols = math.ceil(h / block), math.ceil(w / block)
    padded = np.pad(page, ((0, rows * block - h), (0, cols * block - w)), mode="edge")
    cells = padded.reshape(rows, block, cols, block).transpose(0, 2, 1, 3).reshape(rows, cols, -1)
    rank = int(PAPER_RANK * (cells.shape[2] - 1))
    light = np.partition(cells, rank, axis=2)[..., rank]
    # Closing: a block under a broad stroke takes its neighbours' light, and then the
    # light's own edges (a shadow's) come back to where they were.
    light = _spread(_spread(light, FILL_BLOCKS, np.maximum), FILL_BLOCKS, np.minimum)
    top = float(light.max())
    if top <= 0 or float(light.min()) >= (1 - UNEVEN) * top:
        return page
    # Each block's light belongs to its centre; bilinear between centres, edges held.
    field = Image.fromarray(light.astype(np.float32), mode="F").resize(
        (cols * block, rows * block), Image.Resampling.BILINEAR
    )
    light_map = np.asarray(field)[:h, :w]
    return np.clip(page / np.maximum(light_map, 1e-3), 0.0, 1.0).astype(np.float32)


def _spread(values: np.ndarray, radius: int, pick) -> np.ndarray:
    """The ``pick`` (np.maximum or np.minimum) of each value's (2r+1)² neighbourhood."""
    h, w = values.shape
    padded = np.pad(values, radius, mode="edge")
    out = values.copy()
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            pick(out, padded[dy : dy + h, dx : dx + w], out=out)
    return out


def _without_lines(page: np.ndarray) -> np.ndarray:
    """``page`` with the lines of the page painted over, across and down; the same array
    when it has none.

    Lines clearly paler than the pen are printed ones and always go. Lines as dark as the
    pen go only in numbers a digit never makes: three or more in parallel (ruled or
    squared paper), or two each way (a box). One or two straight strokes as dark as the
    pen may be the digit's own: a 1, the sides of a 0 or the bar of a 7 in a tight crop.
    """
    paper = max(float(np.percentile(_sample(page), 90)), 1e-3)
    ink = np.clip(1.0 - page / paper, 0.0, 1.0)
    inked = ink > LINE_INK
    across, down = _find_lines(inked), _find_lines(inked.T)
    if not across and not down:
        return page
    pen = float(np.percentile(ink[inked], 95))
    boxed = len(across) >= 2 and len(down) >= 2
    out = page.copy()
    for lines, out_view, ink_view in ((across, out, ink), (down, out.T, ink.T)):
        for line in lines:
            level = _line_ink(ink_view, line)
            if level < PRINTED * pen or boxed or len(lines) >= RULED:
                keep_over = level + max(OVER_LINE * (pen - level), MIN_OVER_LINE)
                _paint_over(out_view, ink_view, line, keep_over)
    return out


def _find_lines(mask: np.ndarray) -> list[tuple[float, float, float]]:
    """(row at the left edge, slope, thickness) of each straight run of ``mask`` across it.

    The mask is pooled to about LINE_SIDE (a block is inked if any pixel is); every slope
    up to MAX_TILT is tried, one pixel of drift across the picture apart, and the rows that
    the best slope's sheared profile fills to LINE_REACH are grouped into lines.
    """
    factor = max(1, math.ceil(max(mask.shape) / LINE_SIDE))
    h, w = mask.shape[0] // factor, mask.shape[1] // factor
    if h < 8 or w < 8:
        return []
    pooled = mask[: h * factor, : w * factor].reshape(h, factor, w, factor).any(axis=(1, 3))
    ys, xs = np.nonzero(pooled)
    if len(ys) < LINE_REACH * w:
        return []
    steps = max(1, round(MAX_TILT * w))
    best, best_peaks = None, -1.0
    for step in range(-steps, steps + 1):
        rows = np.round(ys - step / w * xs).astype(np.intp) + steps
        profile = np.bincount(rows, minlength=h + 2 * steps + 1).astype(np.float64)
        peaks = float(profile @ profile)  # lines at the right slope pile up in few rows
        if peaks > best_peaks:
            best, best_peaks, best_slope = profile, peaks, step / w
    # A thin line whose slope falls between two tried ones shares two rows.
    best[:-1] += best[1:]
    full = np.flatnonzero(best >= LINE_REACH * w)
    if not len(full):
        return []
    lines = []
    for group in np.split(full, np.flatnonzero(np.diff(full) > 1) + 1):
        thickness = len(group) + 1  # the pooled rows either side share a line's edge
        if thickness * factor > LINE_WIDTH * mask.shape[0] + 2 * factor:
            continue
        centre = (group[0] + group[-1]) / 2 - steps
        lines.append(((centre + 0.5) * factor - 0.5, best_slope, thickness * factor))
    return lines


def _band(shape: tuple[int, int], line: tuple[float, float, float], reach: int):
    """Row indices (2·reach+1 × width) centred on ``line`` in every column, clipped."""
    row, slope, _ = line
    xs = np.arange(shape[1])
    centre = np.round(row + slope * xs).astype(np.intp)
    rows = centre[None, :] + np.arange(-reach, reach + 1)[:, None]
    return np.clip(rows, 0, shape[0] - 1), np.broadcast_to(xs, rows.shape)


def _line_ink(ink: np.ndarray, line: tuple[float, float, float]) -> float:
    """How strong the line's ink is: the median over its length of its strongest ink across."""
    rows, cols = _band(ink.shape, line, math.ceil(line[2] / 2))
    return float(np.median(ink[rows, cols].max(axis=0)))


def _paint_over(
    out: np.ndarray, ink: np.ndarray, line: tuple[float, float, float], keep_over: float
) -> None:
    """Paint the line's band with the paler of the paper just above and just below it, except
    where the ink is stronger than ``keep_over`` (the pen crossing or running along it)."""
    reach = math.ceil(line[2] / 2) + 1
    rows, cols = _band(ink.shape, line, reach)
    above = out[np.clip(rows[0] - 1, 0, out.shape[0] - 1), cols[0]]
    below = out[np.clip(rows[-1] + 1, 0, out.shape[0] - 1), cols[0]]
    fill = np.maximum(above, below)[None, :]
    keep = ink[rows, cols] > keep_over
    out[rows, cols] = np.where(keep, out[rows, cols], np.maximum(out[rows, cols], fill))
