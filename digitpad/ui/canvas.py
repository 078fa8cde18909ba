"""The drawing canvas: ink drawn into a backing image as the pen moves.

Mouse and tablet handlers paint each new piece of a stroke into a backing
``QImage`` (at the screen's device pixel ratio, so ink is crisp on HiDPI
screens) and ask for a repaint of just that rectangle; ``paintEvent`` only
copies the image to the screen. Strokes, the one being drawn included, are
also kept as point lists in coordinates relative to the canvas, so Undo and
resizing (even with the pen down) re-render them.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QPointingDevice,
    QResizeEvent,
    QTabletEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

if TYPE_CHECKING:
    import numpy as np

    from digitpad.ui.inference import Page

Point = tuple[float, float]
# What Undo and Redo go back and forth between: strokes, opened picture, and the strokes
# and picture Clear took away.
State = tuple[list["Stroke"], "Picture | None", list["Stroke"], "Picture | None"]
# Pen widths are given for a canvas of this side; the pen scales with the canvas.
REFERENCE_SIDE = 280.0


# A turn sharper than this (in degrees) is kept as a corner; gentler ones are rounded.
SHARP_TURN = 50.0
# The eraser end of a pen removes the strokes within this many pixels of its tip.
ERASER_REACH = 6.0
# The frame's width with keyboard focus, in pixels (1 without).
FOCUS_FRAME = 3


class Stroke(list):
    """A finished stroke's points, numbered: two strokes drawn alike are still two strokes,
    and one Undo and Redo bring back is still the same one. ``over``: the opened picture
    the stroke took the place of (drawn first on it), which undoing the stroke brings back."""

    __slots__ = ("number", "over")

    def __init__(self, points: list[Point], number: int, over: Picture | None = None) -> None:
        super().__init__(points)
        self.number = number
        self.over = over


@dataclass(frozen=True, eq=False)
class Picture:
    """An opened picture: the image shown, and ``source``, what recognition reads (the
    file's pixels as they were loaded), so that a picture brought back by Undo is read as
    it was whatever became of its file. ``over``: the drawing it took the place of (strokes,
    picture), which undoing it brings back; that drawing's own past is not kept, so that
    pictures opened one after another do not all stay in memory."""

    image: QImage
    source: Page
    over: tuple[tuple[Stroke, ...], Picture | None] = ((), None)
    # Numbered like strokes: the same file opened twice is two pictures.
    number: int = field(default_factory=lambda: next(_numbers))


def without_past(strokes: list[Stroke], picture: Picture | None) -> tuple:
    """A drawing as it is, without what its strokes or its picture took the place of."""
    bare = tuple(Stroke(stroke, stroke.number) for stroke in strokes)
    return bare, None if picture is None else replace(picture, over=((), None))


_numbers = itertools.count(1)


def stroke_path(points: list[QPointF]) -> QPainterPath:
    """The curve through ``points`` a hand drew: gentle turns rounded, sharp corners kept.

    At a gentle turn the path runs from the midpoint before the point to the midpoint
    after it, a quadratic curve with the point as control: mouse points are far apart
    when the pen moves fast or the drawing was made on a small canvas, and straight
    segments between them look faceted once the canvas grows. At a sharp turn (the
    top of a 1, the corner of a 7) it goes through the point itself.
    """
    path = QPainterPath(points[0])
    for before, here, after in zip(points, points[1:], points[2:], strict=False):
        if _turn(before, here, after) > SHARP_TURN:
            path.lineTo(here)
        else:
            path.lineTo((before + here) / 2)
            path.quadTo(here, (here + after) / 2)
    if len(points) > 1:
        path.lineTo(points[-1])
    return path


def grey_pixels(image: QImage) -> np.ndarray:
    """``image`` as 8-bit grey pixels (rows, columns); safe to call off the GUI thread."""
    import numpy as np  # imported late: the window shows before NumPy loads

    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    rows = np.frombuffer(gray.constBits(), np.uint8).reshape(gray.height(), gray.bytesPerLine())
    return rows[:, : gray.width()].copy()


def distance_to_segment(p: Point, a: Point, b: Point) -> float:
    """How far ``p`` is from the segment ``a``–``b``."""
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def touches(stroke: list[Point], point: Point, reach: float) -> bool:
    """Whether ``stroke`` (a dot or a polyline) passes within ``reach`` of ``point``."""
    pairs = pairwise(stroke) if len(stroke) > 1 else [(stroke[0], stroke[0])]
    return any(distance_to_segment(point, a, b) <= reach for a, b in pairs)


def canvas_state(strokes: int, drawing: bool, picture: bool) -> str:
    """What the canvas holds, in words for a screen reader, which cannot see the ink."""
    if drawing:
        return "Drawing"
    if picture:
        return "Shows an opened picture" + (f" and {strokes} strokes" if strokes else "")
    if strokes:
        return f"Has a drawing of {strokes} stroke" + ("" if strokes == 1 else "s")
    return "Empty: draw a digit here, or drop a picture of one"


def _turn(a: QPointF, b: QPointF, c: QPointF) -> float:
    """How far the direction a→b turns to b→c, in degrees (0 straight on, 180 back)."""
    first, second = b - a, c - b
    if first.manhattanLength() == 0 or second.manhattanLength() == 0:
        return 0.0
    angle = math.degrees(math.atan2(second.y(), second.x()) - math.atan2(first.y(), first.x()))
    return abs((angle + 180.0) % 360.0 - 180.0)


class DrawingCanvas(QWidget):
    """A square-ish surface to draw a digit on with the mouse or a pen tablet.

    Signals: ``changed`` after any change to the drawing (while drawing too),
    ``strokeFinished`` when the pen is lifted, ``fileDropped(path)`` when a file
    is dropped on the canvas.
    """

    changed = Signal()
    strokeFinished = Signal()
    fileDropped = Signal(str)

    def __init__(self, parent: QWidget | None = None, pen_width: float = 18.0) -> None:
        super().__init__(parent)
        self._pen_width = pen_width
        self._strokes: list[list[Point]] = []
        self._current: list[Point] | None = None  # the stroke being drawn, canvas units
        # A pen touches the tablet: the mouse events a platform may also send are ignored.
        self._tablet_down = False
        self._erased = False  # the eraser removed a stroke since it touched down
        self._picture: Picture | None = None
        self._replacing: Picture | None = None  # the picture the stroke being drawn replaced
        self._lifted_at = -math.inf  # time.monotonic() when the last stroke ended
        # The strokes the last Clear took away: Undo brings them back until the next stroke.
        self._cleared: list[Stroke] = []
        self._cleared_picture: Picture | None = None
        # What Undo took away, latest last, for Redo; a new stroke, Clear or picture ends it.
        self._undone: list[State] = []
        # Paper, picture and finished strokes; the stroke being drawn goes on a copy of
        # it (the backing), so lifting the pen paints one stroke, not the whole drawing.
        self._committed = QImage()
        self._backing = QImage()
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(140, 140)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAcceptDrops(True)
        self.setAccessibleName("Drawing canvas")
        self.changed.connect(self._describe)
        self._describe()

    # --- state -----------------------------------------------------------
    @property
    def is_empty(self) -> bool:
        return not self._strokes and self._current is None and self._picture is None

    @property
    def is_drawing(self) -> bool:
        """The pen is down: a stroke is being drawn."""
        return self._current is not None

    def drew_within(self, seconds: float) -> bool:
        """Whether the pen is down or was lifted less than ``seconds`` ago: the next stroke
        of a digit of several may be on its way."""
        return self.is_drawing or time.monotonic() - self._lifted_at < seconds

    @property
    def has_picture(self) -> bool:
        return self._picture is not None

    @property
    def picture(self) -> Picture | None:
        """The opened picture shown, if any."""
        return self._picture

    def drawing_id(self) -> tuple[int, ...]:
        """The numbers of the finished strokes shown: the same drawing, the same numbers."""
        return tuple(stroke.number for stroke in self._strokes)

    def strokes(self) -> list[list[Point]]:
        """Finished strokes in canvas units: (0, 0) is the centre, 1 is the shorter side."""
        return [list(stroke) for stroke in self._strokes]

    def pen_width(self) -> float:
        return self._pen_width

    def set_pen_width(self, width: float) -> None:
        self._pen_width = width
        self._render_all()

    def clear(self) -> None:
        """Empty the canvas; :meth:`undo` brings the strokes back until the next one."""
        self._undone = []
        if self._strokes or self._picture is not None:
            self._cleared, self._cleared_picture = self._strokes, self._picture
        elif self._replacing is not None:  # the first stroke over a picture, unfinished
            self._cleared, self._cleared_picture = [], self._replacing
        self._replacing = None
        self._strokes = []
        self._current = None
        self._picture = None
        if self._committed.isNull():  # not laid out yet
            self._render_all()
        else:
            self._committed.fill(self._paper_colour())
            self._backing = self._committed.copy()
            self.update()
        self.changed.emit()

    @property
    def can_restore(self) -> bool:
        """Whether :meth:`undo` would bring back the drawing Clear took away."""
        return self.is_empty and (bool(self._cleared) or self._cleared_picture is not None)

    def undo(self) -> None:
        """Remove the last stroke, or the opened picture, bringing back what either took the
        place of; on a canvas emptied by Clear, bring back what it took away. :meth:`redo`
        takes it back. Nothing while the pen is down: the stroke is not finished yet."""
        if self._current is not None:
            return
        before = self._state()
        if self._strokes:
            self._picture = self._strokes.pop().over
        elif self._picture is not None:
            strokes, self._picture = self._picture.over
            self._strokes = list(strokes)
        elif self.can_restore:
            self._strokes, self._picture = self._cleared, self._cleared_picture
            self._cleared, self._cleared_picture = [], None
        else:
            return
        self._undone.append(before)
        self._render_all()
        self.changed.emit()

    @property
    def can_redo(self) -> bool:
        """Whether :meth:`redo` would take back an undo."""
        return bool(self._undone) and self._current is None

    @property
    def redo_clears(self) -> bool:
        """Whether :meth:`redo` would empty the canvas again (it takes back an undone Clear)."""
        return self.can_redo and not self._undone[-1][0] and self._undone[-1][1] is None

    @property
    def redo_opens(self) -> bool:
        """Whether :meth:`redo` would bring back an opened picture that Undo took away."""
        if not self.can_redo:
            return False
        strokes, picture = self._undone[-1][:2]
        return picture is not None and picture is not self._picture and not strokes

    def redo(self) -> None:
        """Take back the last :meth:`undo`: the stroke, picture or Clear it undid."""
        if not self.can_redo:
            return
        strokes, self._picture, cleared, self._cleared_picture = self._undone.pop()
        self._strokes, self._cleared = list(strokes), list(cleared)
        self._render_all()
        self.changed.emit()

    def _state(self) -> State:
        # Copies of the lists, which undo and drawing change; a finished stroke never changes.
        return list(self._strokes), self._picture, list(self._cleared), self._cleared_picture

    def set_picture(self, image: QImage, source: Page) -> None:
        """Show an opened image in place of the drawing, which Undo brings back; drawing
        again replaces it, and Undo brings it back too. ``source``: what recognition reads
        (see :class:`Picture`)."""
        # A picture the pen is drawing over is what this one replaces.
        over = without_past(self._strokes, self._picture or self._replacing)
        self._strokes = []
        self._undone = []
        self._current = self._replacing = None
        self._picture = Picture(image, source, over)
        self._render_all()
        self.changed.emit()

    def image(self) -> np.ndarray:
        """The drawing as 8-bit grey pixels (rows, columns) at device resolution."""
        return grey_pixels(self._backing)

    def snapshot(self) -> QImage:
        """The drawing as shown, without copying or converting it on this thread.

        QImage shares its pixels until one side writes, and the canvas only ever
        writes by painting, which detaches: the snapshot stays as it was, so the
        recognition thread can convert it (:func:`grey_pixels`) while the pen moves on.
        """
        return QImage(self._backing)

    def qimage(self) -> QImage:
        """A copy of the drawing as shown, for saving."""
        return self._backing.copy()

    def sizeHint(self) -> QSize:
        return QSize(320, 320)

    # --- geometry --------------------------------------------------------
    def _side(self) -> float:
        return float(max(1, min(self.width(), self.height())))

    def _to_units(self, pos: QPointF) -> Point:
        side = self._side()
        return ((pos.x() - self.width() / 2) / side, (pos.y() - self.height() / 2) / side)

    def _to_widget(self, point: Point) -> QPointF:
        side = self._side()
        return QPointF(point[0] * side + self.width() / 2, point[1] * side + self.height() / 2)

    def _pen(self) -> QPen:
        width = self._pen_width * self._side() / REFERENCE_SIDE
        pen = QPen(self._ink_colour(), width)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        return pen

    def _ink_colour(self) -> QColor:
        return self.palette().color(QPalette.ColorRole.Text)

    def _paper_colour(self) -> QColor:
        return self.palette().color(QPalette.ColorRole.Base)

    # --- rendering into the backing image ---------------------------------
    def _render_all(self) -> None:
        """Paint everything again from the strokes: after a resize, a palette or pen change."""
        ratio = self.devicePixelRatioF()
        size = self.size() * ratio
        image = QImage(
            max(1, size.width()), max(1, size.height()), QImage.Format.Format_ARGB32_Premultiplied
        )
        image.setDevicePixelRatio(ratio)
        image.fill(self._paper_colour())
        painter = self._painter(image)
        if self._picture is not None:
            self._draw_picture(painter)
        for stroke in self._strokes:
            self._draw_stroke(painter, [self._to_widget(p) for p in stroke])
        painter.end()
        self._committed = image
        self._backing = image.copy()
        if self._current:
            painter = self._painter()
            self._draw_stroke(painter, [self._to_widget(p) for p in self._current])
            painter.end()
        self.update()

    def _commit_stroke(self, stroke: list[Point]) -> None:
        """Paint a finished stroke onto the committed drawing as a smooth curve, in place of
        the straight live segments on the backing; the same pixels a full repaint gives."""
        painter = self._painter(self._committed)
        self._draw_stroke(painter, [self._to_widget(p) for p in stroke])
        painter.end()
        self._backing = self._committed.copy()
        self.update()  # where the live segments were too, which the curve may not cover

    def _painter(self, image: QImage | None = None) -> QPainter:
        painter = QPainter(self._backing if image is None else image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        return painter

    def _draw_picture(self, painter: QPainter) -> None:
        picture = self._picture.image
        scaled = QSize(picture.width(), picture.height()).scaled(
            self.size(), Qt.AspectRatioMode.KeepAspectRatio
        )
        target = QRect(0, 0, scaled.width(), scaled.height())
        target.moveCenter(self.rect().center())
        painter.drawImage(target, picture)

    def _draw_stroke(self, painter: QPainter, points: list[QPointF]) -> QRectF:
        """Paint a whole stroke (or a dot); returns the area touched."""
        pen = self._pen()
        if len(points) == 1:
            return self._draw_dot(painter, points[0], pen)
        path = stroke_path(points)
        painter.strokePath(path, pen)
        return _grown(path.boundingRect(), pen.widthF())

    def _draw_dot(self, painter: QPainter, centre: QPointF, pen: QPen) -> QRectF:
        radius = pen.widthF() / 2
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(pen.color())
        painter.drawEllipse(centre, radius, radius)
        return _grown(QRectF(centre, centre), pen.widthF())

    def _draw_latest_segment(self) -> None:
        """Paint only the segment the last point added: the line from the point before it.

        A fast mouse gives points far apart; the straight segment between them
        keeps the ink continuous however far the pen jumped.
        """
        painter = self._painter()
        area = self._draw_stroke(painter, [self._to_widget(p) for p in self._current[-2:]])
        painter.end()
        self.update(area.toAlignedRect())

    # --- pen input ----------------------------------------------------------
    def _begin(self, pos: QPointF) -> None:
        was_empty = self.is_empty
        # A new drawing: the one cleared before it is gone for good.
        self._cleared, self._cleared_picture = [], None
        self._undone = []  # and what Undo took away cannot come back on top of it
        self._replacing = self._picture  # a new drawing in its place: Undo brings it back
        if self._picture is not None:
            self._picture = None
            self._render_all()
        self._current = [self._to_units(pos)]
        painter = self._painter()
        area = self._draw_dot(painter, pos, self._pen())
        painter.end()
        # The hint goes with the first ink: repaint it away, not just under the pen.
        if was_empty:
            self.update()
        else:
            self.update(area.toAlignedRect())
        self.changed.emit()

    def _add_point(self, pos: QPointF) -> bool:
        """Add ``pos`` to the stroke being drawn and paint it; False if the pen stayed put."""
        point = self._to_units(pos)
        if point == self._current[-1]:
            return False
        self._current.append(point)
        self._draw_latest_segment()
        return True

    def _extend(self, pos: QPointF) -> None:
        if self._current is not None and self._add_point(pos):
            self.changed.emit()

    def _end(self, pos: QPointF) -> None:
        if self._current is None:
            return
        self._add_point(pos)
        stroke = Stroke(self._current, next(_numbers), over=self._replacing)
        self._lifted_at = time.monotonic()
        self._current = self._replacing = None
        self._strokes.append(stroke)
        self._commit_stroke(stroke)
        self.changed.emit()
        self.strokeFinished.emit()

    def _erase_at(self, pos: QPointF) -> None:
        """Remove every finished stroke the eraser's tip touches."""
        reach = (self._pen().widthF() / 2 + ERASER_REACH) / self._side()
        point = self._to_units(pos)
        kept = [stroke for stroke in self._strokes if not touches(stroke, point, reach)]
        if len(kept) < len(self._strokes):
            # The picture the first stroke replaced stays within Undo's reach.
            replaced = self._strokes[0].over
            if replaced is not None and (not kept or kept[0] is not self._strokes[0]):
                if kept:
                    kept[0].over = replaced
                else:
                    self._cleared, self._cleared_picture = [], replaced
            self._strokes = kept
            self._undone = []
            self._erased = True
            self._render_all()
            self.changed.emit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self._tablet_down:
            event.accept()  # the tablet event at the same place drew already
        elif event.button() == Qt.MouseButton.LeftButton:
            self._begin(event.position())
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._tablet_down:
            event.accept()
        elif self._current is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self._extend(event.position())
            event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._tablet_down:
            event.accept()
        elif event.button() == Qt.MouseButton.LeftButton:
            self._end(event.position())
            event.accept()

    def tabletEvent(self, event: QTabletEvent) -> None:
        """The pen's tip draws (at the chosen width: pressure is not used, as MNIST's strokes
        have one width), its eraser end removes the strokes it touches, and its side buttons
        do nothing, like the mouse's right button. Accepting every tablet event stops Qt from
        also sending the mouse events it would synthesise."""
        kind = event.type()
        eraser = event.pointerType() == QPointingDevice.PointerType.Eraser
        if kind == QEvent.Type.TabletPress and event.button() == Qt.MouseButton.LeftButton:
            self._tablet_down, self._erased = True, False
            if eraser:
                self._erase_at(event.position())
            else:
                self._begin(event.position())
        elif kind == QEvent.Type.TabletMove and self._tablet_down:
            if eraser:
                self._erase_at(event.position())
            else:
                self._extend(event.position())
        elif kind == QEvent.Type.TabletRelease and self._tablet_down:
            self._tablet_down = False
            if not eraser:
                self._end(event.position())
            elif self._erased:
                self.strokeFinished.emit()
        event.accept()

    # --- Qt plumbing -----------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        rect = event.rect()
        ratio = self._backing.devicePixelRatio()
        source = QRectF(
            rect.x() * ratio, rect.y() * ratio, rect.width() * ratio, rect.height() * ratio
        )
        painter.drawImage(QRectF(rect), self._backing, source)
        if self.is_empty:
            self._draw_hint(painter)
        self._draw_frame(painter)

    def _draw_hint(self, painter: QPainter) -> None:
        colour = self.palette().color(QPalette.ColorRole.PlaceholderText)
        painter.setPen(colour)
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Draw a digit here")

    def _draw_frame(self, painter: QPainter) -> None:
        """With focus the frame is thicker as well as highlighted: seen without colour."""
        focused = self.hasFocus()
        role = QPalette.ColorRole.Highlight if focused else QPalette.ColorRole.Mid
        width = FOCUS_FRAME if focused else 1
        painter.setPen(QPen(self.palette().color(role), width))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        inset = width / 2
        painter.drawRect(QRectF(self.rect()).adjusted(inset, inset, -inset, -inset))

    def _describe(self) -> None:
        """Keep the accessible description in step with the drawing (set only on a change,
        as each change is sent to a screen reader)."""
        state = canvas_state(len(self._strokes), self.is_drawing, self.has_picture)
        if self.accessibleDescription() != state:
            self.setAccessibleDescription(state)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._render_all()
        super().resizeEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.DevicePixelRatioChange, QEvent.Type.PaletteChange):
            self._render_all()
        return super().event(event)

    def focusInEvent(self, event) -> None:
        self.update()
        super().focusInEvent(event)

    def focusOutEvent(self, event) -> None:
        self.update()
        super().focusOutEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _local_file(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = _local_file(event)
        if path is not None:
            event.acceptProposedAction()
            self.fileDropped.emit(path)


def _local_file(event: QDragEnterEvent | QDropEvent) -> str | None:
    urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
    return urls[0].toLocalFile() if urls and urls[0].isLocalFile() else None


def _grown(rect: QRectF, pen_width: float) -> QRectF:
    margin = pen_width / 2 + 2
    return rect.adjusted(-margin, -margin, margin, margin)
