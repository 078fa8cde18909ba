"""Open image files for recognition safely: common formats only, never a memory bomb."""

from __future__ import annotations

import os
import re
import stat
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from digitpad.preprocess import MAX_PIXELS

# Recognition needs nothing finer than this; bigger pictures are reduced on load.
WORKING_SIDE = 1024
# The formats the Open dialog and the messages name, plus PGM/PPM, ICO and TGA (which
# the fuzzer's seeds cover), and only those: Pillow would otherwise open whatever it
# knows, EPS among them, which it hands to Ghostscript, whatever the file's name.
FORMATS = ("PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP", "PPM", "ICO", "TGA")
FORMAT_NAMES = "PNG, JPEG, BMP, GIF, TIFF or WebP"


# A PNG's chunks besides its image data: text, colour profiles, thumbnails. Pillow reads
# an unknown one whole, so a small (sparse) file declaring gigabytes would cost them.
MAX_PNG_CHUNK = 16 * 2**20
# Chunks looked at before the image data ends; a PNG has a few dozen, one of 60 MP a few
# thousand of image data.
MAX_PNG_CHUNKS = 100_000
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
IMAGE_DATA = (b"IDAT", b"fdAT")  # a still picture's, an animation's later frames


# What to do with a picture too large to open.
SMALLER = "save a smaller copy, or crop it to the digit"


class ImageLoadError(ValueError):
    """An image file that cannot be used; the message says why in plain words."""


def load_image(path: str | os.PathLike, formats: tuple[str, ...] = FORMATS) -> Image.Image:
    """Open ``path`` as a still image no larger than :data:`WORKING_SIDE` on a side, if it is
    in one of ``formats`` (Pillow's names) whatever its file name says.

    Only the header is read before the size check, so a 20000×20000 file is
    refused (or reduced while decoding) without exhausting memory. A JPEG is
    checked at the size it is decoded at, an eighth of its own at most, so that
    a phone's 108-megapixel photo opens.
    """
    path = Path(path)
    _check_regular_file(path)
    _check_png_chunks(path)
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb check counts a JPEG's full size; MAX_PIXELS counts what is
            # decoded. Past twice Pillow's limit it still refuses (DecompressionBombError).
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            # Pillow's notes on damaged metadata ("Corrupt EXIF data") are no use to a user.
            warnings.simplefilter("ignore", UserWarning)
            image = Image.open(path, formats=formats)
            image.seek(0)  # the first frame of an animation
            image.draft("L", (WORKING_SIDE, WORKING_SIDE))  # JPEG: decode at reduced size
            if image.width * image.height > MAX_PIXELS:
                raise ImageLoadError(too_many_pixels(path.name, image.width * image.height))
            image.load()
            # Phone photos are often stored turned, with the turn in their EXIF data.
            image = ImageOps.exif_transpose(image)
    except ImageLoadError:
        raise
    except FileNotFoundError:
        raise ImageLoadError(f"{path} does not exist") from None
    except PermissionError:
        raise ImageLoadError(f"no permission to read {path}") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageLoadError(_too_large(path, exc)) from None
    except MemoryError:  # a chunk declaring gigabytes: Pillow asks for a buffer that size
        raise ImageLoadError(f"{path.name} declares more data than there is memory for") from None
    except UnidentifiedImageError:
        raise ImageLoadError(
            f"{path.name} is not a picture DigitPad can open "
            f"({FORMAT_NAMES if formats == FORMATS else ' or '.join(formats)})"
        ) from None
    except TypeError:  # Pillow's TIFF reader given a field of the wrong type (a fraction offset)
        raise ImageLoadError(f"{path.name} is damaged: a field has the wrong type") from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageLoadError(f"{path.name} could not be read: {exc}") from None
    if image.width == 0 or image.height == 0:
        raise ImageLoadError(f"{path.name} has no pixels")
    return fitted(image)


def fitted(image: Image.Image) -> Image.Image:
    """``image`` no larger than :data:`WORKING_SIDE` on a side, as recognition reads it."""
    return _reduced(image) if max(image.size) > WORKING_SIDE else image


def _check_regular_file(path: Path) -> None:
    """Refuse a folder, a FIFO, a socket or a device before opening: they would block or never end.

    Any error from looking the file up (a name too long, a folder without search
    permission) becomes an :class:`ImageLoadError` naming the file, never a traceback.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ImageLoadError(f"{path} does not exist") from None
    except PermissionError:
        raise ImageLoadError(f"no permission to read {path}") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        raise ImageLoadError(f"cannot read {path}: {_reason(exc)}") from None
    if stat.S_ISDIR(mode):
        raise ImageLoadError(f"{path.name} is a folder, not an image")
    if not stat.S_ISREG(mode):
        raise ImageLoadError(f"{path.name} is not a regular file")


def _check_png_chunks(path: Path) -> None:
    """Refuse a PNG declaring a chunk other than image data larger than :data:`MAX_PNG_CHUNK`,
    from the chunks' lengths alone (each is skipped over, not read)."""
    try:
        with open(path, "rb") as handle:
            if handle.read(len(_PNG_SIGNATURE)) != _PNG_SIGNATURE:
                return
            for _ in range(MAX_PNG_CHUNKS):
                head = handle.read(8)
                if len(head) < 8:
                    return  # cut short: Pillow says so
                length, kind = int.from_bytes(head[:4], "big"), head[4:]
                if kind == b"IEND":
                    return
                if kind not in IMAGE_DATA and length > MAX_PNG_CHUNK:
                    name = kind.decode("latin-1")
                    raise ImageLoadError(
                        f"{path.name} declares a {name!r} part of {length:,} bytes, far more "
                        "than a picture's (it is damaged, or made to exhaust memory)"
                    )
                handle.seek(length + 4, os.SEEK_CUR)  # the data and its checksum
    except OSError as exc:
        raise ImageLoadError(f"cannot read {path}: {_reason(exc)}") from None
    raise ImageLoadError(
        f"{path.name} has more than {MAX_PNG_CHUNKS:,} parts, far more than a picture's"
    )


def _reason(exc: Exception) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc)


def _too_large(path: Path, exc: Exception) -> str:
    """Pillow's decompression-bomb refusal in the words of the other too-large message."""
    found = re.search(r"\((\d+) pixels\)", str(exc))
    if found is None:
        return f"{path.name} is too large to open: {SMALLER}"
    return too_many_pixels(path.name, int(found.group(1)))


def too_many_pixels(name: str, pixels: int) -> str:
    """Why a picture of ``pixels`` is refused, and what to do: the one wording for a file
    and for a picture pasted."""
    return (
        f"{name} is {pixels:,} pixels, too large to open (at most "
        f"{MAX_PIXELS / 1_000_000:g} million): {SMALLER}"
    )


def _reduced(image: Image.Image) -> Image.Image:
    """``image`` scaled to fit :data:`WORKING_SIDE`, keeping its full depth.

    16- and 32-bit greys are reduced as floats: converting them to 8-bit RGB
    first would clip every level above 255 to white and lose the ink.
    """
    if image.mode.startswith("I;16"):
        image = image.convert("I").convert("F").point(lambda v: v / 65535)
    elif image.mode == "I":
        image = image.convert("F")
    if image.mode not in ("L", "LA", "RGB", "RGBA", "F"):
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    image.thumbnail((WORKING_SIDE, WORKING_SIDE), Image.Resampling.BOX)
    return image
