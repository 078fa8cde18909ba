"""What a training run tells the outside: progress reports, the stop that ends it
(:class:`Cancelled`), and the kind of an error (:func:`error_kind`, one of
:data:`ERROR_KINDS`, by which the app picks its advice).

Kept apart from the loop, and free of torch, so the command line can check its
arguments and report errors without loading torch.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field

# What went wrong, in categories the app can act on without reading the message.
ERROR_KINDS = ("data", "model", "network", "disk", "storage", "input", "bug")
_NETWORK_ERRNOS = {errno.ECONNREFUSED, errno.ECONNRESET, errno.EHOSTUNREACH, errno.ENETUNREACH}


class Cancelled(Exception):  # noqa: N818 - a stop, not an error
    """Training stopped because ``should_stop()`` said so; no model is produced."""


class DivergedError(ValueError):
    """The loss stopped being a number: the rest of the run could only waste its time (an
    hour, for a search's trial or a long retrain) before saving a model of NaNs."""

    kind = "input"

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch
        super().__init__(
            f"training diverged in epoch {epoch}: the loss is no longer a number. Lower the "
            "learning rate (or the augmentation) and train again"
        )


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


def error_kind(exc: BaseException) -> str:
    """The category of ``exc``: its own ``kind`` attribute, or one inferred from its type.

    Errors we raise (``DataError``, ``ModelFileError``, the search's errors) carry a
    ``kind``; the rest are classified by type, so the app never parses the message.
    """
    kind = getattr(exc, "kind", None)
    if isinstance(kind, str) and kind in ERROR_KINDS:
        return kind
    if isinstance(exc, (ConnectionError, TimeoutError)) or getattr(exc, "errno", None) in (
        _NETWORK_ERRNOS
    ):
        return "network"
    if isinstance(exc, OSError):
        return "disk"
    if isinstance(exc, ValueError):
        return "input"
    return "bug"
