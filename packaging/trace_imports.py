"""Which modules the training child imports: run by the build in the environment it bundles.

    python packaging/trace_imports.py --out build/trace.json

Runs each thing the app asks of its child process, each in a process of its
own and exactly as the app starts it (``python -m digitpad <command>``), on a
tiny data set drawn in code (:mod:`digitpad.selftest`): a retrain of each
network (with corrections, a teacher to distil from and both progress
formats), an evaluation, a two-trial search kept in SQLite, learning a
handwriting from corrections, and Download MNIST (offline: every connection is
refused, so it fails at once, having imported torchvision where it is installed).
Writes the union of the modules imported (``sys.modules`` at exit) and, where
``/proc`` tells, of the shared libraries loaded. The spec keeps only these
modules of torch's large optional packages.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Runs inside each child: record what was imported when it exits, however it exits.
PROBE = """
import atexit, json, sys
def _record(path=sys.argv[1]):
    libs = []
    try:
        with open("/proc/self/maps") as maps:
            libs = sorted({line.split()[-1] for line in maps if ".so" in line})
    except OSError:
        pass
    with open(path, "w") as out:
        json.dump({"modules": sorted(sys.modules), "libraries": libs}, out)
atexit.register(_record)
args = sys.argv[2:]
sys.argv = ["digitpad", *args]
from digitpad.__main__ import main
code = main(args)
sys.stdout.flush()
sys.exit(code)
"""


def commands(tmp: Path) -> list[list[str]]:
    from digitpad.assets import bundled_model_path
    from digitpad.selftest import write_corrections, write_synthetic_mnist

    data = str(write_synthetic_mnist(tmp / "mnist", n_train=200, n_test=50))
    corrections = str(write_corrections(tmp / "corrections"))
    cache = ["--cache", str(tmp / "cache")]
    common = ["--data", data, "--epochs", "1", *cache, "--progress", "jsonl", "--background"]
    return [
        [
            "train",
            *common,
            "--arch",
            "fcnn",
            "--corrections",
            corrections,
            "--corrections-weight",
            "2",
            "--teacher",
            str(bundled_model_path("fcnn")),
            "--out",
            str(tmp / "fcnn.npz"),
        ],
        [
            "train",
            "--data",
            data,
            "--epochs",
            "1",
            *cache,
            "--arch",
            "cnn",
            "--progress",
            "tqdm",
            "--out",
            str(tmp / "cnn.npz"),
        ],
        ["evaluate", "--data", data, "--model", str(tmp / "fcnn.npz"), *cache],
        [
            "search",
            "--data",
            data,
            "--trials",
            "2",
            "--epochs",
            "1",
            "--final-epochs",
            "1",
            "--storage",
            f"sqlite:///{tmp / 'study.db'}",
            *cache,
            "--progress",
            "jsonl",
            "--out",
            str(tmp / "best.npz"),
        ],
        [
            "adapt",
            "--model",
            "fcnn",
            "--corrections",
            corrections,
            "--data",
            data,
            "--steps",
            "5",
            *cache,
            "--progress",
            "jsonl",
            "--out",
            str(tmp / "adapted.npz"),
        ],
        # Download MNIST, where torchvision is installed: with every connection refused
        # (see OFFLINE) it fails at once, after importing what the download imports.
        ["train", "--data", str(tmp / "download"), "--download", *cache, "--progress", "jsonl"],
    ]


# Proxies that refuse every connection: the download command fails without the network.
OFFLINE = {
    key: "http://127.0.0.1:9" for key in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")
}


def failed_as_expected(args: list[str], stdout: str) -> bool:
    """The download command's end: an error event about the network or the data folder."""
    if "--download" not in args:
        return False
    try:
        last = json.loads(stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return False
    return last.get("event") == "error" and last.get("kind") in ("network", "data")


def trace(out: Path) -> dict:
    modules: set[str] = set()
    libraries: set[str] = set()
    ran = []
    with tempfile.TemporaryDirectory(prefix="digitpad-trace-") as name:
        tmp = Path(name)
        env = dict(
            os.environ,
            HOME=str(tmp),
            XDG_DATA_HOME=str(tmp / "share"),
            XDG_CONFIG_HOME=str(tmp / "config"),
            PYTHONPATH=str(ROOT),
        )
        for i, args in enumerate(commands(tmp)):
            record = tmp / f"trace-{i}.json"
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", PROBE, str(record), *args],
                env={**env, **OFFLINE, "no_proxy": ""} if "--download" in args else env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if done.returncode != 0 and not failed_as_expected(args, done.stdout):
                raise SystemExit(
                    f"trace: `digitpad {' '.join(args[:1])}` failed ({done.returncode}):\n"
                    + (done.stdout[-1500:] + done.stderr[-1500:])
                )
            seen = json.loads(record.read_text())
            modules.update(seen["modules"])
            libraries.update(Path(p).name for p in seen["libraries"])
            ran.append({"command": args[0], "seconds": round(time.perf_counter() - started, 1)})
    result = {
        "python": sys.executable,
        "ran": ran,
        "modules": sorted(modules),
        "libraries": sorted(libraries),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=0))
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    result = trace(args.out)
    torch_modules = sum(m.split(".")[0] == "torch" for m in result["modules"])
    summary = {"trace": str(args.out), "torch_modules": torch_modules, "ran": result["ran"]}
    print(json.dumps(summary))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
