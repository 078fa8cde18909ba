"""A default FCNN retrain end to end, as a process, against the original design's pipeline.

    python benchmarks/retrain_speed.py --data ../shared/data/mnist [--seed-epochs 40]

Ours: ``python -m training train`` with the default recipe (40 epochs), run
twice into one fresh cache folder; the second run is the one reported, since
the app keeps its prepared data between runs. Its time is split into the
training loop (the ``done`` event's ``seconds``) and everything outside it
(start, imports, data, evaluation, saving, exit).

The original pipeline: a process that does what the design's ``train.py`` did
(a Dataset of PIL images, RandomRotation(10) and RandomAffine(translate 0.1),
ToTensor and Normalize per sample in a DataLoader, the same FCNN, Adam and
batch size, then one pass over the test set and ``torch.save``). With
``--seed-epochs`` below 40 its training time is scaled up to 40 epochs, and
the output says so.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SEED_PIPELINE = r"""
import sys, time, json
import numpy as np, torch, torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms
from training.data import load_mnist
from training.models import FCNN

data, epochs, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
class Pil(Dataset):
    def __init__(self, d, t):
        self.x, self.y, self.t = (d.images * 255).astype(np.uint8), d.labels, t
    def __len__(self):
        return len(self.y)
    def __getitem__(self, i):
        return self.t(Image.fromarray(self.x[i], mode="L")), int(self.y[i])
norm = [transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]
train = DataLoader(Pil(load_mnist(data, "train"), transforms.Compose(
    [transforms.RandomRotation(10), transforms.RandomAffine(0, translate=(0.1, 0.1)), *norm])),
    batch_size=128, shuffle=True)
test = DataLoader(Pil(load_mnist(data, "test"), transforms.Compose(norm)), batch_size=1000)
torch.manual_seed(0)
model = FCNN(128)
opt = torch.optim.Adam(model.parameters(), lr=0.001065741156220378)
start = time.perf_counter()
for _ in range(epochs):
    for x, y in train:
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(); loss.backward(); opt.step()
loop = time.perf_counter() - start
model.eval()
with torch.no_grad():
    right = sum(int((model(x).argmax(1) == y).sum()) for x, y in test)
torch.save(model.state_dict(), out)
print(json.dumps({"loop_seconds": loop, "accuracy": right / len(test.dataset)}))
"""


def run_ours(data: str, cache: Path, out: Path) -> dict:
    command = [sys.executable, "-m", "training", "train", "--data", data, "--out", str(out)]
    command += ["--cache", str(cache), "--progress", "jsonl"]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    done = next(
        e for e in map(json.loads, result.stdout.splitlines()[::-1]) if e.get("event") == "done"
    )
    return {
        "wall": wall,
        "loop": done["seconds"],
        "accuracy": done["accuracy"],
        "raw": done["test_accuracy_raw"],
    }


def run_seed(data: str, epochs: int, out: Path) -> dict:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", SEED_PIPELINE, data, str(epochs), str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    report = json.loads(result.stdout.strip().splitlines()[-1])
    loop = report["loop_seconds"]
    # Scaled to the recipe's 40 epochs when fewer were run.
    full_loop = loop * 40 / epochs
    return {"wall": wall - loop + full_loop, "loop": full_loop, "accuracy": report["accuracy"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--seed-epochs", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cold = run_ours(args.data, folder / "cache", folder / "cold.npz")
        ours = run_ours(args.data, folder / "cache", folder / "ours.npz")
        seed = run_seed(args.data, args.seed_epochs, folder / "seed.pt")
    scaled = (
        "" if args.seed_epochs == 40 else f" (loop run {args.seed_epochs} epochs, scaled to 40)"
    )
    outside = ours["wall"] - ours["loop"]
    print(f"ours, cache warm: {ours['wall']:.1f} s ({ours['loop']:.1f} s training loop, ", end="")
    print(
        f"{outside:.1f} s outside it), MNIST test {ours['accuracy']:.2%} prepared as the app ",
        end="",
    )
    print(f"does, {ours['raw']:.2%} as it is")
    print(f"ours, first run (cache filled): {cold['wall']:.1f} s")
    print(f"original pipeline: {seed['wall']:.1f} s{scaled}, ", end="")
    print(f"MNIST test {seed['accuracy']:.2%} as it is")
    print(f"speed-up end to end: {seed['wall'] / ours['wall']:.1f}x")
    print(
        json.dumps(
            {
                "ours_seconds": round(ours["wall"], 2),
                "ours_loop_seconds": ours["loop"],
                "ours_outside_loop_seconds": round(outside, 2),
                "ours_first_run_seconds": round(cold["wall"], 2),
                "ours_accuracy": ours["accuracy"],
                "ours_accuracy_raw": ours["raw"],
                "seed_seconds": round(seed["wall"], 1),
                "seed_epochs_run": args.seed_epochs,
                "seed_accuracy": seed["accuracy"],
                "speedup": round(seed["wall"] / ours["wall"], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
