"""DigitPad in the Linux applications menu: the desktop entry, written where the menu looks.

``digitpad --install-desktop-entry`` writes ``digitpad.desktop`` into the user's
applications folder (``$XDG_DATA_HOME/applications``, by default
``~/.local/share/applications``). It names the program that ran the command (the
bundle's launcher, or this Python with ``-m digitpad``) and the icon beside it, so
the menu starts this copy wherever it was unpacked; after moving the bundle, run
it again. ``--remove-desktop-entry`` takes the entry out. The build writes the
same entry beside the bundle (``packaging/build.py``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

FILE_NAME = "digitpad.desktop"
OPTIONS = ("--install-desktop-entry", "--remove-desktop-entry")
# The systems whose menus read XDG desktop entries.
XDG_PLATFORMS = ("linux", "freebsd", "openbsd", "netbsd", "dragonfly")
TEMPLATE = """[Desktop Entry]
Type=Application
Version=1.5
Name=DigitPad
GenericName=Digit Recogniser
Comment=Draw a digit and see which one a neural network reads
Exec={exec}
Icon={icon}
Terminal=false
Categories=Education;Science;Graphics;
Keywords=digit;handwriting;MNIST;neural network;
StartupWMClass=DigitPad
"""
# GLib's GDesktopAppInfo (GNOME's menu, and others built on GLib) looks for the Exec
# line's program before turning its "%%" back into "%", finds no such program and drops
# the entry: `gio launch` says "Unable to load application information" (GLib 2.74).
GLIB_PERCENT = (
    "menus built on GLib, such as GNOME's, do not show an entry whose program's path "
    "has a '%' in it; move the folder to a path without one and run this again"
)


class DesktopEntryError(Exception):
    """The entry could not be written or removed; the message says where and why."""


def desktop_string(text: str) -> str:
    """``text`` as a desktop entry string value: backslash, newline, tab and return escaped."""
    escapes = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
    return "".join(escapes.get(ch, ch) for ch in text)


def exec_value(command: Sequence[str | os.PathLike]) -> str:
    """The ``Exec`` value that runs ``command``: each word quoted, so spaces stay inside it.

    The desktop entry spec: inside double quotes, ``"``, `````, ``$`` and ``\\`` take a
    backslash, ``%`` is written ``%%``, and the whole is then escaped as a string value.
    The app takes no file argument, so there is no ``%f``.
    """
    words = []
    for word in command:
        quoted = "".join("\\" + ch if ch in '"`$\\' else ch for ch in str(word))
        words.append('"' + quoted.replace("%", "%%") + '"')
    return desktop_string(" ".join(words))


def entry_text(command: Sequence[str | os.PathLike], icon: Path) -> str:
    """The whole desktop entry for running ``command`` with ``icon``."""
    return TEMPLATE.format(exec=exec_value(command), icon=desktop_string(str(icon)))


def this_program() -> list[str]:
    """The command that starts this copy of the app: the frozen launcher, or Python -m.

    A virtual environment's ``python`` is a link to the base interpreter, which has
    neither DigitPad nor Qt: the link itself is named, not where it leads.
    """
    if getattr(sys, "frozen", False):
        return [str(Path(sys.executable).resolve())]
    return [os.path.abspath(sys.executable), "-m", "digitpad"]


def applications_dir(env: Mapping[str, str] = os.environ) -> Path:
    """Where the menu looks for the user's entries (the XDG base directory rules)."""
    data_home = env.get("XDG_DATA_HOME", "")
    base = Path(data_home) if os.path.isabs(data_home) else Path.home() / ".local" / "share"
    return base / "applications"


def install(folder: Path, command: Sequence[str | os.PathLike], icon: Path) -> Path:
    """Write (or replace, in one step) the entry in ``folder``; returns its path."""
    from digitpad.atomic import replace_file

    path = folder / FILE_NAME
    try:
        folder.mkdir(parents=True, exist_ok=True)
        replace_file(path, entry_text(command, icon).encode("utf-8"))
    except OSError as exc:
        raise DesktopEntryError(f"could not write {path}: {exc.strerror or exc}") from exc
    return path


def remove(folder: Path) -> bool:
    """Remove the entry from ``folder``; False when there was none."""
    path = folder / FILE_NAME
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise DesktopEntryError(f"could not remove {path}: {exc.strerror or exc}") from exc
    return True


def main(args: Sequence[str]) -> int:
    """``--install-desktop-entry`` or ``--remove-desktop-entry``: one line saying what was done."""
    if not sys.platform.startswith(XDG_PLATFORMS):
        print("digitpad: desktop entries are for Linux and BSD menus", file=sys.stderr)  # noqa: T201
        return 2
    extra = [word for word in args if word not in OPTIONS]
    if extra:
        option = next(word for word in args if word in OPTIONS)
        print(f"digitpad: unexpected {extra[0]!r} with {option}", file=sys.stderr)  # noqa: T201
        return 2
    if all(option in args for option in OPTIONS):
        print(f"digitpad: {' and '.join(OPTIONS)} together: choose one", file=sys.stderr)  # noqa: T201
        return 2
    from digitpad.assets import icon_path

    folder = applications_dir()
    try:
        if "--remove-desktop-entry" in args:
            done = remove(folder)
            print(f"removed {folder / FILE_NAME}" if done else f"no entry in {folder}")  # noqa: T201
        else:
            command = this_program()
            print(f"installed {install(folder, command, icon_path())}")  # noqa: T201
            if "%" in command[0]:
                print(f"digitpad: warning: {GLIB_PERCENT}", file=sys.stderr)  # noqa: T201
    except DesktopEntryError as exc:
        print(f"digitpad: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    return 0
