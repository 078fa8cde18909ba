"""Run a training or search child process and turn its JSON-lines output into Qt signals.

The GUI never imports torch: training runs in a child process started through
the app's own entry point, ``sys.executable -m digitpad train …`` from source
or ``sys.executable train …`` in a frozen (PyInstaller) app, whose executable
*is* the entry point. The child prints one JSON object per line on stdout
(``--progress jsonl``); this class reads them as they come, tolerating partial
lines (kept until their newline arrives) and lines that are not JSON objects
(ignored, so a stray warning cannot break the run), and emits:

``progress(fraction, eta_s, epoch)``
    for every line with a ``fraction``; ``eta_s`` is -1 until it can be estimated
    (by :attr:`eta`, a :class:`digitpad.eta.Eta`: from the rate since the first
    report, so start-up, data loading and warm-up do not distort it, or from an
    expected duration the caller gives it).
``epochFinished(dict)``
    for each ``epoch`` event (``train_loss``, ``test_accuracy``, …).
``finished(str, dict)``
    the child exited with status 0 after a ``done`` event: its ``model`` field
    (or "") and the whole event.
``failed(str, str)``
    anything else: the message (an ``error`` event's message, the last line on
    stderr, or a plain description of how the process ended) and its kind (the
    ``error`` event's ``kind``, one of ``training.events.ERROR_KINDS``; ``bug``
    for a crash or a process that could not start), so callers never parse prose.
``cancelled()``
    :meth:`cancel` was called and the child is gone.
``message(dict)``
    every JSON object read, for callers with their own events.

Exactly one of ``finished``, ``failed`` or ``cancelled`` ends each run.

Reuse for other commands
------------------------
Nothing here is specific to ``train``: :meth:`start` takes the subcommand and
its arguments, so the hyperparameter search runs as
``runner.start(["search", "--data", d, "--progress", "jsonl", ...])`` and
reads its own events (``trial_started``, ``trial_finished``, …) from ``message``;
``epochFinished`` fires for its per-trial ``epoch`` lines too, ``finished``
for its ``done`` line (``model`` is "" when it saved none).

Cancelling sends SIGTERM (the child stops between batches and writes no
model) and kills it after :attr:`kill_grace_ms` if it is still there, so a
cancel takes well under a second. The child writes its model under a
temporary name and renames it when complete, so nothing half-written is ever
left behind. :meth:`stop` waits for the child to end; the part of the window
that owns a runner calls it from its ``shutdown``, which the main window calls
when it closes or the application quits.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import deque

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

from digitpad.eta import Eta

KILL_GRACE_MS = 500
MAX_LINE = 1 << 20  # a "line" longer than this is garbage: drop it
MAX_STDERR_LINE = 500  # an error message is read by a person: keep it to a few lines


def entry_command(args: list[str]) -> tuple[str, list[str]]:
    """The program and arguments that run ``digitpad <args>`` the way this app was started."""
    if getattr(sys, "frozen", False):
        return sys.executable, list(args)
    return sys.executable, ["-m", "digitpad", *args]


def describe_exit(code: int, crashed: bool, name: str = "training") -> str:
    if crashed:
        return f"The {name} process stopped unexpectedly (it crashed or was killed)."
    if code < 0 or code >= 128:
        return f"The {name} process was stopped by signal {abs(code) % 128}."
    return f"The {name} process ended with an error (exit status {code})."


class ChildProcess(QObject):
    """One child process at a time; see the module docstring for the signals."""

    progress = Signal(float, float, int)  # fraction 0–1, seconds left (-1 unknown), epoch
    epochFinished = Signal(dict)
    finished = Signal(str, dict)  # model path, the done event
    failed = Signal(str, str)  # message, kind
    cancelled = Signal()
    started = Signal(dict)  # the child's start event
    message = Signal(dict)  # every event the child prints

    def __init__(
        self,
        parent: QObject | None = None,
        kill_grace_ms: int = KILL_GRACE_MS,
        name: str = "training",
    ) -> None:
        super().__init__(parent)
        self.kill_grace_ms = kill_grace_ms
        # What the child does, in messages: "The search process stopped unexpectedly…"
        self.name = name
        self._process: QProcess | None = None
        self._buffer = b""
        self._stderr: deque[str] = deque(maxlen=20)
        self._done: dict | None = None
        self._error: str | None = None
        self._error_kind = "bug"
        self._cancelling = False
        self._t_start: float | None = None
        self.eta = Eta()
        self._epoch = 0
        self._kill_timer = QTimer(self)
        self._kill_timer.setSingleShot(True)
        self._kill_timer.timeout.connect(self._kill)

    # --- control ------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._process is not None

    def pid(self) -> int:
        return int(self._process.processId()) if self._process is not None else 0

    def start(
        self, args: list[str], env: dict[str, str] | None = None, working_dir: str | None = None
    ) -> None:
        """Run ``digitpad <args>``; raises RuntimeError when a run is already going."""
        if self._process is not None:
            raise RuntimeError(f"a {self.name} process is already running")
        self._buffer = b""
        self._stderr.clear()
        self._done = None
        self._error = None
        self._error_kind = "bug"
        self._cancelling = False
        self._t_start = None
        self.eta = Eta()
        self._epoch = 0
        process = QProcess(self)
        environment = QProcessEnvironment.systemEnvironment()
        environment.insert("PYTHONUNBUFFERED", "1")
        environment.insert("PYTHONIOENCODING", "utf-8")
        # Leave a core to the app so drawing stays smooth while the child computes.
        environment.insert("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 2) - 1)))
        for key, value in (env or {}).items():
            environment.insert(key, value)
        process.setProcessEnvironment(environment)
        if working_dir:
            process.setWorkingDirectory(working_dir)
        process.readyReadStandardOutput.connect(self._read_stdout)
        process.readyReadStandardError.connect(self._read_stderr)
        process.finished.connect(self._on_finished)
        process.errorOccurred.connect(self._on_error)
        self._process = process
        program, arguments = entry_command(args)
        process.start(program, arguments)

    def cancel(self) -> None:
        """Ask the child to stop (SIGTERM), killing it after the grace period."""
        if self._process is None or self._cancelling:
            return
        self._cancelling = True
        self._process.terminate()
        self._kill_timer.start(self.kill_grace_ms)

    def stop(self, timeout_ms: int = 2000) -> None:
        """Cancel and wait until the child is gone (window closing, app quitting)."""
        process = self._process
        if process is None:
            return
        self.cancel()
        if not process.waitForFinished(min(self.kill_grace_ms, timeout_ms)):
            process.kill()
            process.waitForFinished(timeout_ms)
        # waitForFinished delivered finished() synchronously unless the process was gone.
        if self._process is process:
            self._end(cancelled=True)

    # --- reading ------------------------------------------------------------------------
    def _read_stdout(self) -> None:
        if self._process is None:
            return
        self._buffer += bytes(self._process.readAllStandardOutput())
        *lines, self._buffer = self._buffer.split(b"\n")
        if len(self._buffer) > MAX_LINE:
            self._buffer = b""
        for line in lines:
            self._handle_line(line)

    def _read_stderr(self) -> None:
        if self._process is None:
            return
        text = bytes(self._process.readAllStandardError()).decode("utf-8", "replace")
        for line in text.splitlines():
            line = line.strip()
            if len(line) > MAX_STDERR_LINE:
                line = line[:MAX_STDERR_LINE] + "…"
            if line:
                self._stderr.append(line)

    def _handle_line(self, line: bytes) -> None:
        try:
            data = json.loads(line.decode("utf-8", "replace"))
        except ValueError:
            return
        if not isinstance(data, dict) or not isinstance(data.get("event"), str):
            return
        self.message.emit(data)
        kind = data["event"]
        if kind in ("start", "search_started") and self._t_start is None:
            self._t_start = time.monotonic()
            self.started.emit(data)
        elif kind == "error":
            self._error = str(data.get("message") or f"the {self.name} process reported an error")
            self._error_kind = str(data.get("kind") or "bug")
        elif kind == "done":
            self._done = data
        elif kind == "cancelled" and not self._cancelling:
            self._error = (
                f"The {self.name} process was stopped from outside before it finished"
                f" ({data.get('message') or 'no model written'})."
            )
        if isinstance(data.get("epoch"), int):
            self._epoch = data["epoch"]
        fraction = data.get("fraction")
        if isinstance(fraction, (int, float)) and kind != "done":
            self._emit_progress(float(fraction))
        if kind == "epoch":
            self.epochFinished.emit(data)

    def _emit_progress(self, fraction: float) -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        eta = self.eta.update(fraction)
        self.progress.emit(fraction, -1.0 if eta is None else eta, self._epoch)

    # --- endings ------------------------------------------------------------------------
    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and self._process is not None:
            self._error = (
                f"Could not start the {self.name} process ({sys.executable}): "
                f"{self._process.errorString()}"
            )
            self._end()

    def _on_finished(self, code: int, status: QProcess.ExitStatus) -> None:
        if self._process is None:
            return
        self._read_stdout()
        if self._buffer.strip():
            self._handle_line(self._buffer)
            self._buffer = b""
        self._read_stderr()
        crashed = status == QProcess.ExitStatus.CrashExit
        self._end(code=code, crashed=crashed)

    def _end(self, code: int = -1, crashed: bool = True, cancelled: bool = False) -> None:
        self._kill_timer.stop()
        process, self._process = self._process, None
        if process is not None:
            process.deleteLater()
        if cancelled or self._cancelling:
            self._cancelling = False
            self.cancelled.emit()
            return
        if self._done is not None and not crashed and code == 0:
            model = self._done.get("model")
            self.finished.emit(str(model) if model else "", dict(self._done))
            return
        if self._error:
            message = self._error
        elif self._stderr:
            message = f"{describe_exit(code, crashed, self.name)}\n{self._stderr[-1]}"
        else:
            message = describe_exit(code, crashed, self.name)
        self.failed.emit(message, self._error_kind if self._error else "bug")

    def _kill(self) -> None:
        if self._process is not None:
            self._process.kill()
