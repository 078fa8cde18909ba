"""Entry point: ``digitpad`` opens the window; subcommands run without one.

``digitpad predict IMAGE...`` recognises image files. ``digitpad train|evaluate|search|adapt``
run the training process: the GUI starts its child processes through this same
entry point, which is what makes retraining work inside the packaged app, where
there is no separate Python. ``--self-test`` checks the bundled models.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import NoReturn

TRAINING_COMMANDS = ("train", "evaluate", "search", "adapt")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "predict":
        from digitpad.cli import predict_main

        return predict_main(args[1:])
    if args and args[0] in TRAINING_COMMANDS:
        from training.cli import main as training_main

        return training_main(args)
    if "--version" in args:
        from digitpad import __version__

        print(f"DigitPad {__version__}")  # noqa: T201
        return 0
    if "--self-test" in args:
        from digitpad.ui.selftest import self_test_main

        return self_test_main(args)
    if "--install-desktop-entry" in args or "--remove-desktop-entry" in args:
        from digitpad.desktop_entry import main as desktop_entry_main

        return desktop_entry_main(args)
    if "-h" in args or "--help" in args:
        print(USAGE)  # noqa: T201
        return 0
    unknown = [word for i, word in enumerate(args) if _unknown_word(args, i)]
    if unknown:
        print(f"digitpad: unknown command {unknown[0]!r}\n\n{USAGE}", file=sys.stderr)  # noqa: T201
        return 2
    stray = [word for word in args if _unknown_option(word)]
    if stray:
        print(f"digitpad: unknown option {stray[0]!r}\n\n{USAGE}", file=sys.stderr)  # noqa: T201
        return 2
    problem = no_display_reason(args)
    if problem:
        print(f"digitpad: {problem}", file=sys.stderr)  # noqa: T201
        return 1
    return gui_main(args)


USAGE = """usage: digitpad [--version | --self-test | -h]
       digitpad --install-desktop-entry | --remove-desktop-entry   (Linux menus)
       digitpad predict [--model FILE | --arch fcnn|cnn] IMAGE...
       digitpad train|evaluate|search|adapt ... (see digitpad COMMAND --help)

Without a command, opens the window (Qt's own options, such as -platform, pass through)."""

# Qt's command-line options (QGuiApplication's, QApplication's and the X11 plugin's), which
# pass through to Qt, with one dash or two. These take the next word as their value:
QT_VALUE_OPTIONS = frozenset(
    {"platform", "platformpluginpath", "platformtheme", "plugin", "qwindowgeometry"}
    | {"qwindowicon", "qwindowtitle", "session", "style", "stylesheet", "display", "geometry"}
    | {"name", "title", "visual", "icon", "qmljsdebugger"}
)
# These take theirs after "=" (-style=fusion):
QT_EQUALS_OPTIONS = frozenset(["style", "stylesheet", "qmljsdebugger"])
QT_FLAGS = frozenset(["reverse", "widgetcount", "nograb", "dograb", "sync", "testability"])


def _qt_option(word: str) -> str | None:
    """The name of the Qt option ``word`` is, or None."""
    if not word.startswith("-"):
        return None
    name, equals, _ = word.lstrip("-").partition("=")
    if equals:
        return name if name in QT_EQUALS_OPTIONS else None
    return name if name in QT_VALUE_OPTIONS or name in QT_FLAGS else None


def _unknown_word(args: list[str], index: int) -> bool:
    """Whether ``args[index]`` is neither an option nor the value of one of Qt's options."""
    if args[index].startswith("-"):
        return False
    before = args[index - 1] if index else ""
    return "=" in before or _qt_option(before) not in QT_VALUE_OPTIONS


def _unknown_option(word: str) -> bool:
    """Whether ``word`` looks like an option but is none of Qt's (Qt would ignore a typo
    such as ``--sefl-test`` and open the window as if nothing was asked)."""
    # macOS once passed Finder-launched apps a process serial number as -psn_...
    return word.startswith("-") and not word.startswith("-psn_") and _qt_option(word) is None


def no_display_reason(args: Sequence[str]) -> str | None:
    """Why the window cannot open here (Linux without a display), or None.

    Qt would abort the process with a core dump and a message about plugins.
    """
    if not sys.platform.startswith("linux") or any(_qt_option(w) == "platform" for w in args):
        return None
    env = os.environ
    if env.get("QT_QPA_PLATFORM") or env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return (
        "no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
        "To recognise image files without a window: digitpad predict IMAGE..."
    )


def gui_main(argv: Sequence[str] | None = None) -> int:
    from digitpad.ui.app import run

    return run(list(sys.argv[1:] if argv is None else argv))


def main_and_exit() -> NoReturn:
    """Run :func:`main` and end the process; a training command ends without tearing torch
    down (see :func:`training.cli.exit_now`), the window through Python's normal exit."""
    code = main()
    if sys.argv[1:2] and sys.argv[1] in TRAINING_COMMANDS:
        from training.cli import exit_now

        exit_now(code)
    sys.exit(code)


if __name__ == "__main__":
    # Run from source only: the bundle enters through packaging/launcher.py, which calls
    # multiprocessing's freeze_support where a frozen child needs it.
    main_and_exit()
