"""How a training run reports: a tqdm bar for people, JSON lines for the GUI.

JSON lines mode prints one object per line on stdout, each with an ``event``:
``phase`` (``phase`` is ``starting``, ``data``, ``evaluating`` or ``saving``, with
a ``message`` for people; ``data`` also has ``step`` and ``steps``), ``start``
(config, sample counts; training begins), ``progress`` (about every 0.5 s: epoch, step,
fraction of the run done, loss), ``epoch`` (train loss, test accuracy), and last one of
``done`` (model path, accuracy), ``error`` (message and ``kind``, one of
``events.ERROR_KINDS``) or ``cancelled``, each flushed at once. The search adds its own
events (``search_started``, ``trial_started``, ``trial_finished``, ``trial_pruned``,
``final_started``: ``training/search/run.py``, ``trial.py`` and ``final.py``). The app
reads these lines (``digitpad/ui/child_process.py`` turns them into Qt signals, which
the retrain, search and learning parts read): an event or field renamed here must
change there too.
"""

from __future__ import annotations

import json
import sys
import time
from typing import IO, Any

from training.events import Progress, error_kind

PROGRESS_INTERVAL_S = 0.5


def emit(event: str, stream: IO[str] | None = None, **fields: Any) -> None:
    """Print one JSON event line and flush, so a reading process sees it at once."""
    stream = stream or sys.stdout
    stream.write(json.dumps(_strict({"event": event, **fields})) + "\n")
    stream.flush()


def _strict(value: Any) -> Any:
    """``value`` with a file name's undecodable bytes as U+FFFD, in nested records too.

    Python keeps such bytes as lone surrogates, which ``json.dumps`` writes as
    ``\\udcXX`` escapes that strict JSON parsers refuse.
    """
    if isinstance(value, str):
        try:
            raw = value.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # a surrogate that does not stand for a byte
            raw = value.encode("utf-8", "surrogatepass")
        return raw.decode("utf-8", "replace")
    if isinstance(value, dict):
        return {_strict(k): _strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict(v) for v in value]
    return value


def report_error(exc: BaseException | str, kind: str | None = None) -> None:
    """Tell a person (one line on stderr) and the app (an ``error`` event) what failed."""
    if isinstance(exc, OSError) and exc.strerror and exc.filename:
        message = f"{exc.filename}: {exc.strerror}"  # not Python's "[Errno 13] …" form
        kind = kind or error_kind(exc)
    elif isinstance(exc, BaseException):
        message = str(exc) or type(exc).__name__
        kind = kind or error_kind(exc)
    else:
        message = exc
    sys.stderr.write(f"error: {message}\n")
    emit("error", message=message, kind=kind or "input")


PHASES = ("starting", "data", "training", "evaluating", "saving")


class Reporter:
    """Receives the run's events; subclasses decide how they look."""

    def phase(self, name: str, message: str, **fields: Any) -> None:
        """The run moved on to ``name`` (one of :data:`PHASES`); ``message`` says what it does."""

    def start(self, **info: Any) -> None: ...

    def progress(self, p: Progress) -> None: ...

    def close(self) -> None: ...


class JsonlReporter(Reporter):
    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout
        self._last = 0.0

    def phase(self, name: str, message: str, **fields: Any) -> None:
        emit("phase", self.stream, phase=name, message=message, **fields)

    def start(self, **info: Any) -> None:
        emit("start", self.stream, **info)
        self._last = time.monotonic()

    def progress(self, p: Progress) -> None:
        if p.epoch_end:
            emit(
                "epoch",
                self.stream,
                epoch=p.epoch,
                epochs=p.epochs,
                fraction=round(p.fraction, 4),
                **_rounded(p.metrics),
            )
            return
        now = time.monotonic()
        if now - self._last >= PROGRESS_INTERVAL_S:
            self._last = now
            emit(
                "progress",
                self.stream,
                epoch=p.epoch,
                epochs=p.epochs,
                step=p.step,
                steps=p.steps,
                fraction=round(p.fraction, 4),
                loss=round(p.loss, 5),
            )


class TqdmReporter(Reporter):
    """A bar over all steps of the run on stderr, with loss and test accuracy after it."""

    def __init__(self) -> None:
        self._bar = None
        self._done = 0

    def phase(self, name: str, message: str, **fields: Any) -> None:
        if name == "training":
            return
        if self._bar is None:
            sys.stderr.write(message + "\n")
        else:  # above the bar, which stays the last line and ends at 100%
            self._bar.write(message, file=sys.stderr)

    def start(self, **info: Any) -> None:
        from tqdm import tqdm

        self._bar = tqdm(
            total=info["epochs"] * info["steps_per_epoch"],
            unit="batch",
            file=sys.stderr,
            dynamic_ncols=True,
        )

    def progress(self, p: Progress) -> None:
        if self._bar is None:
            return
        done = (p.epoch - 1) * p.steps + p.step
        self._bar.update(done - self._done)
        self._done = done
        postfix = {"epoch": f"{p.epoch}/{p.epochs}", "loss": f"{p.loss:.4f}"}
        if "test_accuracy" in p.metrics:
            postfix["test_acc"] = f"{p.metrics['test_accuracy']:.4f}"
        if p.epoch_end or p.step % 20 == 0:
            self._bar.set_postfix(postfix, refresh=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _rounded(metrics: dict) -> dict:
    return {k: round(v, 6) if isinstance(v, float) else v for k, v in metrics.items()}
