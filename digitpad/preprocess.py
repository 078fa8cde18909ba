"""Turn any picture of a digit into the 28×28 input the networks were trained on.

This repeats what MNIST did to its digits: find the ink, crop to it, scale the
longest side to 20 px with an antialiasing filter and centre the result by its
centre of mass in a 28×28 field. On top of that it normalises stroke width, so
that a hairline and a marker give the same input, and it refuses to guess when
there is nothing that could be a digit. Pure NumPy and Pillow; no Qt, no torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

# Bump whenever what prepare() produces changes: training's caches of prepared arrays follow.
VERSION = 8
SIDE = 28
BOX = 20
# Working resolution for stroke-width normalisation: 4× the 20 px box.
WORK = 80
# Stroke width of an MNIST digit measured at WORK scale (≈1.9 px at 28×28).
TARGET_STROKE = 7.5
INK_THRESHOLD = 0.2
MIN_INK_FRACTION = 2e-4
# A faint pen (see _faint): its strength is the ink at this top fraction of the pixels; it
# must reach FAINT_MIN of the grey range and FAINT_CLEAR times the background's grain; its
# strokes are where it passes FAINT_CUT of its strength, covering at most FAINT_COVER of
# the picture.
FAINT_TOP = 0.002
FAINT_MIN = 0.04
FAINT_CLEAR = 8.0
FAINT_COVER = 0.25
FAINT_CUT = 0.32
# ... and at least FAINT_SOLID of its strokes' pixels reach 0.6 of that strength (a pen's
# strokes 0.54-1.0 in trials, pencil included; coffee stains 0.12-0.16).
FAINT_SOLID = 0.35
# A picture is looked at for a pale pen when half the ink threshold finds this many times
# the pixels the threshold does (a black stroke's soft edges add a fraction), or when at
# least PALE_PIXELS of its 64×64 sample are ink and none reaches FULL_STRENGTH. Ink of full
# strength (every MNIST digit, every stroke the canvas draws) is read as it is.
FAINT_SPREAD = 3.0
PALE_PIXELS = 8
FULL_STRENGTH = 0.9
# Faint ink is looked for only in pictures at least this many pixels a side, and taken for
# a digit only where it reaches across less than FAINT_REACH of the picture's width and
# height (see _strokes_alone).
FAINT_MIN_SIDE = 16
FAINT_REACH = 0.95
# The pen's strength is read from about this many pixels a side, spread over the picture.
STRENGTH_SAMPLE = 256
MIN_EXTENT_FRACTION = 0.03
# Nor is a mark fewer pixels tall and wide than this: a digit shrunk to a thumbnail of a few
# pixels has lost its shape, and a guess at it would be a confident one (MNIST's are 20).
MIN_EXTENT_PIXELS = 6
MAX_PIXELS = 60_000_000
# A compact, solid mark smaller than this fraction of the picture is a dot, not a digit.
DOT_FRACTION = 0.15
# Solid: its ink covers more than this share of the ellipse with the same spread (1 for a
# filled disc, or a tap that slipped into a short dash, at any angle); a small 0, 7 or
# slashed 0 drawn with a broad pen covers 0.45-0.8 and is a digit.
DOT_SOLID = 0.9
# Compact: its narrowest spread is at least this share of its widest (a line is not).
DOT_ROUND = 0.6
# Two marks with an empty gap of at least SIDE_BY_SIDE_GAP of the drawing's height between
# them (as drawn, or sheared upright), each at least SIDE_BY_SIDE_HEIGHT of its height and
# SIDE_BY_SIDE_INK of its ink, are two digits written side by side, not one. Of the 11,654
# UniPen digits, drawn with the 8, 18 and 30 px pens, upright or slanted, none is; of MNIST's
# images 1 of 10,000 test and 3 of 60,000 training. Pairs of them 0.15-0.5 of their height
# apart are: 92%, 92% and 76% (slanted 86%, 79%, 62%; a broad pen filling the space hides
# the rest: benchmarks/two_digits.py). A digit in strokes apart (a 4's "L" and its stem) has
# a part well under 80% tall.
SIDE_BY_SIDE_GAP = 0.02
SIDE_BY_SIDE_HEIGHT = 0.8
SIDE_BY_SIDE_INK = 0.2
# Looked at no larger than this many pixels a side (a large picture's ink is pooled).
SIDE_BY_SIDE_SIDE = 512
# Ink still 2·FILLED+1 px thick (at WORK scale, ≈ 4 MNIST strokes) once the strokes are
# thinned to MNIST's width is a filled area, not a stroke.
FILLED = 14
# Beside a filled area, a stroke this much (each side) thinner than the erosion expects is
# kept rather than eroded away.
THIN_MARGIN = 2
# Fewer erased pixels than this (at WORK scale) are specks, not a stroke worth keeping.
MIN_ERASED = 24
# Ink fainter than this in the 20 px box is not seen (it would not show at 28×28 either).
VISIBLE = 0.01
# Largest horizontal shear deskew() applies (pixels of shift per pixel of height).
MAX_SKEW = 1.0


@dataclass(frozen=True)
class Prepared:
    """What the network receives, or why there is nothing to recognise.

    ``image`` is the 28×28 float32 picture in [0, 1] with white ink on black,
    exactly what the network sees (for display); ``blank_reason`` is set
    instead when the picture holds no digit.
    """

    image: np.ndarray | None
    blank_reason: str | None = None

    @property
    def is_blank(self) -> bool:
        return self.image is None

    def deskewed(self) -> Prepared:
        """The same digit sheared upright (see :func:`deskew`), for models trained that way."""
        return self if self.image is None else Prepared(deskew(self.image))

    def normalised(self, mean: float = 0.5, std: float = 0.5) -> np.ndarray:
        """The image as the network input: (x - mean) / std, float32."""
        if self.image is None:
            raise ValueError("nothing drawn")
        return ((self.image - mean) / std).astype(np.float32)


def to_gray(image: Image.Image | np.ndarray) -> np.ndarray:
    """Grayscale float32 in [0, 1] from a PIL image or array of any mode or depth.

    Transparent pixels are composited onto a background that contrasts with the
    opaque ones, so ink on a transparent layer stays visible whatever its colour.
    """
    if isinstance(image, Image.Image):
        return _pil_to_gray(image)
    array = np.asarray(image)
    if array.dtype == bool:
        array = array.astype(np.float32)
    if not np.issubdtype(array.dtype, np.number) or array.ndim not in (2, 3) or array.size == 0:
        raise ValueError(f"expected an image array, got shape {array.shape} of {array.dtype}")
    if np.issubdtype(array.dtype, np.integer):
        top = int(array.max(initial=0))
        scale = 255.0 if top <= 255 else 65535.0 if top <= 65535 else float(top)
        array = np.clip(array.astype(np.float32), 0, None) / scale
    else:
        array = np.nan_to_num(array.astype(np.float64), nan=0.0, posinf=1.0, neginf=0.0)
        if array.max(initial=0) > 1.0:
            array = array / (255.0 if array.max() <= 255 else array.max())
        array = np.clip(array, 0.0, 1.0).astype(np.float32)
    if array.ndim == 3:
        channels = array.shape[2]
        if channels in (2, 4):
            color = array[..., :-1].mean(axis=2) if channels == 4 else array[..., 0]
            return _composite(color, array[..., -1])
        array = array[..., :3].mean(axis=2) if channels >= 3 else array[..., 0]
    return np.clip(array, 0.0, 1.0)


def _pil_to_gray(image: Image.Image) -> np.ndarray:
    if image.width * image.height > MAX_PIXELS:
        raise ValueError(f"image of {image.width}×{image.height} pixels is too large")
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        return to_gray(np.asarray(image.convert("I") if image.mode.startswith("I;16") else image))
    has_alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info
    if has_alpha:
        la = np.asarray(image.convert("LA"), dtype=np.float32) / 255.0
        return _composite(la[..., 0], la[..., 1])
    return np.asarray(image.convert("L"), dtype=np.float32) / 255.0


def _composite(gray: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    return gray * alpha + transparent_backdrop(gray, alpha) * (1.0 - alpha)


def transparent_backdrop(gray: np.ndarray, alpha: np.ndarray) -> float:
    """The grey (1 white, 0 black) transparent pixels stand for: the opposite of the ink's,
    so that ink on a transparent layer is seen whatever its colour (and shown as seen)."""
    weight = alpha.sum()
    if weight <= 0:
        return 1.0
    return 1.0 if float((gray * alpha).sum() / weight) < 0.5 else 0.0


def ink_map(gray: np.ndarray) -> np.ndarray:
    """Ink strength in [0, 1] whatever the polarity: the background (the median) maps to 0."""
    background = float(np.median(gray[_sample(gray.shape)]))
    if background >= 0.5:
        ink = background - gray
        span = background
    else:
        ink = gray - background
        span = 1.0 - background
    if span < 0.1:
        return np.zeros_like(gray)
    return np.clip(ink / span, 0.0, 1.0)


def _stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a binary mask, 2·area/perimeter (exact for long strokes)."""
    area = np.count_nonzero(mask)
    if area == 0:
        return 0.0
    perimeter = (
        np.count_nonzero(mask[1:] != mask[:-1])
        + np.count_nonzero(mask[:, 1:] != mask[:, :-1])
        + np.count_nonzero(mask[0])
        + np.count_nonzero(mask[-1])
        + np.count_nonzero(mask[:, 0])
        + np.count_nonzero(mask[:, -1])
    )
    return float(2.0 * area / max(perimeter, 1))


def _max_filter(image: np.ndarray, radius: int) -> np.ndarray:
    """Grey dilation by a (2r+1)² square, separable."""
    if radius <= 0:
        return image
    h, w = image.shape
    padded = np.zeros((h + 2 * radius, w + 2 * radius), image.dtype)
    padded[radius : radius + h, radius : radius + w] = image
    rows = padded[: h + 2 * radius, 0:w].copy()
    for k in range(1, 2 * radius + 1):
        np.maximum(rows, padded[:, k : k + w], out=rows)
    out = rows[0:h].copy()
    for k in range(1, 2 * radius + 1):
        np.maximum(out, rows[k : k + h], out=out)
    return out


def _min_filter(image: np.ndarray, radius: int) -> np.ndarray:
    return 1.0 - _max_filter(1.0 - image, radius)


def _normalise_stroke(work: np.ndarray) -> np.ndarray:
    """Thicken hairlines and thin markers towards MNIST's stroke width, in 2 px steps."""
    mask = work > 0.5
    radius = _radius(mask)
    if radius < 0:
        return _max_filter(work, -radius)
    if radius > 0:
        eroded = _min_filter(work, radius)
        # Never erase a part of the digit: erode only while enough ink stays.
        if np.count_nonzero(eroded > 0.5) >= 0.25 * np.count_nonzero(mask):
            return _restore_erased(work, mask, eroded, radius)
    return work


def _radius(mask: np.ndarray) -> int:
    """Pixels to grow (negative) or shrink (positive) the strokes by to reach MNIST's width."""
    width = _stroke_width(mask)
    return round((width - TARGET_STROKE) / 2) if width > 0 else 0


def _restore_erased(
    work: np.ndarray, mask: np.ndarray, eroded: np.ndarray, radius: int
) -> np.ndarray:
    """``eroded`` with the thin strokes that erosion wiped out put back, widened on their own.

    The width that sets the erosion is a mean: a filled area beside hairlines makes
    it large enough to erase or fade the hairlines, which may be most of the digit.
    Only a drawing with a filled area is touched, so ordinary digits (MNIST's among
    them, which the networks were trained on) get exactly the eroded picture. A thin
    stroke is ink left with no core within reach after eroding ``THIN_MARGIN`` px more.
    """
    if not _has_filled_area(eroded):
        return eroded
    deeper = radius + THIN_MARGIN
    core = (_min_filter(work, deeper) > 0.5).astype(np.float32)
    erased = mask & (_max_filter(core, 2 * deeper) <= 0.5)
    if np.count_nonzero(erased) < MIN_ERASED:
        return eroded
    near = _max_filter(erased.astype(np.float32), radius) > 0.5
    thin = np.where(near, work, 0.0).astype(work.dtype)
    grow = max(0, -_radius(thin > 0.5))
    return np.maximum(eroded, _max_filter(thin, grow))


def _has_filled_area(eroded: np.ndarray) -> bool:
    """Whether some ink is far thicker than a stroke even after thinning (a blob, a fill)."""
    return bool((_min_filter(eroded, FILLED) > 0.5).any())


def _fit(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize with Lanczos, an antialiasing filter (as MNIST's own preparation used)."""
    size = (max(1, width), max(1, height))
    pil = Image.fromarray(image.astype(np.float32), mode="F")
    # reducing_gap: shrink big crops by an integer box first; quality stays Lanczos-like.
    return np.asarray(pil.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0))


def _find_ink(image: Image.Image | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ink map, mask) for the whole picture; 8-bit grey input skips float conversion.

    Ink is what differs from the background by INK_THRESHOLD of the grey range. A
    picture with none of that, or with a pale pen's (:func:`_pale`, judged on a 64×64
    sample, which costs a live prediction next to nothing), is looked at again for a
    faint pen (:func:`_faint_u8`, :func:`_faint`).
    """
    array = np.asarray(image) if isinstance(image, Image.Image) and image.mode == "L" else image
    if isinstance(array, np.ndarray) and array.dtype == np.uint8 and array.ndim == 2 and array.size:
        sub_at = _sample(array.shape)
        sub = array[sub_at]
        background = int(np.median(sub))
        dark_ink = background >= 128
        span = background if dark_ink else 255 - background
        if span < 26:
            return np.zeros((1, 1), np.float32), np.zeros(array.shape, bool)
        cut = INK_THRESHOLD * span
        mask = (array < background - cut) if dark_ink else (array > background + cut)
        ink = _LazyInk(array, background, span, dark_ink)
        sample = ink[sub_at]
        if _too_little(mask) or _pale(sample):
            return _faint_u8(array, ink, sample) or (ink, mask)
        return ink, mask
    ink = ink_map(to_gray(image))
    mask = ink > INK_THRESHOLD
    if _too_little(mask) or _pale(ink[_sample(ink.shape)]):
        return _faint(ink) or (ink, mask)
    return ink, mask


def ink_bounds(image: Image.Image | np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the ink in ``image``, ends exclusive, found as
    :func:`prepare` finds it; None when nothing is drawn."""
    mask = _find_ink(image)[1]
    if _too_little(mask):
        return None
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def _too_little(mask: np.ndarray) -> bool:
    """Fewer inked pixels than a digit has: nothing drawn (or nothing dark enough)."""
    return np.count_nonzero(mask) < max(1.0, MIN_INK_FRACTION * mask.size)


def _sample(shape: tuple[int, ...], side: int = 64) -> tuple[slice, slice]:
    """About ``side``×``side`` pixels spread evenly over a picture of ``shape``."""
    return np.s_[:: max(1, shape[0] // side), :: max(1, shape[1] // side)]


def _strongest(ink: np.ndarray) -> float:
    """The ink reached by the strongest FAINT_TOP of ``ink`` (a sample of an ink map):
    the pen's strength, which a speck of dust does not set."""
    flat = ink.ravel()
    rank = max(1, int(FAINT_TOP * flat.size))
    return float(np.partition(flat, flat.size - rank)[flat.size - rank])


def _pale(sample: np.ndarray) -> bool:
    """Whether the ink in ``sample`` (a 64×64 sample of the ink map) is a pale pen's: its
    darkest falls short of FULL_STRENGTH, or far more of it passes half the threshold than
    the threshold (a pen near the threshold, of which only specks would count as ink; a dark
    stroke gains only its soft edges there)."""
    inked = np.count_nonzero(sample > INK_THRESHOLD)
    if np.count_nonzero(sample > INK_THRESHOLD / 2) > FAINT_SPREAD * inked:
        return True
    return inked >= PALE_PIXELS and float(sample.max()) < FULL_STRENGTH


def _faint_u8(
    array: np.ndarray, ink: _LazyInk, sample: np.ndarray
) -> tuple[_LazyInk, np.ndarray] | None:
    """:func:`_faint` for an 8-bit picture, read through ``ink`` (its ink at the usual
    range): no float copy of a large picture, which only its crop ever needs."""
    if min(array.shape) < FAINT_MIN_SIDE:
        return None
    strength = _faint_strength(_strongest(ink[_sample(array.shape, STRENGTH_SAMPLE)]), sample)
    if strength is None:
        return None
    faint = _LazyInk(array, ink.background, strength * ink.span, ink.dark_ink)
    cut = FAINT_CUT * faint.span
    mask = (array < ink.background - cut) if ink.dark_ink else (array > ink.background + cut)
    if not _strokes_alone(mask) or not _pen_like(faint._ink(array[mask].astype(np.float32))):
        return None
    return faint, mask


def _faint(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """A faint pen's ink (a light grey, a hard pencil, a pale scan) at full strength, or None.

    The faint ink's own strength (a high percentile, so that a speck of dust does
    not set it) becomes the range, which keeps the ink linear in the grey level, as
    it is for a black pen; its strokes are where it passes FAINT_CUT of that range
    (above a compressed picture's ringing around faint strokes). See
    :func:`_faint_strength` and :func:`_strokes_alone` for when it is ink at all.
    """
    if min(ink.shape) < FAINT_MIN_SIDE:
        return None
    strongest = _strongest(ink[_sample(ink.shape, STRENGTH_SAMPLE)])
    strength = _faint_strength(strongest, ink[_sample(ink.shape)])
    if strength is None:
        return None
    ink = np.clip(ink / strength, 0.0, 1.0)
    mask = ink > FAINT_CUT
    return (ink, mask) if _strokes_alone(mask) and _pen_like(ink[mask]) else None


def _faint_strength(strength: float, sample: np.ndarray) -> float | None:
    """``strength``, a faint pen's strongest ink as a share of the grey range, if it is
    one: it must reach FAINT_MIN, stand FAINT_CLEAR times clear of the paper's grain
    (read from ``sample``, the ink map's 64×64 sample) and fall short of full strength
    (ink of full strength is read as it is); else None."""
    # The paper's noise is clipped at 0 on its own side of the ink map, so its spread is
    # read from the upper quartile (0.674 standard deviations for normal noise).
    grain = float(np.percentile(sample, 75)) / 0.6745
    if not FAINT_MIN <= strength < FULL_STRENGTH or strength < FAINT_CLEAR * max(grain, 1 / 512):
        return None
    return strength


def _pen_like(inked: np.ndarray) -> bool:
    """Whether faint ink values (``inked``, those of its strokes, at the pen's strength 1)
    are a pen's: most of a stroke is near the pen's full strength, its soft edges are few.
    A stain's ink fades from a darker rim into a paler middle: its ring reads as a 0."""
    return bool(np.count_nonzero(inked >= 0.6) >= FAINT_SOLID * inked.size)


def _strokes_alone(mask: np.ndarray) -> bool:
    """Whether faint ink in ``mask`` could be a digit's strokes: enough of it, covering at
    most FAINT_COVER of the picture (shading across a photo covers more) and reaching
    across less than FAINT_REACH of its width and height (a frame, ruled lines, specks
    strewn over the paper reach across; a digit has a margin)."""
    if _too_little(mask) or np.count_nonzero(mask) > FAINT_COVER * mask.size:
        return False
    for axis in (0, 1):
        inked = np.flatnonzero(mask.any(axis=axis))
        if inked[-1] - inked[0] + 1 >= FAINT_REACH * mask.shape[1 - axis]:
            return False
    return True


class _LazyInk:
    """Ink of an 8-bit picture, converted to float only where it is sliced (the crop)."""

    def __init__(self, array: np.ndarray, background: float, span: float, dark_ink: bool) -> None:
        self.array, self.background, self.span, self.dark_ink = array, background, span, dark_ink

    def __getitem__(self, key) -> np.ndarray:
        return self._ink(self.array[key].astype(np.float32))

    def _ink(self, part: np.ndarray) -> np.ndarray:
        ink = (self.background - part) if self.dark_ink else (part - self.background)
        return np.clip(ink / self.span, 0.0, 1.0)

    def resized(self, key, width: int, height: int) -> np.ndarray:
        """``self[key]`` resized with Lanczos; 8-bit resampling is several times faster than
        float and, the ink being linear in the grey level, gives the same picture."""
        pil = Image.fromarray(np.ascontiguousarray(self.array[key]), mode="L")
        size = (max(1, width), max(1, height))
        small = pil.resize(size, Image.Resampling.LANCZOS, reducing_gap=1.0)
        return self._ink(np.asarray(small, dtype=np.float32))


def _is_dot(mask: np.ndarray, size: float) -> bool:
    """Whether the ink in ``mask`` is one solid, roundish blob shorter than ``size``, at
    whatever angle it lies.

    Measured against the ellipse of the same second moments (its axes are four
    standard deviations long) rather than the bounding box, which a dash at 45°
    fills only half of and overstates the length of.
    """
    ys, xs = np.nonzero(mask)
    if len(xs) < 3:
        return True
    spread = np.linalg.eigvalsh(np.cov(np.vstack([xs, ys]).astype(np.float64)))
    narrow, wide = np.maximum(spread, 1 / 12)  # a one-pixel line still has a pixel's width
    solid = len(xs) / (4 * np.pi * np.sqrt(narrow * wide))
    blob = 4 * np.sqrt(wide) < size and solid > DOT_SOLID and np.sqrt(narrow / wide) > DOT_ROUND
    return blob and not _has_hole(mask)  # a small 0, 6, 8 or 9 in a broad pen keeps its holes


def _side_by_side(mask: np.ndarray) -> bool:
    """Whether the ink of ``mask`` (cropped to it) falls into two marks side by side, apart
    by empty columns as drawn or once sheared upright: two slanted digits leave no empty
    column between them as drawn."""
    mask = _pooled(mask, SIDE_BY_SIDE_SIDE)
    ys, xs = np.nonzero(mask)
    if len(xs) < 2:
        return False
    dy = ys - ys.mean()
    spread = float((dy * dy).mean())
    slant = float((dy * (xs - xs.mean())).mean()) / spread if spread else 0.0
    upright = np.rint(xs - np.clip(slant, -MAX_SKEW, MAX_SKEW) * dy).astype(np.int64)
    return any(_apart(ys, columns, mask.shape[0]) for columns in (xs, upright))


def _apart(ys: np.ndarray, xs: np.ndarray, height: int) -> bool:
    """Whether ink pixels (``ys``, ``xs``) make two marks on either side of their widest run
    of empty columns, each as tall and as inked as two digits side by side would be."""
    first = int(xs.min())
    columns = np.flatnonzero(np.bincount(xs - first)) + first  # np.unique, without a sort
    if len(columns) < 2:
        return False
    gaps = np.diff(columns)
    widest = int(gaps.argmax())
    if gaps[widest] - 1 < SIDE_BY_SIDE_GAP * height:
        return False
    left = xs <= columns[widest]
    if min(np.count_nonzero(left), np.count_nonzero(~left)) < SIDE_BY_SIDE_INK * len(xs):
        return False
    return all(np.ptp(ys[part]) + 1 >= SIDE_BY_SIDE_HEIGHT * height for part in (left, ~left))


def _pooled(mask: np.ndarray, side: int) -> np.ndarray:
    """``mask`` no larger than ``side`` pixels a side, a cell inked if any of its pixels is:
    thin strokes stay, gaps only narrow."""
    step = max(1, -(-max(mask.shape) // side))
    if step == 1:
        return mask
    h, w = (-(-n // step) * step for n in mask.shape)
    grid = np.zeros((h, w), bool)
    grid[: mask.shape[0], : mask.shape[1]] = mask
    return grid.reshape(h // step, step, w // step, step).any(axis=(1, 3))


def _has_hole(mask: np.ndarray, side: int = 64) -> bool:
    """Whether the ink encloses background (two pixels or more) that no path from the edge
    reaches; looked at no larger than ``side`` pixels, where a flood fill takes a moment."""
    mask = _pooled(mask, side)  # small gaps close, holes stay
    background = ~np.pad(mask, 1)
    reached = np.zeros_like(background)
    reached[0, :] = reached[-1, :] = reached[:, 0] = reached[:, -1] = True
    while True:
        grown = reached.copy()
        grown[1:] |= reached[:-1]
        grown[:-1] |= reached[1:]
        grown[:, 1:] |= reached[:, :-1]
        grown[:, :-1] |= reached[:, 1:]
        grown &= background
        if np.array_equal(grown, reached):
            return np.count_nonzero(background & ~reached) >= 2
        reached = grown


def prepare(image: Image.Image | np.ndarray, page: bool = False) -> Prepared:
    """Any image of one digit → :class:`Prepared` (28×28, MNIST-like), or blank with a reason.

    ``page``: the image is a picture opened from a file, perhaps a photo of a page, whose
    uneven light and ruled lines are taken away first (:func:`digitpad.page.clean_page`).
    """
    if page:
        from digitpad.page import clean_page  # photos only: a drawing never needs it

        gray = to_gray(image)
        cleaned = clean_page(gray)
        if cleaned is not gray:  # else read as it came, as the same drawing on the canvas is
            image = cleaned
    ink, mask = _find_ink(image)
    h, w = mask.shape
    if _too_little(mask):
        return Prepared(None, "nothing drawn")
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    extent_h, extent_w = bottom - top, right - left
    if max(extent_h, extent_w) < max(MIN_EXTENT_FRACTION * max(h, w), MIN_EXTENT_PIXELS):
        return Prepared(None, "too small to be a digit")
    crop = np.s_[top:bottom, left:right]
    dot_size = DOT_FRACTION * max(h, w)
    if max(extent_h, extent_w) < 1.5 * dot_size and _is_dot(mask[crop], dot_size):
        return Prepared(None, "a dot or a filled shape, not a digit")

    # Longest side to WORK px, normalise the stroke, then down to the 20 px box.
    scale = WORK / max(extent_h, extent_w)
    wh, ww = max(1, round(extent_h * scale)), max(1, round(extent_w * scale))
    if isinstance(ink, _LazyInk):
        work = ink.resized(crop, ww, wh)
    else:
        work = np.clip(_fit(ink[crop], ww, wh), 0.0, 1.0)
    pad = WORK // 8
    work = _normalise_stroke(np.pad(work, pad))
    # A faint pen (light grey, or a hairline blurred by scaling) gets full contrast.
    peak = float(work.max())
    if 0.05 < peak < 1:
        work = np.minimum(work / peak, 1.0)
    fit_w, fit_h = round((ww + 2 * pad) * BOX / WORK), round((wh + 2 * pad) * BOX / WORK)
    box = np.clip(_fit(work, fit_w, fit_h), 0, 1)
    if not (box > VISIBLE).any():  # specks scattered over a large picture: none survives
        return Prepared(None, "nothing drawn")
    if _side_by_side(mask[crop]):
        return Prepared(None, "two marks side by side; draw one digit at a time")
    return Prepared(_centre_by_mass(box))


def _centre_by_mass(box: np.ndarray) -> np.ndarray:
    """Paste the ink of ``box`` into 28×28 so its centre of mass lands on the centre."""
    visible = box > VISIBLE
    rows, cols = np.flatnonzero(visible.any(axis=1)), np.flatnonzero(visible.any(axis=0))
    box = box[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1][:SIDE, :SIDE]
    total = box.sum()
    ys, xs = np.indices(box.shape)
    cy, cx = (ys * box).sum() / total, (xs * box).sum() / total
    # Centre of mass on (13.5, 13.5), as MNIST did, but never push ink off the field.
    top = min(max(round(13.5 - cy), 0), SIDE - box.shape[0])
    left = min(max(round(13.5 - cx), 0), SIDE - box.shape[1])
    out = np.zeros((SIDE, SIDE), np.float32)
    out[top : top + box.shape[0], left : left + box.shape[1]] = box
    return out


def deskew(images: np.ndarray) -> np.ndarray:
    """Shear each 28×28 digit (one image, or N×28×28) so that its main axis stands upright.

    Slant is the largest difference between two people's writing of the same
    digit. A network given upright digits spends its units on shapes rather
    than slants: the default FCNN recipe gains 0.2-0.6 points on MNIST.
    Each row moves sideways in proportion to its height above the centre of
    mass, so the centring done by :func:`prepare` is kept. Models trained on
    deskewed digits say so in their metadata and get deskewed input.
    """
    batch = np.asarray(images, np.float32)
    single = batch.ndim == 2
    if single:
        batch = batch[None]
    n, h, w = batch.shape
    ys = np.arange(h, dtype=np.float32)
    xs = np.arange(w, dtype=np.float32)
    rows, cols = batch.sum(axis=2), batch.sum(axis=1)  # ink per row, per column
    mass = np.maximum(rows.sum(axis=1), 1e-6)
    cy, cx = rows @ ys / mass, cols @ xs / mass
    dy = ys[None] - cy[:, None]  # N×h
    var_y = (rows * dy * dy).sum(axis=1) / mass
    cov = (dy[:, None, :] @ batch @ (xs - cx[:, None])[..., None]).reshape(n) / mass
    skew = np.minimum(np.maximum(cov / np.maximum(var_y, 1e-6), -MAX_SKEW), MAX_SKEW)
    # Output pixel (y, x) takes the input at (y, x + skew·(y - cy)), linearly interpolated;
    # the rows are padded so that every shift reads zeros beyond the edge.
    shift = skew[:, None] * dy  # N×h
    whole = np.floor(shift)
    frac = (shift - whole)[..., None]
    pad = int(np.ceil(MAX_SKEW * h)) + 1
    width = w + 2 * pad + 1
    padded = np.zeros((n, h, width), np.float32)
    padded[:, :, pad : pad + w] = batch
    row_start = np.arange(n * h).reshape(n, h) * width + pad
    index = (whole.astype(np.intp) + row_start)[..., None] + np.arange(w)
    flat = padded.reshape(-1)
    left, right = flat.take(index), flat.take(index + 1)
    out = left + frac * (right - left)
    return out[0] if single else out
