"""The user's corrected drawings: saved as labelled samples, counted, exported, deleted.

Format (the one :mod:`training.data` reads, see its module docstring): one PNG
per drawing in the corrections folder, named ``<label>_<id>.png``, holding the
canvas as the user drew it (8-bit grey, dark ink on light paper, at the
canvas's resolution), or a picture opened or pasted as it was loaded (any
depth, colour or transparency a PNG holds; its PNG text says it is one, and it
is read back as a picture, its page cleaned). Keeping the whole drawing rather
than the 28×28 model input means a later, better preprocessing still applies to
it: training passes every file through :func:`digitpad.preprocess.prepare`
exactly as the app does.

Each file is written atomically (:class:`digitpad.atomic.atomic_write`), so a
crash never leaves half a PNG for training to trip over; the temporary name
starts with a dot, which training ignores. No Qt here.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import itertools
import os
import re
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from digitpad.atomic import atomic_write, remove_stale_temporaries
from digitpad.images import ImageLoadError, load_image
from digitpad.preprocess import SIDE, Prepared, prepare, to_gray
from digitpad.words import os_reason

# A correction's whole file name: its digit, an underscore, anything, ".png".
NAME = re.compile(r"([0-9])_.*\.png", re.IGNORECASE)
IDX_IMAGES = "corrections-images-idx3-ubyte"
IDX_LABELS = "corrections-labels-idx1-ubyte"


def correction_label(name: str) -> int | None:
    """The digit a file of this name holds if it is a correction, else None (the whole name
    must match: ``re.match`` with ``$`` would also take a name ending in a newline)."""
    match = NAME.fullmatch(name)
    return int(match.group(1)) if match else None


_counter = itertools.count(1)
# The names of corrections, whose atomic writes may leave temporaries when the app is killed.
NAMES = "[0-9]_*.png"
# Corrections are saved as PNG and read only as PNG, whatever else a file named so holds.
FORMATS = ("PNG",)
# Larger than any correction DigitPad saves (the canvas at a 6K screen's full height,
# 3,500 px a side, is 12 MB of grey even uncompressed); a larger file in the folder was
# not saved by DigitPad, and is not read.
MAX_BYTES = 64 * 2**20


class CorrectionError(Exception):
    """A drawing that cannot be saved or exported; the message says why in plain words."""


# A correction saved from an opened picture (perhaps a photo of a page) says so in its PNG
# text, so that it is cleaned as the picture was when it is read back; a drawing is not.
SOURCE_KEY = "DigitPad-source"
PICTURE = "picture"


def read_correction(path: str | os.PathLike) -> Prepared:
    """``path`` prepared as the model sees it, as the app and training read a correction (no
    bombs, no FIFOs, PNG only); raises :class:`ImageLoadError` for a file that cannot be read."""
    too_large(path)
    picture = load_image(path, FORMATS)
    return prepare(picture, page=picture.info.get(SOURCE_KEY) == PICTURE)


def too_large(path: str | os.PathLike) -> None:
    """Refuse a file larger than any correction DigitPad saves, unread."""
    try:
        size = os.stat(path).st_size
    except (OSError, ValueError):
        return  # the loader says why it cannot be read
    if size > MAX_BYTES:
        raise ImageLoadError(
            f"{Path(path).name} is {size / 2**20:,.0f} MB, far larger than a corrected drawing"
        )


def _kept_by_png(image: Image.Image) -> Image.Image:
    """``image`` in a mode a PNG stores as it is, so that a picture saved as a correction is
    read back as it was read when opened: deeper greys as 16-bit, other modes as colour."""
    if image.mode in ("1", "L", "LA", "RGB", "RGBA", "P", "I;16"):
        return image
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        return Image.fromarray(np.round(to_gray(image) * 65535).astype(np.uint16))
    transparent = "A" in image.mode or "transparency" in image.info
    return image.convert("RGBA" if transparent else "RGB")


def _unless_gone(source: Path, write: Callable[[], object]) -> bool:
    """Run ``write``, which reads ``source``; False when ``source`` is gone (deleted behind
    the app's back since it was listed), any other missing file being an error."""
    try:
        write()
    except FileNotFoundError as exc:
        if exc.filename != str(source):
            raise
        return False
    return True


def _copy(source: Path, target: Path) -> bool:
    """Copy ``source`` to ``target`` atomically; False when ``source`` is gone."""

    def write() -> None:
        with open(source, "rb") as data, atomic_write(target) as handle:
            shutil.copyfileobj(data, handle)

    return _unless_gone(source, write)


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link (no copy: corrections are never changed in place), or a copy where the
    two folders are on different file systems (a temporary folder in memory)."""
    try:
        os.link(source, target)
    except FileNotFoundError:
        raise
    except OSError:
        shutil.copyfile(source, target)


def _idx_bytes(array: np.ndarray, magic: int) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + np.ascontiguousarray(array, np.uint8).tobytes()


def png_of(image: np.ndarray | Image.Image, picture: bool = False) -> bytes:
    """The file a correction of ``image`` is saved as: a drawing (grey, dark ink on light)
    that must hold a digit, or with ``picture`` a picture opened or pasted, kept as it was
    loaded and marked as one in its PNG text."""
    shown = (
        _kept_by_png(image)
        if isinstance(image, Image.Image)
        else Image.fromarray(np.asarray(image, np.uint8))
    )
    # A picture is not looked at again: only an answer shown can be corrected, and it
    # was read with its page cleaned, which a check here (on the GUI thread) would skip.
    if not picture and prepare(shown).is_blank:
        raise CorrectionError("there is no digit in the drawing to save")
    text = PngInfo()
    if picture:
        text.add_text(SOURCE_KEY, PICTURE)
    out = io.BytesIO()
    shown.save(out, "PNG", pnginfo=text)
    return out.getvalue()


class PngOnThread:
    """A picture's correction file, made on a thread from the moment the picture opens.

    A photo's PNG takes 0.1 to 0.4 s to compress, which the window must not spend
    when the user corrects it; by the time an answer has been read and a bar
    clicked, it is ready. Pillow lets go of Python's lock while it compresses.
    """

    def __init__(self, image: Image.Image) -> None:
        self.image = image
        self._done = threading.Event()
        self._png: bytes | None = None
        threading.Thread(target=self._make, name="correction PNG", daemon=True).start()

    def _make(self) -> None:
        try:
            self._png = png_of(self.image, picture=True)
        except Exception:  # saving makes it again, and says why it cannot
            self._png = None
        finally:
            self._done.set()

    def result(self) -> bytes | None:
        """The PNG, waiting for it if need be; None when it could not be made."""
        self._done.wait()
        return self._png


class Corrections:
    """The corrections folder (created on first save)."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)

    def paths(self) -> list[Path]:
        """The saved corrections, oldest first; none when the folder cannot be read (the
        window says why once, at start: :meth:`digitpad.userdata.UserData.unreadable`)."""
        try:
            if not self.folder.is_dir():
                return []
            return sorted(
                p
                for p in self.folder.iterdir()
                if p.is_file() and correction_label(p.name) is not None
            )
        except OSError:
            return []

    def count(self) -> int:
        return len(self.paths())

    def counts_by_label(self) -> dict[int, int]:
        counts = dict.fromkeys(range(10), 0)
        for path in self.paths():
            counts[correction_label(path.name)] += 1
        return counts

    def save(
        self,
        image: np.ndarray | Image.Image,
        label: int,
        picture: bool = False,
        png: bytes | None = None,
    ) -> Path:
        """Save a drawing (grey, dark ink on light) labelled ``label``; returns its path.
        ``picture``: it shows a picture opened from a file, read back as such; ``png``: its
        file already made by :func:`png_of` (a photo's takes a moment: see
        :class:`PngOnThread`)."""
        label = int(label)
        if not 0 <= label <= 9:
            raise CorrectionError(f"{label} is not a digit")
        if png is None:
            try:
                png = png_of(image, picture)
            except OSError as exc:  # a picture Pillow cannot write back
                raise CorrectionError(f"it could not be stored as a PNG: {exc}") from None
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        path = self.folder / f"{label}_{stamp}-{os.getpid()}-{next(_counter)}.png"
        remove_stale_temporaries(self.folder, NAMES)  # each has its own name: none sweeps another's
        try:
            with atomic_write(path) as handle:
                handle.write(png)
        except OSError as exc:
            raise CorrectionError(
                f"could not save the drawing in {self.folder}: {os_reason(exc)}"
            ) from None
        return path

    def relabel(self, path: Path, label: int) -> Path:
        """Give the saved drawing ``path`` another label (a second press on the same drawing)."""
        label = int(label)
        if not 0 <= label <= 9:
            raise CorrectionError(f"{label} is not a digit")
        target = path.with_name(f"{label}{path.name[1:]}")
        try:
            os.replace(path, target)
        except OSError as exc:
            raise CorrectionError(f"could not relabel {path.name}: {exc.strerror or exc}") from None
        return target

    def now_at(self, path: Path) -> Path | None:
        """Where the saved drawing ``path`` is now: there, or under another label (another
        DigitPad window relabelled it); None once it is deleted."""
        for label in (path.name[0], *"0123456789"):
            candidate = path.with_name(f"{label}{path.name[1:]}")
            if candidate.is_file():
                return candidate
        return None

    def snapshot(
        self,
        folder: str | os.PathLike,
        paths: list[Path] | None = None,
        stop: Callable[[], bool] = lambda: False,
    ) -> int:
        """Link (or copy) every correction, and every hand-made ``.npz`` set, into ``folder``
        as it is now, for a run that must not see the changes made while it reads them;
        returns how many drawings (the sets not counted). ``paths``: the corrections as
        listed when the run began, if it began earlier (one relabelled since is taken
        under its new label, one deleted since is left out);
        ``stop``: looked at between files, to give up early."""
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)

        def put(path: Path) -> bool:
            if stop():
                return False
            if _unless_gone(path, lambda: _link_or_copy(path, target / path.name)):
                return True
            moved = self.now_at(path)  # relabelled since it was listed: under its new label
            return moved is not None and _unless_gone(
                moved, lambda: _link_or_copy(moved, target / moved.name)
            )

        for path in self._sets():
            put(path)
        return sum(map(put, self.paths() if paths is None else paths))

    def _sets(self) -> list[Path]:
        """The ``.npz`` sets of drawings made by hand that training reads beside them."""
        try:
            found = self.folder.iterdir()
            return sorted(p for p in found if p.suffix.lower() == ".npz" and p.is_file())
        except OSError:
            return []

    def delete_all(self) -> int:
        """Delete every saved correction it can; returns how many it deleted.

        One that cannot be deleted (a read-only folder) is left and still counted by
        :meth:`count`, and the others go: stopping at the first would keep them all.
        """
        deleted = 0
        for path in self.paths():
            try:
                path.unlink()
            except OSError:
                continue
            deleted += 1
        return deleted

    def export_png(self, folder: str | os.PathLike) -> int:
        """Copy every correction as a PNG into ``folder``, each atomically; returns how many.

        One deleted behind the app's back since it was listed is left out, not an error.
        """
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        return sum(_copy(path, target / path.name) for path in self.paths())

    def arrays(self, skipped: list[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Every correction as the model sees it: (N×28×28 uint8 white ink on black, N labels).

        A file that cannot be read raises :class:`CorrectionError`, or, when ``skipped`` is
        given, is left out and named there, as learning does.
        """
        images, labels = [], []
        for path in self.paths():
            try:
                prepared = read_correction(path)
            except ImageLoadError as exc:
                if not path.exists():
                    continue  # deleted behind the app's back since it was listed
                if skipped is None:
                    raise CorrectionError(f"cannot read {path.name}: {exc}") from None
                skipped.append(path.name)
                continue
            if prepared.is_blank:
                continue
            images.append(np.round(prepared.image * 255).astype(np.uint8))
            labels.append(correction_label(path.name))
        if not images:
            return np.zeros((0, SIDE, SIDE), np.uint8), np.zeros(0, np.uint8)
        return np.stack(images), np.asarray(labels, np.uint8)

    def export_idx(
        self, folder: str | os.PathLike, gz: bool = False, skipped: list[str] | None = None
    ) -> tuple[Path, Path]:
        """Write MNIST-style IDX files (28×28, white on black) into ``folder``.

        Returns the images and labels paths; each is written atomically. ``skipped``: as
        for :meth:`arrays`.
        """
        images, labels = self.arrays(skipped)
        if not len(labels):
            raise CorrectionError("there are no corrections to export")
        target = Path(folder)
        suffix = ".gz" if gz else ""
        written = []
        for name, array, magic in ((IDX_IMAGES, images, 2051), (IDX_LABELS, labels, 2049)):
            data = _idx_bytes(array, magic)
            path = target / (name + suffix)
            with atomic_write(path) as handle:
                handle.write(gzip.compress(data) if gz else data)
            written.append(path)
        return written[0], written[1]
