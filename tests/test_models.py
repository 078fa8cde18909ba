"""The torch modules and the app's NumPy forward passes are the same networks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from digitpad.model_file import load_model, save_model
from digitpad.networks import ARCHITECTURES
from training.config import TrainConfig
from training.models import REGISTRY, build, export, from_params


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_numpy_and_torch_forward_passes_agree(arch):
    torch.manual_seed(0)
    config = TrainConfig(arch=arch)
    model = build(config).eval()
    params = export(model, config, {})
    x = np.random.default_rng(0).normal(0, 1, (16, 28, 28)).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    got = ARCHITECTURES[arch].forward(params, x.copy())
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)


def test_every_app_architecture_has_a_torch_module():
    assert set(REGISTRY) == set(ARCHITECTURES)


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_export_writes_a_model_file_the_app_loads(tmp_path, arch):
    config = TrainConfig(arch=arch, hidden=32, channels=(4, 8), dropout=0.3)
    model = build(config)
    params = export(model, config, {})
    path = tmp_path / "m.npz"
    save_model(path, arch, params, {"sizes": config.sizes})
    loaded = load_model(path)
    twin = from_params(arch, loaded.meta["sizes"], loaded.params)
    x = np.random.default_rng(1).normal(0, 1, (4, 28, 28)).astype(np.float32)
    with torch.no_grad():
        np.testing.assert_allclose(loaded.logits(x), twin(torch.from_numpy(x)).numpy(), atol=1e-5)
