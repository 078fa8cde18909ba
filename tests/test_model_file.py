"""The model file: round trip, validation, and every kind of bad file refused with a reason."""

from __future__ import annotations

import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

from digitpad import model_file
from digitpad.model_file import (
    FORMAT_VERSION,
    META_KEY,
    ModelFileError,
    load_model,
    save_model,
)
from digitpad.networks import ARCHITECTURES


def random_params(arch: str, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    spec = ARCHITECTURES[arch]
    return {
        name: rng.normal(0, 0.1, shape).astype(np.float32)
        for name, shape in spec.shapes(spec.default_sizes).items()
    }


@pytest.fixture
def good_model(tmp_path):
    path = tmp_path / "good.npz"
    meta = {"test_accuracy": 0.97, "sizes": {"hidden": 128}}
    save_model(path, "fcnn", random_params("fcnn"), meta)
    return path


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_round_trip_keeps_weights_and_metadata(tmp_path, arch):
    params = random_params(arch)
    path = tmp_path / f"{arch}.npz"
    save_model(path, arch, params, {"test_accuracy": 0.9, "trained_on": "unit test"})
    model = load_model(path)
    assert model.arch == arch
    assert model.test_accuracy == pytest.approx(0.9)
    assert model.meta["trained_on"] == "unit test"
    assert model.meta["format_version"] == FORMAT_VERSION
    for name, value in params.items():
        np.testing.assert_array_equal(model.params[name], value)
    logits = model.logits(np.zeros((3, 28, 28), np.float32))
    assert logits.shape == (3, 10)


def write_npz(path, arrays: dict, meta: dict | None) -> None:
    if meta is not None:
        arrays = {**arrays, META_KEY: np.frombuffer(json.dumps(meta).encode(), np.uint8)}
    np.savez(path, **arrays)


def valid_meta(**changes) -> dict:
    return {"format": "digitpad-model", "format_version": 1, "arch": "fcnn", **changes}


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b""), "is empty"),
        (lambda p: p.write_bytes(os.urandom(4096)), "not a DigitPad model file"),
        (lambda p: p.write_text("hello, I am a text file"), "not a DigitPad model file"),
        (
            lambda p: (
                np.save(p.with_suffix(".npy"), np.zeros(3)) or p.with_suffix(".npy").rename(p)
            ),
            "bare array",
        ),
        (lambda p: write_npz(p, random_params("fcnn"), None), "no DigitPad metadata"),
        (lambda p: write_npz(p, random_params("fcnn"), {"format": "other"}), "not a DigitPad"),
        (
            lambda p: write_npz(p, random_params("fcnn"), valid_meta(format_version=99)),
            "version 99",
        ),
        (
            lambda p: write_npz(p, random_params("fcnn"), valid_meta(arch="transformer")),
            "unknown architecture 'transformer'",
        ),
        (lambda p: write_npz(p, random_params("cnn"), valid_meta()), "unexpected arrays"),
        (
            lambda p: write_npz(p, {"fc1.weight": np.zeros((128, 784))}, valid_meta()),
            "missing weights",
        ),
        (
            lambda p: write_npz(
                p, {**random_params("fcnn"), "fc1.bias": np.zeros(7)}, valid_meta()
            ),
            "fc1.bias has shape (7,)",
        ),
        (
            lambda p: write_npz(
                p, {**random_params("fcnn"), "fc2.bias": np.full(10, np.nan)}, valid_meta()
            ),
            "NaN",
        ),
        (
            lambda p: write_npz(p, {**random_params("fcnn"), "extra": np.zeros(1)}, valid_meta()),
            "unexpected arrays",
        ),
        (
            lambda p: write_npz(p, random_params("fcnn"), valid_meta(sizes={"hidden": "lots"})),
            "invalid sizes",
        ),
        (
            lambda p: write_npz(
                p, random_params("fcnn"), {**valid_meta(), "arch": "cnn", "sizes": {"hidden": 128}}
            ),
            "it says it is a CNN, but its sizes {'hidden': 128} have no 'channels': the file is "
            "damaged or was made for another network",
        ),
    ],
    ids=[
        "empty",
        "random-bytes",
        "text",
        "npy",
        "no-meta",
        "foreign-format",
        "newer-version",
        "unknown-arch",
        "wrong-arch-weights",
        "missing-weights",
        "wrong-shape",
        "nan",
        "extra-array",
        "bad-sizes",
        "sizes-of-another-network",
    ],
)
def test_bad_model_files_are_refused_with_a_reason(tmp_path, make, message):
    path = tmp_path / "bad.npz"
    make(path)
    with pytest.raises(ModelFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_model(path)


def test_truncated_file_is_refused(good_model):
    data = good_model.read_bytes()
    for cut in (10, len(data) // 2, len(data) - 5):
        good_model.write_bytes(data[:cut])
        with pytest.raises(ModelFileError):
            load_model(good_model)


def test_missing_path_and_folder_are_refused(tmp_path):
    with pytest.raises(ModelFileError, match="does not exist"):
        load_model(tmp_path / "nope.npz")
    with pytest.raises(ModelFileError, match="is a folder"):
        load_model(tmp_path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_or_a_device_is_not_a_model_file(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    for path in (fifo, "/dev/zero"):
        with pytest.raises(ModelFileError, match="not a regular file"):
            load_model(path)


class Exploit:
    def __reduce__(self):
        return (open, (os.environ["DIGITPAD_PWNED"], "w"))


@pytest.mark.parametrize("container", ["raw-pickle", "object-array-in-npz"])
def test_pickles_are_refused_and_never_executed(tmp_path, monkeypatch, container):
    marker = tmp_path / "pwned"
    monkeypatch.setenv("DIGITPAD_PWNED", str(marker))
    path = tmp_path / "evil.npz"
    if container == "raw-pickle":
        path.write_bytes(pickle.dumps({"fc1.weight": Exploit()}))
    else:
        evil = np.empty(1, dtype=object)
        evil[0] = Exploit()
        np.savez(path, **{**random_params("fcnn"), "fc1.bias": evil})
        write_meta = np.frombuffer(json.dumps(valid_meta()).encode(), np.uint8)
        with zipfile.ZipFile(path, "a") as archive, archive.open(f"{META_KEY}.npy", "w") as handle:
            np.lib.format.write_array(handle, write_meta)
    with pytest.raises(ModelFileError):
        load_model(path)
    assert not marker.exists()


def test_save_is_atomic_and_keeps_the_old_file_on_failure(good_model, monkeypatch):
    before = good_model.read_bytes()
    with pytest.raises(ModelFileError):
        save_model(good_model, "fcnn", {"fc1.weight": np.zeros((2, 2))}, {})
    assert good_model.read_bytes() == before

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", disk_full)
    with pytest.raises(OSError, match="No space"):
        save_model(good_model, "fcnn", random_params("fcnn", seed=1), {})
    assert good_model.read_bytes() == before
    assert [p.name for p in good_model.parent.iterdir()] == [good_model.name]


def with_param(name: str, value) -> dict:
    return {**random_params("fcnn"), name: value}


HUGE = np.full((10,), 1e300)  # finite in float64, infinite in float32


@pytest.mark.parametrize(
    ("arrays", "meta", "message"),
    [
        (with_param("fc2.bias", HUGE), {}, "NaN or infinite"),
        (with_param("fc2.bias", np.full(10, 3e38, np.float32)), {}, "beyond"),
        (random_params("fcnn"), {"normalization": {"mean": 0.5, "std": float("nan")}}, "std"),
        (random_params("fcnn"), {"normalization": {"mean": 0.5, "std": 1e-320}}, "std"),
        (random_params("fcnn"), {"normalization": {"mean": float("nan"), "std": 0.5}}, "mean"),
        (random_params("fcnn"), {"normalization": {"mean": 1e308, "std": 0.5}}, "mean"),
        (random_params("fcnn"), {"normalization": {"mean": "abc", "std": 0.5}}, "mean"),
        (random_params("fcnn"), {"normalization": {"mean": [0.5], "std": 0.5}}, "mean"),
        (random_params("fcnn"), {"normalization": {"mean": 0.5, "std": float("inf")}}, "std"),
        (random_params("fcnn"), {"normalization": [0.5, 0.5]}, "normalization"),
        (random_params("fcnn"), {"normalization": "0.5"}, "normalization"),
        (random_params("fcnn"), {"labels": None}, "labels"),
        (random_params("fcnn"), {"labels": 10}, "labels"),
        (random_params("fcnn"), {"labels": [{}] * 10}, "labels"),
        (random_params("fcnn"), {"labels": [1e30] * 10}, "labels"),
        (random_params("fcnn"), {"labels": [0.5] * 10}, "labels"),
        (random_params("fcnn"), {"labels": [0] * 10}, "labels"),
        (random_params("fcnn"), {"labels": [True] * 10}, "labels"),
        (random_params("fcnn"), {"test_accuracy": "abc"}, "test accuracy"),
        (random_params("fcnn"), {"test_accuracy": 7}, "test accuracy"),
        (random_params("fcnn"), {"deskew": "yes"}, "deskew"),
    ],
)
def test_models_that_would_give_nonsense_are_refused(tmp_path, arrays, meta, message):
    path = tmp_path / "bad.npz"
    write_npz(path, arrays, valid_meta(**meta))
    with pytest.raises(ModelFileError, match=message):
        load_model(path)


def test_weights_that_overflow_in_the_forward_pass_are_refused(tmp_path, monkeypatch):
    # The value bound already refuses such weights; the forward check is the last line.
    monkeypatch.setattr(model_file, "MAX_WEIGHT", 1e38)
    path = tmp_path / "overflow.npz"
    write_npz(path, with_param("fc2.weight", np.full((10, 128), 3e37, np.float32)), valid_meta())
    with pytest.raises(ModelFileError, match="no finite answer"):
        load_model(path)


def test_deeply_nested_metadata_is_refused(tmp_path):
    path = tmp_path / "deep.npz"
    deep = b'{"format": "digitpad-model", "x": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    np.savez(path, **random_params("fcnn"), **{META_KEY: np.frombuffer(deep, np.uint8)})
    with pytest.raises(ModelFileError, match="unreadable metadata"):
        load_model(path)


def test_a_permutation_of_the_labels_is_a_valid_model(tmp_path):
    path = tmp_path / "perm.npz"
    write_npz(path, random_params("fcnn"), valid_meta(labels=list(range(9, -1, -1))))
    assert load_model(path).meta["labels"][0] == 9


def npy_declaring(shape, dtype="<f4", data: bytes = b"") -> bytes:
    """An .npy member whose header declares ``shape`` whatever data follows."""
    header = {"descr": dtype, "fortran_order": False, "shape": tuple(shape)}
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + data


def test_an_archive_declaring_a_huge_array_is_refused_unread(tmp_path):
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("fc1.weight.npy", npy_declaring((1 << 40,), data=bytes(400_000)))
    with pytest.raises(ModelFileError, match="too large to be a model"):
        load_model(path)


def test_a_small_archive_that_inflates_to_gigabytes_is_refused_unread(tmp_path):
    path = tmp_path / "bomb.npz"
    zeros = np.zeros((64, 1024, 1024), np.float32)  # 256 MiB each, a few hundred kB deflated
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(8):
            with archive.open(f"a{i}.npy", "w", force_zip64=True) as handle:
                np.lib.format.write_array(handle, zeros)
    assert path.stat().st_size < 5_000_000
    with pytest.raises(ModelFileError, match="too large to be a model"):
        load_model(path)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\x01" + np.random.default_rng(0).bytes(4095), "not a model archive"),
        (b"\x80\x99" + np.random.default_rng(1).bytes(4094), "not a model archive"),
        (b"PK\x03\x04" + np.random.default_rng(2).bytes(200), "a damaged archive"),
        (pickle.dumps([1, 2, 3]), "holds a pickle"),
    ],
)
def test_what_a_file_that_is_not_a_model_is_says_what_it_is(tmp_path, content, words):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=words):
        load_model(path)


def test_an_array_header_with_a_bytes_key_is_a_damaged_file_not_a_crash(tmp_path):
    import io
    import zipfile

    import numpy as np

    from digitpad.model_file import ModelFileError, load_model

    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.zeros(3, np.float32))
    header = buffer.getvalue().replace(b"'fortran_order'", b"b'fortran_order'", 1)
    path = tmp_path / "model.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("fc1.weight.npy", header)
    with pytest.raises(ModelFileError, match="not a DigitPad model file"):
        load_model(path)


def test_metadata_beyond_the_cap_is_refused_before_it_is_inflated(tmp_path, monkeypatch):
    """A few kB is what DigitPad writes; 248 MB of JSON took 3 GB to parse."""
    path = tmp_path / "fat.npz"
    fat = json.dumps(valid_meta(padding=" " * model_file.MAX_META_BYTES)).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, value in random_params("fcnn").items():
            with archive.open(f"{name}.npy", "w") as handle:
                np.lib.format.write_array(handle, value)
        with archive.open(f"{META_KEY}.npy", "w") as handle:
            np.lib.format.write_array(handle, np.frombuffer(fat, np.uint8))
    assert path.stat().st_size < 1_000_000
    monkeypatch.setattr(np, "load", lambda *a, **k: pytest.fail("the archive was inflated"))
    with pytest.raises(ModelFileError, match=r"1\.0 MiB of metadata, far more than a model's"):
        load_model(path)


def test_metadata_whose_array_header_lies_about_its_size_is_refused(tmp_path):
    path = tmp_path / "liar.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{META_KEY}.npy", npy_declaring((1 << 28,), "|u1", b"{}"))
    with pytest.raises(ModelFileError, match=r"256\.0 MiB of metadata"):
        load_model(path)


def test_save_refuses_metadata_it_could_not_read_back(tmp_path):
    huge = {"notes": "x" * model_file.MAX_META_BYTES}
    with pytest.raises(ModelFileError, match="MiB of metadata"):
        save_model(tmp_path / "m.npz", "fcnn", random_params("fcnn"), huge)
    assert not (tmp_path / "m.npz").exists()


@pytest.mark.parametrize(
    ("arch", "value"), [("fcnn", 0.0), ("fcnn", 1e4), ("cnn", 0.0)], ids=["zero", "1e4", "cnn-zero"]
)
def test_a_model_that_ignores_the_drawing_is_refused(tmp_path, arch, value):
    """All-equal weights give 10% for every digit: the window would say "0, 10.0% sure"."""
    path = tmp_path / "flat.npz"
    flat = {name: np.full_like(v, value) for name, v in random_params(arch).items()}
    write_npz(path, flat, valid_meta(arch=arch))
    with pytest.raises(ModelFileError, match="gives the same answer whatever is drawn"):
        load_model(path)


def test_a_model_that_always_says_the_same_digit_is_refused(tmp_path):
    params = {name: np.zeros_like(v) for name, v in random_params("fcnn").items()}
    params["fc2.bias"][3] = 5.0
    write_npz(tmp_path / "three.npz", params, valid_meta())
    with pytest.raises(ModelFileError, match="same answer"):
        load_model(tmp_path / "three.npz")


@pytest.mark.parametrize(
    "adapted",
    [
        {"corrections": 10**30},
        {"corrections": -3},
        {"corrections": 0},
        {"corrections": 2.5},
        {"corrections": True},
        {"corrections": "12"},
        "yes",
        [1],
    ],
)
def test_an_adapted_models_correction_count_is_checked(tmp_path, adapted):
    path = tmp_path / "adapted.npz"
    write_npz(path, random_params("fcnn"), valid_meta(adapted=adapted))
    with pytest.raises(ModelFileError, match=r"corrections|adapted must be a record"):
        load_model(path)


def test_an_adapted_model_as_training_writes_it_loads(tmp_path):
    path = tmp_path / "adapted.npz"
    adapted = {"from": "fcnn.npz", "corrections": 20, "seconds": 1.5}
    write_npz(path, random_params("fcnn"), valid_meta(adapted=adapted))
    model = load_model(path)
    assert model.meta["adapted"]["corrections"] == 20
    assert "(20 corrections)" in model.summary
