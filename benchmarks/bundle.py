"""Figures for the packaged app: bundle size, start-up to the window, self-test time.

    python benchmarks/bundle.py [--bundle dist/DigitPad] [--runs 5]

Size: the whole ``DigitPad/`` folder and its five largest parts (a part is a
top-level package or library inside the bundle, e.g. ``torch`` or ``nvidia``).
Start-up: wall time from launching the packaged app to its window first being
exposed, read from the ``DIGITPAD_STARTUP_REPORT`` file the app writes (it then
quits by itself); the first run after a build or reboot is the cold one, later
runs find the files in the page cache. On Linux the first run is made cold by
asking the kernel to drop the bundle's own files from the page cache
(``posix_fadvise``; nothing else is evicted, no root needed). Self-test: wall time of the whole
``DigitPad --self-test`` process. Uses ``QT_QPA_PLATFORM=offscreen`` unless a
display is set.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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


def evict_from_page_cache(bundle: Path) -> bool:
    """Drop the bundle's files from the page cache so the next launch reads from disk."""
    if not hasattr(os, "posix_fadvise"):
        return False
    for path in bundle.rglob("*"):
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
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def start_up(bundle: Path, home: Path) -> tuple[float, float]:
    """Seconds from launch to the window exposed and to the first model ready."""
    report = home / "startup.txt"
    report.unlink(missing_ok=True)
    env = {**app_env(home), "DIGITPAD_STARTUP_REPORT": str(report)}
    started = time.time()
    subprocess.run(
        [str(launcher(bundle))],
        env=env,
        check=True,
        timeout=120,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    moments = dict(line.split() for line in report.read_text().splitlines())
    return float(moments["window"]) - started, float(moments["ready"]) - started


def self_test(bundle: Path, home: Path) -> tuple[float, bool]:
    """Wall seconds of one ``--self-test`` process and whether it passed."""
    started = time.perf_counter()
    result = subprocess.run(
        [str(launcher(bundle)), "--self-test"],
        env=app_env(home),
        timeout=120,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started, result.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "DigitPad")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    bundle: Path = args.bundle

    sizes = part_sizes(bundle)
    print(f"bundle {bundle}: {sum(sizes.values()) / 1e6:,.0f} MB")
    for name, size in sizes.most_common(5):
        print(f"  {name:<24} {size / 1e6:>9,.0f} MB")

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        cold = evict_from_page_cache(bundle)
        starts = [start_up(bundle, home) for _ in range(args.runs)]
        windows = [w for w, _ in starts]
        first = "cold first run" if cold else "first run"
        print(
            f"start-up to window: {first} {windows[0]:.3f} s, "
            f"median of the next {len(windows) - 1}: {statistics.median(windows[1:]):.3f} s"
            if len(windows) > 1
            else f"start-up to window: {windows[0]:.3f} s"
        )
        ready = statistics.median([r for _, r in starts])
        print(f"start-up to first model ready: median {ready:.3f} s")
        runs = [self_test(bundle, home) for _ in range(args.runs)]
        tests = [seconds for seconds, _ in runs]
        verdict = "passed" if all(ok for _, ok in runs) else "FAILED"
        print(
            f"--self-test wall time ({verdict}): median {statistics.median(tests):.3f} s, "
            f"min {min(tests):.3f} s, max {max(tests):.3f} s over {len(tests)} runs"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
