"""The app icon: the GUI's own ``resources/icons/digitpad.png``, or a drawn stand-in.

The bundle must always carry an icon (window, launcher, ``.desktop`` file), even
when built from a tree that has none yet; the stand-in is made with Pillow.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
ICON = ROOT / "resources" / "icons" / "digitpad.png"


def draw_fallback_icon(path: Path, size: int = 256) -> Path:
    """A '7' drawn in a rounded square, written to ``path``."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    s = size / 256
    draw.rounded_rectangle((8 * s, 8 * s, 248 * s, 248 * s), radius=48 * s, fill=(40, 90, 200, 255))
    draw.line(
        [(70 * s, 70 * s), (186 * s, 70 * s), (110 * s, 200 * s)],
        fill=(255, 255, 255, 255),
        width=int(24 * s),
        joint="curve",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def app_icon(work_dir: Path) -> tuple[Path, bool]:
    """The icon to use and whether it is the stand-in (made under ``work_dir``)."""
    if ICON.is_file():
        return ICON, False
    return draw_fallback_icon(work_dir / "digitpad.png"), True
