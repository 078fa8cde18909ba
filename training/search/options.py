"""What a search is asked to do: :class:`SearchOptions` and the defaults of its options."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from training.config import Param, TrainConfig
from training.search.places import default_storage, default_study_name

PRUNERS = ("median", "hyperband", "none")
DEFAULT_PRUNER = "median"
DEFAULT_TRIALS = 20
DEFAULT_EPOCHS = 10
DEFAULT_VAL_FRACTION = 1 / 6


@dataclass
class SearchOptions:
    data: Path
    arch: str = "fcnn"
    trials: int = DEFAULT_TRIALS
    epochs: int = DEFAULT_EPOCHS
    final_epochs: int | None = None
    timeout: float | None = None
    storage: str | None = None
    study_name: str | None = None
    pruner: str = DEFAULT_PRUNER
    pruner_startup_trials: int = 3
    pruner_warmup_epochs: int | None = None
    val_fraction: float = DEFAULT_VAL_FRACTION
    # Training's and the validation split's seed: the same for every worker of a study.
    seed: int = 0
    # The sampler's, for a repeatable run of one worker; None draws one per worker, so that
    # workers that start together do not try the same parameters.
    sampler_seed: int | None = None
    device: str = "auto"
    final: bool = True
    out: Path | None = None
    # Configurations (TrainConfig field values) to try first in a new study.
    enqueue: list[dict] = field(default_factory=list)
    cache: Path | None = None
    command: str = ""
    space: dict[str, Param] | None = None

    @property
    def storage_url(self) -> str:
        return self.storage or default_storage()

    @property
    def name(self) -> str:
        return self.study_name or default_study_name(self.arch)

    def base_config(self) -> TrainConfig:
        return TrainConfig(arch=self.arch, epochs=self.epochs, seed=self.seed, device=self.device)
