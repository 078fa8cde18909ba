"""A data folder that is full or cannot be written, and two app instances saving at once.

Faults are injected where the operating system would report them (creating
the temporary file, writing, fsync, the final rename), so the tests hold when
run as root, which chmod alone cannot make fail. One test makes the disk
"full" for real with a file size limit in a child process. In every case the
good file already there survives byte for byte, no temporary file is left
behind, and the message says what went wrong.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings

pytest_plugins = ["ui_helpers"]

from ui_helpers import started_window, wait_success  # noqa: E402

from digitpad import atomic  # noqa: E402
from digitpad.atomic import atomic_write  # noqa: E402
from digitpad.corrections import CorrectionError, Corrections  # noqa: E402
from digitpad.model_file import load_model, save_model  # noqa: E402
from digitpad.networks import ARCHITECTURES  # noqa: E402
from digitpad.strokes import render_strokes  # noqa: E402
from digitpad.ui import child_process  # noqa: E402
from digitpad.ui.model_store import KEEP_MODELS, ModelStore  # noqa: E402
from digitpad.ui.settings import Settings, SettingsError  # noqa: E402
from digitpad.userdata import UserData  # noqa: E402

SEVEN = [[(0.15, 0.05), (0.85, 0.05), (0.42, 0.95)]]


def os_error(code: int) -> OSError:
    return (PermissionError if code == errno.EACCES else OSError)(code, os.strerror(code))


class FillingFile:
    """A real file that takes ``room`` bytes, then fails the way a full disk does."""

    def __init__(self, handle, room: int) -> None:
        self._handle, self._room = handle, room

    def write(self, data) -> int:
        if len(data) > self._room:
            raise os_error(errno.ENOSPC)
        self._room -= len(data)
        return self._handle.write(data)

    def __getattr__(self, name):
        return getattr(self._handle, name)


def _fail_with(code: int):
    def fail(*args, **kwargs):
        raise os_error(code)

    return fail


FAULTS = {
    # the folder refuses new files (read-only, or not ours)
    "folder-unwritable": ("tempfile.mkstemp", errno.EACCES),
    # the disk fills up part way through the file
    "disk-full-writing": ("os.fdopen", errno.ENOSPC),
    # the file system reports the lost data only when asked to flush it to disk
    "disk-full-at-fsync": ("os.fsync", errno.ENOSPC),
    # the final rename over the old file is refused
    "rename-refused": ("os.replace", errno.EACCES),
}


@pytest.fixture(params=list(FAULTS))
def fault(request):
    """``fault()`` makes atomic writes fail as named, returning the errno; ``fault.heal()``."""
    where, code = FAULTS[request.param]
    monkeypatch = pytest.MonkeyPatch()
    request.addfinalizer(monkeypatch.undo)

    def inject() -> int:
        module, name = where.split(".")
        target = getattr(atomic, module)
        if name == "fdopen":
            real = os.fdopen
            monkeypatch.setattr(target, name, lambda fd, mode: FillingFile(real(fd, mode), 64))
        else:
            monkeypatch.setattr(target, name, _fail_with(code))
        return code

    inject.heal = monkeypatch.undo
    return inject


def random_weights(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        name: rng.normal(0, 0.1, shape).astype(np.float32)
        for name, shape in ARCHITECTURES["fcnn"].shapes({"hidden": 16}).items()
    }


def model_at(path: Path, seed: int = 0) -> Path:
    """A valid model file (random weights, ``seed``) at ``path``."""
    save_model(path, "fcnn", random_weights(seed), {"sizes": {"hidden": 16}, "test_accuracy": 0.5})
    return path


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def drawing() -> np.ndarray:
    return np.asarray(render_strokes(SEVEN, 280, (0.5, 0.5, 0.6), pen_width=18))


# --- the API: atomic writes, models, corrections ---------------------------------------------
def test_atomic_write_fault_closes_the_file_and_leaves_the_old_one(tmp_path, fault):
    target = tmp_path / "data.bin"
    target.write_bytes(b"the good contents")
    before = listing(tmp_path)
    code = fault()
    handles = []
    with pytest.raises(OSError) as caught, atomic_write(target) as handle:
        handles.append(handle)
        handle.write(b"new contents " * 100)
    assert caught.value.errno == code
    assert listing(tmp_path) == before
    assert all(h.closed for h in handles), "the temporary file was left open"


def test_model_save_fault_keeps_the_good_model(tmp_path, fault):
    good = model_at(tmp_path / "model.npz", seed=1)
    before = listing(tmp_path)
    code = fault()
    with pytest.raises(OSError) as caught:
        model_at(good, seed=2)
    assert caught.value.errno == code and os.strerror(code) in str(caught.value)
    fault.heal()
    assert listing(tmp_path) == before
    assert load_model(good).test_accuracy == 0.5


def test_correction_save_fault_keeps_the_saved_ones(tmp_path, fault):
    store = Corrections(tmp_path / "corrections")
    store.save(drawing(), 7)
    before = listing(store.folder)
    code = fault()
    with pytest.raises(CorrectionError) as caught:
        store.save(drawing(), 3)
    message = str(caught.value)
    assert message.startswith(f"could not save the drawing in {store.folder}")
    assert os.strerror(code) in message
    assert listing(store.folder) == before
    assert store.counts_by_label()[3] == 0


class FakeRecognition:
    """What the model store needs of the window's recognition: the model it loads."""

    def __init__(self, source: str | None = "fcnn") -> None:
        self.model_source = source
        self.loaded: list[str] = []

    def load_model(self, source: str) -> None:
        self.loaded.append(source)
        self.model_source = source


@pytest.fixture
def store(private_user_data) -> ModelStore:
    userdata = UserData(private_user_data).ensure()
    return ModelStore(FakeRecognition(), userdata)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES])
def test_keeping_a_retrained_model_fails_cleanly_and_can_be_retried(store, monkeypatch, code):
    userdata = store.userdata
    kept = model_at(userdata.models / "fcnn-retrained-old.npz", seed=1)
    candidate = model_at(store.pending_path("fcnn"), seed=2)
    models_before, pending_before = listing(userdata.models), listing(userdata.pending_models)
    with monkeypatch.context() as full, pytest.raises(OSError) as caught:
        full.setattr(os, "replace", _fail_with(code))
        store.adopt(candidate)
    assert caught.value.errno == code
    assert store.recognition.loaded == []  # the app keeps its model
    assert listing(userdata.models) == models_before
    assert listing(userdata.pending_models) == pending_before
    # Once there is room again, the same candidate is kept.
    target = store.adopt(candidate)
    assert store.recognition.loaded == [str(target)] and load_model(target)
    assert kept.read_bytes() == models_before[kept.name]


def test_old_models_that_cannot_be_deleted_do_not_undo_keeping_the_new_one(store, monkeypatch):
    userdata = store.userdata
    now = time.time()
    for i in range(KEEP_MODELS + 2):
        # Named as a run names its model: only those make room (renamed ones never do).
        old = model_at(userdata.models / f"fcnn-retrained-2026010{i % 10}-12000{i // 10}.npz", i)
        os.utime(old, (now - 1000 + i, now - 1000 + i))
    candidate = model_at(store.pending_path("fcnn"), seed=9)
    monkeypatch.setattr(Path, "unlink", _fail_with(errno.EACCES))
    target = store.adopt(candidate)
    assert target.parent == userdata.models and target.is_file()
    assert store.recognition.loaded == [str(target)]
    # And a stale retrain that cannot be deleted does not stop the next one.
    store.clear_pending()


# --- a disk that is full for real: a file size limit in a child process ------------------------
REAL_LIMIT = r"""
import json, os, resource, signal, sys
import numpy as np
from PySide6.QtCore import QSettings
from digitpad.corrections import Corrections, CorrectionError
from digitpad.model_file import load_model, save_model
from digitpad.strokes import render_strokes
from digitpad.ui.settings import Settings, SettingsError

folder = sys.argv[1]
model = load_model(os.path.join(folder, "model.npz"))
picture = np.asarray(render_strokes([[(0.1, 0.1), (0.9, 0.1), (0.4, 0.9)]], 280))
settings = Settings(QSettings(os.path.join(folder, "digitpad.ini"), QSettings.Format.IniFormat))
assert settings.pen_width == 28.0
# Any file growing past 16 bytes now fails with EFBIG, as on a full disk (root included).
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (16, resource.RLIM_INFINITY))
errors = {}
try:
    save_model(os.path.join(folder, "model.npz"), model.arch, model.params, model.meta)
except OSError as exc:
    errors["model"] = str(exc)
try:
    Corrections(os.path.join(folder, "corrections")).save(picture, 3)
except CorrectionError as exc:
    errors["correction"] = str(exc)
settings.pen_width = 10
try:
    settings.sync()
except SettingsError as exc:
    errors["settings"] = str(exc)
print(json.dumps(errors))
"""


def test_a_really_full_disk_loses_nothing(tmp_path):
    model_at(tmp_path / "model.npz", seed=3)
    Corrections(tmp_path / "corrections").save(drawing(), 7)
    (tmp_path / "digitpad.ini").write_text("[canvas]\npen_width=28\n")
    before = {folder: listing(folder) for folder in (tmp_path, tmp_path / "corrections")}
    done = subprocess.run(
        [sys.executable, "-c", REAL_LIMIT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    errors = json.loads(done.stdout)
    too_large = os.strerror(errno.EFBIG)
    assert too_large in errors["model"]
    assert too_large in errors["correction"]
    assert errors["correction"].startswith("could not save the drawing")
    assert "cannot save its settings" in errors["settings"]
    assert str(tmp_path / "digitpad.ini") in errors["settings"]
    assert {folder: listing(folder) for folder in before} == before


# --- settings -----------------------------------------------------------------------------
def test_settings_that_cannot_be_written_raise_a_clear_error(tmp_path):
    in_the_way = tmp_path / "not-a-folder"
    in_the_way.write_text("a file where the settings folder should be")
    path = in_the_way / "digitpad.ini"
    settings = Settings(QSettings(str(path), QSettings.Format.IniFormat))
    settings.pen_width = 28
    with pytest.raises(SettingsError, match="will not be remembered") as caught:
        settings.sync()
    assert str(path) in str(caught.value)
    assert settings.pen_width == 28  # still used for this session
    assert in_the_way.read_text() == "a file where the settings folder should be"


def test_settings_that_can_be_written_sync_quietly(settings):
    settings.model = "cnn"
    settings.sync()
    assert "choice=cnn" in Path(settings.store.fileName()).read_text()


# --- two app instances saving the same model file at once ------------------------------------
WRITER = r"""
import sys
import numpy as np
from digitpad.model_file import save_model
from digitpad.networks import ARCHITECTURES

path, seed, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sizes = {"hidden": 16}
rng = np.random.default_rng(seed)
params = {name: rng.normal(0, 0.1, shape).astype(np.float32)
          for name, shape in ARCHITECTURES["fcnn"].shapes(sizes).items()}
print("ready", flush=True)
sys.stdin.readline()  # start together
for i in range(rounds):
    save_model(path, "fcnn", params, {"sizes": sizes, "test_accuracy": seed / 100, "round": i})
"""


def test_two_instances_saving_the_same_model_never_leave_a_broken_file(tmp_path):
    path = tmp_path / "shared.npz"
    rounds = 40
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(seed), str(rounds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for seed in (11, 22)
    ]
    for writer in writers:
        assert writer.stdout.readline().strip() == "ready"
    for writer in writers:
        writer.stdin.write("go\n")
        writer.stdin.flush()
    # Read the file over and over while they write: every read sees a whole model.
    reads = 0
    while any(w.poll() is None for w in writers):
        if path.exists():
            assert load_model(path).test_accuracy in (0.11, 0.22)
            reads += 1
    assert [w.wait(timeout=60) for w in writers] == [0, 0]
    final = load_model(path)
    assert final.meta["round"] == rounds - 1 and final.test_accuracy in (0.11, 0.22)
    # All its weights come from one writer: never a mixture of the two.
    expected = random_weights(round(final.test_accuracy * 100))
    for name, value in expected.items():
        np.testing.assert_array_equal(final.params[name], value)
    assert [p.name for p in tmp_path.iterdir()] == ["shared.npz"]
    assert reads > 0


# --- the window: the same faults where the GUI does the saving -------------------------------
DONE_CHILD = textwrap.dedent(r"""
    import json, shutil, sys
    out = sys.argv[sys.argv.index("--out") + 1]
    shutil.copyfile(sys.argv[1], out)
    print(json.dumps({"event": "done", "model": out, "accuracy": 0.5}), flush=True)
""")


def test_retrained_model_that_cannot_be_kept_says_so_and_keeps_the_model(
    window, qtbot, monkeypatch, private_user_data, tmp_path, make_model
):
    userdata = UserData(private_user_data)
    earlier = model_at(userdata.models / "fcnn-retrained-earlier.npz", seed=4)
    trained = make_model("trained.npz", seed=5)
    monkeypatch.setattr(
        child_process,
        "entry_command",
        lambda args: (sys.executable, ["-c", DONE_CHILD, str(trained), *args]),
    )
    window.training.retrain_action.trigger()
    dialog = window.training.dialog
    dialog.folder_radio.setChecked(True)
    dialog.folder_edit.setText(str(tmp_path))  # the stand-in child reads no data
    before = window.recognition.model
    models_before = listing(userdata.models)
    # A finished model is moved among the user's models at once: the disk is full then.
    with monkeypatch.context() as full:
        full.setattr(os, "replace", _fail_with(errno.ENOSPC))
        with wait_success(qtbot, dialog.runner, dialog.runner.finished, timeout=10_000):
            assert dialog.start_training()
    assert not dialog.use_button.isVisible()
    assert dialog.error_label.isVisible()
    assert "could not be kept" in dialog.error_label.text()
    assert os.strerror(errno.ENOSPC) in dialog.error_label.text()
    assert "free space" in dialog.error_label.text()  # the disk hint, chosen by kind
    assert window.recognition.model is before and window.settings.model == "fcnn"
    assert listing(userdata.models) == models_before
    assert earlier.read_bytes() == models_before[earlier.name]
    assert not [p for p in userdata.root.rglob(".*") if p.is_file()]

    # With room again, the next run's model is kept and the app can switch to it.
    with wait_success(qtbot, dialog.runner, dialog.runner.finished, timeout=10_000):
        assert dialog.start_training()
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=5000):
        dialog.use_button.click()
    assert Path(window.recognition.model_source).parent == userdata.models


def test_correction_that_cannot_be_saved_is_said_in_the_banner(window, qtbot, monkeypatch, mouse):
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        mouse.draw(window.canvas, mouse.SEVEN)
    qtbot.waitUntil(lambda: window.bars.values() is not None, timeout=3000)
    corrections = window.training.corrections
    assert window.training.correct(1) is not None
    before = listing(corrections.folder)
    window.clear()  # a new drawing: its correction is a new file
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        mouse.draw(window.canvas, mouse.SEVEN)
    qtbot.waitUntil(lambda: window.bars.values() is not None, timeout=3000)

    monkeypatch.setattr(atomic.os, "fsync", _fail_with(errno.ENOSPC))
    assert window.training.correct(2) is None
    text = window.banner.text()
    assert window.banner.level() == "error"
    assert "not saved as a 2" in text and os.strerror(errno.ENOSPC) in text
    assert listing(corrections.folder) == before and corrections.count() == 1


def test_window_says_once_that_its_settings_cannot_be_saved(qtbot, tmp_path, models_dir):
    from digitpad.ui.main_window import PEN_WIDTHS, MainWindow

    in_the_way = tmp_path / "config"
    in_the_way.write_text("in the way")
    settings = Settings(QSettings(str(in_the_way / "digitpad.ini"), QSettings.Format.IniFormat))
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.modelReady, timeout=10_000):
        window.start()
    text = window.banner.text()
    assert window.banner.level() == "error"
    assert "cannot save its settings" in text and str(in_the_way) in text
    assert "will not be remembered" in text
    # The app works on with the choices in memory, and does not repeat the message.
    window.banner.dismiss()
    window.pen_actions["Thick"].trigger()
    thick = PEN_WIDTHS["Thick"]
    assert window.canvas.pen_width() == thick and settings.pen_width == thick
    assert window.banner.text() == ""
    window.close()
    assert in_the_way.read_text() == "in the way"


def test_retrain_into_an_unwritable_data_folder_says_so_and_starts_nothing(
    window, qtbot, monkeypatch, private_user_data, tmp_path
):
    userdata = UserData(private_user_data)
    window.training.retrain_action.trigger()
    dialog = window.training.dialog
    dialog.folder_radio.setChecked(True)
    dialog.folder_edit.setText(str(tmp_path))
    real_mkdir = Path.mkdir

    def refuse(self, *args, **kwargs):
        if self == userdata.root or userdata.root in self.parents:
            raise os_error(errno.EACCES)
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", refuse)
    assert not dialog.start_training()
    assert not dialog.runner.running and dialog.start_button.isEnabled()
    text = dialog.error_label.text()
    assert "Cannot write to DigitPad's data folder" in text and str(userdata.root) in text
    assert os.strerror(errno.EACCES) in text and "[Errno" not in text
    assert window.recognition.model_source == "fcnn"


@pytest.mark.parametrize("name", ["m" * 251 + ".npz", "é" * 125 + ".npz"])
def test_a_file_whose_name_just_fits_is_written_whole(tmp_path, name):
    """Its temporary is named after the start of its name: the whole name and the random
    part would not fit (255 bytes)."""
    from digitpad.atomic import atomic_write

    with atomic_write(tmp_path / name) as handle:
        handle.write(b"whole")
    assert [p.name for p in tmp_path.iterdir()] == [name]
    assert (tmp_path / name).read_bytes() == b"whole"


def test_temporaries_left_by_a_killed_writer_are_cleaned_on_the_next_save(tmp_path):
    import time as clock

    from digitpad.atomic import STALE_SECONDS, atomic_write

    target = tmp_path / "model.npz"
    old = tmp_path / ".model.npz.abc123.tmp"  # what a SIGKILLed save leaves
    fresh = tmp_path / ".model.npz.def456.tmp"  # another writer, still at work
    other = tmp_path / ".notes.txt.ghi789.tmp"  # not ours to touch
    for leftover in (old, fresh, other):
        leftover.write_bytes(b"half a file")
    long_ago = clock.time() - STALE_SECONDS - 60
    os.utime(old, (long_ago, long_ago))
    os.utime(other, (long_ago, long_ago))
    with atomic_write(target) as handle:
        handle.write(b"whole")
    assert target.read_bytes() == b"whole"
    assert not old.exists() and fresh.exists() and other.exists()


# --- the search's study database, locked by another program mid-search ---------------------
# A search child with short waits: SQLite's busy timeout, the heartbeat and its grace period.
QUICK_SEARCH = r"""
import sys
from training.search import study
study.SQLITE_TIMEOUT_S, study.HEARTBEAT_S, study.GRACE_S = float(sys.argv[1]), 1, 2
from training.search import main
sys.exit(main(sys.argv[2:]))
"""


def quick_search(mnist_folder: Path, db: Path, tmp_path: Path, timeout_s: float, *extra: str):
    command = [sys.executable, "-c", QUICK_SEARCH, str(timeout_s)]
    command += ["--data", str(mnist_folder), "--storage", f"sqlite:///{db}", "--epochs", "30"]
    command += ["--device", "cpu", "--cache", str(tmp_path / "cache"), "--progress", "jsonl"]
    command += ["--study-name", "locked", "--no-final", *extra]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def lock_mid_trial(child: subprocess.Popen, db: Path):
    """Once the child's first trial has reported an epoch, lock its database exclusively."""
    import sqlite3

    for line in child.stdout:
        if '"event": "epoch"' in line:
            break
    lock = sqlite3.connect(db, isolation_level=None, timeout=30)
    lock.execute("BEGIN EXCLUSIVE")  # no other connection may read or write now
    return lock


def trial_states(db: Path) -> list[str]:
    import sqlite3

    with contextlib.closing(sqlite3.connect(db)) as connection:
        return [state for (state,) in connection.execute("SELECT state FROM trials")]


def test_a_search_database_locked_mid_search_is_one_clear_error_and_the_trial_is_taken_over(
    mnist_folder, tmp_path
):
    db = tmp_path / "search.db"
    child = quick_search(mnist_folder, db, tmp_path, 1.0, "--trials", "2")
    lock = lock_mid_trial(child, db)
    try:
        out, err = child.communicate(timeout=120)
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert child.returncode == 1, err[-2000:]
    assert "Traceback" not in err and "UnboundLocalError" not in err
    assert [line for line in err.splitlines() if line.strip()] == [err.strip()]  # one line
    event = json.loads(out.splitlines()[-1])
    assert event["event"] == "error" and event["kind"] == "storage"
    assert "locked" in event["message"] and str(db) in event["message"]
    # The interrupted trial is failed, or running only until the next run takes it over.
    assert set(trial_states(db)) <= {"RUNNING", "FAIL", "COMPLETE", "PRUNED"}
    rerun = quick_search(mnist_folder, db, tmp_path, 1.0, "--trials", "2")
    out, err = rerun.communicate(timeout=180)
    assert rerun.returncode == 0, err[-2000:]
    assert json.loads(out.splitlines()[-1])["event"] == "done"
    states = trial_states(db)
    assert "RUNNING" not in states and states.count("COMPLETE") + states.count("PRUNED") == 2


def test_a_search_database_locked_for_a_moment_is_waited_for(mnist_folder, tmp_path):
    db = tmp_path / "search.db"
    child = quick_search(mnist_folder, db, tmp_path, 20.0, "--trials", "1")
    lock = lock_mid_trial(child, db)
    time.sleep(2)  # a backup copying the file, say
    lock.execute("ROLLBACK")
    lock.close()
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err[-2000:]
    assert json.loads(out.splitlines()[-1])["event"] == "done"
    assert trial_states(db) == ["COMPLETE"]


def test_saving_a_drawing_over_a_file_on_a_full_disk_keeps_the_old_file(
    window, monkeypatch, mouse, tmp_path
):
    mouse.draw(window.canvas, mouse.SEVEN)
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    target = pictures / "digit.png"
    target.write_bytes(b"the user's earlier picture")
    monkeypatch.setattr(atomic.os, "fsync", _fail_with(errno.ENOSPC))
    assert not window.save_drawing(str(target))
    assert target.read_bytes() == b"the user's earlier picture"
    assert listing(pictures) == {"digit.png": b"the user's earlier picture"}  # no temporary left
    assert window.banner.level() == "error"
    assert os.strerror(errno.ENOSPC) in window.banner.text()
    assert "Saved" not in window.statusBar().currentMessage()

    monkeypatch.undo()
    assert window.save_drawing(str(target))
    assert target.read_bytes().startswith(b"\x89PNG")
    assert not window.banner.isVisible()  # the failure no longer stands beside "Saved"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_saving_a_drawing_onto_a_fifo_is_refused_without_blocking(window, mouse, tmp_path):
    mouse.draw(window.canvas, mouse.SEVEN)
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    assert not window.save_drawing(str(fifo))  # opening it for writing would wait for a reader
    assert "not a regular file" in window.banner.text()
    assert not fifo.is_file() and fifo.exists()


def _unlistable(monkeypatch, folder: Path) -> None:
    """Make ``folder`` behave as a folder without read permission does (root ignores chmod)."""
    real_is_dir, real_iterdir, real_scandir = Path.is_dir, Path.iterdir, os.scandir

    def denied(path) -> bool:
        return Path(path) == folder or folder in Path(path).parents

    def is_dir(self):
        if denied(self) and self != folder:
            raise os_error(errno.EACCES)
        return real_is_dir(self)

    def iterdir(self):
        if denied(self):
            raise os_error(errno.EACCES)
        return real_iterdir(self)

    def scandir(path="."):
        if denied(path):
            raise os_error(errno.EACCES)
        return real_scandir(path)

    monkeypatch.setattr(Path, "is_dir", is_dir)
    monkeypatch.setattr(Path, "iterdir", iterdir)
    monkeypatch.setattr("digitpad.userdata.os.scandir", scandir)


def test_an_unreadable_data_folder_is_said_once_and_every_menu_is_built(
    qtbot, settings, models_dir, private_user_data, monkeypatch
):
    from digitpad.ui.main_window import MainWindow

    userdata = UserData.at().ensure()
    Corrections(userdata.corrections).save(drawing(), 7)
    _unlistable(monkeypatch, userdata.root)
    assert userdata.unreadable() is not None
    errors = []
    monkeypatch.setattr(MainWindow, "report_unexpected", lambda self, error: errors.append(error))

    win = started_window(qtbot, settings)
    assert errors == []
    text = win.banner.text()
    assert win.banner.level() == "error"
    assert str(userdata.root) in text and os.strerror(errno.EACCES) in text
    menu = [a.text() for a in win.model_menu.actions()]
    assert any("Search" in t for t in menu) and any("Retrain" in t for t in menu)
    assert win.training.corrections.count() == 0
    win.close()


def test_a_readable_data_folder_is_no_problem(private_user_data):
    assert UserData.at().unreadable() is None  # not made yet: made when first needed
    assert UserData.at().ensure().unreadable() is None


def test_a_write_that_fails_names_the_file_not_its_temporary(tmp_path, monkeypatch, capsys):
    from training.progress import report_error

    target = tmp_path / "model.npz"
    monkeypatch.setattr(atomic.tempfile, "mkstemp", _fail_with(errno.EACCES))
    with pytest.raises(PermissionError) as caught, atomic_write(target):
        pass
    assert caught.value.filename == str(target)
    report_error(caught.value)
    assert capsys.readouterr().err == f"error: {target}: {os.strerror(errno.EACCES)}\n"
