"""The data folder in a hostile environment: relative paths, kills mid-save, files changed
behind the app's back, undeletable files, undecodable drawings, a full disk while exporting."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitpad.atomic import STALE_SECONDS
from digitpad.corrections import CorrectionError, Corrections
from digitpad.userdata import ENV_VAR, UserData, data_dir

pytest_plugins = ["ui_helpers"]


def drawing() -> np.ndarray:
    image = np.full((112, 112), 255, np.uint8)
    image[30:80, 50:60] = 0
    return image


def test_a_relative_data_folder_is_made_absolute(tmp_path, monkeypatch):
    """A retrain runs in the data folder itself, so a relative folder handed to it would be
    found inside itself, and the model it saves never where the app looks."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(ENV_VAR, "my data")
    assert data_dir() == tmp_path / "my data"
    child = Path(UserData.at().child_environment()[ENV_VAR])
    assert child.is_absolute() and child == tmp_path / "my data"
    monkeypatch.delenv(ENV_VAR)
    assert data_dir("given") == tmp_path / "given"


def test_an_empty_data_folder_variable_is_not_set(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "")
    assert data_dir(tmp_path / "root") == tmp_path / "root"


def test_a_correction_save_killed_midway_leaves_no_png_and_its_temporary_is_swept(tmp_path):
    """SIGKILL while the drawing is being written: no half PNG for training to read, and the
    hidden temporary, which no later save would ever write over, is removed by the next."""
    folder = tmp_path / "corrections"
    script = textwrap.dedent(
        f"""
        import os, sys, time
        import numpy as np
        from digitpad.corrections import Corrections

        def stall(fd):
            print("writing", flush=True)
            time.sleep(600)

        os.fsync = stall
        image = np.full((112, 112), 255, np.uint8)
        image[30:80, 50:60] = 0
        Corrections({str(folder)!r}).save(image, 3)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "writing"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
    corrections = Corrections(folder)
    assert corrections.count() == 0
    (leftover,) = folder.glob(".3_*.tmp")
    old = time.time() - STALE_SECONDS - 60
    os.utime(leftover, (old, old))
    kept = corrections.save(drawing(), 4)
    assert sorted(p.name for p in folder.iterdir()) == [kept.name]


def test_a_temporary_from_before_the_clock_went_back_is_swept(tmp_path):
    folder = tmp_path / "corrections"
    folder.mkdir()
    leftover = folder / ".7_20990101-000000-000000-1-1.png.abc123.tmp"
    leftover.write_bytes(b"half a png")
    future = time.time() + 3600
    os.utime(leftover, (future, future))
    fresh = folder / ".7_now.png.def456.tmp"  # a save in progress in another instance
    fresh.write_bytes(b"being written")
    Corrections(folder).save(drawing(), 7)
    assert not leftover.exists() and fresh.exists()


@pytest.mark.parametrize("refused_by", ["Pillow", "DigitPad"])
def test_a_drawing_too_large_to_decode_is_a_correction_error(tmp_path, monkeypatch, refused_by):
    """A PNG of many megapixels dropped into the folder: past twice its limit Pillow raises its
    own error; just past it Pillow only warns and would decode it all, and DigitPad's own
    limit refuses it. The export must say which file, never crash the window."""
    from digitpad import images

    corrections = Corrections(tmp_path)
    corrections.save(drawing(), 1)
    Image.new("L", (300, 300), 255).save(tmp_path / "2_huge.png")
    if refused_by == "Pillow":
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 20_000)  # 90,000 is above twice that
    else:
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 50_000)  # just above it: a warning
        monkeypatch.setattr(images, "MAX_PIXELS", 50_000)
    with pytest.raises(CorrectionError, match=r"2_huge\.png"):
        corrections.export_idx(tmp_path / "out")


def test_corrections_deleted_behind_the_apps_back_are_left_out_of_exports(tmp_path, monkeypatch):
    corrections = Corrections(tmp_path / "corrections")
    kept = corrections.save(drawing(), 1)
    listed = [tmp_path / "corrections" / "5_gone.png", kept]
    monkeypatch.setattr(Corrections, "paths", lambda self: listed)
    assert corrections.export_png(tmp_path / "png") == 1
    assert [p.name for p in (tmp_path / "png").iterdir()] == [kept.name]
    images, labels = corrections.arrays()
    assert labels.tolist() == [1] and images.shape == (1, 28, 28)


def test_a_png_export_on_a_full_disk_keeps_the_earlier_export_whole(tmp_path, monkeypatch):
    corrections = Corrections(tmp_path / "corrections")
    saved = corrections.save(drawing(), 6)
    target = tmp_path / "png"
    target.mkdir()
    earlier = target / saved.name
    earlier.write_bytes(b"the earlier export")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError) as raised:
        corrections.export_png(target)
    assert raised.value.errno == errno.ENOSPC
    assert [p.name for p in target.iterdir()] == [saved.name]
    assert earlier.read_bytes() == b"the earlier export"


def undeletable(monkeypatch, name: str) -> None:
    """Make deleting the file ``name`` fail as a read-only folder would (tests run as root)."""
    unlink = Path.unlink

    def refuse(self, missing_ok=False):
        if self.name == name:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        unlink(self, missing_ok)

    monkeypatch.setattr(Path, "unlink", refuse)


def test_delete_all_deletes_what_it_can_and_counts_only_those(tmp_path, monkeypatch):
    corrections = Corrections(tmp_path)
    stuck = corrections.save(drawing(), 2)
    corrections.save(drawing(), 3)
    corrections.save(drawing(), 4)
    undeletable(monkeypatch, stuck.name)
    assert corrections.delete_all() == 2
    assert corrections.paths() == [stuck]


def test_deleting_all_corrections_in_a_read_only_folder_keeps_the_window_going(window, monkeypatch):
    training = window.training
    stuck = training.corrections.save(drawing(), 2)
    training.corrections.save(drawing(), 3)
    undeletable(monkeypatch, stuck.name)
    assert training.delete_all() == 1
    assert training.count_action.text() == "1 corrected drawing saved"
    said = window.banner.text()
    assert "Deleted 1 correction;" in said and "1 correction could not be deleted" in said
    assert str(training.corrections.folder) in said


def test_exports_say_how_many_drawings_they_wrote(window, tmp_path):
    """A blank drawing among the corrections is left out of the IDX export: the message
    counts what was written, in words that agree with the number."""
    training = window.training
    training.corrections.save(drawing(), 2)
    training.corrections.save(drawing(), 3)
    Image.new("L", (280, 280), 255).save(training.corrections.folder / "5_blank.png")
    assert training.export_idx(str(tmp_path / "idx")) is not None
    assert "Exported 2 corrections as IDX" in window.statusBar().currentMessage()
    for path in training.corrections.paths()[1:]:
        path.unlink()
    assert training.export_png(str(tmp_path / "png")) == 1
    assert "Exported 1 correction as PNG" in window.statusBar().currentMessage()


@pytest.mark.parametrize("kind", ["file", "symlink loop"])
def test_a_corrections_folder_replaced_behind_the_apps_back_says_what_it_is(tmp_path, kind):
    folder = tmp_path / "corrections"
    if kind == "file":
        folder.write_text("not a folder")
    else:
        folder.symlink_to(folder)
    corrections = Corrections(folder)
    assert corrections.count() == 0
    with pytest.raises(CorrectionError, match="it is not a folder"):
        corrections.save(drawing(), 5)
