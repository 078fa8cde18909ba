"""What the Retrain and Search dialogs ask a training child to do, as checked data.

A request is a plain dataclass: it checks itself (:meth:`problem` says in words
what is wrong, before any process starts), builds the child's command line
(:meth:`argv`), and round-trips through the settings (:meth:`to_dict`,
:meth:`from_dict`, which drops or clamps whatever a hand-edited settings file
holds). The dialogs only copy widgets to and from a request, so everything
here is tested without a window. The ranges are the widgets' ranges too.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from digitpad import best_params
from digitpad import training_defaults as defaults
from digitpad.networks import ARCHITECTURES, DEFAULT_ARCH

EPOCHS_RANGE = (1, 500)
LR_RANGE = (1e-6, 1.0)
BATCH_RANGE = (1, 65536)
TRIALS_RANGE = (1, 10_000)
TRIAL_EPOCHS_RANGE = (1, 500)
CORRECTIONS_WEIGHT = 20.0
# The environment variable libpq (and so psycopg) reads a password from: a shared
# database's password reaches the search child this way, never on its command line.
PASSWORD_ENV = "PGPASSWORD"


def read_rate(text: str) -> float | None:
    """A learning rate as people type it: 0.001, 1e-3 or 0,001 (a decimal comma) alike, in
    any script's digits (full-width, Arabic-Indic); None for anything else, infinities and
    NaN included."""
    cleaned = unicodedata.normalize("NFKC", text).replace("\u066b", ".").strip().replace(" ", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        rate = float(cleaned)
    except ValueError:
        return None
    return rate if math.isfinite(rate) else None


def _clamped(value: Any, bounds: tuple[float, float], kind: type, fallback: Any) -> Any:
    """``value`` as ``kind`` within ``bounds``; ``fallback`` when it is not a finite number."""
    if isinstance(value, bool):
        return fallback
    try:
        number = kind(value)
    except (TypeError, ValueError, OverflowError):
        return fallback
    if isinstance(number, float) and not math.isfinite(number):
        return fallback
    low, high = bounds
    return min(max(number, kind(low)), kind(high))


def _arch(value: Any) -> str:
    return value if isinstance(value, str) and value in ARCHITECTURES else DEFAULT_ARCH


def _folder_problem(folder: str) -> str | None:
    if Path(folder).is_dir():
        return None
    return f"There is no folder at {folder}. Choose the folder that holds the MNIST files."


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


@dataclass(frozen=True)
class TrainRequest:
    """A retrain: where the data is, which network, how long, and what else to learn from."""

    folder: str = ""  # the MNIST folder; ignored when ``download``
    download: bool = False
    arch: str = DEFAULT_ARCH
    epochs: int = defaults.EPOCHS
    lr: float = defaults.LR
    batch_size: int = defaults.BATCH_SIZE
    tuned: dict[str, Any] = field(default_factory=dict)  # the search's other parameters
    corrections: bool = True

    def problem(self) -> str | None:
        """What stops this request from running, in words; None when it can run."""
        if self.download:
            return None
        if not self.folder:
            return "Choose the folder that holds the MNIST files, or choose to download them."
        return _folder_problem(self.folder)

    def argv(
        self, out: Path, download_folder: Path, cache: Path, corrections_folder: Path | None
    ) -> list[str]:
        """The ``train`` command line; ``corrections_folder`` None when there are none."""
        data = str(download_folder) if self.download else self.folder
        args = ["train", "--data", data, *(["--download"] if self.download else [])]
        args += ["--arch", self.arch, "--epochs", str(self.epochs), "--lr", repr(self.lr)]
        args += ["--batch-size", str(self.batch_size), "--out", str(out), "--cache", str(cache)]
        args += ["--progress", "jsonl", "--background"]
        if self.corrections and corrections_folder is not None:
            args += ["--corrections", str(corrections_folder)]
            args += ["--corrections-weight", f"{CORRECTIONS_WEIGHT:g}"]
        return args + best_params.train_arguments(self.tuned)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> TrainRequest:
        """A request from remembered values; anything missing, mistyped or out of range
        takes its default (or is clamped), so a damaged settings file cannot break the dialog."""
        if not isinstance(data, dict):
            return cls()
        d = cls()
        tuned = data.get("tuned")
        return cls(
            folder=_text(data.get("folder")),
            download=data.get("download") is True,
            arch=_arch(data.get("arch")),
            epochs=_clamped(data.get("epochs"), EPOCHS_RANGE, int, d.epochs),
            lr=_clamped(data.get("lr"), LR_RANGE, float, d.lr),
            batch_size=_clamped(data.get("batch_size"), BATCH_RANGE, int, d.batch_size),
            tuned=_tuned(tuned if isinstance(tuned, dict) else {}),
            corrections=data.get("corrections") is not False,
        )

    def with_params(self, params: dict[str, Any]) -> TrainRequest:
        """This request with a search's parameters (arch, epochs, lr, batch size, the rest)."""
        known = best_params.clean(params)
        epochs = params.get("epochs")
        return replace(
            self,
            arch=params["arch"] if params.get("arch") in ARCHITECTURES else self.arch,
            epochs=_clamped(epochs, EPOCHS_RANGE, int, self.epochs)
            if isinstance(epochs, int) and epochs > 0
            else self.epochs,
            lr=_clamped(known.get("lr"), LR_RANGE, float, self.lr),
            batch_size=_clamped(known.get("batch_size"), BATCH_RANGE, int, self.batch_size),
            tuned=_tuned(known),
        )


def _tuned(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in best_params.clean(params).items() if k not in ("lr", "batch_size")}


@dataclass(frozen=True)
class SearchRequest:
    """A hyperparameter search: data, network, budget, and the study it adds to.

    ``storage`` is empty for the study file in the user's data folder, or a
    database URL (``postgresql://user@host/db``) that several machines share.
    The URL is kept and shown without its password; the password travels to
    the child in :data:`PASSWORD_ENV`.
    """

    folder: str = ""
    arch: str = DEFAULT_ARCH
    trials: int = 20
    epochs: int = 10
    study: str = ""  # empty: the default study of the architecture
    storage: str = ""

    def problem(self) -> str | None:
        if not self.folder:
            return "Choose the folder that holds the MNIST files."
        return _folder_problem(self.folder) or (
            storage_problem(self.storage) if self.storage else None
        )

    def argv(self, cache: Path) -> list[str]:
        args = ["search", "--data", self.folder, "--arch", self.arch]
        args += ["--trials", str(self.trials), "--epochs", str(self.epochs)]
        args += ["--cache", str(cache), "--progress", "jsonl", "--background"]
        if self.study:
            args += ["--study-name", self.study]
        if self.storage:
            args += ["--storage", without_password(self.storage)]
        return args

    def environment(self) -> dict[str, str]:
        """Extra environment for the child: the shared database's password, if the URL had one."""
        password = password_in(self.storage) if self.storage else None
        return {PASSWORD_ENV: password} if password else {}

    def to_dict(self) -> dict[str, Any]:
        """What is remembered: everything but the password."""
        return {**asdict(self), "storage": without_password(self.storage)}

    @classmethod
    def from_dict(cls, data: Any) -> SearchRequest:
        if not isinstance(data, dict):
            return cls()
        d = cls()
        storage = _text(data.get("storage"))
        return cls(
            folder=_text(data.get("folder")),
            arch=_arch(data.get("arch")),
            trials=_clamped(data.get("trials"), TRIALS_RANGE, int, d.trials),
            epochs=_clamped(data.get("epochs"), TRIAL_EPOCHS_RANGE, int, d.epochs),
            study=_text(data.get("study")),
            storage=without_password(storage) if storage_problem(storage) is None else "",
        )


SCHEMES = ("postgresql", "postgresql+psycopg", "mysql", "mysql+pymysql", "sqlite")


def storage_problem(url: str) -> str | None:
    """Why ``url`` cannot name a study's database, in words; None when it can."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "That database address is not a valid URL."
    if parts.scheme not in SCHEMES:
        return (
            "A shared database address starts with postgresql:// (or mysql:// where PyMySQL "
            "is installed), for example postgresql://me@db.example.org/digitpad."
        )
    if parts.scheme != "sqlite" and not parts.hostname:
        return (
            "The database address needs a host, "
            "for example postgresql://me@db.example.org/digitpad."
        )
    return None


def with_password(url: str, password: str) -> str:
    """``url`` with ``password`` for its user; without one, ``url`` as it is."""
    if not password or not url:
        return url
    try:
        parts = urlsplit(without_password(url))
    except ValueError:
        return url
    user, _, host = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{user}:{quote(password, safe='')}@{host}"))


def _userinfo(url: str) -> tuple[str, str, str] | None:
    """``url`` as (``scheme://``, user info, the rest) split at its last ``@``, or None.

    Not :func:`urlsplit`'s split: a password typed with ``/``, ``?`` or ``#`` in it
    would end its netloc early and leave the password in the path, shown and remembered.
    A user name has no ``/``, so a file path with ``:`` and ``@`` in it (``sqlite:///C:/a@b``)
    is no user info.
    """
    head, sep, tail = url.partition("://")
    userinfo, at, rest = tail.rpartition("@")
    if not sep or not at or ":" not in userinfo or "/" in userinfo.split(":", 1)[0]:
        return None
    return head + sep, userinfo, rest


def _query_password(url: str, mask: str = "") -> tuple[str, str | None]:
    """``url`` without a ``password=`` query parameter (libpq takes one), or with ``mask`` as
    its value, and the password."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url, None
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    found = [v for k, v in pairs if k == "password"]
    if not found:
        return url, None
    kept = [(k, mask if k == "password" else v) for k, v in pairs if mask or k != "password"]
    return urlunsplit(parts._replace(query=urlencode(kept, safe="*"))), found[-1]


def password_in(url: str) -> str | None:
    """The password ``url`` carries (after the user, or as ``password=``), or None."""
    split = _userinfo(url)
    if split is not None:
        return unquote(split[1].split(":", 1)[1]) or None
    return _query_password(url)[1] or None


def without_password(url: str, mask: str = "") -> str:
    """``url`` with its password removed (what is remembered, shown and put on a command
    line), or replaced by ``mask``; empty when ``url`` is not a URL at all."""
    split = _userinfo(url)
    if split is not None:
        head, userinfo, rest = split
        user = userinfo.split(":", 1)[0] + (f":{mask}" if mask else "")
        url = f"{head}{user}@{rest}" if user else head + rest
    try:
        urlsplit(url)
    except ValueError:
        return ""
    return _query_password(url, mask)[0]
