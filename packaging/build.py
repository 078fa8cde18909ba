"""``python packaging/build.py``: build the PyInstaller bundle ``dist/DigitPad/``.

One command for people and for the packaging test: runs PyInstaller on
``packaging/DigitPad.spec`` with the running interpreter, then places the icon
and, on Linux, a ``.desktop`` file (pointing at the bundle's absolute path)
beside the launcher. Ends with one JSON line: where the bundle is, its size and
how long the build took.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

PACKAGING = Path(__file__).resolve().parent
ROOT = PACKAGING.parent
SPEC = PACKAGING / "DigitPad.spec"
sys.path.insert(0, str(PACKAGING))

from icon import app_icon  # noqa: E402


def launcher_name() -> str:
    return "DigitPad.exe" if sys.platform == "win32" else "DigitPad"


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def write_desktop_file(bundle: Path, icon: Path) -> Path:
    """Copy the icon into the bundle and write ``DigitPad.desktop`` naming its paths."""
    shutil.copy2(icon, bundle / "digitpad.png")
    text = (PACKAGING / "digitpad.desktop").read_text().replace("@APPDIR@", str(bundle.resolve()))
    desktop = bundle / "DigitPad.desktop"
    desktop.write_text(text)
    desktop.chmod(0o755)
    return desktop


def build(distpath: Path, workpath: Path, clean: bool = False) -> dict:
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        str(SPEC),
        "--noconfirm",
        "--distpath",
        str(distpath),
        "--workpath",
        str(workpath),
        "--log-level",
        "WARN",
    ]
    if clean:
        command.append("--clean")
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    bundle = distpath / "DigitPad"
    if sys.platform.startswith("linux"):
        icon, _ = app_icon(workpath)
        write_desktop_file(bundle, icon)
    return {
        "bundle": str(bundle),
        "launcher": str(bundle / launcher_name()),
        "bytes": folder_size(bundle),
        "build_seconds": round(seconds, 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--distpath", type=Path, default=ROOT / "dist")
    parser.add_argument("--workpath", type=Path, default=ROOT / "build")
    parser.add_argument("--clean", action="store_true", help="empty PyInstaller's caches first")
    args = parser.parse_args(argv)
    try:
        report = build(args.distpath.resolve(), args.workpath.resolve(), args.clean)
    except subprocess.CalledProcessError as exc:
        print(json.dumps({"error": f"PyInstaller failed with status {exc.returncode}"}))  # noqa: T201
        return 1
    print(json.dumps(report))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
