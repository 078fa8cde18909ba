"""The layers of the README's project layout, and what each may import.

| layer | files | may not import |
|---|---|---|
| core | ``digitpad/`` outside ``ui/`` | Qt, torch (and its kin), ``training``, ``digitpad.ui`` |
| ui | ``digitpad/ui/`` | torch (and its kin), ``training`` |
| training | ``training/`` | Qt, ``digitpad.ui`` |

Checked twice: statically, every import statement of every module (those inside
functions too), and, for the app, by importing every module in a fresh interpreter
and looking at what landed in ``sys.modules``.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import digitpad
import training

PACKAGE = Path(digitpad.__file__).parent
UI = PACKAGE / "ui"
TRAINING = Path(training.__file__).parent

QT = ("PySide6", "shiboken6")
TORCH = ("torch", "torchvision", "optuna")
FORBIDDEN = {
    "core": (*QT, *TORCH, "training", "digitpad.ui"),
    "ui": (*TORCH, "training"),
    "training": (*QT, "digitpad.ui"),
}
# The entry point forwards training subcommands to training/ and starts the GUI; each
# import happens inside the function that needs it (the sys.modules checks below make
# sure of that), so `digitpad predict` loads neither.
ALLOWED = {PACKAGE / "__main__.py": {"training", "digitpad.ui"}}


def layer_files(layer: str) -> list[Path]:
    if layer == "core":
        return sorted(p for p in PACKAGE.rglob("*.py") if UI not in p.parents)
    if layer == "ui":
        return sorted(UI.rglob("*.py"))
    return sorted(TRAINING.rglob("*.py"))


def module_name(path: Path) -> str:
    root = PACKAGE if PACKAGE in path.parents else TRAINING
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path) -> set[str]:
    """Every module ``path`` imports (see :func:`imports_in`)."""
    return imports_in(
        path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py"
    )


def imports_in(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module ``source`` imports, as full dotted names; relative imports resolved.

    ``from a import b`` yields both ``a`` and ``a.b`` (b may be a module), and a call
    to ``importlib.import_module`` or ``__import__`` with a literal name counts too.
    """
    package = module.split(".") if is_package else module.split(".")[:-1]
    names = set()
    for node in ast.walk(ast.parse(source, module)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module_from = ".".join([*base, *([node.module] if node.module else [])])
            names.add(module_from)
            names.update(f"{module_from}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                (
                    isinstance(node.func, ast.Name)
                    and node.func.id in ("__import__", "import_module")
                )
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
        ):
            names.add(node.args[0].value)
    return names


def within(name: str, packages) -> set[str]:
    return {p for p in packages if name == p or name.startswith(p + ".")}


def violations(layer: str) -> dict[str, list[str]]:
    offenders = {}
    for path in layer_files(layer):
        allowed = ALLOWED.get(path, set())
        bad = {
            name
            for name in imported_names(path)
            if within(name, FORBIDDEN[layer]) and not within(name, allowed)
        }
        if bad:
            offenders[str(path.relative_to(PACKAGE.parent))] = sorted(bad)
    return offenders


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_module_imports_what_its_layer_forbids(layer):
    assert layer_files(layer), f"no files found for the {layer} layer"
    assert violations(layer) == {}


def test_the_import_scan_sees_every_kind_of_import():
    source = (
        "import PySide6.QtCore\n"
        "from torch import nn\n"
        "from .ui import app\n"
        "from . import images\n"
        "def later():\n"
        "    import importlib\n"
        "    importlib.import_module('optuna')\n"
        "    from training import loop\n"
    )
    names = imports_in(source, "digitpad.some_module")
    assert {"PySide6.QtCore", "torch.nn", "digitpad.ui.app", "optuna", "training.loop"} <= names
    assert "digitpad.images" in names
    assert imports_in("from .. import x", "digitpad.ui.view") >= {"digitpad", "digitpad.x"}
    assert imports_in("from . import x", "digitpad.ui", is_package=True) >= {"digitpad.ui.x"}
    assert within("digitpad.ui.app", FORBIDDEN["core"]) == {"digitpad.ui"}
    assert not within("digitpad.uinput", FORBIDDEN["core"])


def imports_in_a_fresh_interpreter(modules: list[str]) -> set[str]:
    """The top-level packages in sys.modules after importing ``modules`` in a new Python."""
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_importing_every_core_module_loads_no_qt_and_no_torch():
    modules = [module_name(p) for p in layer_files("core")]
    assert "digitpad.__main__" in modules and "digitpad.cli" in modules
    loaded = imports_in_a_fresh_interpreter(modules)
    assert loaded & {*QT, *TORCH, "training"} == set()


def test_importing_every_app_module_loads_no_torch():
    modules = [module_name(p) for p in layer_files("core") + layer_files("ui")]
    loaded = imports_in_a_fresh_interpreter(modules)
    assert "PySide6" in loaded  # the ui layer did load
    assert loaded & {*TORCH, "training"} == set()
