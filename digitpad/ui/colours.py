"""The colours DigitPad adds to the palette's own, in a light and a dark variant each.

Widgets ask here by name at paint time, with their current palette, so every
chart line, error text and tint follows a switch between light and dark themes.
Each pair was chosen for a contrast of at least 3:1 against the palette's base
colour (4.5:1 for text), which ``tests/test_ui_palette.py`` checks.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QWidget

# name: (on a light background, on a dark background)
COLOURS: dict[str, tuple[str, str]] = {
    "loss": ("#c9302c", "#ff8a80"),
    "accuracy": ("#1f6fc5", "#82b1ff"),
    "best": ("#2e7d32", "#81c784"),
    "muted": ("#767676", "#9e9e9e"),
    "error": ("#b00020", "#ff8a80"),
}


# Why this answer's tint, the same in every theme: not the theme's highlight, which may be
# red or orange itself. Both stand out on the model's picture (white on black), and from
# each other for the colour-blind (blue against red).
WHY_TOWARD = "#2878ff"
WHY_AGAINST = "#e63c32"


def is_dark(palette: QPalette) -> bool:
    """Whether the palette draws light text on a dark window."""
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def colour(name: str, palette: QPalette) -> QColor:
    """The colour ``name`` (a key of :data:`COLOURS`) for ``palette``."""
    light, dark = COLOURS[name]
    return QColor(dark if is_dark(palette) else light)


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours, 1 (none) to 21 (black on white)."""

    def luminance(c: QColor) -> float:
        def channel(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return (
            0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())
        )

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# Each text role and the background it is drawn on.
TEXT_ON = {
    QPalette.ColorRole.WindowText: QPalette.ColorRole.Window,
    QPalette.ColorRole.Text: QPalette.ColorRole.Base,
    QPalette.ColorRole.ButtonText: QPalette.ColorRole.Button,
}
# Disabled text below this contrast with its background cannot be read.
DISABLED_LEGIBLE = 2.5


def with_readable_disabled(palette: QPalette) -> QPalette:
    """``palette`` with disabled text (and hints in empty fields) that look it and can still
    be read.

    A hand-made palette (``setColor`` without a group, as dark themes are often
    made) gives disabled text the enabled colour, so nothing looks disabled; one
    that sets only the active colours keeps the light theme's disabled grey, which
    vanishes on a dark background. Either gets text halfway to its background.
    """
    fixed = QPalette(palette)
    groups = QPalette.ColorGroup
    for text, background in TEXT_ON.items():
        enabled = palette.color(groups.Active, text)
        disabled = palette.color(groups.Disabled, text)
        behind = palette.color(groups.Disabled, background)
        if disabled == enabled or contrast(disabled, behind) < DISABLED_LEGIBLE:
            fixed.setColor(groups.Disabled, background, palette.color(groups.Active, background))
            fixed.setColor(groups.Disabled, text, mix(enabled, palette.color(background), 0.5))
    # Hints in empty fields ("folder with train-images…"): a palette that sets only the
    # main colours keeps the light theme's dark grey, which vanishes on a dark field.
    roles = QPalette.ColorRole
    base, text = palette.color(roles.Base), palette.color(roles.Text)
    if contrast(palette.color(roles.PlaceholderText), base) < DISABLED_LEGIBLE:
        for group in (groups.Active, groups.Inactive, groups.Disabled):
            fixed.setColor(group, roles.PlaceholderText, mix(text, base, 0.45))
    return fixed


def mix(a: QColor, b: QColor, share_of_b: float) -> QColor:
    """The colour ``share_of_b`` of the way from ``a`` to ``b``."""
    return QColor.fromRgbF(
        *(x + (y - x) * share_of_b for x, y in zip(a.getRgbF()[:3], b.getRgbF()[:3], strict=True))
    )


def make_disabled_readable() -> None:
    """Give the application palette readable disabled colours (see :func:`with_readable_disabled`).

    Set on the application, not a window, so menus and dialogs, which are windows of
    their own and do not inherit a window's palette, get it too.
    """
    app = QApplication.instance()
    if app is None:
        return
    fixed = with_readable_disabled(app.palette())
    if fixed != app.palette():
        app.setPalette(fixed)


class ErrorLabel(QLabel):
    """Selectable, wrapped text in the error colour of the current palette."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._recolour()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._recolour()

    def _recolour(self) -> None:
        palette = self.palette()
        wanted = colour("error", palette)
        if palette.color(QPalette.ColorRole.WindowText) != wanted:
            palette.setColor(QPalette.ColorRole.WindowText, wanted)
            self.setPalette(palette)
