"""Make the README's screenshot: the window recognising a continental writer's digit.

    python docs/screenshot.py [--unipen FILE] [--org gmd] [--label 1] [--index 0]
        [--why] [--dark] [--out docs/screenshot.png]

The digit is one UniPen record drawn on the canvas with the mouse's own path
(the canvas receives the strokes as mouse events), so the picture shows what a
person would see. Runs offscreen; nothing of the user's is read or written.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unipen", default="../shared/data/unipen-digits/dev.json.gz")
    parser.add_argument("--org", default="gmd")
    parser.add_argument("--label", type=int, default=1)
    parser.add_argument("--index", type=int, default=0)
    parser.add_argument("--why", action="store_true", help="with 'Why this answer' on")
    parser.add_argument("--dark", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshot.png"))
    args = parser.parse_args()
    records = json.loads(gzip.decompress(Path(args.unipen).read_bytes()))
    chosen = [r for r in records if r["org"] == args.org and r["label"] == args.label]
    strokes = chosen[args.index]["strokes"]
    os.environ["DIGITPAD_DATA_DIR"] = tempfile.mkdtemp(prefix="digitpad-shot-")

    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QColor, QPalette
    from ui_helpers import draw_sketch

    from digitpad.ui.app import create_application
    from digitpad.ui.main_window import MainWindow
    from digitpad.ui.settings import Settings

    app = create_application([])
    if args.dark:
        app.setStyle("Fusion")
        # Built from the button and window colours, so that the roles not set below (the
        # light and dark edges Fusion draws radio buttons and frames with) suit them too.
        palette = QPalette(QColor("#3a3a3a"), QColor("#2b2b2b"))
        for role, colour in (
            (QPalette.ColorRole.Window, "#2b2b2b"),
            (QPalette.ColorRole.WindowText, "#e6e6e6"),
            (QPalette.ColorRole.Base, "#1e1e1e"),
            (QPalette.ColorRole.AlternateBase, "#333333"),
            (QPalette.ColorRole.Text, "#e6e6e6"),
            (QPalette.ColorRole.Button, "#3a3a3a"),
            (QPalette.ColorRole.ButtonText, "#e6e6e6"),
            (QPalette.ColorRole.Highlight, "#3d7bd9"),
            (QPalette.ColorRole.HighlightedText, "#ffffff"),
            (QPalette.ColorRole.PlaceholderText, "#8a8a8a"),
        ):
            palette.setColor(role, QColor(colour))
        app.setPalette(palette)
    window = MainWindow(Settings())
    window.resize(780, 520)
    window.show()
    window.start()
    window.settings.correction_hint_shown = True  # the screenshot shows the answer alone

    def draw() -> None:
        window.why_check.setChecked(args.why)
        draw_sketch(window.canvas, strokes)
        QTimer.singleShot(800, save)

    def save() -> None:
        window.grab().save(args.out)
        print(f"{args.out}: {window.result_label.text()}")  # noqa: T201
        app.quit()

    window.modelReady.connect(lambda: QTimer.singleShot(300, draw))
    app.exec()


if __name__ == "__main__":
    main()
