"""What DigitPad remembers between runs, stored with QSettings.

Every getter checks the stored value and falls back to the default when it is
missing or corrupted (a hand-edited ini file, a value from an older version),
so a bad settings file can never stop the app from starting. QSettings writes
atomically and only reports a failed write through ``status()``; :meth:`Settings.sync`
turns that into a :class:`SettingsError`, so the window can say that choices
will not be remembered instead of losing them silently.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings, QStandardPaths

from digitpad.networks import ARCHITECTURES, DEFAULT_ARCH
from digitpad.userdata import env_data_dir

if TYPE_CHECKING:
    from digitpad.requests import SearchRequest, TrainRequest

DEFAULT_PEN_WIDTH = 18.0
PEN_WIDTH_RANGE = (4.0, 48.0)
DEFAULT_MODEL = DEFAULT_ARCH
BUNDLED_MODELS = tuple(ARCHITECTURES)  # one bundled model per architecture, named after it
# Far more than DigitPad ever writes (a few kB); Qt would read a file of any size into memory.
MAX_SETTINGS_BYTES = 1 << 20
DAMAGED_SUFFIX = ".damaged"


def app_data_root() -> str:
    """Where DigitPad keeps its data (models, corrections, logs) unless DIGITPAD_DATA_DIR says."""
    return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)


class SettingsError(OSError):
    """The settings cannot be saved; the message says where, in plain words."""


def default_store() -> QSettings:
    """The app's settings: beside its data when ``DIGITPAD_DATA_DIR`` moves that, else Qt's place.

    A data folder given explicitly (tests, a portable install, the packaged
    self-test) must take the settings with it, never leave them in the real
    user's configuration.
    """
    path = settings_file()
    if path is not None and not qt_can_name(path):
        return scratch_store()
    if env_data_dir() is not None:
        return QSettings(str(path), QSettings.Format.IniFormat)
    return QSettings()


def settings_file() -> Path | None:
    """The text file :func:`default_store` reads, where it is one (ini files; not the Windows
    registry or a macOS property list), so that it can be checked before Qt reads it."""
    folder = env_data_dir()
    if folder is not None:
        return folder / "settings.ini"
    if sys.platform in ("win32", "darwin"):
        return None
    config = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericConfigLocation)
    organisation = QCoreApplication.organizationName()
    application = QCoreApplication.applicationName() or organisation
    return Path(config) / organisation / f"{application}.conf"


def damage(data: bytes) -> str | None:
    """Why ``data`` is not a settings file as Qt writes them, or None when it is one.

    Qt writes only section lines, ``key=value`` lines and escapes everything else;
    it reads what it can of anything else and silently drops the rest at its next write.
    """
    if len(data) > MAX_SETTINGS_BYTES:
        return "it is far larger than any settings file DigitPad writes"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "it is not text"
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line[0] in ";#" or (line[0] == "[" and line[-1] == "]"):
            continue
        key, equals, _ = line.partition("=")
        if not (equals and key.strip() and line.isprintable()):
            return f"line {number} is not a setting"
    return None


def qt_can_name(path: Path) -> bool:
    """Whether Qt can open ``path``: it names files in UTF-8, so a folder whose name is not
    (possible on Linux) would make it write the settings into another folder, made for them."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown(path: Path) -> str:
    """``path`` as text that can be shown and logged, whatever bytes its name holds."""
    return os.fsencode(path).decode("utf-8", "replace")


def not_a_file(path: Path | None) -> bool:
    """Whether ``path`` is there but is not a regular file, or is one Qt cannot name: reading
    a FIFO would block the app before its window shows, and a folder or a device is no
    settings file."""
    if path is None:
        return False
    if not qt_can_name(path):
        return True
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False  # missing (the usual first run), or unreadable: Qt handles both


def scratch_store() -> QSettings:
    """Settings kept for this run only, in a temporary file, for when the real file is unusable."""
    folder = tempfile.mkdtemp(prefix="digitpad-settings-")
    atexit.register(shutil.rmtree, folder, True)
    return QSettings(os.path.join(folder, "settings.ini"), QSettings.Format.IniFormat)


def set_aside_if_damaged(path: Path | None) -> str | None:
    """Before Qt reads a damaged settings file, keep it whole as ``<name>.damaged``; the message
    to show, or None when the file is fine, absent or cannot be read at all.

    A damaged file is copied, so that what Qt can still read of it is used; one too large
    to read is moved away, so that the app starts with its defaults.
    """
    if path is None:
        return None
    if not qt_can_name(path):
        return (
            f"DigitPad's settings file {shown(path)} is in a folder whose name is not valid "
            "text, which Qt cannot use: settings start at their defaults and will not be "
            "remembered"
        )
    if not_a_file(path):
        return (
            f"DigitPad's settings file {path} is not a regular file, so DigitPad leaves it "
            "alone: settings start at their defaults and will not be remembered"
        )
    try:
        with open(path, "rb") as handle:
            reason = damage(handle.read(MAX_SETTINGS_BYTES + 1))
    except OSError:
        return None  # missing, or unreadable: Qt then uses the defaults and never writes it
    if reason is None:
        return None
    kept = path.with_name(path.name + DAMAGED_SUFFIX)
    too_large = os.path.getsize(path) > MAX_SETTINGS_BYTES
    try:
        if too_large:
            os.replace(path, kept)
        else:
            shutil.copyfile(path, kept)
    except OSError as exc:
        return (
            f"DigitPad's settings file {path} is damaged ({reason}) and a copy could not be "
            f"kept ({exc.strerror or exc}): settings it cannot read are back to their defaults"
        )
    what = "All settings are" if too_large else "Settings it could not read are"
    return (
        f"DigitPad's settings file was damaged ({reason}). {what} back to their defaults; "
        f"the damaged file is kept as {kept}"
    )


class Settings:
    """Typed access to the app's QSettings; pass a QSettings to use another store (tests)."""

    def __init__(self, store: QSettings | None = None) -> None:
        self._store = store if store is not None else default_store()

    @property
    def store(self) -> QSettings:
        return self._store

    @property
    def pen_width(self) -> float:
        """Pen width in pixels of a 280 px canvas (the canvas scales it with its size)."""
        try:
            value = float(self._store.value("canvas/pen_width", DEFAULT_PEN_WIDTH))
        except (TypeError, ValueError):
            return DEFAULT_PEN_WIDTH
        low, high = PEN_WIDTH_RANGE
        return value if low <= value <= high else DEFAULT_PEN_WIDTH

    @pen_width.setter
    def pen_width(self, value: float) -> None:
        self._store.setValue("canvas/pen_width", float(value))

    @property
    def model(self) -> str:
        """``"fcnn"``, ``"cnn"`` or the path of a model file the user loaded."""
        value = self._store.value("model/choice", DEFAULT_MODEL)
        return value if isinstance(value, str) and value else DEFAULT_MODEL

    @model.setter
    def model(self, value: str) -> None:
        self._store.setValue("model/choice", value)

    @property
    def file_folder(self) -> str:
        """Where the open and save dialogs start: the folder last used in one of them, while
        it exists, else the user's home (never the folder the app happened to start in)."""
        value = self._store.value("files/folder", "")
        if isinstance(value, str) and value and Path(value).is_dir():
            return value
        return str(Path.home())

    @file_folder.setter
    def file_folder(self, value: str) -> None:
        self._store.setValue("files/folder", value)

    @property
    def live_prediction(self) -> bool:
        return self._flag("prediction/live", True)

    @live_prediction.setter
    def live_prediction(self, value: bool) -> None:
        self._store.setValue("prediction/live", bool(value))

    @property
    def correction_hint_shown(self) -> bool:
        """Whether the user has been told once that clicking a bar corrects a prediction."""
        return self._flag("hints/correction", False)

    @correction_hint_shown.setter
    def correction_hint_shown(self, value: bool) -> None:
        self._store.setValue("hints/correction", bool(value))

    def _flag(self, key: str, default: bool) -> bool:
        value = self._store.value(key, default)
        if isinstance(value, bool):
            return value
        # The ini backend hands booleans back as strings.
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
        return default

    @property
    def train_request(self) -> TrainRequest | None:
        """The last retrain asked for, or None when the dialog has never started one."""
        from digitpad.requests import TrainRequest  # not needed before the window shows

        data = self._json("retrain/request")
        return None if data is None else TrainRequest.from_dict(data)

    @train_request.setter
    def train_request(self, request: TrainRequest) -> None:
        self._store.setValue("retrain/request", json.dumps(request.to_dict()))

    @property
    def search_request(self) -> SearchRequest:
        """The last search asked for (its database address without the password)."""
        from digitpad.requests import SearchRequest

        return SearchRequest.from_dict(self._json("search/request"))

    @search_request.setter
    def search_request(self, request: SearchRequest) -> None:
        self._store.setValue("search/request", json.dumps(request.to_dict()))

    def training_rate(self, arch: str) -> float | None:
        """Samples per second of the last finished retrain of ``arch`` here (for its ETA)."""
        try:
            rate = float(self._store.value(f"retrain/rate/{arch}", 0.0))
        except (TypeError, ValueError):
            return None
        return rate if 0 < rate < 1e9 else None

    def remember_training_rate(self, arch: str, samples_per_second: float) -> None:
        self._store.setValue(f"retrain/rate/{arch}", float(samples_per_second))

    def _json(self, key: str) -> Any:
        value = self._store.value(key)
        if not isinstance(value, str):
            return None
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return None

    @property
    def window_geometry(self) -> QByteArray | None:
        value = self._store.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    @window_geometry.setter
    def window_geometry(self, value: QByteArray) -> None:
        self._store.setValue("window/geometry", value)

    def sync(self) -> None:
        """Write changes now; raises :class:`SettingsError` when they cannot be written.

        QSettings keeps the first error it met, so once this raises it keeps
        raising for this store; the previous settings file is left as it was.
        """
        self._store.sync()
        if self._store.status() == QSettings.Status.AccessError:
            raise SettingsError(
                f"DigitPad cannot save its settings to {self._store.fileName()} (the file or "
                "its folder cannot be written), so your choices will not be remembered"
            )
