"""Training batches: augmented on a second thread, they are exactly the batches made in line."""

from __future__ import annotations

import threading

import pytest
import torch

from training.batches import ahead, epoch_batches, epoch_order


def batches(in_background: bool, n: int = 1000, batch_size: int = 64) -> list:
    x = torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    y = torch.arange(n) % 10
    order = torch.randperm(n, generator=torch.Generator().manual_seed(1))
    source = epoch_batches(
        x, y, order, batch_size, 0.5, 0.0, torch.Generator().manual_seed(2), in_background
    )
    return [(images.clone(), labels) for images, labels in source]


def test_background_batches_equal_the_inline_ones_and_cover_the_epoch():
    inline, background = batches(False), batches(True)
    assert len(inline) == len(background) == 16  # 15 full batches of 64 and one of 40
    assert sum(len(labels) for _, labels in inline) == 1000
    for (xa, ya), (xb, yb) in zip(inline, background, strict=True):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
    assert inline[0][0].min() >= -1 and inline[0][0].max() <= 1  # normalised like the app


def test_a_failure_in_the_producer_reaches_the_consumer():
    def broken():
        yield 1
        raise RuntimeError("augmentation failed")

    items = ahead(broken())
    assert next(items) == 1
    with pytest.raises(RuntimeError, match="augmentation failed"):
        next(items)


def test_closing_early_stops_the_producer():
    produced = []

    def endless():
        while True:
            produced.append(1)
            yield len(produced)

    items = ahead(endless(), depth=2)
    assert next(items) == 1
    items.close()
    assert not any(t.name == "augment" and t.is_alive() for t in threading.enumerate())
    count = len(produced)
    assert count <= 4  # it stopped instead of running on


def test_an_epoch_takes_one_row_of_each_twin_pair_and_every_other_row() -> None:
    twins = torch.tensor([[0, 10], [1, 11], [2, 12]])
    generator = torch.Generator().manual_seed(0)
    picks = []
    for _ in range(40):
        order = epoch_order(14, twins, generator)
        rows = set(order.tolist())
        assert len(order) == len(rows) == 11
        assert {3, 4, 5, 6, 7, 8, 9, 13} <= rows
        assert all(len(rows & {int(a), int(b)}) == 1 for a, b in twins)
        picks.append(0 in rows)
    assert 5 < sum(picks) < 35  # either view, at random
    assert torch.equal(
        epoch_order(14, twins, torch.Generator().manual_seed(4)),
        epoch_order(14, twins, torch.Generator().manual_seed(4)),
    )
    assert sorted(epoch_order(5, None, generator).tolist()) == [0, 1, 2, 3, 4]
