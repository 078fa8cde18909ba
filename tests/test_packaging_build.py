"""``packaging/build.py --cpu`` picks a CPU-only torch and reuses its environment (no build here).

pip is played by a stand-in interpreter that answers ``pip install --dry-run
--report`` and ``pip index versions`` from a table, so these tests need neither
the network nor a torch download.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "packaging"))

import build  # noqa: E402


def fake_python(tmp_path: Path, offers: dict[str, dict], versions: list[str]) -> Path:
    """An "interpreter" whose pip offers ``offers`` (requirement → metadata) and ``versions``."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    table = tmp_path / "offers.json"
    table.write_text(json.dumps({"offers": offers, "versions": versions}))
    script = tmp_path / "python"
    script.write_text(
        textwrap.dedent(
            f"""\
            #!{sys.executable}
            import json, sys
            table = json.load(open({str(table)!r}))
            args = sys.argv[3:]  # after -m pip
            with open({str(tmp_path / "calls.jsonl")!r}, "a") as log:
                log.write(json.dumps(args) + "\\n")
            if args[:2] == ["index", "versions"]:
                print("torch (9.9)")
                print("Available versions: " + ", ".join(table["versions"]))
                sys.exit(0)
            wanted = next(a for a in args if a.startswith("torch") or a.endswith(".whl"))
            index = args[args.index("--index-url") + 1] if "--index-url" in args else None
            offer = table["offers"].get(f"{{wanted}} {{index}}") or table["offers"].get(wanted)
            if offer is None:
                sys.exit(1)
            report = args[args.index("--report") + 1]
            item = {{"metadata": offer, "download_info": {{"url": "file:///wheel"}}}}
            json.dump({{"install": [item]}}, open(report, "w"))
            """
        )
    )
    script.chmod(0o755)
    return script


CUDA = {"version": "2.14.1", "requires_dist": ["nvidia-cublas==13.1; platform_system == 'Linux'"]}
CUDA_TAGGED = {"version": "2.14.1+cu126", "requires_dist": ["filelock"]}
CPU = {"version": "2.14.1+cpu", "requires_dist": ["filelock", "sympy>=1.13"]}
LOCAL_CPU = {"version": "2.13.0+cpu", "requires_dist": ["filelock"]}


def pin() -> str:
    return build.project_requirements()[0]


def test_requirements_come_from_pyproject_without_torch_and_torchvision() -> None:
    torch_pin, others = build.project_requirements()
    text = (REPO / "pyproject.toml").read_text()
    assert f'"torch=={torch_pin}"' in text
    names = [r.split(">")[0].split("=")[0].split("<")[0].lower() for r in others]
    assert "pyinstaller" in names and "optuna" in names
    assert not {"torch", "torchvision", "digitpad"} & set(names)


def test_a_cuda_build_is_refused_and_a_cpu_build_taken(tmp_path: Path) -> None:
    python = fake_python(tmp_path, {"torch==1.0 https://cuda": CUDA, "torch==1.0": CPU}, [])
    assert build.torch_candidate(python, "torch==1.0", "https://cuda") is None
    found = build.torch_candidate(python, "torch==1.0", None)
    assert found == {
        "requirement": "torch==2.14.1+cpu",
        "index": None,
        "url": {"url": "file:///wheel"},
    }
    tagged = fake_python(tmp_path / "t", {"torch==1.0": CUDA_TAGGED}, [])
    assert build.torch_candidate(tagged, "torch==1.0", None) is None


def test_auto_prefers_pytorchs_cpu_index(tmp_path: Path) -> None:
    offers = {f"torch=={pin()} {build.CPU_INDEX}": CPU, f"torch=={pin()}": CUDA}
    chosen = build.choose_torch(fake_python(tmp_path, offers, []), None, "auto")
    assert chosen["index"] == build.CPU_INDEX
    assert chosen["requirement"] == "torch==2.14.1+cpu"


def test_auto_falls_back_to_the_newest_local_cpu_build(tmp_path: Path) -> None:
    # the CPU index cannot be reached: pip falls back to its own sources, which hold
    # PyPI's CUDA build of the pinned version and an older CPU build on the local disk
    offers = {f"torch=={pin()}": CUDA, "torch==2.13.0+cpu": LOCAL_CPU, "torch==2.12.0+cpu": CPU}
    versions = [pin(), "2.13.0+cpu", "2.13.0", "2.12.0+cpu"]
    chosen = build.choose_torch(fake_python(tmp_path, offers, versions), None, "auto")
    assert chosen == {
        "requirement": "torch==2.13.0+cpu",
        "index": None,
        "url": {"url": "file:///wheel"},
    }


def test_no_cpu_build_anywhere_is_an_error_saying_what_to_pass(tmp_path: Path) -> None:
    python = fake_python(tmp_path, {f"torch=={pin()}": CUDA}, [pin()])
    with pytest.raises(build.BuildError, match="no CPU-only torch found") as caught:
        build.choose_torch(python, None, "auto")
    assert "--torch" in str(caught.value) and build.CPU_INDEX in str(caught.value)


def test_an_asked_for_torch_is_tried_only_where_asked(tmp_path: Path) -> None:
    python = fake_python(tmp_path, {"torch==2.13.0+cpu": LOCAL_CPU}, ["2.12.0+cpu"])
    chosen = build.choose_torch(python, "torch==2.13.0+cpu", "none")
    assert chosen["requirement"] == "torch==2.13.0+cpu"
    calls = [json.loads(line) for line in (tmp_path / "calls.jsonl").read_text().splitlines()]
    assert all("--index-url" not in call for call in calls)
    assert len(calls) == 1


def test_a_ready_environment_is_reused_without_pip(tmp_path: Path, monkeypatch) -> None:
    venv = tmp_path / "venv-cpu"
    python = build.venv_python(venv)
    python.parent.mkdir(parents=True)
    python.write_text("")
    held = {
        "torch": "torch==2.13.0+cpu",
        "torch_version": "2.13.0+cpu",
        "others": build.project_requirements()[1],
        "project": str(build.ROOT),
    }
    (venv / build.MARKER).write_text(json.dumps(held))

    def no_pip(*args, **kwargs):
        raise AssertionError(f"pip was run: {args}")

    monkeypatch.setattr(build, "pip", no_pip)
    assert build.ensure_cpu_venv(venv, None, "auto") == held


def test_a_wheel_file_is_installed_as_itself(tmp_path: Path) -> None:
    wheel = str(tmp_path / "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl")
    python = fake_python(tmp_path / "pip", {wheel: LOCAL_CPU}, [])
    chosen = build.choose_torch(python, wheel, "none")
    assert chosen["requirement"] == wheel


def test_desktop_entry_beside_the_bundle_runs_its_launcher(tmp_path: Path) -> None:
    bundle = tmp_path / "Mes Apps" / "bundle"
    bundle.mkdir(parents=True)
    icon = tmp_path / "icon.png"
    icon.write_bytes(b"png")
    desktop = build.write_desktop_file(bundle, icon).read_text(encoding="utf-8")
    app = str(bundle.resolve())
    assert f'Exec="{app}/{build.launcher_name()}"\n' in desktop
    assert f"Icon={app}/digitpad.png\n" in desktop
    assert (bundle / "digitpad.png").read_bytes() == b"png"
