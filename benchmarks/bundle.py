"""Figures for the packaged app: size, what the trimming saved, start-up against a bare window.

    python benchmarks/bundle.py [--bundle dist/DigitPad-cpu --bundle dist/DigitPad] [--runs 5]

For each bundle (by default every one of ``dist/DigitPad`` and ``dist/DigitPad-cpu``
that exists):

Size: ``du`` of the whole folder, and its five largest parts (a part is a
top-level package or library inside the bundle, e.g. ``torch`` or ``nvidia``).
Trimming: each exclusion the spec made and what it saved, from the
``<bundle>-trimmed.json`` file ``packaging/build.py`` writes beside the bundle.
Start-up: wall time from launching the packaged app to its window first being
exposed, read from the ``DIGITPAD_STARTUP_REPORT`` file the app writes (it then
quits by itself). The baseline is a bare PySide6 ``QMainWindow``, started the
same way in the same run by the Python interpreter of this benchmark (not
frozen: it is the least any PySide6 app can take on this machine), its runs
interleaved with the app's. The first launch is made cold on Linux by asking
the kernel to drop the bundle's files, and PySide6's files for the bare
window, from the page cache (``posix_fadvise``; nothing else is evicted, no
root needed); later launches find them cached. Self-test: wall time of the whole
``DigitPad --self-test`` process (drawings, a one-epoch retrain through the
launcher, the swap to the new model). Uses ``QT_QPA_PLATFORM=offscreen``
unless a display is set. Ends with the goals table and a JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from startup import BARE  # the same bare PySide6 window the source app is measured against

ROOT = Path(__file__).resolve().parent.parent
MB = 1e6
CPU_GOAL_MB, CPU_MOONSHOT_MB, CUDA_SAVING_GOAL_MB = 700, 500, 300
FIRST_GOAL, LATER_GOAL = 2.0, 1.5


def du_bytes(path: Path) -> int:
    """Disk usage of ``path`` as ``du`` reports it (bytes), or the sum of file sizes without du."""
    if shutil.which("du"):
        done = subprocess.run(
            ["du", "-s", "--block-size=1", str(path)], capture_output=True, text=True, check=False
        )
        if done.returncode == 0:
            return int(done.stdout.split()[0])
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def part_sizes(bundle: Path) -> Counter[str]:
    """Bytes per top-level entry of the bundle's ``_internal`` folder (or the bundle itself)."""
    inner = bundle / "_internal" if (bundle / "_internal").is_dir() else bundle
    sizes: Counter[str] = Counter()
    for path in bundle.rglob("*"):
        if path.is_file() and not path.is_symlink():
            base = inner if path.is_relative_to(inner) else bundle
            rel = path.relative_to(base)
            sizes[rel.parts[0]] += path.stat().st_size
    return sizes


def evict_from_page_cache(*folders: Path) -> bool:
    """Drop the folders' files from the page cache so the next launch reads them from disk."""
    if not hasattr(os, "posix_fadvise"):
        return False
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and not path.is_symlink():
                fd = os.open(path, os.O_RDONLY)
                try:
                    os.fdatasync(fd)
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                finally:
                    os.close(fd)
    return True


def launcher(bundle: Path) -> Path:
    return bundle / ("DigitPad.exe" if sys.platform == "win32" else "DigitPad")


def app_env(home: Path) -> dict[str, str]:
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / "config"))
    env.pop("PYTHONPATH", None)
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def to_window(command: list[str], env: dict[str, str], report: Path, var: str | None) -> float:
    """Seconds from starting ``command`` to its window's first expose (read from ``report``)."""
    report.unlink(missing_ok=True)
    if var:
        env = {**env, var: str(report)}
    started = time.time()
    subprocess.run(
        command,
        env=env,
        check=True,
        timeout=120,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    moments = dict(line.split() for line in report.read_text().splitlines())
    return float(moments["window"]) - started


def start_up(bundle: Path, home: Path, runs: int) -> dict:
    """The app's and the bare window's launches, interleaved; the first of each cold."""
    import PySide6
    import shiboken6

    env = app_env(home)
    report = home / "startup.txt"
    app = [str(launcher(bundle))]
    bare = [sys.executable, "-c", BARE, str(report)]
    qt = [Path(PySide6.__file__).parent, Path(shiboken6.__file__).parent]
    cold = evict_from_page_cache(bundle, *qt)
    apps, bares = [], []
    for _ in range(runs):
        bares.append(to_window(bare, env, report, None))
        apps.append(to_window(app, env, report, "DIGITPAD_STARTUP_REPORT"))
    later_app, later_bare = statistics.median(apps[1:]), statistics.median(bares[1:])
    return {
        "cold": cold,
        "first_s": round(apps[0], 3),
        "bare_first_s": round(bares[0], 3),
        "first_ratio": round(apps[0] / bares[0], 2),
        "later_s": round(later_app, 3),
        "bare_later_s": round(later_bare, 3),
        "later_ratio": round(later_app / later_bare, 2),
        "app_runs": [round(x, 3) for x in apps],
        "bare_runs": [round(x, 3) for x in bares],
    }


def self_test(bundle: Path, home: Path) -> tuple[float, bool]:
    """Wall seconds of one ``--self-test`` process and whether it passed."""
    started = time.perf_counter()
    result = subprocess.run(
        [str(launcher(bundle)), "--self-test"],
        env=app_env(home),
        timeout=300,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started, result.returncode == 0


def trimming(bundle: Path) -> list[dict]:
    report = bundle.parent / f"{bundle.name}-trimmed.json"
    return json.loads(report.read_text())["saved"] if report.is_file() else []


def measure(bundle: Path, runs: int, self_tests: int) -> dict:
    size = du_bytes(bundle)
    print(f"\n{bundle}: {size / MB:,.0f} MB (du)")
    for name, part in part_sizes(bundle).most_common(5):
        print(f"  {name:<28} {part / MB:>9,.0f} MB")
    saved = trimming(bundle)
    if saved:
        print(f"  left out by the trimming, {sum(r['bytes'] for r in saved) / MB:,.0f} MB:")
        print(f"  {'saved':>9}  {'files':>5}  what")
        for row in saved:
            print(f"  {row['bytes'] / MB:>6,.1f} MB  {row['files']:>5}  {row['what']}")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        launch = start_up(bundle, home, runs)
        first = "cold first launch" if launch["cold"] else "first launch"
        print(
            f"  start-up to window: {first} {launch['first_s']:.3f} s against a bare PySide6 "
            f"window's {launch['bare_first_s']:.3f} s ({launch['first_ratio']:.2f}×); later "
            f"(median of {runs - 1}) {launch['later_s']:.3f} s against "
            f"{launch['bare_later_s']:.3f} s ({launch['later_ratio']:.2f}×)"
        )
        tests = [self_test(bundle, home) for _ in range(self_tests)]
    seconds = [s for s, _ in tests]
    passed = all(ok for _, ok in tests)
    if tests:
        print(
            f"  --self-test ({'passed' if passed else 'FAILED'}): median "
            f"{statistics.median(seconds):.2f} s over {len(seconds)} runs"
        )
    return {
        "bundle": str(bundle),
        "bytes": size,
        "saved_bytes": sum(r["bytes"] for r in saved),
        "start_up": launch,
        "self_test_s": round(statistics.median(seconds), 2) if tests else None,
        "self_test_passed": passed,
    }


def mark(ok: bool) -> str:
    return "✔" if ok else "✘"


def goals(results: list[dict]) -> None:
    print("\n| measure | figure | goal |\n|---|---|---|")
    for r in results:
        name = Path(r["bundle"]).name
        mb = r["bytes"] / MB
        if name.endswith("-cpu"):
            ok = mb <= CPU_GOAL_MB and r["self_test_passed"]
            extra = " (moonshot ✔)" if mb <= CPU_MOONSHOT_MB else ""
            print(f"| {name} size | {mb:,.0f} MB | ≤ {CPU_GOAL_MB} MB {mark(ok)}{extra} |")
        else:
            saved = r["saved_bytes"] / MB
            ok = saved >= CUDA_SAVING_GOAL_MB
            print(
                f"| {name} size | {mb:,.0f} MB, {saved:,.0f} MB left out by the trimming | "
                f"≥ {CUDA_SAVING_GOAL_MB} MB smaller {mark(ok)} |"
            )
        s = r["start_up"]
        print(
            f"| {name} first launch / later, against a bare window | "
            f"{s['first_ratio']:.2f}× / {s['later_ratio']:.2f}× | "
            f"≤ {FIRST_GOAL}× {mark(s['first_ratio'] <= FIRST_GOAL)} / "
            f"≤ {LATER_GOAL}× {mark(s['later_ratio'] <= LATER_GOAL)} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, action="append")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--self-tests", type=int, default=3)
    args = parser.parse_args()
    bundles = args.bundle or [
        b for b in (ROOT / "dist" / "DigitPad-cpu", ROOT / "dist" / "DigitPad") if b.is_dir()
    ]
    if not bundles:
        parser.error("no bundle: build one with python packaging/build.py [--cpu]")
    results = [measure(b, max(args.runs, 2), args.self_tests) for b in bundles]
    goals(results)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
