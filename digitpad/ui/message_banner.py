"""A message strip inside the window for errors and notices: never a blocking dialog."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QWidget,
)

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance
    from PySide6.QtGui import QAccessibleInterface

# Tints mixed into the window colour, so the strip reads well in light and dark themes.
TINTS = {"error": QColor(220, 50, 47), "info": QColor(38, 139, 210)}
# A word-wrapped label is as wide as its longest word: a file name of hundreds of characters
# with nothing to break at would widen the window past the screen.
LONGEST_WORD = 40
# How often a message held for a pause in the drawing looks again whether it may show.
LOOK_AGAIN_MS = 200
_LONG_WORD = re.compile(rf"\S{{{LONGEST_WORD + 1},}}")
_ZERO_WIDTH_SPACE = "\u200b"
# What each level is called and shown with besides its tint, which not everyone can tell apart.
LEVEL_WORDS = {"error": "Error", "info": "Notice"}
# Names in QStyle.StandardPixmap: QStyle is looked up when a message first shows, as making
# its dozen enums costs the window's first frame about 4 ms.
LEVEL_ICONS = {"error": "SP_MessageBoxCritical", "info": "SP_MessageBoxInformation"}


def spoken(text: str, level: str) -> str:
    """The strip's message as a screen reader names it: its level first, as the tint says."""
    return f"{LEVEL_WORDS.get(level, LEVEL_WORDS['info'])}: {text}"


def _alert_interface(key: str, obj: QObject) -> QAccessibleInterface | None:
    """Screen readers are told the strip is an alert (a plain frame would be a "border")."""
    if isinstance(obj, MessageBanner):
        from PySide6.QtGui import QAccessible
        from PySide6.QtWidgets import QAccessibleWidget

        return QAccessibleWidget(obj, QAccessible.Role.AlertMessage)
    return None


_factory_installed = False


def _install_alert_role() -> None:
    """Have screen readers told that every strip is an alert. Before the first strip is
    built: Qt keeps the interface it first makes for a widget, and with a screen reader
    running it makes one as soon as the window is built."""
    global _factory_installed
    if not _factory_installed:
        from PySide6.QtGui import QAccessible

        QAccessible.installFactory(_alert_interface)
        _factory_installed = True


def breakable(text: str) -> str:
    """``text`` with an invisible break opportunity every ``LONGEST_WORD`` characters of any
    word longer than that, so that it wraps within the window."""

    def split(match: re.Match[str]) -> str:
        word = match.group()
        pieces = (word[i : i + LONGEST_WORD] for i in range(0, len(word), LONGEST_WORD))
        return _ZERO_WIDTH_SPACE.join(pieces)

    return _LONG_WORD.sub(split, text)


class MessageBanner(QFrame):
    """Shows one message until closed or replaced; ``level`` is ``"error"`` or ``"info"``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        _install_alert_role()
        super().__init__(parent)
        self._level = "info"
        self._about: str | None = None  # the model a notice speaks of, while it is in use
        self._busy: Callable[[], bool] = lambda: False
        self._waiting = False  # a message is set, to show once not busy
        self._settling: Callable[[], bool] = lambda: False
        self._unbidden = False  # the message waiting also waits for a pause in the drawing
        self._again = QTimer(self)  # the end of a pause has no signal: looked at again
        self._again.setSingleShot(True)
        self._again.setInterval(LOOK_AGAIN_MS)
        self._again.timeout.connect(self._show_if_free)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self._icon = QLabel(self)
        self._label = QLabel(self)
        self._label.setWordWrap(True)
        self._label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._close = QToolButton(self)
        self._close.setText("✕")
        self._close.setAutoRaise(True)
        self._close.setToolTip("Dismiss")
        self._close.setAccessibleName("Dismiss the message")  # not "✕"
        self._close.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self._label, 1)
        layout.addWidget(self._close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def hold_while(
        self,
        busy: Callable[[], bool],
        changed: SignalInstance,
        settling: Callable[[], bool] = lambda: False,
    ) -> None:
        """Wait to show a message while ``busy()``, looked at again on ``changed``: the strip
        pushes the canvas down, which must not move under a pen drawing a stroke. A message
        that comes unbidden (work done in the background) also waits while ``settling()``:
        between two strokes of a digit."""
        self._busy, self._settling = busy, settling
        changed.connect(self._show_if_free)

    def text(self) -> str:
        shown = self.isVisibleTo(self.parentWidget())
        return self._label.text().replace(_ZERO_WIDTH_SPACE, "") if shown else ""

    def level(self) -> str:
        return self._level

    def details(self) -> str:
        """What the message's tooltip adds (where the log is), or ""."""
        return self._label.toolTip() if self.text() else ""

    def about(self) -> str | None:
        """The model source the message describes as in use, or None."""
        return self._about

    def set_about(self, source: str) -> None:
        """The model the message speaks of goes by another name now (renamed in use)."""
        self._about = source

    def show_message(
        self,
        text: str,
        level: str = "error",
        about: str | None = None,
        details: str = "",
        unbidden: bool = False,
    ) -> None:
        """Show ``text``, with ``details`` as its tooltip; ``about`` names the model it says
        is in use, so that the window can take it down once another model is (it would then
        say the opposite of the truth). ``unbidden``: not the answer to what the user just
        did, so it also waits for a pause in the drawing (see :meth:`hold_while`)."""
        self._level = level
        self._about = about
        self._label.setText(breakable(text))
        self._label.setToolTip(details)
        self._apply_tint()
        from PySide6.QtWidgets import QStyle

        side = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize, None, self)
        pixmap = getattr(QStyle.StandardPixmap, LEVEL_ICONS.get(level, LEVEL_ICONS["info"]))
        icon = self.style().standardIcon(pixmap, None, self)
        self._icon.setPixmap(icon.pixmap(side, side))
        self._icon.setAccessibleName(LEVEL_WORDS.get(level, LEVEL_WORDS["info"]))
        self.setAccessibleName(spoken(text, level))
        self._waiting, self._unbidden = True, unbidden
        self._show_if_free()

    def _show_if_free(self) -> None:
        if not self._waiting or self._busy():
            return
        if self._unbidden and self._settling():
            self._again.start()
            return
        self._waiting = False
        self._reveal()

    def _reveal(self) -> None:
        self.show()
        if self._level == "error":
            from PySide6.QtGui import QAccessible, QAccessibleEvent

            QAccessible.updateAccessibility(QAccessibleEvent(self, QAccessible.Event.Alert))

    def dismiss(self) -> None:
        self._waiting = False
        self._again.stop()
        self._about = None
        self._label.clear()
        self._label.setToolTip("")
        self.setAccessibleName("")
        self.hide()

    def _apply_tint(self) -> None:
        base = self.parentWidget().palette() if self.parentWidget() else self.palette()
        window = base.color(QPalette.ColorRole.Window)
        tint = TINTS.get(self._level, TINTS["info"])
        mixed = QColor(
            (window.red() * 3 + tint.red()) // 4,
            (window.green() * 3 + tint.green()) // 4,
            (window.blue() * 3 + tint.blue()) // 4,
        )
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, mixed)
        self.setPalette(palette)
