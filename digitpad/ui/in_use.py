"""Which models the DigitPad windows on one data folder have in use.

Making room for a new model (see ``ModelStore._prune``) must not delete the model
another window, started on the same data folder, is using: that window would
name a file that is gone, and lose it at its next start. Each window holds a
lock file in ``models/.in-use`` while it runs, and beside it a note of the
model it uses. The lock is a :class:`QLockFile`, which names the process holding
it: the lock of a window that was killed is seen as stale, and its note goes.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from pathlib import Path

from PySide6.QtCore import QLockFile

from digitpad.atomic import replace_file

FOLDER = ".in-use"

log = logging.getLogger(__name__)


class ModelsInUse:
    """This window's note of the model it uses, and a reading of the other windows' notes."""

    def __init__(self, models: Path) -> None:
        self.folder = Path(models) / FOLDER
        self._name = uuid.uuid4().hex
        self._lock: QLockFile | None = None

    @property
    def _note(self) -> Path:
        return self.folder / f"{self._name}.model"

    def mark(self, source: str | None) -> None:
        """Note that this window now uses ``source`` (a model file, or a bundled model's name).

        Best effort: a folder that cannot be written leaves the model unprotected against
        another window's pruning, which is no reason to refuse it.
        """
        try:
            if self._lock is None:
                self.folder.mkdir(parents=True, exist_ok=True)
                lock = QLockFile(str(self.folder / f"{self._name}.lock"))
                if not lock.tryLock(0):
                    raise OSError(f"cannot lock {lock.fileName()} ({lock.error().name})")
                self._lock = lock
            replace_file(self._note, (source or "").encode("utf-8"))
        except OSError as exc:
            log.warning("cannot note the model in use for other windows: %s", exc)

    def release(self) -> None:
        """This window is closing: its note goes first, then its lock."""
        with contextlib.suppress(OSError):
            self._note.unlink(missing_ok=True)
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None

    def elsewhere(self) -> list[str]:
        """The models the other running windows use. The notes of windows that are gone
        (killed, or their lock taken away) are deleted on the way."""
        try:
            notes = [note for note in self.folder.glob("*.model") if note.stem != self._name]
        except OSError:
            return []
        used = []
        for note in notes:
            lock = QLockFile(str(note.with_suffix(".lock")))
            lock.setStaleLockTime(0)  # a window open for days is no less alive
            if lock.tryLock(0):  # nobody holds it: that window is gone
                with contextlib.suppress(OSError):
                    note.unlink()
                lock.unlock()
                continue
            # Held, or it cannot be told: the note stands.
            with contextlib.suppress(OSError, UnicodeDecodeError):
                used.append(note.read_text("utf-8"))
        return used
