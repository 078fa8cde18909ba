"""The PyInstaller bundle, built from a clean copy of the tree, works as users meet it.

One build per module (several minutes): then the packaged launcher runs its
self-test, prints its version, opens the window offscreen and quits by itself,
and retrains a model through its hidden ``train`` subcommand, which is how the
app starts training when there is no separate Python.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from digitpad import __version__
from digitpad.model_file import load_model
from digitpad.networks import ARCHITECTURES

REPO = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.packaging, pytest.mark.timeout(1800)]


def clean_copy(destination: Path) -> Path:
    """The files git tracks or would track (no build output, venv or caches)."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=REPO,
            check=True,
            capture_output=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The built ``DigitPad/`` folder, removed afterwards (it holds gigabytes)."""
    root = tmp_path_factory.mktemp("packaging")
    source = clean_copy(root / "src")
    started = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            str(source / "packaging" / "build.py"),
            "--distpath",
            str(root / "dist"),
            "--workpath",
            str(root / "build"),
        ],
        cwd=source,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"bundle built in {time.perf_counter() - started:.0f} s, {report['bytes'] / 1e9:.2f} GB")
    yield Path(report["bundle"])
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def app_env(tmp_path: Path) -> dict[str, str]:
    """An environment with no display and a private home, so user settings stay untouched."""
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "share"),
    )
    env.pop("PYTHONPATH", None)
    return env


def launch(
    bundle: Path, *args: str, env: dict[str, str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    launcher = bundle / ("DigitPad.exe" if sys.platform == "win32" else "DigitPad")
    return subprocess.run(
        [str(launcher), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def last_json_line(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def test_self_test_recognises_every_drawing_with_each_bundled_model(
    bundle: Path,
    app_env: dict[str, str],
    tmp_path: Path,
) -> None:
    result = launch(bundle, "--self-test", env=app_env, cwd=tmp_path)
    report = last_json_line(result.stdout)
    assert result.returncode == 0, report
    assert report["ok"] is True
    assert report["failures"] == []
    assert set(report["models"]) == set(ARCHITECTURES)
    for scores in report["models"].values():
        assert scores["right"] == scores["of"] > 0


def test_version_is_the_package_version(
    bundle: Path,
    app_env: dict[str, str],
    tmp_path: Path,
) -> None:
    result = launch(bundle, "--version", env=app_env, cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"DigitPad {__version__}"


def test_window_comes_up_offscreen_and_quits_cleanly(
    bundle: Path,
    app_env: dict[str, str],
    tmp_path: Path,
) -> None:
    report = tmp_path / "startup.txt"
    result = launch(
        bundle, env={**app_env, "DIGITPAD_STARTUP_REPORT": str(report)}, cwd=tmp_path, timeout=60
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Traceback" not in result.stderr
    events = [line.split()[0] for line in report.read_text().splitlines()]
    assert events == ["window", "ready"]


def test_retraining_through_the_launcher_writes_a_loadable_model(
    bundle: Path,
    app_env: dict[str, str],
    tmp_path: Path,
    mnist_folder: Path,
) -> None:
    out = tmp_path / "retrained.npz"
    result = launch(
        bundle,
        "train",
        "--data",
        str(mnist_folder),
        "--epochs",
        "1",
        "--device",
        "cpu",
        "--progress",
        "jsonl",
        "--cache",
        str(tmp_path / "cache"),
        "--out",
        str(out),
        env=app_env,
        cwd=tmp_path,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert last_json_line(result.stdout)["event"] == "done"
    model = load_model(out)
    assert model.arch in ARCHITECTURES


def test_search_through_the_launcher_keeps_its_study_and_writes_the_best_model(
    bundle: Path,
    app_env: dict[str, str],
    tmp_path: Path,
    mnist_folder: Path,
) -> None:
    out = tmp_path / "best.npz"
    study = tmp_path / "study.db"
    result = launch(
        bundle,
        "search",
        "--data",
        str(mnist_folder),
        "--trials",
        "1",
        "--epochs",
        "1",
        "--final-epochs",
        "1",
        "--device",
        "cpu",
        "--progress",
        "jsonl",
        "--storage",
        f"sqlite:///{study}",
        "--cache",
        str(tmp_path / "cache"),
        "--out",
        str(out),
        env=app_env,
        cwd=tmp_path,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert last_json_line(result.stdout)["event"] == "done"
    assert study.is_file()
    assert load_model(out).arch in ARCHITECTURES


def test_bundle_leaves_out_what_the_app_never_uses(bundle: Path) -> None:
    names = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*")}
    assert not (bundle / "_internal" / "triton").exists()  # torch.compile's GPU compiler
    assert not (bundle / "_internal" / "tkinter").exists()
    assert not [n for n in names if n.endswith((".h", ".hpp", ".a", ".pyi"))]
    assert not [n for n in names if "/translations/" in n]
    assert not [n for n in names if "libQt6Quick" in n or "libQt6Qml" in n]


def test_bundle_carries_resources_icon_and_desktop_entry(bundle: Path) -> None:
    internal = bundle / "_internal" / "resources"
    for arch in ARCHITECTURES:
        assert (internal / "models" / f"{arch}.npz").is_file()
    assert (internal / "icons" / "digitpad.png").is_file()
    if sys.platform.startswith("linux"):
        desktop = (bundle / "DigitPad.desktop").read_text()
        assert f"Exec={bundle.resolve()}/DigitPad" in desktop
        assert (bundle / "digitpad.png").is_file()
