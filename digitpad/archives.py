"""Reading ``.npz`` archives from outside without trusting what they declare.

A zip file's directory and each ``.npy`` header say how much there is to read,
and the standard readers believe them: :class:`zipfile.ZipFile` reads the whole
directory and builds an entry for each of the millions it may list (a few dozen
bytes each), and NumPy reads a header of whatever length its first bytes claim.
Both are checked here first, from the few bytes that declare them (the model
loader in :mod:`digitpad.model_file`, the corrections reader in ``training.data``).
"""

from __future__ import annotations

import io
import os
import struct
import tokenize
from pathlib import Path

import numpy as np

# NumPy's own limit on the header it parses; a model's arrays need about 100 bytes.
MAX_NPY_HEADER = 10_000
_END = b"PK\x05\x06"  # the end of central directory record
_END_SIZE = 22
_LOCATOR = b"PK\x06\x07"  # where the 64-bit end record is, just before the end record
_LOCATOR_SIZE = 20
_LARGEST = (0xFFFF, 0xFFFFFFFF)
_MAX_COMMENT = 0xFFFF
_MAGIC = b"\x93NUMPY"
# What NumPy's header parser raises for a garbled header: its own ValueError, the
# literal parser's errors, and TypeError from sorting keys of mixed types (b'x' beside 'y').
UNREADABLE = (ValueError, SyntaxError, TypeError, RecursionError, MemoryError, tokenize.TokenError)


def zip_entries(path: str | os.PathLike) -> tuple[int, int]:
    """(entries, directory bytes) a zip file's end record declares, read from its last bytes.

    A file whose end record is missing, or that has a 64-bit end record (only
    archives of more than 65,535 entries or 4 GiB need one, and zipfile believes
    its counts over the end record's), gives the largest values, which no archive
    read here may have.
    """
    with open(Path(path), "rb") as handle:
        handle.seek(0, io.SEEK_END)
        size = handle.tell()
        tail_size = min(size, _END_SIZE + _MAX_COMMENT)
        handle.seek(size - tail_size)
        tail = handle.read(tail_size)
    at = tail.rfind(_END)
    if at < 0 or len(tail) - at < _END_SIZE:
        return _LARGEST
    if at >= _LOCATOR_SIZE and tail[at - _LOCATOR_SIZE : at].startswith(_LOCATOR):
        # zipfile takes the 64-bit record's counts over these, whatever these say.
        return _LARGEST
    entries, directory_bytes = struct.unpack_from("<HI", tail, at + 10)
    return entries, directory_bytes


def directory_words(entries: int, directory_bytes: int) -> str:
    """What :func:`zip_entries` found, in words for a refusal."""
    if (entries, directory_bytes) == _LARGEST:
        return "a directory of 65,535 entries or more"
    return f"a directory of {entries:,} entries in {directory_bytes:,} bytes"


def npy_header(handle) -> tuple[tuple[int, ...], np.dtype]:
    """The shape and dtype an ``.npy`` stream declares, read without reading its data.

    The header's length is read and checked before the header: NumPy would read
    (and inflate, from a compressed archive) as many bytes as it says. Raises
    ValueError for anything that is not a plain ``.npy`` header.
    """
    start = handle.read(len(_MAGIC) + 2)
    if len(start) < len(_MAGIC) + 2 or not start.startswith(_MAGIC):
        raise ValueError("not an array (.npy)")
    major = start[len(_MAGIC)]
    length_format = "<H" if major == 1 else "<I"
    length_bytes = handle.read(struct.calcsize(length_format))
    if len(length_bytes) < struct.calcsize(length_format):
        raise ValueError("a cut-off array header")
    (length,) = struct.unpack(length_format, length_bytes)
    if length > MAX_NPY_HEADER:
        raise ValueError(f"an array header of {length:,} bytes, far more than an array's")
    header = io.BytesIO(start + length_bytes + handle.read(length))
    version = np.lib.format.read_magic(header)
    read_header = (
        np.lib.format.read_array_header_1_0
        if version == (1, 0)
        else np.lib.format.read_array_header_2_0
    )
    try:
        shape, _fortran, dtype = read_header(header)
    except UNREADABLE:  # NumPy's messages quote the header, which may be any bytes at all
        raise ValueError("an unreadable array header") from None
    return shape, dtype
