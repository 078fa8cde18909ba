"""The user's DigitPad data folder: where retrained models, corrections and downloads live.

No Qt here, so the training child process and the hyperparameter search find the
same folder as the app. The folder is, in order of precedence:

1. ``DIGITPAD_DATA_DIR`` when set (tests, the packaged smoke test, and the app
   itself, which passes its folder to every child process this way);
2. the ``root`` the caller gives (the GUI passes Qt's
   ``QStandardPaths.AppDataLocation``);
3. the platform's place for application data, laid out as Qt's
   ``AppDataLocation`` would be for organisation and application "DigitPad".

Layout::

    <root>/models/              models the user chose to keep (never inside the package)
    <root>/models/pending/      finished retrains not (yet) chosen; cleared on each new run
    <root>/corrections/         the user's corrected drawings, <label>_<id>.png
    <root>/mnist/               MNIST downloaded by the app (torchvision layout)
    <root>/cache/               prepared arrays the training process keeps between runs
    <root>/logs/                log files
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "DIGITPAD_DATA_DIR"
APP_NAME = "DigitPad"
ORGANISATION = "DigitPad"


def platform_data_root() -> Path:
    """Where Qt's AppDataLocation puts DigitPad's data, computed without Qt."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / ORGANISATION / APP_NAME


def env_data_dir() -> Path | None:
    """The folder ``DIGITPAD_DATA_DIR`` names, made absolute, or None when it is not set.

    Absolute because child processes run in another working folder (a retrain runs in the
    data folder itself) and would otherwise find a relative one somewhere else.
    """
    env = os.environ.get(ENV_VAR)
    return Path(env).expanduser().absolute() if env else None


def data_dir(root: str | os.PathLike | None = None) -> Path:
    """The data folder: ``DIGITPAD_DATA_DIR``, else ``root``, else the platform's place."""
    env = env_data_dir()
    if env is not None:
        return env
    if root:
        return Path(root).expanduser().absolute()
    return platform_data_root()


@dataclass(frozen=True)
class UserData:
    """The paths inside one data folder; :meth:`ensure` creates them."""

    root: Path

    @classmethod
    def at(cls, root: str | os.PathLike | None = None) -> UserData:
        return cls(data_dir(root))

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def pending_models(self) -> Path:
        return self.models / "pending"

    @property
    def corrections(self) -> Path:
        return self.root / "corrections"

    @property
    def mnist(self) -> Path:
        return self.root / "mnist"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def ensure(self) -> UserData:
        for folder in (
            self.models,
            self.pending_models,
            self.corrections,
            self.mnist,
            self.cache,
            self.logs,
        ):
            folder.mkdir(parents=True, exist_ok=True)
        return self

    def unreadable(self) -> str | None:
        """Why the folder (or one of its parts) cannot be listed, or None when it can.

        Folders that do not exist yet are fine: they are made when first needed.
        """
        for folder in (self.root, self.models, self.corrections):
            try:
                if folder.is_dir():
                    with os.scandir(folder) as entries:
                        next(entries, None)
            except OSError as exc:
                return f"{folder} cannot be read: {exc.strerror or exc}"
        return None

    def owns(self, path: str | os.PathLike) -> bool:
        """Whether ``path`` is a model kept in this data folder (not a bundled or outside file)."""
        try:
            Path(path).resolve().relative_to(self.models.resolve())
        except (ValueError, OSError):
            return False
        return True

    def child_environment(self) -> dict[str, str]:
        """Environment entries that make a child process use this same folder."""
        return {ENV_VAR: str(self.root)}
