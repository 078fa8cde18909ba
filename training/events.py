"""What a training run tells the outside: progress reports and the stop that ends it.

Kept apart from the loop, and free of torch, so the command line can check its
arguments and report errors without loading torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class Cancelled(Exception):  # noqa: N818 - a stop, not an error
    """Training stopped because ``should_stop()`` said so; no model is produced."""


@dataclass(frozen=True)
class Progress:
    """One report: ``step`` of ``steps`` in ``epoch`` (1-based); ``metrics`` set at epoch end."""

    epoch: int
    epochs: int
    step: int
    steps: int
    loss: float
    metrics: dict = field(default_factory=dict)

    @property
    def epoch_end(self) -> bool:
        return bool(self.metrics)

    @property
    def fraction(self) -> float:
        """Fraction of the whole run done."""
        return ((self.epoch - 1) + self.step / self.steps) / self.epochs
