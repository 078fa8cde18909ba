"""``python packaging/build.py [--cpu]``: build the PyInstaller bundle ``dist/DigitPad[-cpu]/``.

One command for people and for the packaging tests. Without ``--cpu`` it runs
PyInstaller on ``packaging/DigitPad.spec`` with the running interpreter, so the
bundle carries whatever torch that environment has (the CUDA build, from PyPI
on Linux). With ``--cpu`` it first makes (or reuses) a virtual environment of
its own, ``build/venv-cpu``, holding a CPU-only torch, the project and
PyInstaller but no torchvision, and builds ``dist/DigitPad-cpu/`` from it.

Before PyInstaller runs, ``packaging/trace_imports.py`` runs the training
child's commands (train, evaluate, search, adapt) on a tiny made-up data set in
that environment and records which torch modules they import: the spec keeps
only those of torch's big optional packages (see ``TRIMMED`` in the spec).
Then the icon and, on Linux, a ``.desktop`` file (pointing at the bundle's
absolute path) are placed beside the launcher. Ends with one JSON line: where
the bundle is, its size, how long the build took and what the trimming saved.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

PACKAGING = Path(__file__).resolve().parent
ROOT = PACKAGING.parent
SPEC = PACKAGING / "DigitPad.spec"
sys.path.insert(0, str(PACKAGING))
sys.path.insert(1, str(ROOT))  # digitpad.desktop_entry, also from a checkout not installed

from icon import app_icon  # noqa: E402

# PyTorch's own index of CPU-only wheels (Linux, Windows and macOS); PyPI's Linux
# wheels are the CUDA build, which pulls about 3 GB of NVIDIA libraries.
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
MARKER = "digitpad-build.json"  # what a build venv holds, so a later build can reuse it


class BuildError(Exception):
    """A build step failed; the message says which and why."""


def launcher_name() -> str:
    return "DigitPad.exe" if sys.platform == "win32" else "DigitPad"


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def write_desktop_file(bundle: Path, icon: Path) -> Path:
    """Copy the icon into the bundle and write ``DigitPad.desktop`` naming its paths.

    The paths are where the bundle is built; a bundle moved elsewhere puts itself in
    the menu with ``DigitPad --install-desktop-entry`` (``digitpad/desktop_entry.py``).
    """
    from digitpad.desktop_entry import entry_text

    shutil.copy2(icon, bundle / "digitpad.png")
    app = bundle.resolve()
    text = entry_text([app / launcher_name()], app / "digitpad.png")
    desktop = bundle / "DigitPad.desktop"
    desktop.write_text(text, encoding="utf-8")
    desktop.chmod(0o755)
    return desktop


# --- the CPU build's virtual environment ---------------------------------------------------


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def project_requirements() -> tuple[str, list[str]]:
    """(torch's pinned version, the other requirements of the ``train`` and ``package`` extras).

    Read from ``pyproject.toml`` so the CPU environment never drifts from it;
    torch and torchvision are left out (torch is chosen separately, torchvision
    only serves the MNIST download, which the CPU bundle does without).
    """
    text = (ROOT / "pyproject.toml").read_text()
    try:
        import tomllib
    except ImportError:  # Python 3.10
        from pip._vendor import tomli as tomllib
    extras = tomllib.loads(text)["project"]["optional-dependencies"]
    torch_pin, others = "", []
    for requirement in [*extras["train"], *extras["package"]]:
        name = re.split(r"[<>=!~\[;\s]", requirement, maxsplit=1)[0].lower()
        if name == "torch":
            torch_pin = requirement.partition("==")[2].strip()
        elif name not in ("torchvision", "digitpad"):
            others.append(requirement)
    return torch_pin, others


def pip(python: Path, *args: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
    command = [str(python), "-m", "pip", *args]
    done = subprocess.run(command, capture_output=capture, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or "")[-2000:] if capture else ""
        raise BuildError(f"{' '.join(command)} failed with status {done.returncode}\n{tail}")
    return done


def torch_candidate(python: Path, requirement: str, index: str | None) -> dict | None:
    """What ``pip install requirement`` would fetch, if it is a CPU-only torch, else None.

    A dry run with a report: a CUDA build names its CUDA in its version
    (``+cu126``) or requires NVIDIA's packages (PyPI's Linux wheels).
    """
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        args = ["install", "--dry-run", "--no-deps", "--quiet", "--report", str(report)]
        args += ["--retries", "1", "--timeout", "20", requirement]
        args += ["--index-url", index] if index else []
        try:
            pip(python, *args, capture=True)
        except BuildError:
            return None
        found = json.loads(report.read_text())["install"]
    if not found:
        return None
    metadata = found[0]["metadata"]
    version = metadata["version"]
    requires = [r.lower() for r in metadata.get("requires_dist") or []]
    if re.search(r"\+(cu|rocm)", version) or any(r.startswith("nvidia-") for r in requires):
        return None
    wheel = requirement.endswith(".whl")  # a wheel file is installed as itself
    return {
        "requirement": requirement if wheel else f"torch=={version}",
        "index": index,
        "url": found[0]["download_info"],
    }


def local_cpu_versions(python: Path) -> list[str]:
    """Versions of torch tagged ``+cpu`` that pip's configured sources offer, newest first."""
    done = subprocess.run(
        [str(python), "-m", "pip", "index", "versions", "torch"],
        capture_output=True,
        text=True,
        check=False,
    )
    line = next((x for x in done.stdout.splitlines() if "Available versions:" in x), "")
    versions = [v.strip() for v in line.partition(":")[2].split(",")]
    return [v for v in versions if v.endswith("+cpu")]


def choose_torch(python: Path, requirement: str | None, index: str) -> dict:
    """The CPU-only torch to install: the one asked for, or the first CPU build found.

    ``index`` is ``auto`` (PyTorch's CPU index, then pip's own sources), ``none``
    (pip's own sources only) or an index URL. Without ``requirement`` the
    version pinned in ``pyproject.toml`` is tried first, then the newest
    ``+cpu`` build pip's sources hold (a local wheel folder, say).
    """
    pin, _ = project_requirements()
    indexes = {"auto": [CPU_INDEX, None], "none": [None]}.get(index, [index])
    tried = []
    requirements = [requirement] if requirement else [f"torch=={pin}"]
    for wanted in requirements:
        for url in indexes:
            tried.append(f"{wanted} from {url or 'pip sources'}")
            found = torch_candidate(python, wanted, url)
            if found:
                return found
    if not requirement and index in ("auto", "none"):
        for version in local_cpu_versions(python):
            tried.append(f"torch=={version} from pip sources")
            found = torch_candidate(python, f"torch=={version}", None)
            if found:
                return found
    raise BuildError(
        "no CPU-only torch found (tried: " + "; ".join(tried) + "). Pass --torch "
        f"'torch==X.Y.Z' and --torch-index {CPU_INDEX} (or a local wheel with --torch PATH)"
    )


def ensure_cpu_venv(venv: Path, requirement: str | None, index: str) -> dict:
    """Make or reuse the CPU build's environment; returns what it holds."""
    python = venv_python(venv)
    _, others = project_requirements()
    marker = venv / MARKER
    if python.is_file() and marker.is_file():
        held = json.loads(marker.read_text())
        if held.get("others") == others and (requirement is None or held["torch"] == requirement):
            if held.get("project") != str(ROOT):  # the same environment, another checkout
                pip(python, "install", "--quiet", "--no-deps", "-e", str(ROOT), capture=True)
                held["project"] = str(ROOT)
                marker.write_text(json.dumps(held, indent=1))
            return held
    if not python.is_file():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip(python, "install", "--quiet", "--upgrade", "pip", capture=True)
    torch = choose_torch(python, requirement, index)
    print(f"build: CPU torch {torch['requirement']} from {torch['index'] or 'pip sources'}")  # noqa: T201
    pip(
        python,
        "install",
        "--quiet",
        torch["requirement"],
        *(["--index-url", torch["index"]] if torch["index"] else []),
        capture=True,
    )
    pip(python, "install", "--quiet", "-e", str(ROOT), *others, capture=True)
    check = subprocess.run(
        [
            str(python),
            "-c",
            "import torch, json; print(json.dumps([torch.__version__, torch.version.cuda]))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    version, cuda = json.loads(check.stdout)
    if cuda is not None:
        raise BuildError(f"{venv} holds torch {version} built for CUDA {cuda}, not a CPU build")
    held = {
        "torch": torch["requirement"],
        "torch_version": version,
        "others": others,
        "project": str(ROOT),
    }
    marker.write_text(json.dumps(held, indent=1))
    return held


# --- the build ----------------------------------------------------------------------------


def trace_imports(python: Path, out: Path) -> None:
    """Record the modules the training child imports, in the environment being bundled."""
    done = subprocess.run(
        [str(python), str(PACKAGING / "trace_imports.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise BuildError(f"tracing the training child's imports failed:\n{done.stderr[-3000:]}")


def build(
    distpath: Path,
    workpath: Path,
    clean: bool = False,
    python: Path | None = None,
    name: str = "DigitPad",
    trim: bool = True,
) -> dict:
    python = python or Path(sys.executable)
    started = time.perf_counter()
    trace = workpath / "trace.json"
    report = distpath / f"{name}-trimmed.json"
    spec_args = ["--name", name, "--report", str(report)]
    if trim:
        trace_imports(python, trace)
        spec_args += ["--trace", str(trace)]
    else:
        spec_args.append("--no-strip")
    command = [
        str(python),
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
        *(["--clean"] if clean else []),
        "--",
        *spec_args,
    ]
    done = subprocess.run(command, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise BuildError(f"PyInstaller failed with status {done.returncode}")
    seconds = time.perf_counter() - started
    bundle = distpath / name
    if sys.platform.startswith("linux"):
        icon, _ = app_icon(workpath)
        write_desktop_file(bundle, icon)
    saved = json.loads(report.read_text())["saved"] if report.is_file() else []
    return {
        "bundle": str(bundle),
        "launcher": str(bundle / launcher_name()),
        "bytes": folder_size(bundle),
        "build_seconds": round(seconds, 1),
        "saved_bytes": sum(row["bytes"] for row in saved),
        "trim_report": str(report),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--distpath", type=Path, default=ROOT / "dist")
    parser.add_argument("--workpath", type=Path, default=ROOT / "build")
    parser.add_argument("--clean", action="store_true", help="empty PyInstaller's caches first")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="build dist/DigitPad-cpu from a CPU-only torch in a virtual environment of its own",
    )
    parser.add_argument(
        "--venv", type=Path, help="the CPU build's environment (default <workpath>/venv-cpu)"
    )
    parser.add_argument(
        "--torch",
        help="with --cpu: the torch to install, e.g. 'torch==2.14.1' or a wheel's path "
        "(default: the version pyproject.toml pins, else the newest +cpu build pip finds)",
    )
    parser.add_argument(
        "--torch-index",
        default="auto",
        help=f"with --cpu: where torch comes from: auto ({CPU_INDEX}, then pip's own "
        "sources), none (pip's own sources) or an index URL",
    )
    parser.add_argument(
        "--no-trim",
        action="store_true",
        help="keep all of torch's Python packages and symbol tables (to compare sizes)",
    )
    args = parser.parse_args(argv)
    workpath = args.workpath.resolve()
    try:
        if args.cpu:
            venv = (args.venv or workpath / "venv-cpu").resolve()
            held = ensure_cpu_venv(venv, args.torch, args.torch_index)
            report = build(
                args.distpath.resolve(),
                workpath / "cpu",
                args.clean,
                venv_python(venv),
                "DigitPad-cpu",
                not args.no_trim,
            )
            report["torch"] = held["torch_version"]
            report["venv"] = str(venv)
        else:
            report = build(args.distpath.resolve(), workpath, args.clean, trim=not args.no_trim)
    except (BuildError, subprocess.CalledProcessError) as exc:
        print(json.dumps({"error": str(exc)}))  # noqa: T201
        return 1
    print(json.dumps(report))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
