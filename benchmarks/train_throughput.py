"""Training throughput: our in-memory batched pipeline vs a per-sample DataLoader pipeline.

Both train the same FCNN (784-128-10, Adam, batch 128) for one epoch over the
same MNIST training images on the same CPU threads. The reference pipeline
is the original design's: a Dataset of PIL images with RandomRotation,
RandomAffine(translate), ToTensor and Normalize applied per sample in a
DataLoader. Ours keeps all images in one tensor and augments four batches at
a time, on a second thread while the first one trains (``training/batches.py``).

    python benchmarks/train_throughput.py [--data DIR] [--threads N] [--epochs N]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from training.config import TrainConfig
from training.data import load_mnist
from training.loop import to_tensor, train
from training.models import FCNN


class PilDigits(Dataset):
    """MNIST as torchvision serves it: one PIL image per item, transformed on access."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, transform) -> None:
        self.images = (images * 255).astype(np.uint8)
        self.labels = labels
        self.transform = transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        return self.transform(Image.fromarray(self.images[i], mode="L")), int(self.labels[i])


def dataloader_epoch(images: np.ndarray, labels: np.ndarray, epochs: int) -> float:
    """Samples per second of the per-sample pipeline."""
    transform = transforms.Compose(
        [
            transforms.RandomRotation(10),
            transforms.RandomAffine(0, translate=(0.1, 0.1)),
            transforms.ToTensor(),
            transforms.Normalize((0.5,), (0.5,)),
        ]
    )
    loader = DataLoader(PilDigits(images, labels, transform), batch_size=128, shuffle=True)
    torch.manual_seed(0)
    model = FCNN(128)
    optimizer = torch.optim.Adam(model.parameters(), lr=TrainConfig().lr)
    start = time.perf_counter()
    for _ in range(epochs):
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return len(labels) * epochs / (time.perf_counter() - start)


def our_epoch(images: np.ndarray, labels: np.ndarray, epochs: int) -> float:
    """Samples per second of training.loop.train (augmentation included, no evaluation)."""
    config = TrainConfig(arch="fcnn", epochs=epochs, device="cpu", seed=0)
    x = to_tensor(images, torch.device("cpu"))
    y = torch.from_numpy(labels)
    start = time.perf_counter()
    train(config, x, y)
    return len(labels) * epochs / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/work/shared/data/mnist")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    mnist = load_mnist(args.data, "train")
    our_epoch(mnist.images[:2048], mnist.labels[:2048], 1)  # warm-up
    ours = our_epoch(mnist.images, mnist.labels, args.epochs)
    theirs = dataloader_epoch(mnist.images, mnist.labels, args.epochs)
    print(f"samples: {len(mnist)} x {args.epochs} epoch(s), threads: {args.threads}")
    print(f"ours (in-memory tensors, batched affine): {ours:12,.0f} samples/s")
    print(f"per-sample DataLoader (PIL transforms):   {theirs:12,.0f} samples/s")
    print(f"speed-up: {ours / theirs:.1f}x")
    print(
        json.dumps(
            {
                "ours_samples_per_s": round(ours),
                "dataloader_samples_per_s": round(theirs),
                "speedup": round(ours / theirs, 2),
                "threads": args.threads,
                "samples": len(mnist) * args.epochs,
            }
        )
    )


if __name__ == "__main__":
    main()
