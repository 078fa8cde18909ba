"""Bring the app's compiled bytecode up to date before a start-up measurement.

An installed app starts from bytecode (pip compiles it on install, and the
bundle holds nothing else), but a checkout run with PYTHONDONTWRITEBYTECODE
set, or just edited, compiles every changed module from source on each start:
tens of milliseconds a bare Qt window never pays.
"""

from __future__ import annotations

import compileall
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "digitpad"


def compile_app() -> bool:
    """Compile ``digitpad/`` where its bytecode is stale; False if some could not be written."""
    return bool(compileall.compile_dir(APP, quiet=1))
