"""Where studies live: the user's data folder, the default SQLite file, study names."""

from __future__ import annotations

from pathlib import Path

STUDY_DB_NAME = "search.db"


def user_data_dir() -> Path:
    """The user's DigitPad data folder (``DIGITPAD_DATA_DIR`` wins), as the app finds it."""
    from digitpad.userdata import data_dir

    return Path(data_dir())


def default_storage() -> str:
    return f"sqlite:///{user_data_dir() / STUDY_DB_NAME}"


def default_study_name(arch: str) -> str:
    return f"digitpad-{arch}"


def redact(url: str) -> str:
    """The storage URL without its password, for messages and results: after the user (even
    one typed with ``@``, ``/`` or ``#`` in it) or as a ``password=`` parameter."""
    from digitpad.requests import without_password

    if "://" not in url:  # not a URL: whatever precedes an @ may be a password
        return url.rpartition("@")[2]
    return without_password(url, mask="***") or "(an address that is not a valid URL)"
