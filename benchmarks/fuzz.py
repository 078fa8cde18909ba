"""Coverage-guided fuzzing of the three parsers that take untrusted bytes (atheris / libFuzzer).

Targets (each gets the fuzzer's bytes as a file and opens it as DigitPad does):

- ``model``: :func:`digitpad.model_file.load_model`; a model it accepts must give finite
  probabilities that sum to 1 on a drawn digit, a black and a white picture.
- ``image``: :func:`digitpad.images.load_image` then :func:`digitpad.preprocess.prepare`;
  a picture it accepts must prepare to a 28×28 float32 input in [0, 1], or "nothing drawn".
- ``data``: ``training.data``; the first byte picks an MNIST IDX pair, raw or gzipped
  (:func:`load_mnist`), or a corrections folder holding one ``.npz`` or one PNG
  (:func:`load_corrections`); accepted data must be finite 28×28 images in [0, 1] and
  labels 0-9.

Every refusal must be the module's own error (``ModelFileError``, ``ImageLoadError``,
``DataError``) with a message of at most 1,000 characters; any other exception, a result
out of contract, an input that takes longer than ``--timeout`` seconds (and again when run
alone: a niced fuzzer on a busy machine can wait that long for the CPU) or memory beyond
``--rss-limit-mb`` (or an allocation beyond ``--memory-mb`` of address space) is a crash,
saved under the work folder's ``artifacts/`` and printed (base64) so it can become a
regression test.

atheris instruments the Python code of the parsers (DigitPad's, ``zipfile``, ``gzip``,
``json``, NumPy's ``.npy``/``.npz`` reader and Pillow's) and libFuzzer keeps every input
that reaches new branches, mutating from valid seeds: small real model files made with
``save_model``, digit pictures in a dozen formats, and IDX and ``.npz`` files.

Usage:
  python benchmarks/fuzz.py [--target model|image|data ...] [--seconds 60] [--seed 1]
                            [--work runs/fuzz] [--stop-on-crash]
  python benchmarks/fuzz.py replay TARGET FILE...   # run saved inputs through a target
  python benchmarks/fuzz.py minimize TARGET FILE OUT [SECONDS]  # a shorter crashing input
  python benchmarks/fuzz.py count                    # distinct bad inputs in the tests

Without ``--work`` the corpus lives in a temporary folder; with it, a later run resumes
from the inputs already found. ``count`` runs the test files that feed bad files to
these parsers, records each input a parser refused (by content) and prints how many
distinct ones there are.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import base64
import hashlib
import importlib
import inspect
import json
import re
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

TARGETS = ("model", "image", "data")
MAX_LEN = 16384
# Spread of the seed models' weights: with 0.1 the two-conv CNN seed gave one answer for every
# probe on an AMD EPYC (its units dead), which the model check refuses; 0.5 leaves a margin.
SEED_SCALE = 0.5
ROOT = Path(__file__).resolve().parent.parent
# What atheris instruments for each target: modules whose functions it rewrites.
INSTRUMENT = {
    "model": ("digitpad", "zipfile", "json", "numpy.lib._format_impl", "numpy.lib._npyio_impl"),
    "image": ("digitpad", "PIL"),
    "data": (
        "training.data",
        "digitpad.images",
        "digitpad.preprocess",
        "gzip",
        "zipfile",
        "numpy.lib._format_impl",
        "numpy.lib._npyio_impl",
        "PIL.Image",
        "PIL.ImageFile",
        "PIL.PngImagePlugin",
        "PIL.ImageOps",
    ),
}
# Tokens libFuzzer may splice in: what the parsers compare against in C (zlib, json).
DICTIONARY = {
    "model": [
        b"PK\x03\x04",
        b"PK\x01\x02",
        b"PK\x05\x06",
        b"PK\x06\x06",
        b"\x93NUMPY",
        b"'descr': '<f4'",
        b"'descr': '<f8'",
        b"'descr': '|O'",
        b"'descr': '<c8'",
        b"'descr': '>f2'",
        b"'fortran_order': True",
        b"'shape': (",
        b".npy",
        b"__meta__",
        b'"sizes"',
        b'"hidden"',
        b'"channels"',
        b'"convs"',
        b'"labels"',
        b'"normalization"',
        b'"mean"',
        b'"std"',
        b'"deskew"',
        b'"test_accuracy"',
        b'"format_version"',
        b'"arch"',
        b'"cnn"',
        b'"fcnn"',
        b'"adapted"',
        b'"corrections"',
        b"Infinity",
        b"-Infinity",
        b"NaN",
        b"1e999",
        b"-1",
        b"true",
        b"null",
        b"[]",
        b"{}",
    ],
    "image": [
        b"\x89PNG\r\n\x1a\n",
        b"IHDR",
        b"IDAT",
        b"IEND",
        b"PLTE",
        b"tRNS",
        b"iCCP",
        b"eXIf",
        b"acTL",
        b"fcTL",
        b"fdAT",
        b"\xff\xd8\xff",
        b"\xff\xe1",
        b"Exif\x00\x00",
        b"MM\x00*",
        b"II*\x00",
        b"GIF89a",
        b"BM",
        b"RIFF",
        b"WEBP",
        b"P5\n",
        b"\x01\x12",
        b"\x00\x12",
    ],
    "data": [
        b"\x00\x00\x08\x03",
        b"\x00\x00\x08\x01",
        b"\x00\x00\x00\x1c",
        b"\x1f\x8b\x08",
        b"PK\x03\x04",
        b"PK\x01\x02",
        b"PK\x05\x06",
        b"\x93NUMPY",
        b"images.npy",
        b"labels.npy",
        b"'descr': '<f4'",
        b"'descr': '|u1'",
        b"'descr': '<i8'",
        b"'descr': '|O'",
        b"'shape': (",
        b"\x89PNG\r\n\x1a\n",
        b"IHDR",
        b"IDAT",
    ],
}


class ContractError(AssertionError):
    """A parser broke its contract on an input (not a refusal: a bug)."""


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise ContractError(what)


def _refusal(error: Exception, folder: Path) -> str:
    """The message of a refusal, checked: present, and short enough to read."""
    message = str(error).replace(str(folder), "")
    _expect(bool(message.strip()), f"{type(error).__name__} without a message")
    _expect(len(message) <= 1000, f"a {len(message)}-character message: {message[:200]!r}…")
    return message


# --- the targets ------------------------------------------------------------------------


class ModelTarget:
    """``load_model`` on the bytes; an accepted model's answers are checked."""

    def __init__(self, folder: Path) -> None:
        import numpy as np

        from digitpad.preprocess import prepare

        self.path = folder / "model.npz"
        self.folder = folder
        digit = prepare(_digit_canvas(7, 112))
        self.pictures = np.stack([digit.image, np.zeros((28, 28)), np.ones((28, 28))])

    def __call__(self, data: bytes) -> str | None:
        import numpy as np

        from digitpad.model_file import ModelFileError, load_model
        from digitpad.preprocess import deskew

        self.path.write_bytes(data)
        try:
            model = load_model(self.path)
        except ModelFileError as exc:
            return _refusal(exc, self.folder)
        pictures = deskew(self.pictures) if model.deskew else self.pictures
        probabilities = model.probabilities(pictures.astype(np.float32))
        _expect(probabilities.shape == (3, 10), f"probabilities of shape {probabilities.shape}")
        _expect(bool(np.all(np.isfinite(probabilities))), "probabilities that are not finite")
        _expect(bool(np.all((probabilities >= 0) & (probabilities <= 1))), "probabilities ∉ [0,1]")
        _expect(bool(np.allclose(probabilities.sum(axis=1), 1, atol=1e-4)), "sum ≠ 1")
        labels = model.meta.get("labels", list(range(10)))
        _expect(sorted(labels) == list(range(10)), f"labels {labels!r:.80}")
        _expect(isinstance(model.summary, str) and bool(model.summary), "no summary")
        return None


class ImageTarget:
    """``load_image`` then ``prepare`` on the bytes; the prepared input is checked."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "picture"
        self.folder = folder

    def __call__(self, data: bytes) -> str | None:
        from digitpad.images import WORKING_SIDE, ImageLoadError, load_image
        from digitpad.preprocess import prepare

        self.path.write_bytes(data)
        try:
            image = load_image(self.path)
        except ImageLoadError as exc:
            return _refusal(exc, self.folder)
        _expect(0 < image.width <= WORKING_SIDE and 0 < image.height <= WORKING_SIDE, "size")
        _check_prepared(prepare(image))
        return None


def _check_prepared(prepared) -> None:
    import numpy as np

    if prepared.image is None:
        _expect(bool(prepared.blank_reason), "a blank result without a reason")
        return
    image = prepared.image
    _expect(image.shape == (28, 28) and image.dtype == np.float32, f"{image.shape} {image.dtype}")
    _expect(bool(np.all(np.isfinite(image))), "a prepared image that is not finite")
    _expect(float(image.min()) >= 0 and float(image.max()) <= 1, "a prepared image ∉ [0, 1]")
    again = prepared.deskewed().image
    _expect(again.shape == (28, 28) and bool(np.all(np.isfinite(again))), "deskewed")


class DataTarget:
    """The first byte picks what the rest is: an IDX pair (raw, gzipped), an .npz, a PNG."""

    MODES = ("idx", "idx.gz", "npz", "png")

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folders = {mode: folder / mode.replace(".", "-") for mode in self.MODES}
        for path in self.folders.values():
            path.mkdir(parents=True, exist_ok=True)

    def __call__(self, data: bytes) -> str | None:
        from training.data import DataError, load_corrections, load_mnist

        if not data:
            return "empty input (no mode byte)"
        mode = self.MODES[data[0] % len(self.MODES)]
        payload = data[1:]
        folder = self.folders[mode]
        try:
            if mode.startswith("idx"):
                cut = int.from_bytes(payload[:2], "big")
                images, labels = payload[2 : 2 + cut], payload[2 + cut :]
                suffix = ".gz" if mode == "idx.gz" else ""
                (folder / f"train-images-idx3-ubyte{suffix}").write_bytes(images)
                (folder / f"train-labels-idx1-ubyte{suffix}").write_bytes(labels)
                digits = load_mnist(folder, "train")
            else:
                (folder / ("7_drawing.png" if mode == "png" else "more.npz")).write_bytes(payload)
                digits = load_corrections(folder)
        except DataError as exc:
            return _refusal(exc, self.folder)
        _check_digits(digits)
        return None


def _check_digits(digits) -> None:
    import numpy as np

    images, labels = digits.images, digits.labels
    _expect(images.dtype == np.float32 and images.ndim == 3, f"images {images.dtype}")
    _expect(images.shape[1:] == (28, 28), f"images of shape {images.shape}")
    _expect(labels.dtype == np.int64 and labels.shape == (len(images),), f"labels {labels.shape}")
    _expect(len(labels) > 0, "no digits, and no error")
    _expect(bool(np.all(np.isfinite(images))), "images that are not finite")
    _expect(float(images.min()) >= 0 and float(images.max()) <= 1, "images ∉ [0, 1]")
    _expect(int(labels.min()) >= 0 and int(labels.max()) <= 9, "labels ∉ 0-9")


HARNESSES = {"model": ModelTarget, "image": ImageTarget, "data": DataTarget}


def harness(target: str, folder: Path):
    """The callable that runs one input through ``target``: None if accepted, else the reason."""
    folder.mkdir(parents=True, exist_ok=True)
    return HARNESSES[target](folder)


# --- seeds: valid files, so that mutations reach past the first header check ---------------


def _digit_canvas(label: int, side: int):
    from digitpad.selftest import DRAWINGS
    from digitpad.strokes import render_strokes

    return render_strokes(DRAWINGS[label], side, (0.5, 0.5, 0.7), side / 14)


def _png(image) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _idx(array, magic: int) -> bytes:
    import numpy as np

    head = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return head + np.ascontiguousarray(array, np.uint8).tobytes()


def seeds(target: str) -> dict[str, bytes]:
    """Valid inputs for ``target``, named."""
    import gzip
    import io

    import numpy as np

    if target == "model":
        from digitpad.model_file import save_model
        from digitpad.networks import ARCHITECTURES

        rng = np.random.default_rng(0)
        out = {}
        recipes = {
            "fcnn": ("fcnn", {"hidden": 1}, {"test_accuracy": 0.5}),
            "fcnn-meta": (
                "fcnn",
                {"hidden": 2},
                {
                    "normalization": {"mean": 0.1307, "std": 0.3081},
                    "deskew": True,
                    "labels": [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
                    "adapted": {"corrections": 3},
                },
            ),
            "cnn": ("cnn", {"channels": [1, 1], "hidden": 1, "convs": 1}, {}),
            "cnn-2convs": ("cnn", {"channels": [1, 2], "hidden": 2, "convs": 2}, {}),
        }
        with tempfile.TemporaryDirectory() as folder:
            for name, (arch, sizes, meta) in recipes.items():
                shapes = ARCHITECTURES[arch].shapes(sizes)
                params = {
                    k: rng.normal(0, SEED_SCALE, s).astype(np.float32) for k, s in shapes.items()
                }
                path = Path(folder) / f"{name}.npz"
                save_model(path, arch, params, {**meta, "sizes": sizes})
                out[name] = path.read_bytes()
            with np.load(Path(folder) / "fcnn.npz") as archive:  # the same, deflated
                arrays = {k: archive[k] for k in archive.files}
            np.savez_compressed(Path(folder) / "deflated.npz", **arrays)
            out["fcnn-deflated"] = (Path(folder) / "deflated.npz").read_bytes()
        return out

    from PIL import Image

    digit = _digit_canvas(7, 40)
    if target == "image":
        out = {"png-gray": _png(digit), "png-1bit": _png(digit.convert("1"))}
        ink = Image.new("LA", digit.size, (0, 0))
        ink.putalpha(Image.eval(digit, lambda v: 255 - v))
        out["png-rgba"] = _png(ink.convert("RGBA"))
        out["png-palette"] = _png(digit.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE))
        wide = Image.fromarray(np.asarray(digit, np.uint16) * 257)
        buffer = io.BytesIO()
        wide.save(buffer, "PNG")
        out["png-16bit"] = buffer.getvalue()
        for name, fmt, extra in (
            ("jpeg", "JPEG", {"quality": 50}),
            ("gif", "GIF", {}),
            ("bmp", "BMP", {}),
            ("tiff", "TIFF", {"compression": "tiff_deflate"}),
            ("webp", "WEBP", {"quality": 50}),
            ("pgm", "PPM", {}),
            ("ico", "ICO", {"sizes": [(32, 32)]}),
            ("tga", "TGA", {"compression": "tga_rle"}),
        ):
            buffer = io.BytesIO()
            digit.save(buffer, fmt, **extra)
            out[name] = buffer.getvalue()
        exif = Image.Exif()
        exif[0x0112] = 6  # stored turned: EXIF orientation
        buffer = io.BytesIO()
        digit.convert("RGB").save(buffer, "JPEG", quality=50, exif=exif)
        out["jpeg-exif"] = buffer.getvalue()
        buffer = io.BytesIO()
        digit.save(buffer, "GIF", save_all=True, append_images=[digit.rotate(10)], duration=100)
        out["gif-animated"] = buffer.getvalue()
        return out

    # data: a mode byte (DataTarget.MODES), then the files.
    from digitpad.preprocess import prepare

    images = np.stack([np.round(prepare(_digit_canvas(k, 112)).image * 255) for k in (0, 1, 7)])
    images = images.astype(np.uint8)
    labels = np.array([0, 1, 7], np.uint8)

    def pair(first: bytes, second: bytes) -> bytes:
        return len(first).to_bytes(2, "big") + first + second

    out = {
        "idx": b"\x00" + pair(_idx(images, 2051), _idx(labels, 2049)),
        "idx-gz": b"\x01"
        + pair(gzip.compress(_idx(images, 2051), 9), gzip.compress(_idx(labels, 2049), 9)),
        "png": b"\x03" + _png(_digit_canvas(7, 40)),
    }
    for name, array, save in (
        ("npz", images, np.savez),
        ("npz-float-deflated", images / np.float32(255), np.savez_compressed),
    ):
        buffer = io.BytesIO()
        save(buffer, images=array, labels=labels.astype(np.int64))
        out[name] = b"\x02" + buffer.getvalue()
    return out


def write_seeds(target: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in seeds(target).items():
        (folder / name).write_bytes(data)


def _dictionary(target: str, path: Path) -> Path:
    lines = ['"' + "".join(f"\\x{b:02x}" for b in token) + '"' for token in DICTIONARY[target]]
    path.write_text("\n".join(lines) + "\n")
    return path


# --- mutations that keep checksums right ----------------------------------------------------
#
# A byte flipped inside a zip member or a PNG chunk is refused at once for its CRC, so
# plain mutation never reaches the metadata, the array headers or Pillow's chunk
# handlers. The custom mutator (libFuzzer still picks what to mutate by coverage) also
# mutates one member of an archive and rebuilds it, mutates the JSON metadata as JSON,
# mutates the inflated content of a gzip stream, and repairs the CRCs after a byte-level
# mutation most of the time.

JSON_VALUES = [
    float("inf"),
    float("-inf"),
    float("nan"),
    -1,
    0,
    1,
    2,
    10**9,
    2**63,
    10**400,
    1e-320,
    0.5,
    1e308,
    True,
    False,
    None,
    "",
    "fcnn",
    "cnn",
    [],
    {},
    [1, 1],
    [0] * 10,
    list(range(10)),
    list(range(9, -1, -1)),
    {"hidden": 1},
    {"channels": [1, 1], "hidden": 1, "convs": 10**9},
    {"mean": 0.5, "std": 0.5},
    {"corrections": 3},
    [[[[[]]]]],
]
JSON_KEYS = [
    "sizes",
    "hidden",
    "channels",
    "convs",
    "labels",
    "normalization",
    "mean",
    "std",
    "deskew",
    "test_accuracy",
    "format",
    "format_version",
    "arch",
    "adapted",
    "corrections",
]


def _mutate_json(text: bytes, rng) -> bytes | None:
    """``text`` (JSON) with one value replaced or one key added, or None if not JSON."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    nodes = []

    def walk(node, parent, key) -> None:
        nodes.append((node, parent, key))
        if isinstance(node, dict):
            for k, v in list(node.items())[:50]:
                walk(v, node, k)
        elif isinstance(node, list):
            for i, v in enumerate(node[:20]):
                walk(v, node, i)

    walk(value, None, None)
    node, parent, key = rng.choice(nodes)
    new = json.loads(json.dumps(rng.choice(JSON_VALUES)))
    if isinstance(node, dict) and rng.random() < 0.3:
        node[rng.choice(JSON_KEYS)] = new
    elif isinstance(node, dict) and node and rng.random() < 0.2:
        del node[rng.choice(list(node))]
    elif parent is None:
        value = new
    else:
        parent[key] = new
    return json.dumps(value).encode()


def _zip_members(data: bytes) -> list[tuple[str, bytes, int]] | None:
    """(name, content, method) of each member whatever its CRC, or None if no archive."""
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = []
            for info in archive.infolist()[:80]:
                with archive.open(info) as handle:
                    handle._expected_crc = None  # the CRC is what the rebuild makes right
                    members.append((info.filename, handle.read(1 << 20), info.compress_type))
            return members
    except Exception:
        return None


def _zip(members: list[tuple[str, bytes, int]]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content, method in members:
            method = method if method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) else 0
            archive.writestr(name, content, compress_type=method)
    return buffer.getvalue()


def _split_npy(content: bytes) -> tuple[bytes, bytes] | None:
    """(header, data) of an .npy member, or None."""
    if not content.startswith(b"\x93NUMPY") or len(content) < 12:
        return None
    if content[6] == 1:
        end = 10 + int.from_bytes(content[8:10], "little")
    else:
        end = 12 + int.from_bytes(content[8:12], "little")
    return content[:end], content[end:]


def _npy_bytes(data: bytes) -> bytes:
    import io

    import numpy as np

    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.frombuffer(data, np.uint8))
    return buffer.getvalue()


def _mutate_zip(data: bytes, max_size: int, rng, mutate) -> bytes | None:
    """One member of the archive mutated (its header, its data, its JSON), then rebuilt."""
    members = _zip_members(data)
    if not members:
        return None
    i = rng.randrange(len(members))
    name, content, method = members[i]
    parts = _split_npy(content)
    choice = rng.random()
    if name.startswith("__meta__") and parts and choice < 0.5:
        text = _mutate_json(parts[1], rng) or mutate(parts[1], len(parts[1]) + 64)
        members[i] = (name, _npy_bytes(text), method)
    elif parts and choice < 0.75:
        members[i] = (name, mutate(parts[0], len(parts[0]) + 32) + parts[1], method)
    elif choice < 0.9:
        members[i] = (name, mutate(content, len(content) + 64), method)
    elif choice < 0.95:
        members[i] = (mutate(name.encode(), 64).decode("utf-8", "replace") or "x", content, method)
    elif len(members) > 1:
        del members[i]
    else:
        members.append(members[i])
    return _zip(members)


def _fix_zip_crcs(data: bytes) -> bytes:
    """``data`` with each member's CRC, in its local and central headers, made right."""
    import io
    import zipfile
    import zlib

    out = bytearray(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            central = archive.start_dir
            for info in archive.infolist()[:80]:
                entry = central
                central += (
                    46
                    + sum(  # the fixed part, then the name, extra field, comment
                        int.from_bytes(data[entry + k : entry + k + 2], "little")
                        for k in (28, 30, 32)
                    )
                )
                try:
                    with archive.open(info) as handle:
                        handle._expected_crc = None
                        crc = zlib.crc32(handle.read(1 << 20)).to_bytes(4, "little")
                except Exception:
                    continue
                if data[entry : entry + 4] == b"PK\x01\x02":
                    out[entry + 16 : entry + 20] = crc
                if data[info.header_offset : info.header_offset + 4] == b"PK\x03\x04":
                    out[info.header_offset + 14 : info.header_offset + 18] = crc
    except Exception:
        return data
    return bytes(out)


def _fix_png_crcs(data: bytes) -> bytes:
    import zlib

    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return data
    out, at = bytearray(data), 8
    while at + 12 <= len(out):
        end = at + 8 + int.from_bytes(out[at : at + 4], "big")
        if end + 4 > len(out):
            break
        out[end : end + 4] = zlib.crc32(out[at + 4 : end]).to_bytes(4, "big")
        at = end + 4
    return bytes(out)


def _mutate_file(data: bytes, max_size: int, rng, mutate) -> bytes:
    """A mutation of one file that keeps its checksums right most of the time."""
    import gzip
    import zlib

    choice = rng.random()
    if data.startswith(b"PK\x03\x04") and choice < 0.5:
        rebuilt = _mutate_zip(data, max_size, rng, mutate)
        if rebuilt is not None:
            return rebuilt
    if data.startswith(b"\x1f\x8b") and choice < 0.5:
        try:
            inflated = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            inflated = None
        if inflated is not None and len(inflated) < 1 << 20:
            return gzip.compress(mutate(inflated, len(inflated) + 64), 9)
    mutated = mutate(data, max_size)
    if rng.random() < 0.8:
        mutated = _fix_png_crcs(_fix_zip_crcs(mutated))
    return mutated


def structured_mutator(target: str, mutate):
    """libFuzzer's custom mutator for ``target``: ``mutate`` is libFuzzer's own byte mutator."""
    import random

    def mutator(data: bytes, max_size: int, seed: int) -> bytes:
        rng = random.Random(seed)
        try:
            if target != "data" or not data:
                out = _mutate_file(data, max_size, rng, mutate)
            elif rng.random() < 0.05:  # another mode
                out = bytes([rng.randrange(256)]) + data[1:]
            elif data[0] % len(DataTarget.MODES) < 2:  # an IDX pair: mutate one of the two
                payload = data[1:]
                cut = int.from_bytes(payload[:2], "big")
                files = [payload[2 : 2 + cut], payload[2 + cut :]]
                k = rng.randrange(2) if rng.random() < 0.9 else None
                if k is None:
                    out = data[:1] + mutate(payload, max_size)
                else:
                    files[k] = _mutate_file(files[k], max_size // 2, rng, mutate)
                    size = min(len(files[0]), 65535)
                    out = data[:1] + size.to_bytes(2, "big") + files[0][:size] + files[1]
            else:
                out = data[:1] + _mutate_file(data[1:], max_size - 1, rng, mutate)
        except Exception:
            out = mutate(data, max_size)
        return out if len(out) <= max_size else mutate(data, max_size)

    return mutator


# --- the fuzzing process (child) ------------------------------------------------------------


def _functions(module):
    """Every function defined in ``module``'s file, methods and properties included."""
    filename = getattr(module, "__file__", None)
    if not filename:
        return
    stack = list(vars(module).values())
    seen = set()
    while stack:
        value = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property):
            stack.extend(f for f in (value.fget, value.fset, value.fdel) if f)
        elif inspect.isfunction(value) and value.__code__.co_filename == filename:
            yield value
        elif inspect.isclass(value) and getattr(value, "__module__", "").startswith(
            module.__name__.split(".")[0]
        ):
            stack.extend(vars(value).values())


def _instrument(prefixes: tuple[str, ...]) -> int:
    """Add atheris' coverage and comparison tracing to the functions of these modules.

    Function by function (``atheris.instrument_func``): instrumenting whole modules at
    import costs tens of seconds for NumPy's reader and Pillow. Writers are skipped.
    """
    import atheris

    done = set()
    for name, module in list(sys.modules.items()):
        if module is None or not any(name == p or name.startswith(p + ".") for p in prefixes):
            continue
        for function in _functions(module):
            skip = re.search(r"save|encode|write|show", function.__qualname__, re.IGNORECASE)
            if id(function.__code__) in done or skip:
                continue
            try:
                atheris.instrument_func(function)
            except Exception:  # a code object atheris cannot rewrite stays as it is
                continue
            done.add(id(function.__code__))
    return len(done)


class Tally:
    """How many inputs were tried, and how many distinct ones were refused or accepted."""

    def __init__(self, path: Path) -> None:
        import numpy as np

        self.np = np
        self.path = path
        self.tried = 0
        self.crashes = 0
        self.pending: dict[str, list[int]] = {"refused": [], "accepted": [], "crashed": []}
        self.seen = {key: np.empty(0, np.uint64) for key in self.pending}
        self.reasons: set[str] = set()
        self.flushed = time.monotonic()

    def add(self, data: bytes, reason: str | None, crashed: bool = False) -> None:
        self.tried += 1
        digest = int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")
        bucket = "crashed" if crashed else "accepted" if reason is None else "refused"
        self.pending[bucket].append(digest)
        if reason is not None and not crashed and len(self.reasons) < 100_000:
            # The kind of refusal: the message without its numbers and quoted values.
            self.reasons.add(re.sub(r"'[^']*'|\"[^\"]*\"|[-+.\d]+", "#", reason)[:120])
        if time.monotonic() - self.flushed > 10:
            self.flush()

    def flush(self) -> None:
        np = self.np
        for key, values in self.pending.items():
            if values:
                self.seen[key] = np.union1d(self.seen[key], np.array(values, np.uint64))
                values.clear()
        np.savez(self.path.with_suffix(".tmp.npz"), **self.seen)
        os.replace(self.path.with_suffix(".tmp.npz"), self.path.with_suffix(".npz"))
        record = {"tried": self.tried, "crashes": self.crashes, "reasons": sorted(self.reasons)}
        self.path.with_suffix(".tmp").write_text(json.dumps(record))
        os.replace(self.path.with_suffix(".tmp"), self.path)
        self.flushed = time.monotonic()


def child(target: str, folder: Path, stats: Path, seconds: float, memory_mb: int, argv) -> None:
    """Run libFuzzer on ``target`` until ``seconds`` have passed (the process then exits)."""
    import resource

    started = time.monotonic()
    if memory_mb:
        limit = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    warnings.simplefilter("ignore")  # Pillow's and NumPy's warnings are not the contract
    import atheris
    import numpy  # noqa: F401
    from PIL import Image

    Image.init()  # every format plugin, so that they are instrumented
    # Imported here, to be instrumented, rather than when a target first calls them.
    for name in ("digitpad.images", "digitpad.model_file", "training.data"):
        importlib.import_module(name)

    run = harness(target, folder)
    functions = _instrument(INSTRUMENT[target])
    tally = Tally(stats)
    deadline = started + seconds
    print(f"fuzz: {functions} functions instrumented in {time.monotonic() - started:.1f} s")

    def one_input(data: bytes) -> None:
        if time.monotonic() >= deadline:
            tally.flush()
            sys.stdout.flush()
            os._exit(0)
        try:
            reason = run(data)
        except BaseException:
            tally.crashes += 1
            tally.add(data, None, crashed=True)
            tally.flush()
            raise
        tally.add(data, reason)

    def mutate(data: bytes, max_size: int) -> bytes:
        return atheris.Mutate(data, max_size)  # looked up when called: Fuzz() sets it up

    atheris.Setup(
        [sys.argv[0], *argv], one_input, custom_mutator=structured_mutator(target, mutate)
    )
    atheris.Fuzz()


# --- the driver -----------------------------------------------------------------------------

STATUS = re.compile(r"#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/")


def fuzz_target(
    target: str,
    seconds: float,
    seed: int,
    work: Path,
    stop_on_crash: bool,
    timeout: int,
    rss_limit_mb: int,
    memory_mb: int,
) -> dict:
    """Fuzz ``target`` for ``seconds`` of wall time, restarting libFuzzer after each crash."""
    folder = work / target
    corpus, seed_folder, artifacts = folder / "corpus", folder / "seeds", folder / "artifacts"
    for path in (corpus, artifacts):
        path.mkdir(parents=True, exist_ok=True)
    write_seeds(target, seed_folder)
    dictionary = _dictionary(target, folder / "tokens.dict")
    started = time.monotonic()
    known = set(artifacts.iterdir())
    crashes: list[dict] = []
    stalls: list[str] = []
    cov = ft = 0
    tries = 0
    stats_files = []
    for attempt in range(100):
        left = seconds - (time.monotonic() - started)
        if left < 3 or (crashes and stop_on_crash):
            break
        stats = folder / f"stats-{os.getpid()}-{attempt}.json"
        stats_files.append(stats)
        log = folder / f"log-{attempt}.txt"
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "child",
            target,
            "--folder",
            str(folder / "scratch"),
            "--stats",
            str(stats),
            "--seconds",
            f"{left:.1f}",
            "--memory-mb",
            str(memory_mb),
            "--",
            str(corpus),
            str(seed_folder),
            f"-seed={seed + attempt}",
            f"-max_len={MAX_LEN}",
            f"-timeout={timeout}",
            f"-rss_limit_mb={rss_limit_mb}",
            f"-max_total_time={int(left) + 120}",
            f"-dict={dictionary}",
            f"-artifact_prefix={artifacts}/",
        ]
        with open(log, "wb") as handle:
            code = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT).returncode
        text = log.read_text(errors="replace")
        for match in STATUS.finditer(text):
            _, cov_now, ft_now = (int(v) for v in match.groups()[:3])
            cov, ft = max(cov, cov_now), max(ft, ft_now)
        if stats.exists():
            tries += json.loads(stats.read_text())["tried"]
        new = sorted(set(artifacts.iterdir()) - known)
        known |= set(new)
        if code != 0 and not new:
            raise RuntimeError(f"the fuzzer itself failed (exit {code}): {text[-2000:]}")
        if new and new[0].name.startswith("timeout-") and not _hangs(target, new[0], timeout):
            # On a busy machine a niced fuzzer can wait longer than --timeout for the CPU.
            stalls.append(str(new[0]))
        elif new:
            found = new[0]
            data = found.read_bytes()
            crashes.append(
                {
                    "exit": code,
                    "artifact": str(found),
                    "input_base64": base64.b64encode(data[:4096]).decode(),
                    "input_bytes": len(data),
                    "log_tail": _crash_report(text),
                }
            )
    hours = (time.monotonic() - started) / 3600
    seen = _union(stats_files)
    reasons = set()
    for stats in stats_files:
        if stats.exists():
            reasons.update(json.loads(stats.read_text())["reasons"])
    return {
        "target": target,
        "seconds": round(hours * 3600, 1),
        "hours": round(hours, 4),
        "tried": tries,
        "distinct": seen["distinct"],
        "distinct_refused": seen["refused"],
        "distinct_accepted": seen["accepted"],
        "distinct_crashing": seen["crashed"],
        "refusal_kinds": len(reasons),
        "coverage_edges": cov,
        "features": ft,
        "corpus": len(list(corpus.iterdir())),
        "crashes": crashes,
        "timeouts_not_reproduced": stalls,
    }


def _hangs(target: str, path: Path, timeout: int) -> bool:
    """Whether ``path`` still takes more than ``timeout`` seconds when run again alone."""
    command = [sys.executable, str(Path(__file__).resolve()), "replay", target, str(path)]
    try:
        subprocess.run(command, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return True
    return False


def _union(stats_files: list[Path]) -> dict[str, int]:
    import numpy as np

    seen = {key: np.empty(0, np.uint64) for key in ("refused", "accepted", "crashed")}
    for stats in stats_files:
        path = stats.with_suffix(".npz")
        if path.exists():
            with np.load(path) as arrays:
                for key in seen:
                    if key in arrays.files:
                        seen[key] = np.union1d(seen[key], arrays[key])
    distinct = len(np.union1d(np.union1d(seen["refused"], seen["accepted"]), seen["crashed"]))
    return {"distinct": distinct, **{key: len(value) for key, value in seen.items()}}


def _crash_report(log: str) -> str:
    """The part of libFuzzer's log that says what went wrong."""
    for marker in ("=== Uncaught Python exception", "ERROR: libFuzzer", "ALARM:", "==ERROR"):
        at = log.find(marker)
        if at >= 0:
            return log[at : at + 3000]
    return log[-3000:]


def replay(target: str, files: list[str]) -> int:
    """Run saved inputs through ``target`` without atheris; print each outcome."""
    warnings.simplefilter("ignore")
    failed = 0
    with tempfile.TemporaryDirectory() as folder:
        run = harness(target, Path(folder))
        for name in files:
            try:
                reason = run(Path(name).read_bytes())
                print(f"{name}: {'accepted' if reason is None else 'refused: ' + reason}")
            except Exception as exc:
                failed += 1
                print(f"{name}: CONTRACT BROKEN: {type(exc).__name__}: {exc}")
    return 1 if failed else 0


def _signature(run, data: bytes) -> str | None:
    """What breaking the contract on ``data`` looks like (exception and where), or None."""
    import traceback

    try:
        run(data)
    except Exception as exc:
        last = traceback.extract_tb(exc.__traceback__)[-1]
        return f"{type(exc).__name__} in {Path(last.filename).name}:{last.name}"
    return None


def minimize(target: str, data: bytes, seconds: float = 60.0) -> bytes:
    """The shortest input found by deleting chunks that still breaks the contract the same way.

    In this process, without atheris: for exceptions, not for hangs or memory.
    """
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as folder:
        run = harness(target, Path(folder))
        goal = _signature(run, data)
        if goal is None:
            return data
        deadline = time.monotonic() + seconds
        chunk = max(1, len(data) // 2)
        while chunk >= 1 and time.monotonic() < deadline:
            at, smaller = 0, False
            while at < len(data) and time.monotonic() < deadline:
                candidate = data[:at] + data[at + chunk :]
                if candidate and _signature(run, candidate) == goal:
                    data, smaller = candidate, True
                else:
                    at += chunk
            chunk = chunk if smaller else chunk // 2
        return data


# --- counting the bad inputs the tests feed the parsers -------------------------------------

# The test files that hand these parsers bad files in the test process (the CLI's own tests
# run it as a child, whose refusals are not seen); fuzzing itself is left out (seconds 0).
COUNTED_TESTS = (
    "tests/test_model_file.py",
    "tests/test_data.py",
    "tests/test_fuzz.py",
    "tests/test_predict_cli.py",
    "tests/test_reliability_gui.py",
    "tests/test_reliability_storage.py",
    "tests/test_ui_inference.py",
)


class BadInputRecorder:
    """A pytest plugin: each input the parsers refuse is recorded by what it holds.

    It wraps the parsers' entry points (:func:`load_model`, :func:`load_image`,
    :func:`read_idx`, :func:`load_mnist`, :func:`load_corrections`) before the test
    modules import them; a refusal inside another (an image inside a corrections
    folder) counts once, for the outermost. An input is its bytes (a folder: the names
    and bytes of its files; a path that is not a regular file: its kind).
    """

    def __init__(self) -> None:
        self.refused: dict[str, set[str]] = {}
        self.depth = 0

    def pytest_configure(self, config) -> None:
        import digitpad.images
        import digitpad.model_file
        import training.data

        for module, name, error in (
            (digitpad.model_file, "load_model", digitpad.model_file.ModelFileError),
            (digitpad.images, "load_image", digitpad.images.ImageLoadError),
            (training.data, "read_idx", training.data.DataError),
            (training.data, "load_mnist", training.data.DataError),
            (training.data, "load_corrections", training.data.DataError),
        ):
            setattr(module, name, self._wrap(getattr(module, name), error))

    def _wrap(self, function, error):
        def wrapper(path, *args, **kwargs):
            self.depth += 1
            try:
                return function(path, *args, **kwargs)
            except error:
                if self.depth == 1:
                    key = f"{function.__name__}:{':'.join(map(str, args))}"
                    self.refused.setdefault(key, set()).add(_fingerprint(Path(path)))
                raise
            finally:
                self.depth -= 1

        wrapper.__wrapped__ = function
        return wrapper


def _fingerprint(path: Path) -> str:
    import stat

    digest = hashlib.sha256()
    try:
        mode = path.lstat().st_mode
    except OSError as exc:
        return f"missing ({exc.errno})"
    if stat.S_ISDIR(mode):
        entries = sorted(path.rglob("*"))
        if not entries:
            return "empty folder"
        for entry in entries:
            digest.update(str(entry.relative_to(path)).encode() + b"\0")
            if entry.is_file():
                digest.update(entry.read_bytes())
        return digest.hexdigest()
    if not stat.S_ISREG(mode):
        return f"special file {stat.S_IFMT(mode):o}"
    if not os.access(path, os.R_OK):
        return "unreadable file"
    digest.update(path.read_bytes())
    return digest.hexdigest()


def count_bad_inputs(tests: tuple[str, ...] = COUNTED_TESTS) -> dict:
    import pytest

    os.environ["DIGITPAD_FUZZ_SECONDS"] = "0"
    recorder = BadInputRecorder()
    code = pytest.main(["-q", "-p", "no:cacheprovider", *tests], plugins=[recorder])
    by_parser: dict[str, int] = {}
    for key, inputs in recorder.refused.items():
        parser = key.split(":")[0]
        by_parser[parser] = by_parser.get(parser, 0) + len(inputs)
    return {
        "tests_passed": code == 0,
        "distinct_bad_inputs": sum(by_parser.values()),
        "by_parser": by_parser,
        "test_files": list(tests),
    }


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        parser = argparse.ArgumentParser()
        parser.add_argument("mode")
        parser.add_argument("target", choices=TARGETS)
        parser.add_argument("--folder", type=Path, required=True)
        parser.add_argument("--stats", type=Path, required=True)
        parser.add_argument("--seconds", type=float, required=True)
        parser.add_argument("--memory-mb", type=int, default=0)
        args, rest = parser.parse_known_args()
        rest = [arg for arg in rest if arg != "--"]
        child(args.target, args.folder, args.stats, args.seconds, args.memory_mb, rest)
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "replay":
        return replay(sys.argv[2], sys.argv[3:])
    if len(sys.argv) > 1 and sys.argv[1] == "minimize":  # minimize TARGET FILE OUT [SECONDS]
        seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 60.0
        data = minimize(sys.argv[2], Path(sys.argv[3]).read_bytes(), seconds)
        Path(sys.argv[4]).write_bytes(data)
        print(f"{len(data)} bytes: {sys.argv[4]}")
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "count":
        os.chdir(ROOT)
        result = count_bad_inputs()
        parsers = ", ".join(f"{k} {v}" for k, v in sorted(result["by_parser"].items()))
        print(
            f"{result['distinct_bad_inputs']} distinct bad inputs refused in the tests ({parsers})"
        )
        print(json.dumps(result))
        return 0 if result["tests_passed"] else 1

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", action="append", choices=TARGETS)
    parser.add_argument("--seconds", type=float, default=60.0, help="per target (default 60)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, help="keep the corpus and crashes here")
    parser.add_argument("--stop-on-crash", action="store_true")
    parser.add_argument("--timeout", type=int, default=60, help="seconds one input may take")
    parser.add_argument("--rss-limit-mb", type=int, default=2048)
    parser.add_argument("--memory-mb", type=int, default=4096, help="address space limit")
    args = parser.parse_args()
    try:
        import atheris  # noqa: F401
    except ImportError:
        print("atheris is not installed: pip install -e '.[dev]' (Linux, Python 3.10-3.13)")
        return 2
    with tempfile.TemporaryDirectory(prefix="digitpad-fuzz-") as scratch:
        work = args.work or Path(scratch)
        results = []
        for target in args.target or TARGETS:
            result = fuzz_target(
                target,
                args.seconds,
                args.seed,
                work,
                args.stop_on_crash,
                args.timeout,
                args.rss_limit_mb,
                args.memory_mb,
            )
            results.append(result)
            print(
                f"{target}: {result['tried']:,} inputs tried in {result['hours']:.3f} h, "
                f"{result['distinct']:,} distinct ({result['distinct_refused']:,} refused, "
                f"{result['refusal_kinds']} kinds of refusal), coverage {result['coverage_edges']} "
                f"edges / {result['features']} features, corpus {result['corpus']}, "
                f"{len(result['crashes'])} crash(es)"
                + (
                    f", {len(result['timeouts_not_reproduced'])} timeout(s) that took under "
                    f"{args.timeout} s run again (a busy machine)"
                    if result["timeouts_not_reproduced"]
                    else ""
                )
            )
            for crash in result["crashes"]:
                print(f"  crash (exit {crash['exit']}), input {crash['input_bytes']} bytes:")
                print(f"  base64: {crash['input_base64']}")
                print("  " + crash["log_tail"].replace("\n", "\n  "))
        total = {
            "tried": sum(r["tried"] for r in results),
            "distinct_refused": sum(r["distinct_refused"] for r in results),
            "hours": round(sum(r["hours"] for r in results), 4),
            "crashes": sum(len(r["crashes"]) for r in results),
        }
        print(json.dumps({"total": total, "targets": results}))
        return 1 if total["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
