"""The search's one error type: a problem the user can fix, with its kind for the app."""

from __future__ import annotations

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
