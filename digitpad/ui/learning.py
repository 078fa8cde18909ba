"""Model → Learn my handwriting: fine-tune the current model on the user's corrections.

The child process (``digitpad adapt …``) does the work in seconds; this class
starts it, shows its progress in the status bar, and swaps the adapted model
in through the model store when it is done, which also keeps it as the
user's model (Model → Reset to bundled model goes back). Nothing here imports
torch or blocks the window.

The child is given a copy of the model in use as it is loaded, in a temporary
folder, never the model's own file: another DigitPad window on the same data
folder, or Model → My models, may have renamed, deleted or replaced that file
since (``--source`` names it, for the adapted model's record). Beside it go the
corrections as they are at the start: one made while the child runs waits for
the next run, where it is asked about if it overrules a sure answer. Linking
or copying thousands of them takes a noticeable moment, so a thread does it
while the window goes on; the child starts when it is done.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction

from digitpad.networks import DEFAULT_ARCH
from digitpad.ui.child_process import ChildProcess
from digitpad.ui.confirm import confirm
from digitpad.ui.model_store import pruned_message, written
from digitpad.ui.settings import BUNDLED_MODELS
from digitpad.words import a_digit, in_data_folder, os_reason, plural, without_errno

log = logging.getLogger(__name__)

LEARN = "&Learn my handwriting"
# While it runs the same menu entry stops it: where the user started it, they find the way back.
STOP = "Stop &learning my handwriting"
STOP_HINT = "the Model menu stops it"
# What the status line says while a child runs; it says it again only over its own words (or
# none), never over an answer the user is reading.
RUNNING = "Learning your handwriting"
FAILED = "Could not learn your handwriting"
# The temporary folders the loaded model is copied into for the child.
COPY_PREFIX = "digitpad-learning-"
STALE_COPY_SECONDS = 24 * 3600
# The kinds whose Retrain dialog advice fits learning too (the others are about MNIST,
# which learning never reads).
ADVISED_KINDS = ("disk", "model")


def doubt_question(doubts: list[tuple[int, int]]) -> str:
    """Asked before learning from corrections that overrule answers the model was sure of:
    one slip (a 1 saved as a 7 by a stray key) would teach it to misread that way."""
    saved, read = doubts[0]
    example = f"{a_digit(read)} saved as {a_digit(saved)}"
    them = "it as it is" if len(doubts) == 1 else "them as they are"
    which = (
        f"One of your corrections ({example})"
        if len(doubts) == 1
        else f"{len(doubts)} of your corrections (such as {example})"
    )
    return (
        f"{which} {'overrules an answer' if len(doubts) == 1 else 'overrule answers'} the model "
        "was sure of. "
        "If it is your way of writing, learning teaches it; if it was a slip, it would teach "
        f"the model to misread. Learn from {them}? "
        "(Model → Corrections → Show all… relabels or deletes a slip.)"
    )


@dataclass(eq=False)
class Preparing:
    """A run whose corrections a thread copies into ``folder``: what its child is then
    given (the model and its source as they were when it began), and what to call then."""

    folder: Path
    model: str
    source: str
    out: Path
    then: Callable[[], object]
    cancel: threading.Event = field(default_factory=threading.Event)


class HandwritingLearner(QObject):
    """Owns the "Learn my handwriting" action and its child process."""

    # The adapted model is in use: its path.
    learned = Signal(str)
    # From the copying thread: the run, and how many drawings it copied or what went wrong.
    _snapshotted = Signal(object, object)

    def __init__(
        self,
        window,
        store,
        corrections,
        userdata,
        doubts: Callable[[], list[tuple[int, int]]] = list,
        accept_doubts: Callable[[], object] = lambda: None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.store = store
        self.corrections = corrections
        self.userdata = userdata
        # (saved as, read as) of the corrections that overrule an answer the model was sure
        # of: a deliberate new style, or a slip (see _toggle). Cleared once learned from.
        self.doubts, self.accept_doubts = doubts, accept_doubts
        self.question = None  # asked before learning from doubtful corrections (tests answer)
        self.runner = ChildProcess(self, name="learning")
        self.runner.progress.connect(self._on_progress)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(self._on_cancelled)
        self.action = QAction(LEARN, window)
        self.action.triggered.connect(self._toggle)
        self._started = 0.0
        self._count = 0  # corrections the running child learns
        self._fraction: float | None = None  # how far it is, once it says
        # The child takes a few seconds to start (torch) before it reports: the seconds tick.
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._say_progress)
        self._copy_folder: Path | None = None  # the loaded model's copy, while a child runs
        self._preparing: Preparing | None = None  # a run whose corrections are copied
        self._snapshotted.connect(self._on_snapshotted)
        # The files the running child learns, then the model it made and those files.
        self._learning: frozenset[str] = frozenset()
        self._learned: tuple[str, frozenset[str]] | None = None
        sweep_copies()  # of runs that were killed: nothing else would ever delete them

    @property
    def busy(self) -> bool:
        """Whether a run is under way: its corrections being copied, or its child at work."""
        return self._preparing is not None or self.runner.running

    def refresh(self, count: int) -> None:
        """Offer learning when there are corrections, and stopping while it runs."""
        running = self.busy
        self.action.setEnabled(running or count > 0)
        self.action.setText(action_text(running, count))
        self.action.setToolTip(
            "Stop learning; the model in use stays as it is"
            if running
            else "Adapt the current model to your corrected drawings (seconds)"
        )

    def _toggle(self) -> None:
        self.question = None
        if self.busy:
            self.stop()
            return
        if self._nothing_new():
            count = len(self._learned[1])
            them = f"your {count} corrections" if count != 1 else "your correction"
            self.question = confirm(
                self.window,
                "Learn my handwriting",
                f"The model in use has already learned {them}, and nothing has been added or "
                "changed since. Learning again leans it further towards them. Learn again?",
                self._ask_about_doubts,
                "Learn again",
            )
            return
        self._ask_about_doubts()

    def _nothing_new(self) -> bool:
        """Whether the model in use is this window's last learned one, and the corrections
        are the ones it learned from, as they were."""
        if self._learned is None:
            return False
        model, names = self._learned
        now = frozenset(p.name for p in self.corrections.paths())
        return self.window.recognition.model_source == model and now == names

    def _ask_about_doubts(self) -> None:
        doubts = self.doubts()
        if not doubts:
            self.start()
            return
        self.question = confirm(
            self.window,
            "Learn my handwriting",
            doubt_question(doubts),
            self._learn_anyway,
            "Learn anyway",
        )

    def _learn_anyway(self) -> None:
        # Answered for once the child starts: not asked again (unless it could not start).
        self.start(then=self.accept_doubts)

    def stop(self) -> None:
        """Stop a learning run: the child is asked to end and nothing it wrote is kept."""
        if self._preparing is not None:  # no child yet: the copying thread stops and tidies
            self._preparing.cancel.set()
            self._preparing = None
            self._on_cancelled()
        elif self.runner.running:
            self.window.statusBar().showMessage("Stopping the learning…")
            self.runner.cancel()

    def source(self) -> str:
        """The model to adapt: the one in use, a bundled one by its name."""
        return self.window.recognition.model_source or DEFAULT_ARCH

    def start(self, then: Callable[[], object] = lambda: None) -> bool:
        """Begin a run: the corrections are copied by a thread, then the child starts and
        ``then`` is called. False when it cannot begin (said)."""
        if self.busy:
            return False
        listed = self.corrections.paths()
        names = frozenset(p.name for p in listed)
        if not names:
            self.window.statusBar().showMessage(
                "Correct a few drawings first: click the right bar or press its number.", 5000
            )
            return False
        self._forget_copy()
        try:
            self._copy_folder = Path(tempfile.mkdtemp(prefix=COPY_PREFIX))
        except OSError as exc:
            self._say_copy_failure("corrections", exc)
            return False
        model = self.window.recognition.model
        arch = model.arch if model is not None else DEFAULT_ARCH
        try:
            self.store.clear_pending("adapted")  # left by a run that was stopped
            out = self.store.pending_path(arch, "adapted")
        except OSError as exc:
            self._forget_copy()
            self._say_failure(
                f"cannot write to {in_data_folder(exc, self.userdata.root)}: {os_reason(exc)}"
            )
            return False
        model_file = self._model_to_adapt()
        if model_file is None:
            self._forget_copy()
            self._discard_pending()
            return False
        self._learning = names
        self._preparing = Preparing(self._copy_folder, model_file, self.source(), out, then)
        threading.Thread(
            target=self._copy_corrections,
            args=(self._preparing, listed),
            name="learning-copy",
            daemon=True,
        ).start()
        self._started = time.monotonic()
        self._count, self._fraction = len(names), None
        self.refresh(len(names))
        self._ticker.start()
        self.window.statusBar().showMessage(running_words(len(names), None, 0.0))
        return True

    def _copy_corrections(self, run: Preparing, listed: list[Path]) -> None:
        """On the copying thread: link or copy the corrections listed for ``run``; a run
        stopped meanwhile (or a window closed) stops it, and its folder goes."""
        try:
            result: int | Exception = self.corrections.snapshot(
                run.folder / "corrections", listed, stop=run.cancel.is_set
            )
        except Exception as exc:  # said by the window: the run must not stay busy
            result = exc
        if not run.cancel.is_set():
            with contextlib.suppress(RuntimeError):  # the window has gone meanwhile
                self._snapshotted.emit(run, result)
                return
        shutil.rmtree(run.folder, ignore_errors=True)

    def _on_snapshotted(self, run: Preparing, result: int | Exception) -> None:
        """The corrections are copied: start the child, unless the run was stopped meanwhile
        (its folder is then deleted here)."""
        if run is not self._preparing:
            shutil.rmtree(run.folder, ignore_errors=True)
            return
        self._preparing = None
        if isinstance(result, Exception):
            self._forget_copy()
            self._discard_pending()
            if isinstance(result, OSError):
                self._say_copy_failure("corrections", result)
            else:
                log.error("copying the corrections failed", exc_info=result)
                self._say_failure(f"the corrections could not be copied: {result}")
            return
        if result == 0:  # all deleted meanwhile (Delete all, another window)
            self._forget_copy()
            self._discard_pending()
            self.refresh(self.corrections.count())
            self.window.statusBar().showMessage(
                "Correct a few drawings first: click the right bar or press its number.", 5000
            )
            return
        self._launch(run, result)

    def _launch(self, run: Preparing, count: int) -> None:
        copied = ["--source", run.source] if run.model != run.source else []
        args = [
            "adapt",
            "--model",
            run.model,
            *copied,
            "--corrections",
            str(run.folder / "corrections"),
            "--out",
            str(run.out),
            "--progress",
            "jsonl",
            "--background",
        ]
        self._count = count
        self.runner.start(args, env=self.userdata.child_environment())
        self.refresh(count)
        if not self.runner.running:  # could not start: already said in the strip
            self._ticker.stop()
            self._forget_copy()
            self._discard_pending()
            return
        run.then()

    def _say_copy_failure(self, what: str, exc: OSError) -> None:
        self._forget_copy()
        self._say_failure(
            f"the {what} could not be copied to the temporary folder "
            f"{tempfile.gettempdir()}: {os_reason(exc)}"
        )

    def _model_to_adapt(self) -> str | None:
        """The --model to give the child: a bundled model's name, or a copy of the model as
        it is loaded, never its file, which another window may have deleted or replaced
        with another model of the same name since; None when the copy could not be written
        (said)."""
        source = self.source()
        model = self.window.recognition.model
        if source in BUNDLED_MODELS or model is None:
            return source
        try:
            return str(self._copy_loaded(model, Path(source).name))
        except OSError as exc:
            self._say_copy_failure("model in use", exc)
            return None

    def _copy_loaded(self, model, name: str) -> Path:
        """Write the loaded model where the child can read it, under its file's old name
        (which the adapted model records as where it came from)."""
        from digitpad.model_file import save_model

        path = self._copy_folder / "model" / name
        path.parent.mkdir()
        save_model(path, model.arch, model.params, model.meta)
        return path

    def _forget_copy(self) -> None:
        """The copy is needed only until the child has ended."""
        if self._copy_folder is not None:
            shutil.rmtree(self._copy_folder, ignore_errors=True)
            self._copy_folder = None

    def _on_progress(self, fraction: float, _eta: float, _epoch: int) -> None:
        self._fraction = fraction
        self._say_progress()

    def _say_progress(self) -> None:
        if not self.busy:
            self._ticker.stop()
            return
        bar = self.window.statusBar()
        if bar.currentMessage().startswith(RUNNING) or not bar.currentMessage():
            waited = time.monotonic() - self._started
            bar.showMessage(running_words(self._count, self._fraction, waited))

    def _on_cancelled(self) -> None:
        self._forget_copy()
        self._discard_pending()
        self.refresh(self.corrections.count())
        self.window.statusBar().showMessage(
            "Stopped learning your handwriting; the model in use is unchanged.", 5000
        )

    def _discard_pending(self) -> None:
        """A stopped run may have written its model (or part of it) just before it ended."""
        with contextlib.suppress(OSError):  # unreadable now: the next run clears it
            self.store.clear_pending("adapted")

    def _as_saved(self, text: str) -> str:
        """The child's words with the corrections' copy named as the folder they are in."""
        if self._copy_folder is None:
            return text
        return text.replace(str(self._copy_folder / "corrections"), str(self.corrections.folder))

    def _on_finished(self, path: str, done: dict) -> None:
        skipped = done.get("skipped")
        skipped = [self._as_saved(str(s)) for s in skipped] if isinstance(skipped, list) else []
        self._forget_copy()
        self.refresh(self.corrections.count())
        if not written(path):
            self._say_failure("the learning process ended without writing a model.", True)
            return
        try:
            kept = self.store.adopt(path)
        except OSError as exc:
            self._say_failure(
                f"the adapted model {Path(path).name} could not be kept in "
                f"{self.userdata.models}: {os_reason(exc)}",
                unbidden=True,
            )
            return
        waited = time.monotonic() - self._started
        # In the strip, not the status bar: loading the new model and predicting the drawing
        # on the canvas would replace a status message at once.
        message = learned_message(done.get("corrections"), waited)
        if skipped:
            message += "\n" + left_out_message(skipped)
        if self.store.last_pruned:
            message += "\n" + pruned_message(self.store.last_pruned)
        self.window.banner.show_message(message, "info", about=str(kept), unbidden=True)
        self._learned = (str(kept), self._learning)
        self.learned.emit(str(kept))

    def _on_failed(self, message: str, kind: str = "bug") -> None:
        """The child failed: say why in words, and what to do, chosen by the error's kind."""
        message = self._as_saved(message)
        self._forget_copy()
        self._say_failure(child_failure(message, kind, self.userdata.root), unbidden=True)

    def _say_failure(self, text: str, unbidden: bool = False) -> None:
        self.refresh(self.corrections.count())
        self.window.show_error(f"{FAILED}: {text}", unbidden=unbidden)

    def shutdown(self) -> None:
        if self._preparing is not None:  # the copying thread stops and tidies up
            self._preparing.cancel.set()
            self._preparing = None
        self.runner.stop()
        self._forget_copy()
        self._discard_pending()


def sweep_copies(older_than: float = STALE_COPY_SECONDS) -> None:
    """Delete the model copies of learning runs that ended a day ago or more without
    deleting them (the app was killed); another window's running copy is younger."""
    now = time.time()
    with contextlib.suppress(OSError):
        for folder in Path(tempfile.gettempdir()).glob(f"{COPY_PREFIX}*"):
            with contextlib.suppress(OSError):
                if folder.is_dir() and now - folder.stat().st_mtime > older_than:
                    shutil.rmtree(folder, ignore_errors=True)


def running_words(count: int, fraction: float | None, seconds: float) -> str:
    """The status line while learning: from how many drawings, how far or how long so far."""
    done = f"{fraction:.0%}" if fraction is not None else f"{seconds:.0f} s"
    return f"{RUNNING} from {plural(count, 'correction')}… {done} ({STOP_HINT})"


def action_text(running: bool, count: int) -> str:
    """The menu entry: stop while running, else learn (and what it needs first)."""
    if running:
        return STOP
    return LEARN if count else f"{LEARN} (correct a drawing first)"


def child_failure(message: str, kind: str, data_folder: Path) -> str:
    """The child's message without Python's "[Errno N]" form, naming the data folder it
    writes in when a disk error names no file, with the Retrain dialog's advice for its kind."""
    from digitpad.ui.retrain_dialog import HINTS  # the one owner of advice by kind

    text = message.strip()
    bare = without_errno(text)
    if bare != text and kind == "disk":
        bare = f"{bare} (in DigitPad's data folder {data_folder})"
    hint = HINTS.get(kind) if kind in ADVISED_KINDS else None
    return f"{bare.rstrip('.')}. {hint}" if hint else bare


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
