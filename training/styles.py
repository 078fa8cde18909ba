"""Writing styles our data hardly has, made by editing real pen strokes.

MNIST and most UniPen contributors write the North American way. Much of the
world does not: continental Europe flags its 1s and crosses its 7s, engineers
slash or bar their zeros, many schools teach an open-topped 4 and a 9 with a straight
or a curled tail, some a 2 with a loop. Each :class:`Style` takes a record's
strokes (points in a unit square, y down) and returns the same digit written
that way, with random length, angle and position, or ``None`` when the record
does not have the shape the edit needs. Edits stay within what a person would
write, never so far that the digit reads as another one.

Styles are data: :data:`STYLES` is the whole list, and ``python -m training
styles`` draws a contact sheet of every one (``docs/styles.png``).

Adding a style: an edit function and an entry in :data:`STYLES` (its weight decides
how often its digit is rewritten, see :func:`restyle_chance`), then :data:`VERSION`
raised. The contact sheet, ``training/drawn.py``'s per-style scores and
``tests/test_styles.py``'s check that every style edits a plain digit pick it up by
themselves. Not by themselves: a test of what the new edit draws, README's table of
styles and the weights it lists, and ``docs/styles.png`` (``python -m training styles
--unipen FILE`` from the repository's root).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

# Raise when a style is added or removed, or an edit or a weight changes: rendered UniPen
# digits are cached under this number (training/unipen.py), so old renders are not reused.
VERSION = 5

Point = tuple[float, float]
Strokes = list[list[Point]]
Edit = Callable[[Strokes, np.random.Generator], "Strokes | None"]


@dataclass(frozen=True)
class Style:
    """One way of writing ``label`` that an edit of ordinary strokes produces.

    ``weight`` is how much of its digit's training renders the style takes (see
    :func:`maybe_restyle`): a style that is hard to learn, or one that shares its digit
    with another, needs more than an easy one to be read as well.
    """

    name: str
    label: int
    description: str
    edit: Edit
    weight: float = 1.0


def _box(strokes: Strokes) -> tuple[float, float, float, float]:
    points = np.concatenate([np.asarray(s, float) for s in strokes])
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def _line(a: Point, b: Point, step: float = 0.02) -> list[Point]:
    """Points from ``a`` to ``b`` (both included), about ``step`` apart, as a pen samples them."""
    n = max(2, math.ceil(math.dist(a, b) / step) + 1)
    return [(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t) for t in np.linspace(0, 1, n)]


def normalise(strokes: Strokes) -> Strokes:
    """Scale the longest side to 1 and centre in the unit square, as the data's records are."""
    x0, y0, x1, y1 = _box(strokes)
    side = max(x1 - x0, y1 - y0, 1e-6)
    dx, dy = (1 - (x1 - x0) / side) / 2, (1 - (y1 - y0) / side) / 2
    return [[((x - x0) / side + dx, (y - y0) / side + dy) for x, y in s] for s in strokes]


def _copy(strokes: Sequence[Sequence[Sequence[float]]]) -> Strokes:
    return [[(float(p[0]), float(p[1])) for p in s] for s in strokes if len(s)]


def _top(strokes: Strokes) -> tuple[int, int]:
    """(stroke, point) index of the highest point."""
    best = min(((y, i, j) for i, s in enumerate(strokes) for j, (_, y) in enumerate(s)))
    return best[1], best[2]


def _x_at(strokes: Strokes, y: float, below: float) -> float | None:
    """The x of the ink nearest height ``y`` among points lower than ``below``."""
    points = [p for s in strokes for p in s if p[1] >= below]
    if not points:
        return None
    return min(points, key=lambda p: abs(p[1] - y))[0]


def _bend(strokes: Strokes, a: Point, b: Point) -> float:
    """The farthest any point lies from the line through ``a`` and ``b``."""
    points = np.concatenate([np.asarray(s, float) for s in strokes])
    d = np.subtract(b, a)
    norm = math.hypot(*d) or 1e-9
    rel = points - np.asarray(a)
    return float(np.abs(d[0] * rel[:, 1] - d[1] * rel[:, 0]).max() / norm)


def _flagged(
    strokes: Strokes,
    rng: np.random.Generator,
    angle: tuple[float, float],
    length: tuple[float, float],
    slant: tuple[float, float],
) -> Strokes | None:
    """A plain 1 with a flag drawn into the top of its stem, ``angle`` degrees from the stem
    (turned to the left, whatever the slant) and ``length`` times its height, then leant."""
    x0, y0, x1, y1 = _box(strokes)
    h = y1 - y0
    i, j = _top(strokes)
    top = strokes[i][j]
    bottom = max((p for s in strokes for p in s), key=lambda p: p[1])
    if (
        h < 1.5 * (x1 - x0) or _bend(strokes, top, bottom) > 0.08 * h
    ):  # not a plain stem: already flagged, or a hook
        return None
    stem = math.atan2(bottom[1] - top[1], bottom[0] - top[0])
    turn = stem + math.radians(rng.uniform(*angle))
    size = h * rng.uniform(*length)
    start = (top[0] + size * math.cos(turn), top[1] + size * math.sin(turn))
    flag = _line(start, top)
    out = [list(s) for s in strokes]
    if j == 0:
        out[i] = flag[:-1] + out[i]
    else:
        out.insert(0, flag)
    return _slant(out, rng.uniform(*slant))


def one_flag(strokes: Strokes, rng: np.random.Generator) -> Strokes | None:
    """A 1 with the long up-stroke flag of continental Europe, the writing leant right; real
    continental flags reach most of the way down the stem."""
    return _flagged(strokes, rng, angle=(20, 45), length=(0.3, 0.85), slant=(0.0, 0.45))


def _base(strokes: Strokes, flagged: Strokes, rng: np.random.Generator) -> Strokes:
    """``flagged`` standing on a base line centred under the bottom of ``strokes``."""
    _x0, y0, _x1, y1 = _box(strokes)
    bottom = max((p for s in strokes for p in s), key=lambda p: p[1])
    half = (y1 - y0) * rng.uniform(0.15, 0.3)
    tilt = (y1 - y0) * rng.uniform(-0.03, 0.03)
    return [
        *flagged,
        _line((bottom[0] - half, bottom[1] + tilt), (bottom[0] + half, bottom[1] - tilt)),
    ]


def _slant(strokes: Strokes, amount: float) -> Strokes:
    """Lean the writing to the right by ``amount`` (x shift per unit of height)."""
    y_mid = (_box(strokes)[1] + _box(strokes)[3]) / 2
    return [[(x + amount * (y_mid - y), y) for x, y in s] for s in strokes]


def one_base(strokes: Strokes, rng: np.random.Generator) -> Strokes | None:
    """A flagged 1 standing on a base line, as some schools draw it."""
    flagged = one_flag(strokes, rng)
    return None if flagged is None else _base(strokes, flagged, rng)


def one_printed(strokes: Strokes, rng: np.random.Generator) -> Strokes | None:
    """The typeface's 1, as many write it: a short flag almost level with the top, the stem
    upright, and a base line (without the base, a level flag would make a 7)."""
    flagged = _flagged(strokes, rng, angle=(55, 85), length=(0.15, 0.35), slant=(0.0, 0.15))
    return None if flagged is None else _base(strokes, flagged, rng)


def seven_crossbar(strokes: Strokes, rng: np.random.Generator) -> Strokes | None:
    """A 7 with a bar across the middle of its stem."""
    x0, y0, x1, y1 = _box(strokes)
    w, h = x1 - x0, y1 - y0
    y = y0 + h * rng.uniform(0.45, 0.65)
    x = _x_at(strokes, y, y0 + 0.3 * h)
    if x is None or h < 0.3:
        return None
    half = max(w, 0.3 * h) * rng.uniform(0.25, 0.5)
    shift = half * rng.uniform(-0.25, 0.25)
    tilt = half * math.tan(math.radians(rng.uniform(-12, 8)))
    return [*strokes, _line((x - half + shift, y + tilt), (x + half + shift, y - tilt))]


def seven_serif(strokes: Strokes, rng: np.random.Generator) -> Strokes | None:
    """A crossed 7 whose top bar starts with a short downward tick."""
    crossed = seven_crossbar(strokes, rng)
    if crossed is None:
        return None
    x0, y0, x1, y1 = _box(strokes)
    first = crossed[0]
    start = first[0]
    if start[0] > x0 + 0.4 * (x1 - x0) or start[1] > y0 + 0.3 * (y1 - y0):
        return None  # the bar was not drawn from its left end
    tick = (start[0] - 0.03 * (y1 - y0), start[1] + (y1 - y0) * rng.uniform(0.1, 0.22))
    return [_line(tick, start)[:-1] + first, *crossed[1:]]


def zero_slash(strokes: Strokes, rng: np.random.Generator) -> Strokes | None:
    """A 0 with a slash through it, as engineers and programmers write it."""
    x0, y0, x1, y1 = _box(strokes)
    cx, cy = (x0 + x1) / 2 + rng.uniform(-0.05, 0.05), (y0 + y1) / 2 + rng.uniform(-0.05, 0.05)
    # From well below-left of the oval to beyond its top right, often flatter than its diagonal.
    angle = math.radians(rng.uniform(20, 65))
    half = (y1 - y0) * rng.uniform(0.5, 1.1)  # real slashes often run far past the oval
    dx, dy = half * math.cos(angle), half * math.sin(angle)
    if rng.random() < 0.85:  # mostly "/", sometimes "\"
        a, b = (cx - dx, cy + dy), (cx + dx, cy - dy)
    else:
        a, b = (cx - dx, cy - dy), (cx + dx, cy + dy)
    return [*strokes, _line(a, b)]


def zero_bar(strokes: Strokes, rng: np.random.Generator) -> Strokes | None:
    """A 0 with a level bar through its middle, as some schools and engineers write it to tell
    it from the letter O; the bar often runs past the oval on one side or both."""
    x0, y0, x1, y1 = _box(strokes)
    width, height = x1 - x0, y1 - y0
    y = (y0 + y1) / 2 + height * rng.uniform(-0.08, 0.08)
    left = x0 - width * rng.uniform(-0.1, 0.3)
    right = x1 + width * rng.uniform(-0.1, 0.3)
    tilt = math.tan(math.radians(rng.uniform(-8, 8))) * (right - left) / 2
    return [*strokes, _line((left, y + tilt), (right, y - tilt))]


def four_open(strokes: Strokes, rng: np.random.Generator) -> Strokes | None:
    """A 4 open at the top: its left arm stands up instead of leaning on the stem."""
    x0, y0, x1, y1 = _box(strokes)
    w, h = x1 - x0, y1 - y0
    # The corner is the leftmost point; the arm is what its stroke drew before reaching it.
    i, j = min(((p[0], i, j) for i, s in enumerate(strokes) for j, p in enumerate(s)))[1:]
    arm = strokes[i][: j + 1]
    corner = arm[-1]
    if w < 0.4 * h or j < 3 or corner[1] - arm[0][1] < 0.25 * h or arm[0][0] - corner[0] < 0.12 * w:
        return None  # no leaning arm drawn from the top down to a corner
    stem_x = _x_at([s for k, s in enumerate(strokes) if k != i] or strokes, y0 + 0.2 * h, y0)
    if stem_x is None or stem_x - corner[0] < 0.25 * w:
        return None
    keep = rng.uniform(0.0, 0.25)  # how much of the lean stays
    lifted = [
        (corner[0] + (x - corner[0]) * keep + rng.uniform(-0.01, 0.01) * (1 - keep), y)
        for x, y in arm[:-1]
    ]
    out = [list(s) for s in strokes]
    out[i] = lifted + strokes[i][j:]
    return out


def _nine_tail(strokes: Strokes) -> tuple[int, int, float, float, float, float] | None:
    """(stroke, first tail point, box) of a 9: the tail is what lies below the loop."""
    x0, y0, x1, y1 = _box(strokes)
    h = y1 - y0
    i = max(range(len(strokes)), key=lambda k: max(p[1] for p in strokes[k]))
    stroke = strokes[i]
    above = [k for k, p in enumerate(stroke) if p[1] <= y0 + 0.5 * h]
    if not above or above[-1] >= len(stroke) - 2 or h < 0.5:
        return None
    return i, above[-1], x0, y0, x1, y1


def nine_straight(strokes: Strokes, rng: np.random.Generator) -> Strokes | None:
    """A 9 whose tail drops straight down, as many schools teach it."""
    found = _nine_tail(strokes)
    if found is None:
        return None
    i, k, x0, _y0, x1, y1 = found
    start = strokes[i][k]
    end = (start[0] + (x1 - x0) * rng.uniform(-0.12, 0.05), y1)
    out = [list(s) for s in strokes]
    out[i] = strokes[i][:k] + _line(start, end)
    return out


def nine_curl(strokes: Strokes, rng: np.random.Generator) -> Strokes | None:
    """A 9 whose tail curls to the left at the bottom, like the tail of a g."""
    found = _nine_tail(strokes)
    if found is None:
        return None
    i, k, _x0, y0, _x1, y1 = found
    start = strokes[i][k]
    r = (y1 - y0) * rng.uniform(0.08, 0.28)  # from a small hook to a g's wide sweep
    stem = _line(start, (start[0] + rng.uniform(-0.03, 0.02), y1 - r))
    cx, cy = stem[-1][0] - r, y1 - r
    sweep = math.radians(rng.uniform(90, 170))
    arc = [
        (cx + r * math.cos(t), cy + r * math.sin(t))
        for t in np.linspace(0, sweep, max(4, int(sweep * r / 0.02)))
    ]
    out = [list(s) for s in strokes]
    out[i] = strokes[i][:k] + stem + arc[1:]
    return out


def two_loop(strokes: Strokes, rng: np.random.Generator) -> Strokes | None:
    """A 2 with a small loop where the curve meets the base."""
    _x0, y0, _x1, y1 = _box(strokes)
    h = y1 - y0
    # The corner: the lowest, leftmost point (largest y - x) in the lower third; a 2 drawn
    # flat (a dash, a dot) has none, and no loop to add.
    lowest = max(
        (
            (p[1] - p[0], i, j)
            for i, s in enumerate(strokes)
            for j, p in enumerate(s)
            if p[1] > y0 + 0.66 * h
        ),
        default=None,
    )
    if lowest is None:
        return None
    _, i, j = lowest
    stroke = strokes[i]
    if j == 0 or j >= len(stroke) - 2:
        return None
    corner = stroke[j]
    r = h * rng.uniform(0.06, 0.12)
    centre = (corner[0] + r * 0.3, corner[1] - r)
    begin = math.atan2(corner[1] - centre[1], corner[0] - centre[0])
    # Round the loop the way the pen was going: up the left side, over and back down.
    loop = [
        (centre[0] + r * math.cos(begin - t), centre[1] + r * math.sin(begin - t))
        for t in np.linspace(0, 2 * math.pi, 14)
    ]
    out = [list(s) for s in strokes]
    out[i] = stroke[:j] + loop + stroke[j + 1 :]
    return out


STYLES: tuple[Style, ...] = (
    Style("1 flagged", 1, "a long up-stroke into the top of the stem", one_flag, 0.5),
    Style("1 flagged, base", 1, "the flag and a base line", one_base, 0.25),
    Style("1 printed", 1, "a short, almost level flag, an upright stem, a base", one_printed, 0.25),
    Style("7 crossed", 7, "a bar across the stem", seven_crossbar, 0.5),
    Style("7 crossed, serif", 7, "the bar and a tick at the start of the top", seven_serif, 0.5),
    # A plain 0 is the easiest digit, so its two styles take most of its renders; the slash,
    # which looks most like another digit's stroke, the larger share.
    Style("0 slashed", 0, "a slash through the oval", zero_slash, 1.5),
    Style("0 barred", 0, "a level bar across the middle of the oval", zero_bar, 1.0),
    Style("4 open", 4, "the left arm upright, not meeting the stem", four_open),
    Style("9 straight tail", 9, "the tail dropped straight down", nine_straight, 0.5),
    Style("9 curled tail", 9, "the tail curled to the left like a g", nine_curl, 0.5),
    Style("2 looped", 2, "a small loop at the bottom corner", two_loop),
)
BY_LABEL: dict[int, tuple[Style, ...]] = {
    label: tuple(s for s in STYLES if s.label == label) for label in range(10)
}
STYLE_NAMES = tuple(s.name for s in STYLES)


def style_by_name(name: str) -> Style:
    for style in STYLES:
        if style.name == name:
            return style
    raise KeyError(f"unknown style {name!r}; known: {', '.join(STYLE_NAMES)}")


def restyle(record: dict, style: Style, rng: np.random.Generator) -> dict | None:
    """``record`` written in ``style`` (normalised like the data), or None when it cannot be."""
    if int(record["label"]) != style.label:
        return None
    strokes = _copy(record["strokes"])
    if not strokes:
        return None
    edited = style.edit(strokes, rng)
    if edited is None:
        return None
    return {**record, "strokes": normalise(edited), "style": style.name}


def random_restyle(record: dict, rng: np.random.Generator) -> dict:
    """``record`` in one of its label's styles, picked in proportion to their weights, or as
    it was if none fits."""
    choices = BY_LABEL.get(int(record["label"]), ())
    if not choices:
        return record
    weights = np.array([s.weight for s in choices])
    style = choices[rng.choice(len(choices), p=weights / weights.sum())]
    return restyle(record, style, rng) or record


def restyle_chance(label: int, styled: float) -> float:
    """How likely a render of ``label`` is rewritten: ``1 - (1 - styled) ** w``, ``w`` the
    total weight of the label's styles, so that weight 1 rewrites a fraction ``styled`` and
    each further unit of weight gives ``styled`` of what is left."""
    weight = sum(s.weight for s in BY_LABEL.get(label, ()))
    return 1.0 - (1.0 - styled) ** weight if weight else 0.0


def maybe_restyle(record: dict, styled: float, rng: np.random.Generator) -> dict:
    """``record`` rewritten with :func:`restyle_chance`, else as it was."""
    if styled <= 0 or rng.random() >= restyle_chance(int(record["label"]), styled):
        return record
    return random_restyle(record, rng)
