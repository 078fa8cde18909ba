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
from collections.abc import Callable

import numpy as np
from PIL import Image

# A straight line of a page: its row at the picture's left edge, its slope (rows a column)
# and its thickness, in pixels.
Line = tuple[float, float, float]

# Smaller pictures are a digit's crop or an icon, not a page: they are left as they are.
MIN_SIDE = 64
# The paper's light is read in blocks of about 1/BLOCKS of the picture's longer side: the
# brightest PAPER_RANK of each block is paper, whatever ink it holds.
BLOCKS = 36
PAPER_RANK = 0.9
# The light is then refined by a grey closing at up to FINE_SIDE px a side, over a square
# reaching CLOSING of that side each way: it fills in strokes up to about twice that wide.
FINE_SIDE = 384
CLOSING = 0.025
# Whether the ink is darker or lighter than the paper is read from marks this thin (px of
# the reduced picture, either side).
THIN = 2
# Blocks wholly inked (a broad stroke) take the light of their neighbours this far away.
FILL_BLOCKS = 2
# A block darker than this share of the paper is under ink, not in a shadow (a shadow or a
# dim corner keeps half the light): it takes the light of the nearest blocks that are not.
DEEP = 0.4
# The light is never taken lower than this share of the darkest block's about a place (a
# pale stroke broader than the closing is not paper).
FLOOR = 0.85
# Light that varies by less than this share across the picture is left as it is, unless
# the paper is dimmer than DIM (an under-exposed photo).
UNEVEN = 0.06
DIM = 0.75
# A line of the page: ink at least LINE_INK strong along LINE_REACH of its length within
# the picture (a tilted line may leave it through the top or the bottom), which is at least
# LINE_INSIDE of the picture's width; at most LINE_WIDTH of the picture thick, tilted by
# MAX_TILT at most (a photo taken a little askew). Lines shorter than LINE_FULL of the width
# (a tilted line's end in a corner) go with a page's other lines but never make one.
LINE_INK = 0.15
LINE_REACH = 0.8
LINE_INSIDE = 0.02
LINE_FULL = 0.5
LINE_WIDTH = 0.025
MAX_TILT = math.tan(math.radians(10.0))
# Ruled and squared paper's lines run from edge to edge of the picture, within this share
# of its width; a digit's straight strokes stop short of them.
EDGE_GAP = 0.03
# Lines are looked for on a picture pooled to about this side (a thin line stays, as the
# darkest pixel of its block).
LINE_SIDE = 360
# A line paler than this share of the pen's ink is printed; lines as dark as the pen are a
# page's when there are at least RULED of them in parallel (or two each way: a box).
PRINTED = 0.7
RULED = 3
# Inked pixels a box must hold besides its sides to be a box around a digit.
MIN_BOXED = 20
# A pen stroke crossing or running along a line is kept where its ink is past this share of
# the way from the line's strength to the pen's.
OVER_LINE = 0.5
MIN_OVER_LINE = 0.2


def clean_page(gray: np.ndarray) -> np.ndarray:
    """``gray`` (float in [0, 1], either polarity) with the paper's light evened out and the
    page's lines removed; the same array when it has neither, or is too small to be a page."""
    if min(gray.shape) < MIN_SIDE:
        return gray
    # Ink is mostly the darker minority; a page more than half in shadow or under-exposed is
    # told from light ink on a dark board by its thin marks (:func:`_dark_ink`).
    flipped = float(np.median(_sample(gray))) < 0.5 and not _dark_ink(gray)
    page = 1.0 - gray if flipped else gray
    cleaned = _without_lines(_even_light(page))
    # Light "evened" where there is only ink (ink stays ink) changes nothing visible.
    if cleaned is page or float(np.abs(cleaned - page).max()) < 0.5 / 255:
        return gray
    return 1.0 - cleaned if flipped else cleaned


def _sample(picture: np.ndarray) -> np.ndarray:
    """About 64×64 pixels spread evenly over ``picture``: enough to read its paper's level."""
    return picture[:: max(1, picture.shape[0] // 64), :: max(1, picture.shape[1] // 64)]


def _cells(picture: np.ndarray) -> tuple[np.ndarray, int]:
    """``picture`` cut into about BLOCKS×BLOCKS square blocks, (rows, columns, pixels), and
    the blocks' side."""
    h, w = picture.shape
    block = max(2, math.ceil(max(h, w) / BLOCKS))
    rows, cols = math.ceil(h / block), math.ceil(w / block)
    padded = np.pad(picture, ((0, rows * block - h), (0, cols * block - w)), mode="edge")
    cells = padded.reshape(rows, block, cols, block).transpose(0, 2, 1, 3)
    return cells.reshape(rows, cols, -1), block


def _rank(cells: np.ndarray, share: float) -> np.ndarray:
    """Each block's value at ``share`` of its pixels, darkest first."""
    rank = int(share * (cells.shape[2] - 1))
    return np.partition(cells, rank, axis=2)[..., rank]


def _dark_ink(gray: np.ndarray) -> bool:
    """Whether the picture's thin marks (strokes, lines) are darker than what surrounds them
    rather than lighter: a grey closing over THIN px (of the reduced picture) fills in thin
    dark marks, an opening thin light ones, and the larger of the two fills says which there
    are. Broad shade (a shadow over half the page) and the paper between ruled lines are
    wider than that and fill neither."""
    small, _ = _reduced(gray)
    r = THIN
    dark = float((_spread(_spread(small, r, np.maximum), r, np.minimum) - small).sum())
    light = float((small - _spread(_spread(small, r, np.minimum), r, np.maximum)).sum())
    return dark >= light


def _reduced(picture: np.ndarray) -> tuple[np.ndarray, int]:
    """``picture`` reduced to at most FINE_SIDE px a side, and a closing radius there that
    spans a pen's stroke (CLOSING of its side)."""
    step = max(1, math.ceil(max(picture.shape) / FINE_SIDE))
    small = picture.astype(np.float32)
    if step > 1:
        small = np.asarray(Image.fromarray(small, mode="F").reduce(step))
    # Averaged over 3×3, so that the closing's maximum is not the grain's brightest speck.
    padded = np.pad(small, 1, mode="edge")
    h, w = small.shape
    small = sum(padded[y : y + h, x : x + w] for y in range(3) for x in range(3)) / 9
    return small, max(2, round(CLOSING * max(small.shape)))


def _even_light(page: np.ndarray) -> np.ndarray:
    """``page`` (dark ink on light paper) divided by its paper's light, where that varies."""
    h, w = page.shape
    cells, block = _cells(page)
    rows, cols = cells.shape[:2]
    light = _rank(cells, PAPER_RANK)
    light = _under_ink_filled(light)
    # Closing: a block under a broad stroke takes its neighbours' light, and then the
    # light's own edges (a shadow's) come back to where they were.
    light = _spread(_spread(light, FILL_BLOCKS, np.maximum), FILL_BLOCKS, np.minimum)
    top = float(light.max())
    if top <= 0:
        return page
    if float(light.min()) >= (1 - UNEVEN) * top:
        # Even light; a dim photo's paper (grey, not white) is brought up to white, so that
        # its ink is not taken for the background (a canvas drawing's paper is white).
        return page if top >= DIM else np.clip(page / top, 0.0, 1.0).astype(np.float32)

    # Each block's light belongs to its centre; bilinear between centres, edges held.
    def spread_out(blocks: np.ndarray) -> np.ndarray:
        field = Image.fromarray(blocks.astype(np.float32), mode="F")
        return np.asarray(field.resize((cols * block, rows * block), Image.Resampling.BILINEAR))[
            :h, :w
        ]

    # Below the darkest light about a block no paper is, however broad a pale stroke.
    floor = FLOOR * spread_out(_spread(light, 1, np.minimum))
    light_map = np.maximum(_sharpened(page, spread_out(light)), floor)
    return np.clip(page / np.maximum(light_map, 1e-3), 0.0, 1.0).astype(np.float32)


def _sharpened(page: np.ndarray, coarse: np.ndarray) -> np.ndarray:
    """The paper's light as a grey closing of ``page`` (strokes narrower than the closing
    filled in with the paper beside them), which keeps a shadow's sharp edge where the
    blocks' light (``coarse``) blurs it; ``coarse`` where ink is broader than the closing."""
    h, w = page.shape
    fine, radius = _reduced(page)
    closed = _spread(_spread(fine, radius, np.maximum), radius, np.minimum)
    if fine.shape != page.shape:
        closed = np.asarray(
            Image.fromarray(closed.astype(np.float32), mode="F").resize(
                (w, h), Image.Resampling.BILINEAR
            )
        )
    return np.where(closed < DEEP * coarse, coarse, closed)


def _spread(values: np.ndarray, radius: int, pick: Callable) -> np.ndarray:
    """``pick`` (np.maximum or np.minimum) over each value's (2r+1)² square, one axis then
    the other; the picture's edge values stand beyond it."""
    out = values
    for axis in (0, 1):
        n = out.shape[axis]
        padded = np.pad(
            out, [(radius, radius) if a == axis else (0, 0) for a in (0, 1)], mode="edge"
        )
        result = np.take(padded, range(0, n), axis=axis).copy()
        for k in range(1, 2 * radius + 1):
            pick(result, np.take(padded, range(k, k + n), axis=axis), out=result)
        out = result
    return out


def _under_ink_filled(light: np.ndarray) -> np.ndarray:
    """``light`` with the blocks too dark to be paper (a marker's broad stroke) given the
    light of their nearest neighbours that are paper."""
    known = light >= DEEP * float(np.percentile(light, 90))
    light = light.copy()
    while not known.all():
        grown = _spread(np.where(known, light, -np.inf), 1, np.maximum)
        reached = ~known & np.isfinite(grown)
        if not reached.any():
            break
        light[reached] = grown[reached]
        known |= reached
    return light


def _without_lines(page: np.ndarray) -> np.ndarray:
    """``page`` with the lines of the page painted over, across and down; the same array
    when it has none.

    A page's lines run edge to edge: printed ones, paler than the pen, go on their own;
    ones as dark as the pen when three or more do so in parallel (ruled or squared paper),
    and then so do the others that run from one edge (to where the paper of a photo taken
    askew ends). A box around other ink loses its four sides. Any other straight stroke may
    be the digit's own (a 1, a 7's bar, the sides of a square 0) and stays.
    """
    paper = max(float(np.percentile(_sample(page), 90)), 1e-3)
    ink = np.clip(1.0 - page / paper, 0.0, 1.0)
    inked = ink > LINE_INK
    if np.count_nonzero(inked) > inked.size / 2:
        return page  # more ink than paper: a close crop of a broad stroke, not a page
    axes = [(_find_lines(inked), ink), (_find_lines(inked.T), ink.T)]
    if not axes[0][0] and not axes[1][0]:
        return page
    pen = float(np.percentile(ink[inked], 95))
    # Lines along the picture's edge show no paper beyond them (a close crop's strokes do
    # that too), and short ones could be anything: they go with the page's other lines, but
    # do not make a page of their own.
    whole = [[line for line in lines if _whole(line, view.shape)] for lines, view in axes]
    boxed = _boxes_ink(inked, *whole)
    out, painted = page.copy(), False
    for (lines, ink_view), sides, out_view in zip(axes, whole, (out, out.T), strict=True):
        edges = [_from_an_edge(ink_view, line) for line in lines]
        ruled = sum(both for line, (_, both) in zip(lines, edges, strict=True) if line in sides)
        box = (min(sides), max(sides)) if boxed else ()
        for line, (one, both) in zip(lines, edges, strict=True):
            level = _line_ink(ink_view, line)
            # On ruled paper a line may stop at the paper's edge (a photo turned askew).
            if (both and level < PRINTED * pen) or (one and ruled >= RULED) or line in box:
                keep_over = level + max(OVER_LINE * (pen - level), MIN_OVER_LINE)
                _paint_over(out_view, ink_view, line, keep_over)
                painted = True
    return out if painted else page


def _from_an_edge(ink: np.ndarray, line: Line) -> tuple[bool, bool]:
    """Whether ``line``'s ink runs from an edge of the stretch where it lies wholly within
    the picture, and whether from both: from edge to edge, or to where it leaves through
    the top or the bottom. A line that never lies wholly within it is the end of one in a
    corner, and counts as running from edge to edge."""
    reach = math.ceil(line[2] / 2)
    rows, cols = _band(ink.shape, line, reach, margin=-reach)
    if not rows.size:
        return True, True
    inked = np.flatnonzero(ink[rows, cols].max(axis=0) > LINE_INK)
    if not len(inked):
        return False, False
    gap = EDGE_GAP * ink.shape[1]
    starts, ends = bool(inked[0] <= gap), bool(inked[-1] >= cols.shape[1] - 1 - gap)
    return starts or ends, starts and ends


def _boxes_ink(inked: np.ndarray, across: list[Line], down: list[Line]) -> bool:
    """Whether two lines each way make a box around ink that is not theirs (a digit in a
    box): a digit drawn as a box (a square 0) holds none; its middle bar (an 8's) is a line."""
    if len(across) < 2 or len(down) < 2:
        return False
    h, w = inked.shape
    on_lines = np.zeros_like(inked)
    for lines, view in ((across, on_lines), (down, on_lines.T)):
        for line in lines:
            rows, cols = _band(view.shape, line, math.ceil(line[2] / 2) + 1)
            view[rows, cols] = True
    top, bottom = (row + slope * w / 2 for row, slope, _ in (min(across), max(across)))
    left, right = (row + slope * h / 2 for row, slope, _ in (min(down), max(down)))
    inside = np.s_[max(0, round(top)) : round(bottom) + 1, max(0, round(left)) : round(right) + 1]
    enclosed = np.count_nonzero(inked[inside] & ~on_lines[inside])
    return enclosed >= max(MIN_BOXED, 1e-3 * inked.size)


def _find_lines(mask: np.ndarray) -> list[Line]:
    """(row at the left edge, slope, thickness) of each straight run of ``mask`` across it.

    The mask is pooled to about LINE_SIDE (a block is inked if any pixel is). The slope at
    which the inked pixels pile up in the fewest rows is found among those up to MAX_TILT,
    to a pixel of drift across the picture; at that slope, a line is a group of rows
    whose inked columns (a thin line between two tried slopes shares two rows) cover
    LINE_REACH of its length within the picture.
    """
    factor = max(1, math.ceil(max(mask.shape) / LINE_SIDE))
    h, w = mask.shape[0] // factor, mask.shape[1] // factor
    if h < 8 or w < 8:
        return []
    pooled = mask[: h * factor, : w * factor].reshape(h, factor, w, factor).any(axis=(1, 3))
    ys, xs = np.nonzero(pooled)
    if not len(ys):
        return []
    steps = max(1, round(MAX_TILT * w))

    def peaks(step: int) -> float:
        rows = np.round(ys - step / w * xs).astype(np.intp) + steps
        profile = np.bincount(rows, minlength=h + 2 * steps + 1).astype(np.float64)
        return float(profile @ profile)  # lines at the right slope pile up in few rows

    # Every fourth slope first, then those beside the best of them.
    coarse = max(range(-steps, steps + 1, 4), key=peaks)
    best_step = max(range(max(-steps, coarse - 3), min(steps, coarse + 3) + 1), key=peaks)
    slope = best_step / w
    sheared = np.zeros((h + 2 * steps + 2, w), bool)
    sheared[np.round(ys - slope * xs).astype(np.intp) + steps, xs] = True
    covered = (sheared[:-1] | sheared[1:]).sum(axis=1)
    inside = _inside(np.arange(len(covered)) - steps + 0.5, slope, h, w)
    full = np.flatnonzero((covered >= LINE_REACH * inside) & (inside >= LINE_INSIDE * w))
    lines = []
    for group in np.split(full, np.flatnonzero(np.diff(full) > 1) + 1) if len(full) else ():
        thickness = len(group) + 1  # each row of the group and the one after it
        if thickness * factor > LINE_WIDTH * mask.shape[0] + 2 * factor:
            continue
        centre = (group[0] + group[-1] + 1) / 2 - steps
        lines.append(((centre + 0.5) * factor - 0.5, slope, thickness * factor))
    return lines


def _inside(rows: np.ndarray, slope: float, height: int, width: int) -> np.ndarray:
    """How many of ``width`` columns a line through each of ``rows`` (at the left edge)
    with ``slope`` crosses within rows 0 to ``height``."""
    if slope == 0:
        return np.where((rows >= 0) & (rows < height), width, 0)
    ends = np.sort(np.stack([(0 - rows) / slope, (height - rows) / slope]), axis=0)
    return np.clip(np.minimum(ends[1], width) - np.maximum(ends[0], 0), 0, width)


def _whole(line: Line, shape: tuple[int, int]) -> bool:
    """Whether ``line`` crosses at least LINE_FULL of the picture, away from its edge."""
    row, slope, thickness = line
    if _inside(np.array([row]), slope, shape[0], shape[1])[0] < LINE_FULL * shape[1]:
        return False
    rows, _ = _band(shape, line, math.ceil(thickness / 2), margin=0)
    on_edge = (rows[0] <= 0) | (rows[-1] >= shape[0] - 1)
    return bool(on_edge.size) and float(on_edge.mean()) <= 0.5


def _band(
    shape: tuple[int, int], line: Line, reach: int, margin: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices (2·reach+1 × columns) of the rows within ``reach`` of ``line``
    (clipped to the picture) in each column where the line passes no further than
    ``margin`` (default ``reach``) outside the picture (a negative margin: that far inside)."""
    row, slope, _ = line
    margin = reach if margin is None else margin
    xs = np.arange(shape[1])
    centre = np.round(row + slope * xs).astype(np.intp)
    within = (centre + margin >= 0) & (centre - margin < shape[0])
    xs, centre = xs[within], centre[within]
    rows = centre[None, :] + np.arange(-reach, reach + 1)[:, None]
    return np.clip(rows, 0, shape[0] - 1), np.broadcast_to(xs, rows.shape)


def _line_ink(ink: np.ndarray, line: Line) -> float:
    """How strong the line's ink is: the median over its length within the picture of its
    strongest ink across."""
    rows, cols = _band(ink.shape, line, math.ceil(line[2] / 2), margin=0)
    return float(np.median(ink[rows, cols].max(axis=0))) if rows.size else 0.0


def _paint_over(out: np.ndarray, ink: np.ndarray, line: Line, keep_over: float) -> None:
    """Paint the line's band with the paler of the paper just above and just below it, except
    where the ink is stronger than ``keep_over`` (the pen crossing or running along it)."""
    reach = math.ceil(line[2] / 2) + 1
    rows, cols = _band(ink.shape, line, reach)
    if not rows.size:
        return
    above = out[np.clip(rows[0] - 1, 0, out.shape[0] - 1), cols[0]]
    below = out[np.clip(rows[-1] + 1, 0, out.shape[0] - 1), cols[0]]
    fill = np.maximum(above, below)[None, :]
    keep = ink[rows, cols] > keep_over
    out[rows, cols] = np.where(keep, out[rows, cols], np.maximum(out[rows, cols], fill))
