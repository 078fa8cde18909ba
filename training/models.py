"""The networks as torch modules, a registry by name, and export to the model file's params.

Parameter names equal the keys of ``digitpad/networks.py`` so that export is a
plain copy of the ``state_dict``; dropout has no parameters and vanishes at export.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from digitpad.model_file import Model, validate
from digitpad.networks import INPUT_SIDE, NUM_CLASSES, cnn_layers
from training.config import TrainConfig


class FCNN(nn.Module):
    """784 → hidden → ReLU → 10: the original design's network."""

    def __init__(self, hidden: int = 128, dropout: float = 0.0) -> None:
        super().__init__()
        self.fc1 = nn.Linear(INPUT_SIDE * INPUT_SIDE, hidden)
        self.drop = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, NUM_CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.drop(torch.relu(self.fc1(x.flatten(1)))))


class CNN(nn.Module):
    """Two stages of ``convs`` 3×3 convs (pad 1, ReLU) and a 2×2 max pool, then hidden → 10.

    The convolutions are named conv1, conv2, … in order, as the app's forward
    pass (``digitpad.networks.cnn_layers``) expects.
    """

    def __init__(
        self,
        channels: tuple[int, int] = (32, 64),
        hidden: int = 128,
        dropout: float = 0.0,
        convs: int = 1,
    ) -> None:
        super().__init__()
        layers = cnn_layers({"channels": channels, "convs": convs})
        self.per_stage = convs
        self.convs = len(layers)
        for k, (c_in, c_out) in enumerate(layers, 1):
            self.add_module(f"conv{k}", nn.Conv2d(c_in, c_out, 3, padding=1))
        side = INPUT_SIDE // 4
        self.fc1 = nn.Linear(layers[-1][1] * side * side, hidden)
        self.drop = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, NUM_CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.view(len(x), 1, INPUT_SIDE, INPUT_SIDE)
        for k in range(1, self.convs + 1):
            x = torch.relu(getattr(self, f"conv{k}")(x))
            if k % self.per_stage == 0:
                x = nn.functional.max_pool2d(x, 2)
        return self.fc2(self.drop(torch.relu(self.fc1(x.flatten(1)))))


class Ensemble(nn.Module):
    """The mean of several networks' logits: a distillation teacher, never exported."""

    def __init__(self, members: list[nn.Module]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([m(x) for m in self.members]).mean(0)


@dataclass(frozen=True)
class Trainable:
    """How training builds and runs one architecture of ``digitpad.networks``.

    ``light_step``: a step that costs about as much as augmenting its batch, so on
    a CPU with two or more threads one thread augments while the others train
    (FCNN on 2 cores: 70k-88k samples/s against 52k-64k in line), and Learn my
    handwriting runs it on one thread; heavier steps gain from every thread (CNN:
    2.6k against 1.5k samples/s). ``adapt_layers``: the parameter-name prefixes that
    Learn my handwriting fine-tunes (empty: all of them).
    """

    build: Callable[[TrainConfig], nn.Module]
    light_step: bool
    adapt_layers: tuple[str, ...] = ()


# Adding an architecture: a module above, an entry here, and one in digitpad/networks.py
# (docs/ARCHITECTURE.md). A size no other architecture has also needs a TrainConfig field
# of that name (TrainConfig.sizes reads it), its train option in training/cli.py, and a
# line in from_params below; a search over it, an entry in config.SEARCH_SPACE.
REGISTRY: dict[str, Trainable] = {
    "fcnn": Trainable(lambda c: FCNN(c.hidden, c.dropout), light_step=True),
    "cnn": Trainable(
        lambda c: CNN(tuple(c.channels), c.hidden, c.dropout, c.convs),
        light_step=False,
        adapt_layers=("fc1", "fc2"),
    ),
}


def build(config: TrainConfig) -> nn.Module:
    return REGISTRY[config.arch].build(config)


def export(model: nn.Module, config: TrainConfig, meta: dict) -> dict[str, np.ndarray]:
    """The model's weights as float32 arrays, checked against the app's shapes for ``meta``."""
    params = {
        name: value.detach().to("cpu", torch.float32).numpy().copy()
        for name, value in model.state_dict().items()
    }
    validate(config.arch, params, {**meta, "sizes": config.sizes})
    return params


def as_app_model(model: nn.Module, config: TrainConfig) -> Model:
    """The trained network as the app will load it (normalisation 0.5/0.5, deskewed input as
    ``config`` says), to score it with the app's own reading (:mod:`training.evaluate`)."""
    meta = {"normalization": {"mean": 0.5, "std": 0.5}, "deskew": config.deskew}
    return validate(config.arch, export(model, config, meta), {**meta, "sizes": config.sizes})


def from_params(arch: str, sizes: dict, params: dict[str, np.ndarray]) -> nn.Module:
    """A torch module holding exported weights (for distillation and the agreement test)."""
    config = TrainConfig(
        arch=arch,
        hidden=int(sizes["hidden"]),
        channels=tuple(sizes.get("channels", (32, 64))),
        convs=int(sizes.get("convs", 1)),
    )
    model = build(config)
    model.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in params.items()})
    return model.eval()
