"""Archives whose directory or array headers declare far more than they hold are refused
from the few bytes that declare it, at little memory: as models and as correction sets."""

from __future__ import annotations

import struct
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from digitpad.archives import npy_header, zip_entries
from digitpad.assets import bundled_model_path
from digitpad.model_file import ModelFileError, load_model
from training.data import DataError, check_npz

# Far below what any of these files would cost if read as they declare.
MEMORY_CAP = 32 * 2**20


def header_bomb(path: Path, member: str, declared: int) -> Path:
    """An archive whose one member starts like an .npy of version 2 with a header of
    ``declared`` bytes: spaces, which deflate a thousand to one."""
    archive = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9)
    with archive, archive.open(member, "w", force_zip64=True) as handle:
        handle.write(b"\x93NUMPY\x02\x00" + struct.pack("<I", declared))
        block = b" " * (1 << 22)
        for _ in range(declared // len(block)):
            handle.write(block)
    return path


def directory_bomb(path: Path, entries: int, zip64: bool, lying: bool = False) -> Path:
    """An archive whose directory lists the same small member ``entries`` times; with
    ``zip64`` in a 64-bit end record, which the plain one, ``lying``, says is one entry."""
    name = b"a.npy"
    data = b"\x93NUMPY\x01\x00" + struct.pack("<H", 6) + b"{}    "
    crc = zlib.crc32(data)
    local = struct.pack(
        "<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, 0, 0, crc, len(data), len(data), len(name), 0
    )
    entry = struct.pack(
        "<4sHHHHHHIIIHHHHHII",
        *(b"PK\x01\x02", 20, 20, 0, 0, 0, 0, crc, len(data), len(data), len(name)),
        *(0, 0, 0, 0, 0, 0),
    )
    with open(path, "wb") as handle:
        handle.write(local + name + data)
        start = handle.tell()
        handle.write((entry + name) * entries)
        size = handle.tell() - start
        if zip64:
            record = handle.tell()
            handle.write(
                struct.pack(
                    "<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries, size, start
                )
            )
            handle.write(struct.pack("<4sIQI", b"PK\x06\x07", 0, record, 1))
            if lying:
                count, size = 1, len(entry + name)
            else:
                count, size, start = 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF
        else:
            count = entries
        handle.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, size, start, 0))
    return path


def peak_memory(call) -> tuple[BaseException, int]:
    """The exception ``call`` raises and the most Python memory it held meanwhile."""
    tracemalloc.start()
    try:
        call()
    except (ModelFileError, DataError) as exc:
        error = exc
    else:
        raise AssertionError("the file was accepted")
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return error, peak


def test_a_model_whose_array_header_claims_megabytes_is_refused_unread(tmp_path):
    path = header_bomb(tmp_path / "model.npz", "fc1.weight.npy", 64 * 2**20)
    assert path.stat().st_size < 200_000
    error, peak = peak_memory(lambda: load_model(path))
    assert "an array header of 67,108,864 bytes" in str(error)
    assert "pickle" not in str(error)
    assert peak < MEMORY_CAP


@pytest.mark.parametrize(
    ("entries", "zip64", "lying"),
    [(70_000, True, False), (70_000, True, True), (1_000, False, False)],
)
def test_a_model_whose_directory_lists_thousands_of_arrays_is_refused_uncounted(
    tmp_path, entries, zip64, lying
):
    path = directory_bomb(tmp_path / "model.npz", entries, zip64, lying)
    error, peak = peak_memory(lambda: load_model(path))
    assert "far more than a model" in str(error)
    assert peak < MEMORY_CAP


def test_a_correction_set_whose_array_header_claims_megabytes_is_refused_unread(tmp_path):
    path = header_bomb(tmp_path / "extra.npz", "images.npy", 64 * 2**20)
    error, peak = peak_memory(lambda: check_npz(path))
    assert "images.npy: an array header of 67,108,864 bytes" in str(error)
    assert peak < MEMORY_CAP


@pytest.mark.parametrize("lying", [False, True])
def test_a_correction_set_listing_thousands_of_files_is_refused_uncounted(tmp_path, lying):
    path = directory_bomb(tmp_path / "extra.npz", 70_000, zip64=True, lying=lying)
    error, peak = peak_memory(lambda: check_npz(path))
    assert "far more than a set of corrections" in str(error)
    assert peak < MEMORY_CAP


def test_a_correction_set_of_python_objects_is_refused_in_words(tmp_path):
    path = tmp_path / "extra.npz"
    np.savez(path, images=np.array([None, 1], dtype=object), labels=np.zeros(2, np.int64))
    with pytest.raises(DataError, match=r"images\.npy holds Python objects") as caught:
        check_npz(path)
    assert "allow_pickle" not in str(caught.value)


def test_real_archives_read_as_before(tmp_path):
    """What DigitPad writes passes the checks: a model, and a set of corrections."""
    model = bundled_model_path("cnn")
    entries, directory = zip_entries(model)
    assert 5 <= entries <= 16 and directory < 2_000
    assert load_model(model).arch == "cnn"
    path = tmp_path / "set.npz"
    np.savez(path, images=np.zeros((3, 28, 28), np.uint8), labels=np.arange(3))
    check_npz(path)
    with zipfile.ZipFile(path) as archive, archive.open("images.npy") as handle:
        assert npy_header(handle) == ((3, 28, 28), np.dtype(np.uint8))
