"""Notice at once when the file of the model in use goes or changes under the window.

The model stays loaded, so nothing breaks, but the user believes it is kept; My
models can write it back ("Keep the model in use again") only if they know. A
``QFileSystemWatcher`` (inotify, kqueue or the Windows API: no polling) follows
the one file. Its report is looked at again a moment later, when a rename or a
delete made in this window has already moved the window to another file; a file
there again, but not the one loaded (another model, garbage, no longer readable),
is reported as replaced.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

# Milliseconds between the report and the look: longer than loading a renamed model takes.
SETTLE_MS = 500


def signature(path: str) -> tuple[int, int, int, int] | None:
    """What tells a file's contents apart cheaply: its inode, size, time and mode."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_ino, found.st_size, found.st_mtime_ns, found.st_mode


class ModelWatch(QObject):
    """Follows one model file; ``gone(path)`` when it has gone, ``replaced(path)`` when
    another file (or other contents, or other permissions) is there now."""

    gone = Signal(str)
    replaced = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(lambda _path: self._timer.start())
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SETTLE_MS)
        self._timer.timeout.connect(self._look)
        self._path: str | None = None
        self._signature: tuple[int, int, int, int] | None = None

    def follow(self, path: str | None) -> None:
        """Follow ``path`` (a model file), or nothing for None or a bundled model's name."""
        self.forget()
        if path is not None and Path(path).is_file():
            self._path, self._signature = path, signature(path)
            self._watcher.addPath(path)

    def forget(self) -> None:
        """Follow nothing: this window is about to move or delete the file itself."""
        self._timer.stop()
        self._path = None
        if self._watcher.files():
            self._watcher.removePaths(self._watcher.files())

    def _look(self) -> None:
        path = self._path
        if path is None:
            return
        now = signature(path)
        if now is None:
            self.forget()
            self.gone.emit(path)
            return
        if path not in self._watcher.files():  # replaced whole: the old file's watch ended
            self._watcher.addPath(path)
        if now != self._signature:
            self._signature = now
            self.replaced.emit(path)
