"""Batched affine augmentation: per-sample, seeded, and gentle enough to keep the digit."""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812

from training.augment import affine_grid, random_affine, random_matrices


def batch(n: int = 16) -> torch.Tensor:
    x = torch.zeros(n, 1, 28, 28)
    x[:, :, 6:22, 12:16] = 1.0  # a bar, like a "1"
    return x


def test_zero_strength_leaves_images_untouched():
    x = batch()
    assert torch.equal(random_affine(x, 0.0, torch.Generator().manual_seed(0)), x)


def test_identity_matrices_reproduce_the_image():
    theta = random_matrices(4, 0.0, torch.Generator().manual_seed(0))
    assert torch.allclose(theta, torch.tensor([[1.0, 0, 0], [0, 1.0, 0]]).expand(4, 2, 3))


def test_same_seed_same_result_other_seed_other_result():
    x = batch()
    a = random_affine(x, 1.0, torch.Generator().manual_seed(3))
    b = random_affine(x, 1.0, torch.Generator().manual_seed(3))
    c = random_affine(x, 1.0, torch.Generator().manual_seed(4))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_each_sample_gets_its_own_transform():
    out = random_affine(batch(8), 1.0, torch.Generator().manual_seed(0))
    assert out.shape == (8, 1, 28, 28)
    assert len({tuple(o.flatten().tolist()) for o in out}) == 8


def test_ink_stays_on_the_field():
    x = batch(64)
    out = random_affine(x, 1.0, torch.Generator().manual_seed(1))
    ratio = out.sum(dim=(1, 2, 3)) / x.sum(dim=(1, 2, 3))
    # Scaling by up to ±15% changes ink area by up to about ±32%; nothing is pushed off.
    assert ratio.min() > 0.6 and ratio.max() < 1.5


def test_fast_grid_equals_torch_affine_grid():
    theta = random_matrices(32, 1.5, torch.Generator().manual_seed(2))
    expected = F.affine_grid(theta, [32, 1, 28, 28], align_corners=False)
    assert torch.allclose(affine_grid(theta, 28), expected, atol=1e-6)
