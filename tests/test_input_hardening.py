"""Pictures and model files from a user trial: each is refused with the loader's own error."""

from __future__ import annotations

import struct
import subprocess
import warnings
import zlib

import numpy as np
import pytest
from PIL import Image

from digitpad.corrections import CorrectionError, Corrections
from digitpad.images import ImageLoadError, load_image
from digitpad.model_file import ModelFileError, load_model

LONG_NAME = "a" * 300  # over NAME_MAX (255): stat raises "File name too long"


def test_an_eps_file_named_png_is_refused_and_ghostscript_never_runs(tmp_path, monkeypatch):
    """Pillow opens EPS whatever the name, and loading one runs Ghostscript on it."""

    def no_child(*args, **kwargs):
        pytest.fail(f"a process was started to open a picture: {args!r:.200}")

    monkeypatch.setattr(subprocess, "Popen", no_child)
    monkeypatch.setattr(subprocess, "check_call", no_child)
    path = tmp_path / "digit.png"
    path.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 28 28\n{ } loop\n")
    with pytest.raises(
        ImageLoadError, match=r"digit\.png is not a picture DigitPad can open \(PNG"
    ):
        load_image(path)


def test_a_correction_that_is_eps_inside_is_refused_and_ghostscript_never_runs(
    tmp_path, monkeypatch
):
    def no_child(*args, **kwargs):
        pytest.fail(f"a process was started to read a correction: {args!r:.200}")

    monkeypatch.setattr(subprocess, "Popen", no_child)
    monkeypatch.setattr(subprocess, "check_call", no_child)
    (tmp_path / "3_20260101-000000.png").write_bytes(
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 28 28\n{ } loop\n"
    )
    with pytest.raises(CorrectionError, match=r"cannot read 3_20260101-000000\.png"):
        Corrections(tmp_path).arrays()


@pytest.mark.parametrize("load", [load_image, load_model], ids=["picture", "model"])
def test_a_file_name_too_long_is_the_loaders_error(tmp_path, load):
    error = ImageLoadError if load is load_image else ModelFileError
    with pytest.raises(error, match="File name too long"):
        load(tmp_path / (LONG_NAME + ".png"))


@pytest.mark.parametrize("load", [load_image, load_model], ids=["picture", "model"])
def test_a_lookup_refused_by_the_system_is_the_loaders_error(tmp_path, monkeypatch, load):
    """A folder without search permission (simulated: the tests may run as root, who may
    look anywhere)."""
    import pathlib

    def refused(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(pathlib.Path, "stat", refused)
    error = ImageLoadError if load is load_image else ModelFileError
    with pytest.raises(error, match="no permission to read"):
        load(tmp_path / "locked" / "file")


def png_declaring(width: int, height: int) -> bytes:
    """A PNG header declaring ``width``×``height`` 1-bit pixels, with no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def test_a_decompression_bomb_says_how_many_pixels_it_has(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_declaring(20000, 20000))  # beyond Pillow's own limit, refused in open
    with pytest.raises(ImageLoadError, match=r"bomb\.png is 400,000,000 pixels, too large"):
        load_image(path)


def test_a_photo_over_the_pixel_limit_opens_as_a_jpeg_and_is_refused_as_a_png(tmp_path):
    """A JPEG is decoded at an eighth of its size at most, so a phone's large photo opens;
    a PNG as large would be decoded whole, and is refused with what to do."""
    from PIL import ImageDraw

    photo = Image.new("L", (10_000, 7_000), 235)
    ImageDraw.Draw(photo).line([(4000, 1500), (6000, 1500), (4800, 5500)], fill=20, width=300)
    photo.save(tmp_path / "photo.jpg", quality=80)
    del photo
    opened = load_image(tmp_path / "photo.jpg")
    assert opened.size == (1024, 717) and np.asarray(opened).min() < 60  # the ink is there
    (tmp_path / "scan.png").write_bytes(png_declaring(10_000, 7_000))
    with pytest.raises(ImageLoadError) as refused:
        load_image(tmp_path / "scan.png")
    assert str(refused.value) == (
        "scan.png is 70,000,000 pixels, too large to open (at most 60 million): "
        "save a smaller copy, or crop it to the digit"
    )


def test_damaged_exif_data_prints_no_warning(tmp_path, drawn_seven):
    exif = Image.Exif()
    exif[0x0112] = 1
    exif[0x010E] = "x" * 100  # a description stored past the end once cut short
    path = tmp_path / "photo.jpg"
    drawn_seven.convert("RGB").save(path, exif=exif.tobytes()[:-60])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert load_image(path).size == drawn_seven.size
    assert [str(w.message) for w in caught] == []


@pytest.fixture
def drawn_seven():
    from digitpad.strokes import render_strokes

    return render_strokes([[[0.05, 0.05], [0.95, 0.05], [0.4, 1.0]]], 280, (0.5, 0.5, 0.6), 18)


@pytest.mark.parametrize("where", ["before", "after"])
def test_a_png_part_declaring_a_gigabyte_is_refused_unread(tmp_path, drawn_seven, where):
    """Pillow reads a chunk it does not know whole: a sparse file of a few kB on disk, one
    chunk declaring 1 GiB, took 4 GB and 7 s, and was then read as a good drawing."""
    import io
    import tracemalloc

    buffer = io.BytesIO()
    drawn_seven.save(buffer, "PNG")
    png = buffer.getvalue()
    cut = 8 + 25 if where == "before" else len(png) - 12  # after the header, or before the end
    path = tmp_path / "7_sparse.png"
    with open(path, "wb") as handle:
        handle.write(png[:cut] + struct.pack(">I", 2**30) + b"zzZz")
        handle.seek(2**30 + 4, 1)  # a hole, then the checksum's place
        handle.write(png[cut:])
    tracemalloc.start()
    try:
        with pytest.raises(ImageLoadError, match=r"7_sparse\.png declares a 'zzZz' part of 1,07"):
            load_image(path)
        with pytest.raises(CorrectionError, match=r"far larger than a corrected drawing"):
            Corrections(tmp_path).arrays()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 * 2**20


def test_pngs_with_their_usual_parts_open_as_before(tmp_path, drawn_seven):
    """A long text and a colour profile pass the check."""
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "x" * 100_000)
    path = tmp_path / "seven.png"
    Image.frombytes("L", (600, 600), bytes(range(256)) * 1406 + bytes(64)).save(
        path, pnginfo=info, icc_profile=bytes(4000)
    )
    assert load_image(path).size == (600, 600)
    drawn_seven.save(path)
    assert load_image(path).size == drawn_seven.size
