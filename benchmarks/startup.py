"""Start-up time: process start → main window on screen → first prediction possible.

Runs ``python -m digitpad`` several times with ``DIGITPAD_STARTUP_REPORT`` set;
the app writes when its window was first exposed and when the model was ready,
then quits. Prints each run and the medians. Use a real (or virtual) X server
for figures a user would see: ``xvfb-run -a python benchmarks/startup.py``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one_run(env: dict[str, str]) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "startup.txt"
        run_env = {**env, "DIGITPAD_STARTUP_REPORT": str(report), "XDG_CONFIG_HOME": tmp}
        start = time.time()
        subprocess.run([sys.executable, "-m", "digitpad"], env=run_env, check=True, timeout=60)
        stamps = dict(line.split() for line in report.read_text().splitlines())
    return float(stamps["window"]) - start, float(stamps["ready"]) - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    env = dict(os.environ)
    platform = env.get("QT_QPA_PLATFORM") or ("xcb" if env.get("DISPLAY") else "offscreen")
    env["QT_QPA_PLATFORM"] = platform
    one_run(env)  # warm the file cache; not counted
    windows, readies = [], []
    for i in range(args.runs):
        window, ready = one_run(env)
        windows.append(window)
        readies.append(ready)
        print(
            f"run {i + 1}: window shown {window * 1000:6.0f} ms, "
            f"first prediction possible {ready * 1000:6.0f} ms"
        )
    print(f"platform {platform}, {args.runs} runs")
    print(
        f"median: window shown {statistics.median(windows) * 1000:.0f} ms, "
        f"first prediction possible {statistics.median(readies) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
