"""Two DigitPad windows open on one data folder (the app double-clicked twice).

Each window has its own model store; they share the folders. Runs started in the
same second must not write one file and keep each other's model, and a model
one window removed must be reported as gone by the other, never as deleted by it.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import sys
import textwrap
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QSettings
from PySide6.QtWidgets import QApplication

pytest_plugins = ["ui_helpers"]
from ui_helpers import random_model  # noqa: E402

from digitpad.corrections import Corrections  # noqa: E402
from digitpad.model_file import load_model  # noqa: E402
from digitpad.strokes import render_strokes  # noqa: E402
from digitpad.ui import child_process, model_store  # noqa: E402
from digitpad.ui.main_window import MainWindow  # noqa: E402
from digitpad.ui.model_store import ModelStore  # noqa: E402
from digitpad.ui.settings import Settings  # noqa: E402
from digitpad.userdata import UserData  # noqa: E402

# Stands in for `digitpad adapt`: waits until told, then writes a model of its own (its
# accuracy is its process id, so each window's model can be told apart) where --out says.
ADAPT = textwrap.dedent(r"""
    import json, os, sys, time
    sys.path.insert(0, sys.argv[1])
    from ui_helpers import random_model
    go = sys.argv[2]
    while not os.path.exists(go):
        time.sleep(0.02)
    out = sys.argv[sys.argv.index("--out") + 1]
    random_model(out, seed=os.getpid() % 1000, accuracy=os.getpid() / 1e7)
    print(json.dumps({"event": "done", "model": out, "corrections": 2}), flush=True)
""")
SAME_SECOND = dt.datetime(2030, 5, 6, 7, 8, 9)


class FixedClock(dt.datetime):
    """Every run starts in the same second, as two windows' runs can."""

    @classmethod
    def now(cls, tz=None) -> dt.datetime:
        return SAME_SECOND


@pytest.fixture
def two_windows(qtbot, tmp_path, models_dir, monkeypatch):
    """Two real main windows on the same data folder, each with its own settings file."""
    windows = []
    for name in ("first", "second"):
        ini = str(tmp_path / f"{name}.ini")
        win = MainWindow(Settings(QSettings(ini, QSettings.Format.IniFormat)))
        qtbot.addWidget(win)
        win.show()
        with qtbot.waitSignal(win.modelReady, timeout=10_000):
            win.start()
        windows.append(win)
    yield windows
    for win in windows:
        win.quit_without_asking()  # see ui_helpers.window
        win.shutdown()
        win.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def corrected_drawings(folder: Path) -> None:
    corrections = Corrections(folder)
    for digit in (1, 7):
        drawing = render_strokes([[(0.5, 0.1), (0.5, 0.9)]], 112, (0.5, 0.5, 0.7), 12)
        corrections.save(drawing, digit)


def test_both_windows_learning_in_the_same_second_keep_both_models(
    qtbot, two_windows, tmp_path, monkeypatch
):
    first = two_windows[0]
    corrected_drawings(first.training.userdata.corrections)
    go = tmp_path / "go"
    tests = str(Path(__file__).parent)
    monkeypatch.setattr(
        child_process,
        "entry_command",
        lambda args: (sys.executable, ["-c", ADAPT, tests, str(go), *args]),
    )
    monkeypatch.setattr(model_store.dt, "datetime", FixedClock)
    learners = [win.training.learner for win in two_windows]
    kept: dict[int, Path] = {}
    failures: list[str] = []
    for index, learner in enumerate(learners):
        learner.learned.connect(lambda path, i=index: kept.__setitem__(i, Path(path)))
        learner.runner.failed.connect(lambda message, _kind: failures.append(message))
    assert all(learner.start() for learner in learners)
    go.touch()  # both children write their model now
    # A window that cannot keep its model says so in its banner: that ends the wait too.
    errors = lambda: [w.banner.text() for w in two_windows if w.banner.level() == "error"]  # noqa: E731
    qtbot.waitUntil(lambda: bool(failures or errors()) or len(kept) == 2, timeout=30_000)
    assert not errors(), errors()
    assert not failures, failures
    kept = [kept[0], kept[1]]
    assert kept[0] != kept[1]
    assert {path.parent for path in kept} == {first.training.userdata.models}
    for win, path, learner in zip(two_windows, kept, learners, strict=True):
        qtbot.waitUntil(lambda w=win, p=path: w.recognition.model_source == str(p), timeout=10_000)
        # Each window uses the model its own run wrote.
        assert load_model(path).test_accuracy == pytest.approx(learner.runner_pid / 1e7)
        assert win.banner.level() != "error", win.banner.text()
    assert list(first.training.userdata.pending_models.iterdir()) == []


@pytest.fixture(autouse=True)
def remember_child_pids(monkeypatch):
    """Keep each learner's child process id after the run ends (the runner forgets it)."""
    from digitpad.ui.learning import HandwritingLearner

    real = HandwritingLearner._launch

    def launch(self, *args, **kwargs) -> None:
        real(self, *args, **kwargs)
        self.runner_pid = self.runner.pid()

    monkeypatch.setattr(HandwritingLearner, "_launch", launch)


def test_a_retrain_in_one_window_leaves_the_other_windows_run_alone(tmp_path):
    """Starting a run clears what earlier runs left, but not the name another window's run
    has reserved, nor the temporary its child is writing right now."""
    userdata = UserData(tmp_path / "data").ensure()
    one, other = ModelStore(None, userdata), ModelStore(None, userdata)
    reserved = other.pending_path("fcnn")
    writing = reserved.with_name(f".{reserved.name}.abc123.tmp")
    writing.write_bytes(b"half a model, being written")
    leftover = userdata.pending_models / "fcnn-retrained-20200101-000000.npz"
    random_model(leftover)
    an_hour_ago = time.time() - 3600
    os.utime(leftover, (an_hour_ago, an_hour_ago))
    # Written by its child, not yet kept: the window keeps it once the child has exited.
    written = other.pending_path("fcnn")
    random_model(written)
    one.clear_pending()
    assert reserved.is_file() and writing.is_file() and written.is_file()
    assert not leftover.exists()
    mine = one.pending_path("fcnn")
    stopped = mine.with_name(f".{mine.name}.def456.tmp")  # its child was stopped mid-write
    stopped.write_bytes(b"half a model")
    assert mine != reserved
    one.clear_pending()  # its own run goes, with its temporary; the other window's stay
    assert not mine.exists() and not stopped.exists()
    assert reserved.is_file() and written.is_file()


def test_keeping_a_model_never_replaces_one_kept_under_that_name(qtbot, two_windows):
    """The other window kept a model under this name (or the user renamed one to it)."""
    store = two_windows[0].training.store
    userdata = store.userdata
    existing = random_model(userdata.models / "fcnn-retrained-20300506-070809.npz", seed=1)
    before = existing.read_bytes()
    candidate = random_model(userdata.pending_models / existing.name, seed=2)
    kept = store.keep(candidate)
    assert kept != existing and existing.read_bytes() == before
    assert kept.parent == userdata.models
    assert (
        load_model(kept).params["fc1.weight"].tolist()
        != load_model(existing).params["fc1.weight"].tolist()
    )
    assert not candidate.exists()


def test_a_model_the_other_window_deleted_is_said_to_be_gone_not_deleted(qtbot, two_windows):
    first, second = two_windows
    model = random_model(first.training.userdata.models / "shared.npz", seed=3)
    model.unlink()  # the first window deleted it while the second's menu still listed it
    assert second.training.delete_model(model)
    assert second.banner.level() == "error"
    said = second.banner.text()
    assert "no longer in" in said and "another DigitPad window" in said
    assert "Deleted" not in second.statusBar().currentMessage()
    assert second.training.rename_model(model, "other") is None
    assert "Could not rename it: shared is no longer in" in second.banner.text()


def test_a_model_in_use_that_cannot_be_deleted_stays_in_use(qtbot, two_windows, monkeypatch):
    window = two_windows[0]
    model = random_model(window.training.userdata.models / "mine.npz", seed=4)
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=10_000):
        window.choose_model(str(model))

    def refuse(self, missing_ok=False):
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(Path, "unlink", refuse)
    with qtbot.assertNotEmitted(window.recognition.modelChanged, wait=500):
        assert not window.training.delete_model(model)
    assert window.recognition.model_source == str(model) and model.is_file()
    assert "Could not delete mine: Read-only file system" in window.banner.text()


def test_a_window_leaves_no_empty_reservation_behind_when_it_closes(tmp_path):
    """A run that failed or was stopped wrote nothing: its reserved name must not wait a
    day in the folder for another window to sweep it."""
    userdata = UserData(tmp_path / "data").ensure()
    mine, other = ModelStore(None, userdata), ModelStore(None, userdata)
    failed = mine.pending_path("fcnn")
    killed = failed.with_name(f".{failed.name}.abc123.tmp")
    killed.write_bytes(b"half a model")
    kept_later = mine.pending_path("fcnn", "adapted")
    random_model(kept_later)  # written: the window keeps it, it is not for this to delete
    others = other.pending_path("fcnn", "adapted")
    mine.release_unwritten()
    assert not failed.exists() and not killed.exists()
    assert kept_later.is_file() and others.is_file()
