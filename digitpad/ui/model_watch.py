"""Notice at once when the file of the model in use goes: deleted or renamed elsewhere.

The model stays loaded, so nothing breaks, but the user believes it is kept; My
models can write it back ("Keep the model in use again") only if they know. A
``QFileSystemWatcher`` (inotify, kqueue or the Windows API: no polling) follows
the one file. Its report is looked at again a moment later, when a rename or a
delete made in this window has already moved the window to another file, and a
file replaced whole by a program that saves that way is there again.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

# Milliseconds between the report and the look: longer than loading a renamed model takes.
SETTLE_MS = 500


class ModelWatch(QObject):
    """Follows one model file; ``gone(path)`` when it has gone and is still the one followed."""

    gone = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(lambda _path: self._timer.start())
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SETTLE_MS)
        self._timer.timeout.connect(self._look)
        self._path: str | None = None

    def follow(self, path: str | None) -> None:
        """Follow ``path`` (a model file), or nothing for None or a bundled model's name."""
        self.forget()
        if path is not None and Path(path).is_file():
            self._path = path
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
        if Path(path).is_file():
            # Replaced whole (a new file under the name): the watch on the old one has ended.
            if path not in self._watcher.files():
                self._watcher.addPath(path)
            return
        self.forget()
        self.gone.emit(path)
