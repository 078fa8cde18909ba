"""The search's one error type: a problem the user can fix, with its kind for the app."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from training.events import ERROR_KINDS


class SearchError(Exception):
    """A problem the user can fix (storage, study name, data, arguments); the message says which.

    ``kind`` tells the app what went wrong without reading the message (one of
    :data:`training.events.ERROR_KINDS`): ``"storage"`` (the default: the study's
    database or the study itself), ``"data"`` (the training data), ``"input"`` (an
    argument) or ``"disk"`` (the model file could not be written).
    """

    def __init__(self, message: str, *, kind: str = "storage") -> None:
        if kind not in ERROR_KINDS:
            raise ValueError(f"unknown error kind {kind!r}; one of {ERROR_KINDS}")
        super().__init__(message)
        self.kind = kind


# How to install each database's driver where it is missing.
DRIVERS = {
    "postgresql": 'pip install "digitpad[postgres]"',
    "mysql": "pip install pymysql",
}


def storage_reason(error: BaseException, url: str) -> str:
    """Why the storage at ``url`` could not be used, in plain words and with what to do for
    the usual causes; otherwise the driver's first line, without its class name."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = lines[0] if lines else type(error).__name__
    if isinstance(error, ImportError) or "failed to import db access module" in text.lower():
        scheme = url.split(":", 1)[0].split("+")[0]
        install = DRIVERS.get(scheme)
        how = f": {install}" if install else ""
        return f"the driver for {scheme} databases is not installed here{how}"
    text = re.sub(r"^\([\w.]+\)\s*", "", text)  # SQLAlchemy's "(psycopg.OperationalError) "
    low = text.lower()
    if url.startswith("sqlite:"):
        if "unable to open database file" in low:
            path = Path(url.split(":///", 1)[-1])
            if not path.parent.is_dir():
                return f"the folder {path.parent} does not exist: create it, or choose another"
            return f"cannot create or open {path}: check that the folder can be written"
        return text
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "localhost", parts.port
    except ValueError:
        return text
    where = f"{host} port {port}" if port else host
    if "connection refused" in low:
        return f"nothing answers at {where}: is the database server running, and the address right?"
    if any(s in low for s in ("translate host name", "name or service not known", "nodename nor")):
        return f"the server name {host} is not known: check the address"
    if "name resolution" in low:
        return f"the server name {host} could not be looked up: check the address and the network"
    if "timeout expired" in low or "timed out" in low:
        return f"{where} did not answer in time: check the address and the network"
    refused = re.search(r'password authentication failed for user "([^"]+)"', text)
    if refused:
        return f"{where} refused the password of user {refused.group(1)}: check it"
    if "no password supplied" in low:
        return f"{where} asks for a password and none was given"
    unknown = re.search(r'role "([^"]+)" does not exist', text)
    if unknown:
        return f"there is no user {unknown.group(1)} on {where}: check the address"
    missing = re.search(r'database "([^"]+)" does not exist', text)
    if missing:
        return f"there is no database {missing.group(1)} on {where}: create it first"
    return text
