"""Batched affine augmentation: per-sample, seeded, and gentle enough to keep the digit."""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812

from training.augment import (
    _upsampler,
    affine_grid,
    elastic_offsets,
    random_affine,
    random_matrices,
)


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


def test_elastic_fields_are_smooth_with_the_asked_displacement():
    offsets = elastic_offsets(32, 28, 1.5, torch.Generator().manual_seed(0))
    assert offsets.shape == (32, 28, 28, 2)
    pixels = offsets * 14  # grid units → pixels of a 28-pixel side
    rms = pixels.pow(2).mean(dim=(1, 2, 3)).sqrt()
    assert torch.allclose(rms, torch.full_like(rms, 1.5), atol=1e-4)
    # Smooth: neighbouring pixels move almost together, unlike independent noise.
    step = (pixels[:, 1:] - pixels[:, :-1]).abs().mean()
    assert step < 0.3 * pixels.abs().mean()
    again = elastic_offsets(32, 28, 1.5, torch.Generator().manual_seed(0))
    assert torch.equal(offsets, again)


def test_upsampler_is_bicubic_interpolation():
    coarse = torch.randn(3, 2, 4, 4, generator=torch.Generator().manual_seed(1))
    up = _upsampler(4, 28, "cpu")
    expected = F.interpolate(coarse, size=(28, 28), mode="bicubic", align_corners=True)
    assert torch.allclose(up @ coarse @ up.T, expected, atol=1e-5)


def test_elastic_bends_the_digit_but_keeps_its_ink():
    x = batch()
    bent = random_affine(x, 0.0, torch.Generator().manual_seed(2), elastic=1.0)
    assert not torch.equal(bent, x)
    kept = bent.sum(dim=(1, 2, 3)) / x.sum(dim=(1, 2, 3))
    assert ((kept > 0.6) & (kept < 1.5)).all()  # stretched or squeezed, never lost


def test_shared_warps_move_each_group_alike_and_groups_differently():
    x = batch(11)  # two groups of four and a remainder of three
    x[1::2] = x[1::2].flip(-1)  # two different digits, alternating
    out = random_affine(x, 1.0, torch.Generator().manual_seed(5), elastic=0.5, share=4)
    assert out.shape == x.shape
    for group in (out[0:4], out[4:8]):
        # Equal inputs in a group come out equal: one warp for the group.
        assert torch.equal(group[0], group[2]) and torch.equal(group[1], group[3])
    assert not torch.equal(out[0], out[4])
    assert len({tuple(o.flatten().tolist()) for o in out[8:]}) == 3  # the rest: one each
    again = random_affine(x, 1.0, torch.Generator().manual_seed(5), elastic=0.5, share=4)
    assert torch.equal(out, again)
