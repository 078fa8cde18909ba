"""The user's own models: swap one in at once, keep it in the data folder, reset to bundled.

A retrain writes its model into ``<data>/models/pending/`` (the child writes a
temporary file and renames it when complete). Choosing "Use this model" moves
it into ``<data>/models/`` and asks the window's
:class:`~digitpad.ui.inference.Recognition` to load it: the window then shows it,
predicts with it, and records it as the chosen model in the settings, which is
how it comes back on the next start. Models are never written inside the
installed package. "Reset to bundled model" loads the shipped FCNN again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from pathlib import Path

from PySide6.QtCore import QObject

from digitpad.networks import DEFAULT_ARCH
from digitpad.userdata import UserData

RESET_SOURCE = DEFAULT_ARCH
KEEP_MODELS = 5  # user models kept in the data folder besides the active one


class ModelStore(QObject):
    def __init__(
        self, recognition, userdata: UserData, settings=None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.recognition = recognition
        self.userdata = userdata
        # ``settings`` is not used; it stays in the signature until its one caller
        # (training_actions.py) stops passing it.

    def pending_path(self, arch: str, kind: str = "retrained") -> Path:
        """Where the next retrain (or adaptation) writes its model (a fresh name each run)."""
        self.userdata.pending_models.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        return self.userdata.pending_models / f"{arch}-{kind}-{stamp}.npz"

    def clear_pending(self) -> None:
        """Delete finished retrains that were never chosen (and stray temporary files).

        Best effort: a file that cannot be deleted now must not stop a new retrain.
        """
        folder = self.userdata.pending_models
        if folder.is_dir():
            for path in folder.iterdir():
                if path.is_file():
                    with contextlib.suppress(OSError):
                        path.unlink(missing_ok=True)

    def adopt(self, candidate: str | os.PathLike) -> Path:
        """Keep ``candidate`` among the user's models and switch the app to it; returns its path."""
        candidate = Path(candidate)
        self.userdata.models.mkdir(parents=True, exist_ok=True)
        target = self.userdata.models / candidate.name
        if candidate.resolve() != target.resolve():
            os.replace(candidate, target)
        self.recognition.load_model(str(target))
        self._prune(keep=target)
        return target

    def reset(self) -> None:
        """Go back to the model shipped with the app."""
        self.recognition.load_model(RESET_SOURCE)

    def _prune(self, keep: Path) -> None:
        """Delete the oldest user models beyond :data:`KEEP_MODELS`, never the active one.

        Best effort: the new model is already kept and loading, so a model that
        cannot be deleted (or read) is left for the next time rather than reported
        as a failure to keep the new one.
        """
        active = self.recognition.model_source
        try:
            models = sorted(
                (p for p in self.userdata.models.glob("*.npz") if p != keep),
                key=lambda p: p.stat().st_mtime,
                reverse=True,
            )
        except OSError:
            return
        for old in models[KEEP_MODELS:]:
            if active is None or Path(active).resolve() != old.resolve():
                with contextlib.suppress(OSError):
                    old.unlink(missing_ok=True)
