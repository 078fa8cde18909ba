"""Training throughput: our training loop against the bare network and the original pipeline.

All three train the same FCNN (784-128-10, Adam, batch 128) over the same MNIST
training images on the same CPU threads, in one run:

- ours: :func:`training.loop.train`, augmentation included, evaluation off;
- the bare network: ``nn.Module`` forward, autograd backward and a fused
  ``torch.optim.Adam`` step on batches already in memory, no augmentation:
  the rate a plain PyTorch loop cannot beat without changing the step itself;
- the original design's pipeline: a Dataset of PIL images with RandomRotation,
  RandomAffine(translate), ToTensor and Normalize applied per sample in a
  DataLoader.

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


def bare_network(images: np.ndarray, labels: np.ndarray, epochs: int) -> float:
    """Samples per second of autograd and fused Adam alone, on in-memory batches of 128."""
    torch.manual_seed(0)
    model = FCNN(128)
    optimizer = torch.optim.Adam(model.parameters(), lr=TrainConfig().lr, fused=True)
    x = (torch.from_numpy(images).unsqueeze(1) - 0.5) / 0.5
    y = torch.from_numpy(labels)
    start = time.perf_counter()
    for _ in range(epochs):
        for i in range(0, len(x), 128):
            loss = F.cross_entropy(model(x[i : i + 128]), y[i : i + 128])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            float(loss.detach())
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
    parser.add_argument("--data", default="../shared/data/mnist")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2, help="alternate ours and bare this often")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    mnist = load_mnist(args.data, "train")
    images, labels = mnist.images, mnist.labels
    our_epoch(images[:2048], labels[:2048], 1)  # warm-up
    bare_network(images[:2048], labels[:2048], 1)
    # Alternated, so that a change in the machine's load falls on both alike; best of each.
    ours_rates, bare_rates = [], []
    for _ in range(args.rounds):
        ours_rates.append(our_epoch(images, labels, args.epochs))
        bare_rates.append(bare_network(images, labels, args.epochs))
    ours, bare = max(ours_rates), max(bare_rates)
    theirs = dataloader_epoch(images, labels, 1)
    print(f"samples: {len(mnist)} x {args.epochs} epoch(s), threads: {args.threads}")
    print(f"ours (augmented, written-out step):       {ours:12,.0f} samples/s")
    print(f"bare network (autograd + fused Adam):     {bare:12,.0f} samples/s")
    print(f"per-sample DataLoader (PIL transforms):   {theirs:12,.0f} samples/s")
    print(f"ours / bare network: {ours / bare:.2f}; ours / DataLoader: {ours / theirs:.1f}x")
    print(
        json.dumps(
            {
                "ours_samples_per_s": round(ours),
                "bare_network_samples_per_s": round(bare),
                "dataloader_samples_per_s": round(theirs),
                "ours_vs_bare": round(ours / bare, 3),
                "speedup": round(ours / theirs, 2),
                "threads": args.threads,
                "samples": len(mnist) * args.epochs,
            }
        )
    )


if __name__ == "__main__":
    main()
