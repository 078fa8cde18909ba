"""Find files from the top-level ``resources/`` wherever DigitPad runs.

An installed wheel and an editable install expose it as the package
``digitpad.resources`` (see ``pyproject.toml``); a PyInstaller bundle carries it
as ``resources/`` beside the code; a plain source checkout has it at the root.
"""

from __future__ import annotations

import sys
from pathlib import Path

from digitpad.networks import DEFAULT_ARCH


def resources_dir() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    checkout = Path(__file__).resolve().parent.parent / "resources"
    if (checkout / "models").is_dir():  # a source checkout or an editable install
        return checkout
    from importlib import resources  # an installed wheel (and 10 ms of imports)

    try:
        return Path(str(resources.files("digitpad.resources")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "resources"


def bundled_model_path(arch: str = DEFAULT_ARCH) -> Path:
    return resources_dir() / "models" / f"{arch}.npz"


def replay_path() -> Path:
    """Ordinary digits that "Learn my handwriting" mixes with the user's corrections."""
    return resources_dir() / "replay.npz"


def icon_path() -> Path:
    return resources_dir() / "icons" / "digitpad.png"
