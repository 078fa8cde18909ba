"""Coverage-guided fuzzing of the three parsers that take untrusted bytes, and what it found.

The targets, seeds and the contract they check live in ``benchmarks/fuzz.py`` (atheris,
that is libFuzzer, on the parsers' Python code). Here:

- every seed is a valid input its target accepts, so that mutations start deep;
- every input the fuzzer crashed a parser with is kept in ``tests/fuzz/crashes/`` and
  replayed, and each bug it (or reading its findings) showed has a readable test below;
- a bounded, seeded fuzzing run per target: ``DIGITPAD_FUZZ_SECONDS`` (default 50) each,
  ``DIGITPAD_FUZZ_SEED`` (default 1); ``DIGITPAD_FUZZ_SECONDS=0`` skips it. It needs
  atheris (Linux, Python 3.10-3.13), and is skipped without it.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitpad.model_file import ModelFileError, load_model
from training.data import DataError, load_corrections

ROOT = Path(__file__).resolve().parent.parent
FUZZ_SCRIPT = ROOT / "benchmarks" / "fuzz.py"
CRASHES = Path(__file__).resolve().parent / "fuzz" / "crashes"
SECONDS = float(os.environ.get("DIGITPAD_FUZZ_SECONDS", "50"))
SEED = int(os.environ.get("DIGITPAD_FUZZ_SEED", "1"))


def _load_fuzz():
    spec = importlib.util.spec_from_file_location("digitpad_fuzz", FUZZ_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fuzz = _load_fuzz()


@pytest.fixture(scope="module")
def model_seed() -> bytes:
    """A real model file (FCNN, one hidden unit) written by ``save_model``."""
    return fuzz.seeds("model")["fcnn"]


@pytest.mark.parametrize("target", fuzz.TARGETS)
def test_every_seed_is_a_valid_input_its_target_accepts(target, tmp_path):
    run = fuzz.harness(target, tmp_path)
    seeds = fuzz.seeds(target)
    assert len(seeds) >= 4
    for name, data in seeds.items():
        assert run(data) is None, name


def crash_files() -> list[Path]:
    return sorted(p for p in CRASHES.glob("*/*") if p.is_file())


@pytest.mark.parametrize("path", crash_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_inputs_the_fuzzer_crashed_a_parser_with_are_now_refused(path, tmp_path):
    reason = fuzz.harness(path.parent.name, tmp_path)(path.read_bytes())
    assert reason, "refused with a message"


def test_the_harness_flags_what_breaks_the_contract(tmp_path, monkeypatch, model_seed):
    """A parser raising something else, or answering out of range, is a crash."""
    import digitpad.images
    import digitpad.model_file
    import training.data

    def broken(*args, **kwargs):
        raise KeyError("oops")

    monkeypatch.setattr(digitpad.model_file, "load_model", broken)
    with pytest.raises(KeyError):
        fuzz.harness("model", tmp_path / "m")(model_seed)
    monkeypatch.setattr(digitpad.images, "load_image", lambda path: Image.new("L", (4000, 10)))
    with pytest.raises(fuzz.ContractError, match="size"):
        fuzz.harness("image", tmp_path / "i")(fuzz.seeds("image")["png-gray"])
    nan = training.data.Digits(np.full((1, 28, 28), np.nan, np.float32), np.zeros(1, np.int64), "")
    monkeypatch.setattr(training.data, "load_mnist", lambda folder, split: nan)
    with pytest.raises(fuzz.ContractError, match="not finite"):
        fuzz.harness("data", tmp_path / "d")(fuzz.seeds("data")["idx"])


def test_the_checksum_repairs_keep_a_mutated_archive_readable(model_seed):
    """What lets mutated bytes reach the arrays and metadata instead of a CRC error."""
    damaged = bytearray(model_seed)
    damaged[200] ^= 0xFF  # inside fc1.weight's data
    with zipfile.ZipFile(io.BytesIO(bytes(damaged))) as archive:
        assert archive.testzip() == "fc1.weight.npy"
    with zipfile.ZipFile(io.BytesIO(fuzz._fix_zip_crcs(bytes(damaged)))) as archive:
        assert archive.testzip() is None
    png = bytearray(fuzz.seeds("image")["png-gray"])
    png[19] ^= 0x01  # the IHDR width: 40 → 41
    with pytest.raises(OSError):  # Pillow: broken PNG file (bad header checksum in IHDR)
        Image.open(io.BytesIO(bytes(png)))
    assert Image.open(io.BytesIO(fuzz._fix_png_crcs(bytes(png)))).size == (41, 40)


# --- what the fuzzer found in the model file loader ------------------------------------------


def _central_entries(data: bytes) -> list[int]:
    """Offsets of the central directory entries of a zip archive."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        at, entries = archive.start_dir, []
        for _ in archive.infolist():
            entries.append(at)
            at += 46 + sum(
                int.from_bytes(data[at + k : at + k + 2], "little") for k in (28, 30, 32)
            )
    return entries


def _patched(data: bytes, field: int, value: int) -> bytes:
    """``data`` with a two-byte field of the first member's central directory entry set."""
    out = bytearray(data)
    entry = _central_entries(data)[0]
    out[entry + field : entry + field + 2] = value.to_bytes(2, "little")
    return bytes(out)


def _npy_with_header(text: bytes, data: bytes = b"") -> bytes:
    text += b" " * ((64 - (10 + len(text) + 1) % 64) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text + data


def _with_member(seed: bytes, name: str, content: bytes) -> bytes:
    members = [(n, content if n == name else c, m) for n, c, m in fuzz._zip_members(seed)]
    return fuzz._zip(members)


@pytest.mark.parametrize(
    ("damage", "raised_before"),
    [
        (lambda d: _patched(d, 10, 99), "NotImplementedError: compression method"),
        (lambda d: _patched(d, 6, 100), "NotImplementedError: zip file version 10.0"),
        (lambda d: _patched(d, 10, 8), "zlib.error: a stored member read as deflated"),
        (lambda d: _patched(d, 10, 14), "lzma.LZMAError"),
        (lambda d: _patched(d, 8, 1), "RuntimeError: encrypted"),
        (
            lambda d: _with_member(d, "fc1.bias.npy", _npy_with_header(b"{'descr': '<f4', 'sh")),
            "tokenize.TokenError: an .npy header cut short",
        ),
        (
            lambda d: _with_member(
                d, "fc1.bias.npy", _npy_with_header(b"{'descr': '<f4,(x)', 'shape': (1,), }")
            ),
            "SyntaxError: a dtype NumPy parses with ast",
        ),
    ],
    ids=["method", "version", "deflate", "lzma", "encrypted", "token", "syntax"],
)
def test_damaged_archives_are_model_file_errors(tmp_path, model_seed, damage, raised_before):
    path = tmp_path / "model.npz"
    path.write_bytes(damage(model_seed))
    with pytest.raises(ModelFileError, match="not a DigitPad model file"):
        load_model(path)


# Found by reading the loader while fixing the above (not by the fuzzer): allocations that
# an array's header declares, and sizes in the metadata that cost time or memory.


def _npy_declaring(shape, descr: str = "<f4", data: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": descr, "fortran_order": False, "shape": tuple(shape)}
    )
    return buffer.getvalue() + data


def test_a_bare_array_declaring_256_gib_is_refused_unread(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(_npy_declaring((1 << 36,)))  # np.load allocated it: MemoryError
    with pytest.raises(ModelFileError, match="bare array"):
        load_model(path)


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_a_negative_size_cannot_hide_a_huge_array(tmp_path):
    # Two members of one name: the headers' sizes add up to 0, and np.load reads the second.
    path = tmp_path / "model.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.npy", _npy_declaring((-(1 << 34),)))
        archive.writestr("a.npy", _npy_declaring((1 << 34,), data=bytes(64)))
    with pytest.raises(ModelFileError, match="damaged archive"):
        load_model(path)


def _with_meta(seed: bytes, **changes) -> bytes:
    (name, content) = next((n, c) for n, c, _ in fuzz._zip_members(seed) if n == "__meta__.npy")
    meta = {**json.loads(fuzz._split_npy(content)[1]), **changes}
    return _with_member(seed, name, fuzz._npy_bytes(json.dumps(meta).encode()))


@pytest.mark.parametrize(
    "sizes",
    [
        {"hidden": float("inf")},  # OverflowError in int()
        {"hidden": 10**400},
        {"hidden": 0.5},
        {"channels": [1, 1], "hidden": 1, "convs": 10**9},  # a billion layers: minutes, gigabytes
        {"channels": [1] * 100_000, "hidden": 1},  # a message of 300 kB
        [128],
    ],
    ids=["infinite", "huge", "fraction", "billion-layers", "long-list", "not-a-record"],
)
def test_sizes_that_would_cost_time_or_memory_are_refused_at_once(tmp_path, sizes):
    arch = "fcnn" if "convs" not in str(sizes) and len(str(sizes)) < 100 else "cnn"
    path = tmp_path / "model.npz"
    path.write_bytes(_with_meta(fuzz.seeds("model")[arch], sizes=sizes))
    started = time.perf_counter()
    with pytest.raises(ModelFileError, match="invalid sizes") as error:
        load_model(path)
    assert time.perf_counter() - started < 5
    assert len(str(error.value)) < 300


def test_metadata_with_a_number_of_5000_digits_is_unreadable(tmp_path, model_seed):
    members = fuzz._zip_members(model_seed)
    meta = fuzz._split_npy(dict((n, c) for n, c, _ in members)["__meta__.npy"])[1]
    text = meta[:-1] + b', "big": ' + b"7" * 5000 + b"}"  # int() refuses > 4300 digits
    path = tmp_path / "model.npz"
    path.write_bytes(_with_member(model_seed, "__meta__.npy", fuzz._npy_bytes(text)))
    with pytest.raises(ModelFileError, match="unreadable metadata"):
        load_model(path)


def test_messages_about_foreign_names_stay_short(tmp_path, model_seed):
    path = tmp_path / "model.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x" * 5000, b"")
    with pytest.raises(ModelFileError, match="not an array") as error:
        load_model(path)
    assert len(str(error.value)) < 300
    path.write_bytes(_with_meta(model_seed, arch="y" * 5000, format_version=[0] * 5000))
    with pytest.raises(ModelFileError) as error:
        load_model(path)
    assert len(str(error.value)) < 300


# --- what the fuzzer found in the corrections reader (and the allocations, as above) -------


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda d: _patched(d, 10, 8), "cannot read"),  # zlib.error
        (lambda d: _patched(d, 10, 99), "cannot read"),  # NotImplementedError
        (
            lambda d: _with_member(d, "labels.npy", _npy_with_header(b"{'descr': '<i8', 'sh")),
            "cannot read",  # tokenize.TokenError
        ),
        (lambda d: _npy_declaring((2, 28, 28), "|u1", bytes(2 * 784)), "not an .npz archive"),
        (  # 784 GiB declared in 2 kB: np.load allocated it first
            lambda d: _with_member(d, "images.npy", _npy_declaring((1 << 30, 28, 28), "|u1")),
            "more than this reader accepts",
        ),
    ],
    ids=["deflate", "method", "token", "bare-array", "terabyte"],
)
def test_damaged_correction_archives_are_data_errors(tmp_path, make, words):
    seed = fuzz.seeds("data")["npz"][1:]  # after the fuzzer's mode byte: a real .npz
    (tmp_path / "more.npz").write_bytes(make(seed))
    with pytest.raises(DataError, match=words):
        load_corrections(tmp_path)


# --- what the fuzzer found in the image loader ------------------------------------------------


def test_a_png_chunk_declaring_4_gib_is_refused_where_memory_is_short():
    # 88 bytes whose IDAT chunk declares 4 GiB: Pillow asks for a buffer that size. Refused
    # here anyway (the allocation stays virtual); in a 2 GiB address space (a container,
    # ulimit -v) MemoryError escaped load_image.
    path = CRASHES / "image" / "memory-error-png-chunk-length"
    code = (
        "import resource\n"
        "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
        "from digitpad.images import ImageLoadError, load_image\n"
        f"try:\n    load_image({str(path)!r})\n"
        "except ImageLoadError as error:\n    print('refused:', error)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "refused:" in done.stdout, done.stderr[-500:]


# --- the bounded run ------------------------------------------------------------------------


@pytest.mark.skipif(SECONDS <= 0, reason="DIGITPAD_FUZZ_SECONDS=0")
@pytest.mark.skipif(
    importlib.util.find_spec("atheris") is None,
    reason="atheris is not installed (pip install -e '.[dev]' on Linux, Python 3.10-3.13)",
)
@pytest.mark.timeout(int(SECONDS) + 240)
@pytest.mark.parametrize("target", fuzz.TARGETS)
def test_fuzzing_breaks_no_contract(target, tmp_path):
    command = [sys.executable, str(FUZZ_SCRIPT), "--target", target, "--stop-on-crash"]
    command += ["--seconds", str(SECONDS), "--seed", str(SEED), "--work", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=SECONDS + 200)
    # A crash prints the input (base64) and the traceback: keep it in tests/fuzz/crashes/.
    assert done.returncode == 0, done.stdout[-30000:] + done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])["targets"][0]
    assert result["tried"] >= 100
    # Mutations got past the first checks: some inputs were accepted, many refused.
    assert result["distinct_accepted"] > 0
    assert result["distinct_refused"] > 0
    assert result["coverage_edges"] > 100
