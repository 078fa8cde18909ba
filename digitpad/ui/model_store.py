"""The user's own models: swap one in at once, keep it in the data folder, reset to bundled.

A retrain writes its model into ``<data>/models/pending/`` (the child writes a
temporary file and renames it when complete). When it finishes, the model is
kept in ``<data>/models/`` (:meth:`ModelStore.keep`), used or not: the Model
menu lists those (:meth:`ModelStore.models`) to choose, rename or delete.
Choosing "Use this model" asks the window's
:class:`~digitpad.ui.inference.Recognition` to load it: the window then shows it,
predicts with it, and records it as the chosen model in the settings, which is
how it comes back on the next start. Models are never written inside the
installed package. "Reset to bundled model" loads the shipped FCNN again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from digitpad.atomic import STALE_SECONDS
from digitpad.networks import DEFAULT_ARCH
from digitpad.userdata import UserData
from digitpad.words import plural

RESET_SOURCE = DEFAULT_ARCH
# Unnamed models kept in the data folder besides the new one; older ones go (see _prune).
KEEP_MODELS = 8
NAME = re.compile(r"^[\w][\w .,+()-]{0,59}$")  # what a model may be renamed to
# The names pending_path gives (numbered by free_name when kept beside a namesake): a model
# still called so is one the user never named.
GENERATED = re.compile(r"^\w+-(?P<kind>retrained|adapted)-\d{8}-\d{6}(-\d+)?$")
# An empty pending file is a run's reserved name (another window's, maybe); no run lasts a day.
RESERVATION_SECONDS = 24 * 3600


def pruned_message(count: int) -> str:
    """What the window says when keeping a model deleted ``count`` old unnamed ones."""
    which = "the oldest unnamed model" if count == 1 else f"the {count} oldest unnamed models"
    return (
        f"Deleted {which} to make room; rename a model under Model → My models to keep it for good."
    )


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two model sources name one file, through links and relative paths (a bundled
    model's name is no file)."""
    return Path(a).resolve() == Path(b).resolve()


def display_name(path: str | os.PathLike) -> str:
    """What the window calls a kept model: its file name, but "Your model" for one that
    Learn my handwriting made and the user has not named (its name is a time stamp)."""
    stem = Path(path).stem
    generated = GENERATED.match(stem)
    return "Your model" if generated and generated["kind"] == "adapted" else stem


def spoken_name(path: str | os.PathLike) -> str:
    """A kept model as messages name it: as the menu does, with the time an unnamed model
    of the user's was made, since there may be several."""
    name = display_name(path)
    if name == Path(path).stem:
        return name
    try:
        made = dt.datetime.fromtimestamp(Path(path).stat().st_mtime)
    except (OSError, ValueError):
        return name
    return f"{name} of {made:%d %b %H:%M}"


def written(path: str | os.PathLike) -> bool:
    """Whether a run wrote its model at ``path``: its name is reserved as an empty file
    until then (see :meth:`ModelStore.pending_path`)."""
    try:
        return bool(path) and Path(path).is_file() and Path(path).stat().st_size > 0
    except OSError:
        return False


@dataclass(frozen=True)
class UserModel:
    """One of the user's kept models, as the Model menu lists it."""

    path: Path
    modified: dt.datetime
    accuracy: float | None  # MNIST test accuracy from its metadata, when it records one
    readable: bool = True  # False: the file is not a model DigitPad can load
    learned_from: int | None = None  # an adapted model's count of corrections

    @property
    def name(self) -> str:
        return display_name(self.path)

    @property
    def title(self) -> str:
        return self.titled(seconds=False)

    def titled(self, seconds: bool) -> str:
        """The menu's entry; ``seconds`` tells apart two models made in the same minute."""
        if not self.readable:
            accuracy = "unreadable"
        elif self.learned_from is not None:  # its test is the user's own drawings: unmeasured
            accuracy = f"learned from {plural(self.learned_from, 'correction')}"
        elif self.accuracy is None:
            accuracy = "accuracy not measured"
        else:
            accuracy = f"{self.accuracy:.2%}"
        when = f"{self.modified:%d %b %H:%M:%S}" if seconds else f"{self.modified:%d %b %H:%M}"
        return f"{self.name} — {accuracy}, {when}"


class ModelStore(QObject):
    """The user's kept models; says when one is renamed or deleted, so that a view holding
    its path (the retrain dialog's result) follows it."""

    renamed = Signal(str, str)  # old path, new path
    deleted = Signal(str)  # path
    pruned = Signal(int)  # how many old unnamed models made room for a new one

    def __init__(
        self,
        recognition,
        userdata: UserData,
        parent: QObject | None = None,
        protected: Callable[[], Iterable[str]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.recognition = recognition
        self.userdata = userdata
        # Models that must not make room besides the one in use: the one the settings name
        # for the next start (another window's choice, maybe), a result not yet used.
        self._protected = protected or (lambda: ())
        # (readable, accuracy, learned from) of each file as last modified: reading a model
        # takes a while.
        self._accuracies: dict[tuple[Path, dt.datetime], tuple[bool, float | None, int | None]] = {}
        self._reserved: set[Path] = set()  # pending names this store handed out
        self.last_pruned = 0  # old models the last keep() deleted to make room

    def pending_path(self, arch: str, kind: str = "retrained") -> Path:
        """Where the next retrain (or adaptation) writes its model: a name no other run, in
        this window or another DigitPad on the same data folder, writes or has kept.

        The name is reserved by creating it empty, atomically, so two windows starting
        a run in the same second never write one file and keep each other's model.
        """
        folder = self.userdata.pending_models
        folder.mkdir(parents=True, exist_ok=True)
        moment = dt.datetime.now()
        for _ in range(3600):
            name = f"{arch}-{kind}-{moment:%Y%m%d-%H%M%S}.npz"
            if not (self.userdata.models / name).exists() and _reserve(folder / name):
                self._reserved.add(folder / name)
                return folder / name
            moment += dt.timedelta(seconds=1)
        raise FileExistsError(errno.EEXIST, "no free name for a new model", str(folder))

    def clear_pending(self, kind: str = "retrained") -> None:
        """Delete finished runs of ``kind`` that were never chosen (and their stray temporary
        files); a run of the other kind, or another window's run, which may be writing its
        model now, is left alone.

        Best effort: a file that cannot be deleted now must not stop a new retrain.
        """
        folder = self.userdata.pending_models
        if not folder.is_dir():
            return
        going = [  # decided before deleting: a run's temporary is known by its name
            path
            for path in folder.iterdir()
            if f"-{kind}-" in path.name
            and path.is_file()
            and (self._mine(path) or not _maybe_live(path))
        ]
        for path in going:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
                self._reserved.discard(path)

    def release_unwritten(self) -> None:
        """Delete the names this window reserved that no model was written to, and their
        temporaries: its children have stopped, and another window would wait a day.

        Best effort, as it runs while the window closes: a folder that cannot be read
        must not stop the rest of the shutdown.
        """
        with contextlib.suppress(OSError):
            for path in list(self.userdata.pending_models.iterdir()):
                unwritten = path in self._reserved and not written(path)
                if unwritten or (path.name.startswith(".") and self._mine(path)):
                    with contextlib.suppress(OSError):
                        path.unlink(missing_ok=True)
        self._reserved = {path for path in self._reserved if _exists(path)}

    def _mine(self, path: Path) -> bool:
        """Whether ``path`` is a run of this window's, or the temporary one of them wrote."""
        return path in self._reserved or any(
            path.name.startswith(f".{reserved.name}.") for reserved in self._reserved
        )

    def keep(self, candidate: str | os.PathLike) -> Path:
        """Move ``candidate`` among the user's models (not in use yet); returns its new path."""
        candidate = Path(candidate)
        if candidate.stat().st_size == 0:  # its reserved name, never written over
            raise OSError(errno.ENODATA, "the run wrote no model", str(candidate))
        self.userdata.models.mkdir(parents=True, exist_ok=True)
        target = self.userdata.models / candidate.name
        if not same_file(candidate, target):
            target = free_name(target)
            os.replace(candidate, target)
            self._reserved.discard(candidate)
        self._prune(keep=target)
        return target

    def adopt(self, candidate: str | os.PathLike) -> Path:
        """Keep ``candidate`` among the user's models and switch the app to it; returns its path."""
        target = self.keep(candidate)
        self.recognition.load_model(str(target))
        return target

    def models(self) -> list[UserModel]:
        """The user's kept models, newest first (unreadable ones too, so they can be deleted)."""
        from digitpad.model_file import ModelFileError, load_model

        found = []
        try:
            paths = [p for p in self.userdata.models.glob("*.npz") if p.is_file()]
        except OSError:
            return []
        for path in paths:
            try:
                modified = dt.datetime.fromtimestamp(path.stat().st_mtime)
            except OSError:
                continue
            key = (path, modified)
            if key not in self._accuracies:
                try:
                    model = load_model(path)
                    self._accuracies[key] = (True, model.test_accuracy, model.learned_from)
                except ModelFileError:
                    self._accuracies[key] = (False, None, None)
            readable, accuracy, learned_from = self._accuracies[key]
            found.append(UserModel(path, modified, accuracy, readable, learned_from))
        return sorted(found, key=lambda m: m.modified, reverse=True)

    def rename(self, path: str | os.PathLike, name: str) -> Path:
        """Give a kept model a new name (its file name); raises ValueError for a bad name."""
        name = name.strip()
        if name.lower().endswith(".npz"):
            name = name[:-4]
        if not NAME.match(name):
            raise ValueError(
                "A model name is up to 60 letters, digits, spaces and . , + ( ) - _ characters"
            )
        path = Path(path)
        target = path.with_name(name + ".npz")
        if target.exists() and not same_file(target, path):
            raise ValueError(f"There is already a model called {name}")
        os.replace(path, target)
        if self._is_active(path):
            self.recognition.load_model(str(target))
        self.renamed.emit(str(path), str(target))
        return target

    def delete(self, path: str | os.PathLike) -> bool:
        """Delete a kept model; the bundled one takes over if it was in use. False when it
        was already gone (another DigitPad window, or another program, removed it).

        The file goes first: a model that cannot be deleted stays in use.
        """
        path = Path(path)
        try:
            path.unlink()
            existed = True
        except FileNotFoundError:
            existed = False
        if self._is_active(path):
            self.reset()
        self.deleted.emit(str(path))
        return existed

    def in_use(self, path: str | os.PathLike) -> bool:
        return self._is_active(Path(path))

    def _is_active(self, path: Path) -> bool:
        active = self.recognition.model_source
        return active is not None and same_file(active, path)

    def reset(self) -> None:
        """Go back to the model shipped with the app."""
        self.recognition.load_model(RESET_SOURCE)

    def _prune(self, keep: Path) -> None:
        """Delete the oldest unnamed models beyond :data:`KEEP_MODELS`, so that retraining
        week after week does not fill the disk.

        A model the user renamed is theirs and stays, whatever its age, and so do
        the one in use and those ``protected`` names (the one the settings name,
        another window's choice maybe; those other windows use, see
        :mod:`digitpad.ui.in_use`; a retrain's result not yet used).
        Best effort: the new model is already kept and loading, so a model that
        cannot be deleted (or read) is left for the next time rather than reported
        as a failure to keep the new one.
        """
        protected = [self.recognition.model_source, *self._protected()]
        try:
            models = sorted(
                (
                    p
                    for p in self.userdata.models.glob("*.npz")
                    if p != keep and GENERATED.match(p.stem)
                ),
                key=lambda p: p.stat().st_mtime,
                reverse=True,
            )
        except OSError:
            self.last_pruned = 0
            return
        gone = 0
        for old in models[KEEP_MODELS:]:
            if not any(source and same_file(source, old) for source in protected):
                with contextlib.suppress(OSError):
                    old.unlink()
                    gone += 1
                    self.deleted.emit(str(old))
        self.last_pruned = gone
        if gone:
            self.pruned.emit(gone)


def _reserve(path: Path) -> bool:
    """Create ``path`` empty unless it exists; whether this call created it."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    except FileExistsError:
        return False
    return True


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:
        return True  # cannot tell: keep it reserved


def _maybe_live(path: Path) -> bool:
    """Whether ``path`` may belong to a run of another window's: its reserved name, empty
    until the run ends; its model's temporary, being written now; or its model, written
    but not yet kept (the window keeps it once the child has exited)."""
    try:
        info = path.stat()
    except OSError:
        return False
    age = abs(time.time() - info.st_mtime)
    empty = info.st_size == 0 and not path.name.startswith(".")
    return age < (RESERVATION_SECONDS if empty else STALE_SECONDS)


def free_name(target: Path) -> Path:
    """``target``, or ``target`` numbered when a model of that name is already kept: keeping
    a model never replaces another one."""
    number = 2
    free = target
    while free.exists():
        free = target.with_name(f"{target.stem}-{number}{target.suffix}")
        number += 1
    return free
