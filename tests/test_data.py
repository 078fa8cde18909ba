"""MNIST IDX folders in every layout load; every kind of bad data is a DataError naming the file."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from conftest import LAYOUTS, draw_digit, idx_bytes
from PIL import Image

from training import unipen
from training.data import DataError, Digits, load_corrections, load_mnist


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_layout_and_compression_loads(make_mnist_folder, layout, gz):
    folder = make_mnist_folder(n_train=30, n_test=20, gz=gz, layout=layout)
    train = load_mnist(folder, "train")
    test = load_mnist(folder, "test")
    assert train.images.shape == (30, 28, 28) and test.images.shape == (20, 28, 28)
    assert train.images.dtype == np.float32 and 0 <= train.images.min() <= train.images.max() <= 1
    assert train.labels.dtype == np.int64 and set(train.labels) <= set(range(10))


def test_prepared_copy_matches_app_preprocessing_and_is_cached(mnist_folder, tmp_path):
    test = load_mnist(mnist_folder, "test")
    first = test.prepared(tmp_path / "cache")
    again = test.prepared(tmp_path / "cache")
    assert len(list((tmp_path / "cache").iterdir())) == 1
    np.testing.assert_array_equal(first.images, again.images)
    assert first.images.shape == test.images.shape


def test_missing_data_folder_is_named(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_mnist(tmp_path / "nowhere")


def test_empty_folder_is_reported(tmp_path):
    with pytest.raises(DataError, match="is empty"):
        load_mnist(tmp_path)


def test_missing_labels_file_is_named(make_mnist_folder):
    folder = make_mnist_folder(n_train=10, n_test=10)
    (folder / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="train labels"):
        load_mnist(folder, "train")


def test_truncated_images_file_is_named(make_mnist_folder):
    folder = make_mnist_folder(n_train=10, n_test=10, gz=False)
    path = folder / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte is truncated"):
        load_mnist(folder, "train")


def test_truncated_gzip_is_named(make_mnist_folder):
    folder = make_mnist_folder(n_train=10, n_test=10)
    path = folder / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz"):
        load_mnist(folder, "train")


def test_wrong_magic_number_is_named(make_mnist_folder):
    folder = make_mnist_folder(n_train=10, n_test=10, gz=False)
    path = folder / "train-labels-idx1-ubyte"
    path.write_bytes((2052).to_bytes(4, "big") + path.read_bytes()[4:])
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte has magic number 2052"):
        load_mnist(folder, "train")


def test_swapped_image_and_label_files_are_said_so(make_mnist_folder):
    folder = make_mnist_folder(n_train=10, n_test=10, gz=False)
    images, labels = folder / "train-images-idx3-ubyte", folder / "train-labels-idx1-ubyte"
    first, second = images.read_bytes(), labels.read_bytes()
    images.write_bytes(second)
    labels.write_bytes(first)
    with pytest.raises(DataError, match=r"holds labels, not images .* swapped\?"):
        load_mnist(folder, "train")


def test_image_and_label_counts_must_match(make_mnist_folder):
    folder = make_mnist_folder(n_train=10, n_test=10, gz=False)
    (folder / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(7, np.uint8), 2049))
    with pytest.raises(DataError, match=r"10 images but .* 7 labels"):
        load_mnist(folder, "train")


def test_images_must_be_28_by_28(make_mnist_folder):
    folder = make_mnist_folder(n_train=10, n_test=10, gz=False)
    (folder / "train-images-idx3-ubyte").write_bytes(idx_bytes(np.zeros((10, 32, 32)), 2051))
    with pytest.raises(DataError, match="32×32 images"):
        load_mnist(folder, "train")


def test_unreadable_folder_is_reported(make_mnist_folder, monkeypatch):
    # Simulated, so it holds for root too (who can read any folder).
    folder = make_mnist_folder(n_train=10, n_test=10)
    real_iterdir = Path.iterdir

    def iterdir(self):
        if self == folder:
            raise PermissionError(13, "Permission denied", str(self))
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    with pytest.raises(DataError, match="no permission to read folder"):
        load_mnist(folder, "train")


def test_unreadable_file_is_reported(make_mnist_folder, monkeypatch):
    folder = make_mnist_folder(n_train=10, n_test=10)
    real_open = gzip.open

    def guarded_open(path, *args, **kwargs):
        if "labels" in str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(gzip, "open", guarded_open)
    with pytest.raises(DataError, match=r"no permission to read .*labels"):
        load_mnist(folder, "train")


# What torchvision says when no mirror can be reached: each one tried, with urllib's words.
OFFLINE = (
    "Error downloading train-images-idx3-ubyte.gz:\n"
    "Tried https://a.example/, got:\n<urlopen error [Errno -2] Name or service not known>\n"
    "Tried https://b.example/, got:\n<urlopen error [Errno -2] Name or service not known>\n"
)


@pytest.mark.parametrize(
    ("raised", "said"),
    [
        (OFFLINE, "the MNIST servers could not be reached (Name or service not known)"),
        ("Error downloading train-images-idx3-ubyte.gz\nmore", "Error downloading train-images"),
    ],
)
def test_download_impossible_offline_is_a_clear_error(tmp_path, monkeypatch, raised, said):
    import torchvision.datasets

    class Offline:
        def __init__(self, *args, **kwargs):
            raise RuntimeError(raised)

    monkeypatch.setattr(torchvision.datasets, "MNIST", Offline)
    with pytest.raises(DataError, match="cannot download MNIST") as caught:
        load_mnist(tmp_path / "cache", "train", download=True)
    message = str(caught.value)
    assert said in message and "urlopen" not in message and "\n" not in message


def test_download_is_skipped_when_files_are_there(mnist_folder, monkeypatch):
    import torchvision.datasets

    monkeypatch.setattr(torchvision.datasets, "MNIST", None)
    assert len(load_mnist(mnist_folder, "test", download=True)) == 100


def _save_canvas(path, label: int, rng) -> None:
    digit = draw_digit(label, rng)
    Image.fromarray(255 - digit).resize((200, 200)).save(path)  # dark ink on white, like the canvas


def test_corrections_folder_of_pngs_loads_with_labels_from_names(tmp_path):
    rng = np.random.default_rng(0)
    for i, label in enumerate([3, 7, 7]):
        _save_canvas(tmp_path / f"{label}_drawing{i}.png", label, rng)
    (tmp_path / "notes.txt").write_text("ignored")
    digits = load_corrections(tmp_path)
    assert sorted(digits.labels.tolist()) == [3, 7, 7]
    assert digits.images.shape == (3, 28, 28) and digits.images.max() <= 1


def test_corrections_npz_loads(tmp_path):
    images = (np.random.default_rng(0).random((4, 28, 28)) * 255).astype(np.uint8)
    np.savez(tmp_path / "batch.npz", images=images, labels=np.array([1, 2, 3, 4]))
    digits = load_corrections(tmp_path)
    assert digits.labels.tolist() == [1, 2, 3, 4] and digits.images.max() <= 1


def _inked(value: float, dtype=np.float32) -> np.ndarray:
    images = np.zeros((3, 28, 28), dtype)
    images[:, 8:20, 12:16] = value
    return images


@pytest.mark.parametrize(
    ("images", "words"),
    [
        (np.concatenate([_inked(255, np.uint8), np.zeros((1, 28, 28), np.uint8)]), "image 3"),
        (np.where(_inked(0.5) > 0, 0.5, 0).astype(np.float32) + np.eye(28)[None] * 0.51, "0-1"),
        (_inked(300.0), "outside 0-1"),
        (_inked(-0.5), "outside 0-1"),
    ],
    ids=["a blank image", "floats a hair above 1", "negative", "above 255"],
)
def test_correction_sets_that_would_teach_nothing_are_refused(tmp_path, images, words):
    """A blank image labelled 7 was learned as a 7; floats up to 1.01 were all divided by
    255, so every image became nearly blank."""
    np.savez(tmp_path / "batch.npz", images=images, labels=np.arange(len(images)))
    with pytest.raises(DataError, match=words):
        load_corrections(tmp_path)


@pytest.mark.parametrize(
    "images",
    [
        _inked(1.0),
        _inked(255.0),
        _inked(254.995) + np.eye(28, dtype=np.float32)[None] * 0.005,
        _inked(1, np.uint8),
        _inked(1, bool),
        _inked(255, np.uint8),
        _inked(1 + 1e-7),
    ],
    ids=["0-1", "0-255", "0-255 resampled", "0/1 mask", "boolean mask", "grey levels", "1+1e-7"],
)
def test_correction_sets_in_either_range_load_alike(tmp_path, images):
    np.savez(tmp_path / "batch.npz", images=images, labels=np.arange(3))
    loaded = load_corrections(tmp_path).images
    assert loaded.max() == 1.0 and loaded.min() == 0.0


def test_corrupt_correction_is_named(tmp_path):
    (tmp_path / "4_broken.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=r"4_broken.png"):
        load_corrections(tmp_path)


def test_damaged_corrections_can_be_left_out_and_each_is_named(tmp_path):
    rng = np.random.default_rng(0)
    _save_canvas(tmp_path / "3_good.png", 3, rng)
    _save_canvas(tmp_path / "7_good.png", 7, rng)
    (tmp_path / "4_broken.png").write_bytes(b"not a png")
    (tmp_path / "6_empty.png").write_bytes(b"")
    (tmp_path / "hand.npz").write_bytes(b"garbage")  # a set made by hand, damaged
    skipped: list[str] = []
    digits = load_corrections(tmp_path, skipped)
    assert sorted(digits.labels.tolist()) == [3, 7]
    assert len(skipped) == 3
    assert any("4_broken.png" in s for s in skipped) and any("6_empty.png" in s for s in skipped)
    assert any("hand.npz" in s and f"delete it in {tmp_path}" in s for s in skipped)
    for path in tmp_path.glob("[37]_*"):
        path.unlink()
    with pytest.raises(DataError, match=r"none of the corrections .* can be read"):
        load_corrections(tmp_path, [])


def test_blank_correction_is_named(tmp_path):
    Image.new("L", (100, 100), 255).save(tmp_path / "2_blank.png")
    with pytest.raises(DataError, match=r"2_blank.png holds no digit"):
        load_corrections(tmp_path)


def test_folder_without_corrections_is_reported(tmp_path):
    (tmp_path / "readme.txt").write_text("x")
    with pytest.raises(DataError, match="no corrections"):
        load_corrections(tmp_path)


def test_unipen_split_keeps_whole_orgs_apart(unipen_file):
    records = unipen.load_records(unipen_file)
    train, held = unipen.split_by_org(records, ("apa", "aga"))
    assert {r["org"] for r in train} == {"syn"}
    assert {r["org"] for r in held} == {"apa", "aga"}


@pytest.mark.parametrize("placement", ["centred", "anywhere", "train"])
def test_unipen_renders_are_prepared_digits(unipen_file, tmp_path, placement):
    digits = unipen.load_rendered(
        unipen_file, orgs=["syn"], placement=placement, renders=2, seed=1, cache=tmp_path
    )
    assert digits.images.shape == (40, 28, 28)
    assert sorted(set(digits.labels.tolist())) == list(range(10))
    cached = unipen.load_rendered(
        unipen_file, orgs=["syn"], placement=placement, renders=2, seed=1, cache=tmp_path
    )
    np.testing.assert_array_equal(digits.images, cached.images)


def test_organisations_asked_for_by_name_must_all_be_in_the_file(unipen_file):
    """One real and one mistyped held-out organisation reported the mistyped one as held
    out, measured on nothing."""
    with pytest.raises(DataError, match=r"organisation\(s\) zzz; it holds aga, apa, syn"):
        unipen.load_rendered(unipen_file, orgs=["apa", "zzz"])


def test_unipen_bad_file_is_named(tmp_path):
    path = tmp_path / "bad.json.gz"
    path.write_bytes(gzip.compress(b'[{"label": 1}]'))
    with pytest.raises(DataError, match=r"bad.json.gz"):
        unipen.load_records(path)


def test_damaged_cache_entries_are_made_again(tmp_path):
    from training.data import Digits

    images = np.random.default_rng(0).integers(0, 255, (5, 28, 28)).astype(np.float32) / 255
    digits = Digits(images, np.arange(5), "five")
    cache = tmp_path / "cache"
    first = digits.prepared(cache).images
    (entry,) = cache.iterdir()
    for damage in (b"", entry.read_bytes()[:100], b"garbage" * 50):
        entry.write_bytes(damage)
        np.testing.assert_array_equal(digits.prepared(cache).images, first)
        assert entry.read_bytes()[:6] == b"\x93NUMPY"  # rebuilt whole


def lying_npy(shape: tuple[int, ...]) -> bytes:
    """An array file whose header declares ``shape`` over a few bytes of data."""
    import io

    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        out, {"descr": "<f4", "fortran_order": False, "shape": shape}
    )
    return out.getvalue() + bytes(16)


@pytest.mark.parametrize(
    "damage",
    ["zeros", "half zeros", "huge", "nan", "header", "fifo", "link"],
)
def test_a_prepared_entry_that_is_not_what_was_kept_is_made_again(tmp_path, damage):
    """Entries of the right shape and type but wrong values gave silently wrong accuracies,
    a header declaring terabytes a MemoryError, and a FIFO a run that hung for good."""
    import os

    from training.data import Digits

    images = np.random.default_rng(0).integers(0, 255, (5, 28, 28)).astype(np.float32) / 255
    digits = Digits(images, np.arange(5), "five")
    cache = tmp_path / "cache"
    first = digits.prepared(cache).images
    (entry,) = cache.iterdir()
    if damage == "fifo":
        entry.unlink()
        os.mkfifo(entry)
    elif damage == "link":  # to a file that is not an entry: replaced by one
        entry.unlink()
        (tmp_path / "elsewhere").write_bytes(b"garbage")
        entry.symlink_to(tmp_path / "elsewhere")
    elif damage == "half zeros":
        half = first.copy()
        half[2:] = 0
        np.save(entry, half)
    elif damage == "header":
        entry.write_bytes(lying_npy((10**9, 28, 28)))
    else:
        np.save(entry, {"zeros": 0 * first, "huge": first * 1e30, "nan": first * np.nan}[damage])
    np.testing.assert_array_equal(digits.prepared(cache).images, first)
    assert entry.is_file() and not entry.is_symlink()  # kept again, for the next run
    np.testing.assert_array_equal(np.load(entry), first)


@pytest.mark.parametrize("damage", ["labels", "compressed", "header", "encrypted", "empty"])
def test_a_drawn_entry_that_is_not_what_was_kept_is_made_again(unipen_file, tmp_path, damage):
    """Labels of another range trained a model on wrong answers, or stopped the run; an
    archive whose members inflate (not one the cache writes) cost gigabytes to read."""
    import zipfile

    def drawn():
        return unipen.load_rendered(unipen_file, orgs=["syn"], renders=2, seed=1, cache=tmp_path)

    first = drawn()
    (entry,) = tmp_path.glob("unipen-*.npz")
    if damage == "labels":
        np.savez(entry, images=first.images, labels=np.full(len(first.labels), 99))
    elif damage == "empty":  # no digit for an organisation that has records
        np.savez(entry, images=first.images[:0], labels=first.labels[:0])
    elif damage == "encrypted":  # zipfile asks for a password it has not got
        data = bytearray(entry.read_bytes())
        for at in range(len(data) - 3):  # every header's flag bits: local and central
            if data[at : at + 4] in (b"PK\x03\x04", b"PK\x01\x02"):
                data[at + (6 if data[at + 2] == 3 else 8)] |= 1
        entry.write_bytes(bytes(data))
    elif damage == "header":  # stored as the cache stores, declaring terabytes
        with zipfile.ZipFile(entry, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr("images.npy", lying_npy((10**9, 28, 28)))
            archive.writestr("labels.npy", lying_npy((10**9,)))
    else:
        with zipfile.ZipFile(entry, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, array in (("images", first.images), ("labels", first.labels)):
                with archive.open(f"{name}.npy", "w") as member:
                    np.lib.format.write_array(member, array)
    again = drawn()
    np.testing.assert_array_equal(again.images, first.images)
    np.testing.assert_array_equal(again.labels, first.labels)
    with zipfile.ZipFile(entry) as archive:  # kept again as the cache writes it
        assert {m.compress_type for m in archive.infolist()} == {zipfile.ZIP_STORED}


def test_a_unipen_file_changed_under_its_old_size_and_time_is_drawn_again(tmp_path):
    """As ``cp -p`` or ``rsync -a`` leave a file edited elsewhere: the renders kept for
    what it held before must not be served."""
    import json
    import os

    from conftest import DIGIT_STROKES

    def write(label: int) -> None:
        records = [{"label": label, "org": "syn", "writer": "w", "strokes": DIGIT_STROKES[7]}]
        path.write_bytes(gzip.compress(json.dumps(records).encode(), mtime=0))
        os.utime(path, (1_000_000_000, 1_000_000_000))

    path, cache = tmp_path / "u.json.gz", tmp_path / "cache"
    write(7)
    assert set(unipen.load_rendered(path, renders=2, cache=cache).labels) == {7}
    write(1)  # the same size and time
    assert set(unipen.load_rendered(path, renders=2, cache=cache).labels) == {1}


def test_a_temporary_left_by_a_killed_writer_goes_once_the_entry_is_read(tmp_path):
    """The entry another run finished is never written again, so nothing else would."""
    import os
    import time

    from training.data import Digits

    images = np.random.default_rng(0).integers(0, 255, (5, 28, 28)).astype(np.float32) / 255
    digits = Digits(images, np.arange(5), "five")
    digits.prepared(tmp_path)
    (entry,) = tmp_path.iterdir()
    old, fresh = tmp_path / f".{entry.name}.killed.tmp", tmp_path / f".{entry.name}.live.tmp"
    for leftover in (old, fresh):
        leftover.write_bytes(bytes(1000))
    hour_ago = time.time() - 3600
    os.utime(old, (hour_ago, hour_ago))
    digits.prepared(tmp_path)
    assert not old.exists() and fresh.exists()  # a live writer's is left alone


def test_two_runs_filling_one_cache_at_once_both_succeed(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from training.data import Digits

    images = np.random.default_rng(1).integers(0, 255, (40, 28, 28)).astype(np.float32) / 255
    digits = Digits(images, np.arange(40) % 10, "forty")
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: digits.prepared(tmp_path).images, range(4)))
    for other in results[1:]:
        np.testing.assert_array_equal(other, results[0])
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_cache_that_cannot_be_written_only_costs_time(tmp_path):
    from training.data import Digits

    blocked = tmp_path / "file-not-folder"
    blocked.write_text("in the way")
    images = np.zeros((3, 28, 28), np.float32)
    images[:, 10:18, 12:16] = 1.0
    prepared = Digits(images, np.arange(3), "three").prepared(blocked / "cache")
    assert prepared.images.shape == (3, 28, 28)


def gzip_bomb(path: Path, images: int) -> None:
    """A valid IDX header promising ``images`` digits, then that many zero digits, gzipped."""
    with gzip.open(path, "wb", compresslevel=9) as handle:
        handle.write(
            (2051).to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in (images, 28, 28))
        )
        block = bytes(784 * 10_000)
        for _ in range(images // 10_000):
            handle.write(block)


def test_a_gzip_bomb_is_never_inflated_beyond_its_header(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "train-images-idx3-ubyte.gz"
    # 2,000,000 digits: 1.5 GB inflated from a few MB, beyond what any MNIST holds.
    gzip_bomb(path, 2_000_000)
    assert path.stat().st_size < 5_000_000
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1_200_000_000, 1_200_000_000))\n"
        "from training.data import DataError, read_idx\n"
        f"try:\n    read_idx({str(path)!r}, 2051)\n"
        "except DataError as e:\n    print('refused:', e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "refused:" in done.stdout and "more than this reader accepts" in done.stdout


def test_a_corrupt_deflate_stream_is_a_data_error(tmp_path):
    good = gzip.compress(idx_bytes(np.zeros((100, 28, 28), np.uint8), 2051))
    broken = good[:20] + bytes(b ^ 0x55 for b in good[20:60]) + good[60:]
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(broken)
    from training.data import read_idx

    with pytest.raises(DataError, match="cannot read"):
        read_idx(path, 2051)


@pytest.mark.parametrize(
    ("images", "labels", "words"),
    [
        (np.full((2, 28, 28), np.nan), np.array([1, 2]), "not finite"),
        (np.zeros((2, 28, 28)), np.array([[1], [2]]), "labels have shape"),
        (np.zeros((2, 28, 28)), np.array(["a", "b"]), "whole numbers"),
        (np.zeros((2, 28, 28)), np.array([0.5, 1.5]), "whole numbers"),
    ],
)
def test_bad_correction_arrays_are_data_errors(tmp_path, images, labels, words):
    np.savez(tmp_path / "bad.npz", images=images, labels=labels)
    with pytest.raises(DataError, match=words):
        load_corrections(tmp_path)


def test_garbage_npz_and_picture_bombs_among_corrections_are_data_errors(tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"PK\x03\x04 this is not a zip archive")
    with pytest.raises(DataError, match=r"junk\.npz"):
        load_corrections(tmp_path)
    (tmp_path / "junk.npz").unlink()
    Image.new("1", (20_000, 20_000), 1).save(tmp_path / "7_bomb.png")
    with pytest.raises(DataError, match=r"7_bomb\.png"):
        load_corrections(tmp_path)


def test_data_beyond_what_the_header_promises_is_never_inflated(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "train-images-idx3-ubyte.gz"
    with gzip.open(path, "wb", compresslevel=9) as handle:
        handle.write(idx_bytes(np.zeros((1000, 28, 28), np.uint8), 2051))
        block = bytes(1 << 24)
        for _ in range(64):  # 1 GiB of zeros after the 1,000 digits
            handle.write(block)
    code = (
        "import resource\n"
        "resource.setrlimit(resource.RLIMIT_AS, (900_000_000, 900_000_000))\n"
        "from training.data import read_idx\n"
        f"print(read_idx({str(path)!r}, 2051).shape)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "(1000, 28, 28)", done.stderr[-300:]


def test_without_torchvision_the_download_asks_for_a_local_folder(tmp_path, monkeypatch):
    import sys

    from training.data import DataError, DownloadError, download_mnist

    monkeypatch.setitem(sys.modules, "torchvision", None)  # as in a build without it
    monkeypatch.setitem(sys.modules, "torchvision.datasets", None)
    with pytest.raises(DataError, match="cannot download MNIST") as caught:
        download_mnist(tmp_path / "mnist")
    assert not isinstance(caught.value, DownloadError)  # a data problem, not the network's
    assert "put the four MNIST files in" in str(caught.value)
    assert not (tmp_path / "mnist").exists()


def test_two_views_of_one_set_stay_paired_through_concat():
    rng = np.random.default_rng(0)
    first = Digits(rng.random((4, 28, 28), np.float32), np.array([1, 2, 3, 4]), "a")
    second = Digits(first.images[::-1].copy(), first.labels.copy(), "b")
    other = Digits(rng.random((3, 28, 28), np.float32), np.array([5, 6, 7]), "c")
    both = Digits.concat([other, Digits.views(first, second), other])
    assert len(both) == 14 and both.description == "c + a + b + c"
    assert both.twins.tolist() == [[3, 7], [4, 8], [5, 9], [6, 10]]
    for a, b in both.twins:
        assert both.labels[a] == both.labels[b]
    assert Digits.concat([other, other]).twins is None
    with pytest.raises(ValueError, match="same digits"):
        Digits.views(first, Digits(second.images, second.labels[::-1].copy(), "b"))


def test_concat_of_one_part_names_it_as_a_join_but_copies_nothing():
    rng = np.random.default_rng(0)
    a = Digits(rng.random((4, 28, 28), np.float32), np.array([1, 2, 3, 4]), "a", key="k1")
    b = Digits(rng.random((2, 28, 28), np.float32), np.array([5, 6]), "b", key="k2")
    alone = Digits.concat([a])
    assert alone.images is a.images and alone.labels is a.labels
    # Named as a join of its parts, as before, so what was cached under that name is found.
    assert alone.key is not None and alone.key != a.key and alone.key == Digits.concat([a]).key
    assert Digits.concat([a], "renamed").description == "renamed"
    joined = Digits.concat([a, b])
    assert len(joined) == 6 and not np.shares_memory(joined.images, a.images)


def test_deskewed_copy_is_cached_under_a_name_for_its_source(make_mnist_folder, tmp_path):
    from digitpad.preprocess import deskew

    cache = tmp_path / "cache"
    first = load_mnist(make_mnist_folder(n_train=20, n_test=10, seed=1), "train")
    upright = first.prepared(cache).deskewed(cache)
    np.testing.assert_allclose(upright.images, deskew(first.prepared().images), atol=1e-6)
    assert sorted(p.name.split("-")[0] for p in cache.iterdir()) == ["deskewed", "prepared"]
    again = load_mnist(make_mnist_folder(n_train=20, n_test=10, seed=1), "train")
    assert again.key == first.key
    np.testing.assert_array_equal(again.prepared(cache).deskewed(cache).images, upright.images)
    assert len(list(cache.iterdir())) == 2  # read back, not made again
    other = load_mnist(make_mnist_folder(n_train=20, n_test=10, seed=2), "train")
    assert other.key != first.key
    other.deskewed(cache)
    assert len(list(cache.iterdir())) == 3
    mixed = Digits.concat([first, other])
    assert mixed.key not in (first.key, other.key)
    assert mixed.key == Digits.concat([again, other]).key


def test_corrections_deleted_while_they_are_read_are_left_out_unnamed(tmp_path, monkeypatch):
    """Delete all in another window while a learning child reads the folder: the drawings
    gone since it was listed are not reported as unreadable, to delete under Show all…."""
    import training.data as data

    rng = np.random.default_rng(0)
    for i, label in enumerate([3, 7, 7]):
        _save_canvas(tmp_path / f"{label}_drawing{i}.png", label, rng)
    (tmp_path / "1_damaged.png").write_bytes(b"\x89PNG\r\n\x1a\n torn")
    read = data._load_correction_png

    def deleted_meanwhile(path):
        if path.name == "7_drawing2.png":
            path.unlink()
        return read(path)

    monkeypatch.setattr(data, "_load_correction_png", deleted_meanwhile)
    skipped: list[str] = []
    digits = load_corrections(tmp_path, skipped)
    assert sorted(digits.labels.tolist()) == [3, 7]
    assert len(skipped) == 1 and "1_damaged.png" in skipped[0]
