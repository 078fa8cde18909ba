"""Run a training or search child at low priority, so the desktop it serves stays smooth.

The app starts these processes while the user keeps drawing and predicting; the
operating system's scheduler then gives the GUI the CPU first whenever both want it.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

NICENESS = 10
BELOW_NORMAL_PRIORITY_CLASS = 0x00004000

log = logging.getLogger(__name__)


def add_background_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--background",
        action="store_true",
        help="run at low CPU priority (the app passes this to its children)",
    )


def lower_priority() -> None:
    """Lower this process's CPU priority; a platform that refuses is logged, not fatal."""
    try:
        if sys.platform == "win32":
            import ctypes

            kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
            kernel32.SetPriorityClass(kernel32.GetCurrentProcess(), BELOW_NORMAL_PRIORITY_CLASS)
        else:
            os.nice(NICENESS)
    except (AttributeError, OSError) as exc:
        log.warning("could not lower the process priority: %s", exc)
