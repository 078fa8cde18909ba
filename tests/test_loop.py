"""The training loop: learns, repeats itself with a seed, reports progress and stops when told."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812

from digitpad.networks import ARCHITECTURES
from training.config import TrainConfig
from training.data import load_mnist
from training.loop import (
    Cancelled,
    Progress,
    predict_logits,
    resolve_device,
    to_tensor,
    train,
)
from training.models import export


@pytest.fixture(scope="module")
def tensors(mnist_folder):
    train_set, test_set = load_mnist(mnist_folder, "train"), load_mnist(mnist_folder, "test")
    cpu = torch.device("cpu")
    return (
        to_tensor(train_set.images, cpu),
        torch.from_numpy(train_set.labels),
        to_tensor(test_set.images, cpu),
        torch.from_numpy(test_set.labels),
    )


def small(**overrides) -> TrainConfig:
    return TrainConfig(
        **{
            "epochs": 3,
            "batch_size": 32,
            "hidden": 32,
            "device": "cpu",
            "augment": 0.5,
            "lr": 3e-3,
            **overrides,
        }
    )


def test_fcnn_learns_the_synthetic_digits(tensors):
    result = train(small(epochs=16), *tensors)
    assert result.test_accuracy is not None and result.test_accuracy > 0.6
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]


@pytest.mark.parametrize("schedule", ["cosine", "onecycle"])
def test_schedules_run_and_end_low(tensors, schedule):
    result = train(small(epochs=2, schedule=schedule), *tensors)
    assert result.history[-1]["lr"] < 1e-3


def test_same_seed_gives_identical_weights(tensors):
    a = train(small(epochs=1, seed=5), *tensors).model.state_dict()
    b = train(small(epochs=1, seed=5), *tensors).model.state_dict()
    c = train(small(epochs=1, seed=6), *tensors).model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_progress_reports_steps_and_epoch_metrics(tensors):
    events: list[Progress] = []
    train(small(epochs=2), *tensors, on_progress=events.append)
    epochs = [e for e in events if e.epoch_end]
    assert [e.epoch for e in epochs] == [1, 2]
    assert "test_accuracy" in epochs[-1].metrics and epochs[-1].fraction == 1.0
    assert any(not e.epoch_end for e in events)


def test_should_stop_cancels_between_batches(tensors):
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        train(small(epochs=50), *tensors, should_stop=stop)
    assert len(calls) == 4


def test_a_run_whose_loss_stops_being_a_number_ends_at_that_epoch(tensors):
    """Rather than train on to the end and save a model of NaNs."""
    from training.events import DivergedError, error_kind

    x, y, x_test, y_test = tensors
    broken = x.clone()
    broken[:5] = float("inf")
    events: list[Progress] = []
    with pytest.raises(DivergedError, match="diverged in epoch 1") as raised:
        train(small(epochs=20), broken, y, x_test, y_test, on_progress=events.append)
    assert not any(e.epoch_end for e in events)
    assert error_kind(raised.value) == "input"


def test_cnn_trains_a_step(tensors):
    result = train(small(arch="cnn", epochs=1, channels=(4, 8)), *tensors)
    assert result.model.conv1.weight.shape == (4, 1, 3, 3)


def test_a_trained_cnn_exports_the_network_the_app_runs(tensors):
    config = small(arch="cnn", epochs=1, channels=(4, 8), convs=2)
    model = train(config, *tensors).model
    params = export(model, config, {})
    x = np.random.default_rng(0).normal(0, 1, (6, 28, 28)).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(
        ARCHITECTURES["cnn"].forward(params, x), expected, atol=1e-5, rtol=1e-5
    )


def test_distillation_makes_the_student_follow_its_teacher(tensors):
    x_train, y_train, x_test, _ = tensors
    # A teacher no student would imitate by itself: it learned to call each digit the next one.
    teacher = train(small(epochs=6, augment=0.0, seed=1), x_train, (y_train + 1) % 10).model
    config = small(epochs=4, augment=0.0, distill_weight=0.9)
    taught = train(config, *tensors, teacher=teacher).model
    alone = train(config, *tensors).model  # identically seeded, without the teacher

    t = config.distill_temperature
    with torch.no_grad():
        target = F.log_softmax(predict_logits(teacher, x_test) / t, 1)
        answers = target.argmax(1)

        def distance(model) -> float:
            """KL divergence from the teacher's softened outputs to the student's."""
            ours = F.log_softmax(predict_logits(model, x_test) / t, 1)
            return float(F.kl_div(ours, target, log_target=True, reduction="batchmean"))

        def agreement(model) -> float:
            return float((predict_logits(model, x_test).argmax(1) == answers).float().mean())

        assert distance(taught) < 0.5 * distance(alone)
        assert agreement(taught) > agreement(alone) + 0.3


def test_unavailable_device_is_an_error():
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="cuda"):
            resolve_device("cuda")
    assert resolve_device("cpu").type == "cpu"


def test_bad_config_is_refused():
    with pytest.raises(ValueError, match="architecture"):
        TrainConfig(arch="transformer")
    with pytest.raises(ValueError, match="schedule"):
        TrainConfig(schedule="sometimes")


def _denormal_survives() -> bool:
    """Whether float32 arithmetic on this thread keeps a value below 1.2e-38."""
    return float(torch.tensor([1e-39], dtype=torch.float32) * 1.0) != 0.0


def test_training_flushes_denormals_and_leaves_the_thread_as_it_found_it(tensors):
    # Adam's running means of dead hidden units decay into denormals, which the CPU
    # handles many times slower; training treats them as zero, and only while it runs.
    x, y, _, _ = tensors
    assert _denormal_survives()
    during = []
    train(small(epochs=1), x, y, on_progress=lambda p: during.append(_denormal_survives()))
    assert during and not any(during)
    assert _denormal_survives()


def test_a_trained_fcnn_gives_back_its_weights_in_the_usual_layout(tensors):
    # The written-out step trains the first layer transposed; the model leaves with the
    # module's own (hidden × input, contiguous) layout, as export and the app expect.
    x, y, _, _ = tensors
    model = train(small(), x, y).model
    weight = model.fc1.weight
    assert weight.shape == (model.fc1.out_features, 784) and weight.is_contiguous()
    assert isinstance(weight, torch.nn.Parameter) and weight.requires_grad


def test_a_training_inside_another_leaves_denormals_flushed_for_the_outer_one(tensors):
    x, y, _, _ = tensors
    after_inner = []

    def inner(progress):
        if progress.epoch_end and not after_inner:
            train(small(epochs=1), x[:64], y[:64])
            after_inner.append(_denormal_survives())

    train(small(epochs=1), x, y, on_progress=inner)
    assert after_inner == [False]  # the outer run still flushes
    assert _denormal_survives()  # and the thread is as it was once both are done
