"""The torch modules and the app's NumPy forward passes are the same networks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from digitpad.model_file import ModelFileError, load_model, save_model, validate
from digitpad.networks import ARCHITECTURES
from training.config import TrainConfig
from training.models import REGISTRY, Ensemble, build, export, from_params


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


@pytest.mark.parametrize("convs", [1, 2, 3])
def test_deeper_cnns_agree_and_old_files_mean_one_conv_per_stage(tmp_path, convs):
    torch.manual_seed(convs)
    config = TrainConfig(arch="cnn", channels=(4, 6), hidden=8, convs=convs)
    model = build(config).eval()
    assert len([m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]) == 2 * convs
    params = export(model, config, {})
    x = np.random.default_rng(2).normal(0, 1, (3, 28, 28)).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(
        ARCHITECTURES["cnn"].forward(params, x.copy()), expected, atol=1e-5, rtol=1e-5
    )
    path = tmp_path / "m.npz"
    sizes = {"channels": [4, 6], "hidden": 8}  # as files written before "convs" existed
    if convs == 1:
        save_model(path, "cnn", params, {"sizes": sizes})
        assert load_model(path).meta["sizes"] == sizes
    else:  # the shapes say two convolutions per stage, the sizes one: refused, with a reason
        save_model(path, "cnn", params, {"sizes": {**sizes, "convs": convs}})
        with pytest.raises(ModelFileError, match="conv"):
            validate("cnn", params, {"sizes": sizes})


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


def test_a_model_trained_on_deskewed_digits_is_given_deskewed_input(tmp_path):
    from digitpad.preprocess import deskew, prepare
    from digitpad.recognizer import predict
    from digitpad.strokes import render_strokes
    from training.evaluate import predict_labels

    config = TrainConfig(arch="fcnn", hidden=32)
    params = export(build(config), config, {})
    models = {}
    for flag in (True, False):
        meta = {"sizes": config.sizes, "deskew": flag}
        save_model(tmp_path / f"{flag}.npz", "fcnn", params, meta)
        models[flag] = load_model(tmp_path / f"{flag}.npz")
    assert models[True].deskew and not models[False].deskew
    leaning_one = render_strokes([[[0.3, 0.95], [0.7, 0.05]]], 280, (0.5, 0.5, 0.6), 16)
    seen = prepare(leaning_one).image
    assert np.abs(deskew(seen) - seen).max() > 0.5  # deskewing really changes this input
    np.testing.assert_allclose(predict(models[True], leaning_one).model_input, deskew(seen))
    np.testing.assert_allclose(predict(models[False], leaning_one).model_input, seen)
    np.testing.assert_allclose(
        predict(models[True], leaning_one).probabilities,
        models[False].probabilities(deskew(seen)[None])[0],
        rtol=1e-5,
    )
    batch = np.random.default_rng(2).random((30, 28, 28)).astype(np.float32) ** 4
    np.testing.assert_array_equal(
        predict_labels(models[True], batch), predict_labels(models[False], deskew(batch))
    )


def test_an_ensemble_teaches_the_mean_of_its_members_logits():
    torch.manual_seed(0)
    members = [
        build(TrainConfig(arch="fcnn", hidden=16)).eval(),
        build(TrainConfig(arch="cnn", channels=(4, 8), hidden=16)).eval(),
    ]
    x = torch.randn(5, 1, 28, 28)
    with torch.no_grad():
        got = Ensemble(members)(x)
        a, b = members[0](x), members[1](x)
    assert not torch.allclose(a, b)
    torch.testing.assert_close(got, (a + b) / 2)


def test_old_recipes_with_one_teacher_still_read():
    assert TrainConfig.from_dict({"teacher": "runs/t.npz"}).teachers == ("runs/t.npz",)
    assert TrainConfig.from_dict({"teacher": None}).teachers == ()
    assert TrainConfig.from_dict(TrainConfig(teachers=("a", "b")).to_dict()).teachers == ("a", "b")
