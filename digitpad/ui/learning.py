"""Model → Learn my handwriting: fine-tune the current model on the user's corrections.

The child process (``digitpad adapt …``) does the work in seconds; this class
starts it, shows its progress in the status bar, and swaps the adapted model
in through the model store when it is done, which also keeps it as the
user's model (Model → Reset to bundled model goes back). Nothing here imports
torch or blocks the window.
"""

from __future__ import annotations

import contextlib
import time

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction

from digitpad.networks import DEFAULT_ARCH
from digitpad.ui.child_process import ChildProcess
from digitpad.words import os_reason, plural

LEARN = "&Learn my handwriting"
# While it runs the same menu entry stops it: where the user started it, they find the way back.
STOP = "Stop &learning my handwriting"
STOP_HINT = "Model → Stop learning my handwriting stops it"


class HandwritingLearner(QObject):
    """Owns the "Learn my handwriting" action and its child process."""

    # The adapted model is in use: its path.
    learned = Signal(str)

    def __init__(self, window, store, corrections, userdata) -> None:
        super().__init__(window)
        self.window = window
        self.store = store
        self.corrections = corrections
        self.userdata = userdata
        self.runner = ChildProcess(self, name="learning")
        self.runner.progress.connect(self._on_progress)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(self._on_cancelled)
        self.action = QAction(LEARN, window)
        self.action.triggered.connect(self._toggle)
        self._started = 0.0

    def refresh(self, count: int) -> None:
        """Offer learning when there are corrections, and stopping while it runs."""
        running = self.runner.running
        self.action.setEnabled(running or count > 0)
        self.action.setText(action_text(running, count))
        self.action.setToolTip(
            "Stop learning; the model in use stays as it is"
            if running
            else "Adapt the current model to your corrected drawings (seconds)"
        )

    def _toggle(self) -> None:
        if self.runner.running:
            self.stop()
        else:
            self.start()

    def stop(self) -> None:
        """Stop a learning run: the child is asked to end and nothing it wrote is kept."""
        if self.runner.running:
            self.window.statusBar().showMessage("Stopping the learning…")
            self.runner.cancel()

    def source(self) -> str:
        """The model to adapt: the one in use, a bundled one by its name."""
        return self.window.recognition.model_source or DEFAULT_ARCH

    def start(self) -> bool:
        count = self.corrections.count()
        if count == 0:
            self.window.statusBar().showMessage(
                "Correct a few drawings first: click the right bar or press its number.", 5000
            )
            return False
        if self.runner.running:
            return False
        model = self.window.recognition.model
        arch = model.arch if model is not None else DEFAULT_ARCH
        try:
            self.store.clear_pending("adapted")  # left by a run that was stopped
            out = self.store.pending_path(arch, "adapted")
        except OSError as exc:
            self.window.show_error(
                "Could not learn your handwriting: cannot write to DigitPad's data folder "
                f"{self.userdata.root}: {os_reason(exc)}"
            )
            return False
        args = [
            "adapt",
            "--model",
            self.source(),
            "--corrections",
            str(self.corrections.folder),
            "--out",
            str(out),
            "--progress",
            "jsonl",
            "--background",
        ]
        self._started = time.monotonic()
        self.runner.start(args, env=self.userdata.child_environment())
        self.refresh(count)
        if not self.runner.running:  # could not start: already said in the strip
            return False
        self.window.statusBar().showMessage(
            f"Learning your handwriting from {plural(count, 'correction')}… ({STOP_HINT})"
        )
        return True

    def _on_progress(self, fraction: float, _eta: float, _epoch: int) -> None:
        self.window.statusBar().showMessage(
            f"Learning your handwriting… {fraction:.0%} ({STOP_HINT})"
        )

    def _on_cancelled(self) -> None:
        self._discard_pending()
        self.refresh(self.corrections.count())
        self.window.statusBar().showMessage(
            "Stopped learning your handwriting; the model in use is unchanged.", 5000
        )

    def _discard_pending(self) -> None:
        """A stopped run may have written its model (or part of it) just before it ended."""
        with contextlib.suppress(OSError):  # unreadable now: the next run clears it
            self.store.clear_pending("adapted")

    def _on_finished(self, path: str, done: dict) -> None:
        self.refresh(self.corrections.count())
        if not path:
            self._on_failed("The learning process ended without writing a model.")
            return
        try:
            kept = self.store.adopt(path)
        except OSError as exc:
            self._on_failed(f"The adapted model could not be kept: {exc}")
            return
        waited = time.monotonic() - self._started
        # In the strip, not the status bar: loading the new model and predicting the drawing
        # on the canvas would replace a status message at once.
        message = learned_message(done.get("corrections"), waited)
        skipped = done.get("skipped")
        if isinstance(skipped, list) and skipped:
            message += "\n" + left_out_message(skipped)
        self.window.banner.show_message(message, "info", about=str(kept))
        self.learned.emit(str(kept))

    def _on_failed(self, message: str, kind: str = "bug") -> None:
        self.refresh(self.corrections.count())
        self.window.show_error(f"Could not learn your handwriting: {message}")

    def shutdown(self) -> None:
        self.runner.stop()
        self._discard_pending()


def action_text(running: bool, count: int) -> str:
    """The menu entry: stop while running, else learn (and what it needs first)."""
    if running:
        return STOP
    return LEARN if count else f"{LEARN} (correct a drawing first)"


def learned_message(count: object, seconds: float) -> str:
    """What to tell the user once their own model is in use, and how to go back."""
    drawings = "corrections"
    if isinstance(count, int):
        drawings = plural(count, "correction")
    return (
        f"Learned your handwriting from {drawings} in {seconds:.1f} s: DigitPad now uses your "
        "own model (Model → Reset to bundled model goes back)."
    )


def left_out_message(skipped: list) -> str:
    """What to tell the user about corrections the learning could not read."""
    count = len(skipped)
    listed = "\n".join(f"• {reason}" for reason in skipped[:3])
    more = f"\n• and {count - 3} more" if count > 3 else ""
    return (
        f"{plural(count, 'corrected drawing')} could not be read and "
        f"{'were' if count != 1 else 'was'} left out:\n{listed}{more}\n"
        "Model → Corrections → Show all… lets you delete them."
    )
