"""The one architectural rule: the app never imports torch (nor anything of training/)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import digitpad

FORBIDDEN = ("torch", "torchvision", "optuna", "training")
# The entry point forwards training subcommands to a fresh import of training/,
# which only ever happens in the training child process.
ALLOWED = {"__main__.py": {"training"}}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_app_modules_never_import_torch_or_training():
    package = Path(digitpad.__file__).parent
    offenders = {}
    for path in sorted(package.rglob("*.py")):
        bad = (imported_roots(path) & set(FORBIDDEN)) - ALLOWED.get(path.name, set())
        if bad:
            offenders[str(path.relative_to(package))] = sorted(bad)
    assert offenders == {}


def test_importing_every_app_module_loads_no_torch():
    package = Path(digitpad.__file__).parent
    modules = [
        "digitpad." + ".".join(p.relative_to(package).with_suffix("").parts)
        for p in package.rglob("*.py")
        if p.name != "__init__.py"
    ]
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "sys.exit(3 if 'torch' in sys.modules else 0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
