"""Corrections: saved atomically in the format training reads, counted, exported, deleted."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.corrections import CorrectionError, Corrections, correction_label
from digitpad.strokes import render_strokes
from digitpad.userdata import ENV_VAR, UserData, data_dir
from training import data as training_data

SEVEN = [[(0.15, 0.05), (0.85, 0.05), (0.42, 0.95)]]


def drawing(strokes=SEVEN) -> np.ndarray:
    return np.asarray(render_strokes(strokes, 280, (0.5, 0.5, 0.6), pen_width=18))


def test_user_data_folder_env_wins_then_root(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert data_dir(tmp_path / "qt") == tmp_path / "qt"
    assert data_dir().name == "DigitPad"
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env"))
    data = UserData.at(tmp_path / "qt").ensure()
    assert data.root == tmp_path / "env"
    assert all(p.is_dir() for p in (data.models, data.corrections, data.mnist, data.logs))
    assert data.owns(data.models / "x.npz") and not data.owns(tmp_path / "x.npz")


def test_save_count_export_delete(tmp_path):
    store = Corrections(tmp_path / "corrections")
    assert store.count() == 0
    first = store.save(drawing(), 7)
    store.save(drawing(), 7)
    store.save(drawing(), 1)
    assert first.name.startswith("7_") and first.suffix == ".png"
    assert store.count() == 3 and store.counts_by_label()[7] == 2
    # Nothing but the PNGs: no temporary file is left behind.
    assert sorted(p.name for p in store.folder.iterdir()) == sorted(p.name for p in store.paths())

    assert store.export_png(tmp_path / "png") == 3
    images_path, labels_path = store.export_idx(tmp_path / "idx")
    images, labels = images_path.read_bytes(), labels_path.read_bytes()
    assert int.from_bytes(images[:4], "big") == 2051 and int.from_bytes(labels[:4], "big") == 2049
    assert int.from_bytes(images[4:8], "big") == 3 and len(images) == 16 + 3 * 28 * 28
    assert sorted(labels[8:]) == [1, 7, 7]

    assert store.delete_all() == 3 and store.count() == 0
    with pytest.raises(CorrectionError):
        store.export_idx(tmp_path / "idx2")


def test_blank_drawing_and_bad_label_are_refused(tmp_path):
    store = Corrections(tmp_path)
    with pytest.raises(CorrectionError, match="no digit"):
        store.save(np.full((280, 280), 255, np.uint8), 3)
    with pytest.raises(CorrectionError):
        store.save(drawing(), 12)
    assert store.count() == 0


def test_a_picture_read_as_a_page_is_saved_as_it_was_read(tmp_path, monkeypatch):
    """Its answer was shown, read with its page cleaned: saving it looks at it no other way
    (which could refuse it, and costs tens of milliseconds of the window's time)."""
    from PIL import Image

    from digitpad import corrections

    def looked_at(*_args, **_kwargs):
        raise AssertionError("a picture is saved as it is, not prepared again")

    levels = np.full((120, 120), 230, np.uint16)
    levels[20:100, 55:63] = 40  # a 1, scanned at 16 bits
    monkeypatch.setattr(corrections, "prepare", looked_at)
    saved = Corrections(tmp_path).save(Image.fromarray(levels), 1, picture=True)
    assert np.array_equal(np.asarray(Image.open(saved)), levels)
    monkeypatch.undo()
    assert not corrections.read_correction(saved).is_blank


def test_training_reads_saved_corrections_and_exported_idx(tmp_path):
    from training.data import load_corrections, read_idx

    store = Corrections(tmp_path / "c")
    for label in (7, 3, 7):
        store.save(drawing(), label)
    digits = load_corrections(store.folder)
    assert sorted(digits.labels.tolist()) == [3, 7, 7]
    assert digits.images.shape == (3, 28, 28) and digits.images.max() > 0.9
    images_path, labels_path = store.export_idx(tmp_path / "idx")
    assert read_idx(images_path, 2051).shape == (3, 28, 28)
    assert sorted(read_idx(labels_path, 2049).tolist()) == [3, 7, 7]
    # The exported IDX images are what training makes of the PNGs.
    exported = read_idx(images_path, 2051).astype(np.float32) / 255
    assert (
        np.abs(np.sort(exported.reshape(3, -1), 0) - np.sort(digits.images.reshape(3, -1), 0)).max()
        < 0.01
    )


def test_training_defaults_match_the_training_config():
    from digitpad import training_defaults as d
    from digitpad.networks import ARCHITECTURES, DEFAULT_ARCH
    from training.config import ARCH_CHOICES, TrainConfig

    c = TrainConfig()
    ours = (DEFAULT_ARCH, d.EPOCHS, d.LR, d.BATCH_SIZE, d.SEED)
    assert ours == (c.arch, c.epochs, c.lr, c.batch_size, c.seed)
    assert tuple(ARCHITECTURES) == tuple(ARCH_CHOICES)


@pytest.mark.parametrize(
    ("name", "label"),
    [("3_x.png", 3), ("0_.PNG", 0), ("3_x.png\n", None), ("13_x.png", None), ("3-x.png", None)],
)
def test_only_a_whole_correction_name_counts(name, label, tmp_path):
    """The window's count and what training reads agree, and a name ending in a newline
    is neither: a pattern ending in ``$`` would have taken it."""
    from training.data import DataError, load_corrections

    assert correction_label(name) == label
    render_strokes([[(0.5, 0.1), (0.5, 0.9)]]).save(tmp_path / name, format="PNG")
    assert Corrections(tmp_path).count() == (label is not None)
    if label is None:
        with pytest.raises(DataError):
            load_corrections(tmp_path)
    else:
        assert load_corrections(tmp_path).labels.tolist() == [label]


def test_a_photo_saved_as_a_correction_is_learned_without_its_lines(tmp_path):
    from digitpad.preprocess import prepare
    from digitpad.selftest import DRAWINGS
    from training.data import load_corrections
    from training.pages import page_photo

    store = Corrections(tmp_path)
    photo = page_photo(DRAWINGS[7], "ruled", np.random.default_rng(2))
    store.save(photo, 7, picture=True)  # as the window saves an opened picture
    images, labels = store.arrays()
    learned = images[0] / 255
    clean = prepare(page_photo(DRAWINGS[7], "plain", np.random.default_rng(2)), page=True).image
    assert labels.tolist() == [7]
    assert (learned * clean).sum() / np.sqrt((learned**2).sum() * (clean**2).sum()) > 0.95
    trained = load_corrections(tmp_path).images[0]  # training reads it the same way
    assert np.abs(trained - np.round(learned * 255) / 255).max() <= 1 / 255


def test_a_drawing_saved_as_a_correction_is_read_as_drawn(tmp_path):
    from digitpad.corrections import SOURCE_KEY, read_correction
    from digitpad.preprocess import prepare

    store = Corrections(tmp_path)
    path = store.save(drawing(), 7)
    from PIL import Image

    assert SOURCE_KEY not in Image.open(path).info  # no page cleaning to pay for
    assert np.array_equal(read_correction(path).image, prepare(drawing()).image)


def test_a_snapshot_of_corrections_listed_earlier_follows_a_relabel_and_skips_a_delete(
    tmp_path,
):
    store = Corrections(tmp_path / "c")
    listed = [store.save(drawing(), 7), store.save(drawing(), 1), store.save(drawing(), 3)]
    moved = store.relabel(listed[0], 4)  # in another window, after the run listed them
    listed[1].unlink()
    assert store.snapshot(tmp_path / "copy", listed) == 2
    assert sorted(p.name for p in (tmp_path / "copy").iterdir()) == sorted(
        [moved.name, listed[2].name]
    )


def test_a_snapshot_holds_the_drawings_and_sets_as_they_were(tmp_path):
    store = Corrections(tmp_path / "corrections")
    kept = store.save(drawing(), 7)
    inked = np.zeros((2, 28, 28), np.uint8)
    inked[:, 6:22, 13:15] = 255
    with open(store.folder / "mine.NPZ", "wb") as handle:
        np.savez(handle, images=inked, labels=[1, 2])
    assert store.snapshot(tmp_path / "copy") == 1  # drawings counted; the set goes too
    store.relabel(kept, 1)  # later changes leave the copy as it was
    store.save(drawing(), 3)
    copied = sorted(p.name for p in (tmp_path / "copy").iterdir())
    assert copied == sorted(["mine.NPZ", kept.name])
    assert training_data.load_corrections(tmp_path / "copy").labels.tolist() == [7, 1, 2]
