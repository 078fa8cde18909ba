"""The hand-written FCNN step makes the same updates as autograd with fused Adam."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F  # noqa: N812

from training import fcnn_step
from training.config import TrainConfig
from training.fcnn_step import FcnnStep
from training.loop import AutogradStep, ScheduledFcnnStep, learning_rate, make_step
from training.models import FCNN


def twin_models(hidden: int = 16) -> tuple[FCNN, FCNN]:
    torch.manual_seed(3)
    first, second = FCNN(hidden), FCNN(hidden)
    second.load_state_dict(first.state_dict())
    return first, second


@pytest.mark.parametrize(
    "overrides",
    [{}, {"label_smoothing": 0.1}, {"weight_decay": 1e-3}],
    ids=["plain", "label smoothing", "weight decay"],
)
def test_same_losses_and_weights_as_autograd_adam(overrides: dict) -> None:
    config = TrainConfig(hidden=16, **overrides)
    reference, model = twin_models()
    optimizer = torch.optim.Adam(
        reference.parameters(), lr=1e-2, weight_decay=config.weight_decay, fused=True
    )
    step = FcnnStep(model, config)
    generator = torch.Generator().manual_seed(0)
    for batch in (32, 32, 7):  # a short last batch too
        x = torch.randn(batch, 1, 28, 28, generator=generator)
        y = torch.randint(0, 10, (batch,), generator=generator)
        loss = F.cross_entropy(reference(x), y, label_smoothing=config.label_smoothing)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        assert step(x, y, 1e-2) == pytest.approx(float(loss.detach()), rel=1e-5)
    for name, value in reference.state_dict().items():
        assert torch.allclose(model.state_dict()[name], value, atol=1e-6), name
    assert not torch.equal(model.fc1.weight, FCNN(16).fc1.weight)


def test_the_scheduled_step_follows_the_cosine_schedule_like_torch() -> None:
    config = TrainConfig(hidden=16, lr=5e-3, schedule="cosine", warmup_fraction=0.25)
    reference, model = twin_models()
    autograd, written = (
        AutogradStep(reference, config, 8, None),
        ScheduledFcnnStep(model, config, 8),
    )
    generator = torch.Generator().manual_seed(1)
    for _ in range(8):
        x = torch.randn(16, 1, 28, 28, generator=generator)
        y = torch.randint(0, 10, (16,), generator=generator)
        autograd(x, y)
        written(x, y)
        assert written.lr == pytest.approx(autograd.lr)
    for name, value in reference.state_dict().items():
        assert torch.allclose(model.state_dict()[name], value, atol=1e-6), name


def test_learning_rate_warms_up_then_decays_to_zero() -> None:
    config = TrainConfig(lr=1.0, schedule="cosine", warmup_fraction=0.1)
    rates = [learning_rate(config, k, 100) for k in range(101)]
    assert rates[0] == pytest.approx(0.1) and rates[9] == pytest.approx(1.0)
    assert rates[55] == pytest.approx(0.5) and rates[100] == pytest.approx(0.0)
    assert learning_rate(TrainConfig(lr=0.3, schedule="constant"), 77, 100) == 0.3


@pytest.mark.parametrize(
    ("overrides", "distilling", "expected"),
    [
        ({}, False, ScheduledFcnnStep),
        ({}, True, AutogradStep),
        ({"dropout": 0.2}, False, AutogradStep),
        ({"schedule": "onecycle"}, False, AutogradStep),
        ({"arch": "cnn"}, False, AutogradStep),
    ],
)
def test_the_written_step_is_used_only_where_it_is_exact(
    overrides: dict, distilling: bool, expected: type
) -> None:
    config = TrainConfig(hidden=16, channels=(4, 8), **overrides)
    from training.models import build

    teacher = FCNN(8) if distilling else None
    assert type(make_step(build(config), config, 10, teacher)) is expected
    assert fcnn_step.supports(config, torch.device("cpu"), distilling) is (
        expected is ScheduledFcnnStep
    )
