"""Which kept models make room for a new one: only old unnamed ones, never a model the user
named, the one in use or the one the settings will load at the next start."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

pytest_plugins = ["ui_helpers"]
from ui_helpers import random_model  # noqa: E402
from ui_helpers import started_window as started  # noqa: E402

from digitpad.ui.in_use import ModelsInUse  # noqa: E402
from digitpad.ui.main_window import MainWindow  # noqa: E402
from digitpad.ui.model_store import KEEP_MODELS, ModelStore  # noqa: E402
from digitpad.ui.settings import Settings  # noqa: E402
from digitpad.userdata import UserData  # noqa: E402


class Recognition:
    def __init__(self, source: str) -> None:
        self.model_source = source

    def load_model(self, source: str) -> None:
        self.model_source = source


def kept_models(folder: Path, names: list[str]) -> list[Path]:
    """Models under ``names``, the first the oldest, a minute apart."""
    now = time.time()
    paths = []
    for age, name in enumerate(reversed(names)):
        path = random_model(folder / f"{name}.npz", seed=age)
        os.utime(path, (now - 60 * (age + 1),) * 2)
        paths.append(path)
    return paths[::-1]


def started_window(qtbot, ini: Path) -> MainWindow:
    """A window with its settings in ``ini``, shown, its first model loaded."""
    return started(qtbot, Settings(QSettings(str(ini), QSettings.Format.IniFormat)))


def generated(count: int, kind: str = "retrained") -> list[str]:
    return [f"fcnn-{kind}-2026010{i % 10}-12000{i // 10}" for i in range(count)]


def test_only_the_oldest_unnamed_models_make_room(tmp_path):
    userdata = UserData(tmp_path / "data").ensure()
    named = ["my sevens", "fcnn-retrained-20260101-120000 (good)"]
    unnamed = [*generated(KEEP_MODELS + 3), "cnn-adapted-20260201-090000-2"]
    old = kept_models(userdata.models, named + unnamed)
    in_use = old[len(named)]  # the oldest unnamed one
    store = ModelStore(Recognition(str(in_use)), userdata)
    new = store.keep(random_model(store.pending_path("fcnn"), seed=99))
    left = {path.name for path in userdata.models.glob("*.npz")}
    newest = {path.name for path in old[-KEEP_MODELS:]}
    assert left == {new.name, in_use.name, *(f"{n}.npz" for n in named), *newest}


def test_the_model_the_settings_name_is_kept(tmp_path):
    userdata = UserData(tmp_path / "data").ensure()
    old = kept_models(userdata.models, generated(KEEP_MODELS + 2))
    remembered = old[1]
    store = ModelStore(Recognition("fcnn"), userdata, protected=lambda: [str(remembered)])
    store.keep(random_model(store.pending_path("fcnn"), seed=99))
    assert remembered.is_file()
    assert not old[0].exists() and old[2].is_file()  # the oldest other one made room


def test_another_windows_choice_is_kept(qtbot, tmp_path, models_dir):
    """The other DigitPad wrote its choice to the shared settings file after this window
    started: this window reads it again before deleting anything."""
    ini = tmp_path / "digitpad.ini"
    window = started_window(qtbot, ini)
    userdata = window.training.userdata
    old = kept_models(userdata.models, generated(KEEP_MODELS + 2))
    theirs = old[0]
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from PySide6.QtCore import QSettings as S; "
            "s = S(sys.argv[1], S.Format.IniFormat); s.setValue('model/choice', sys.argv[2]); "
            "s.sync()",
            str(ini),
            str(theirs),
        ],
        check=True,
        timeout=60,
    )
    store = window.training.store
    store.keep(random_model(store.pending_path("fcnn"), seed=99))
    assert theirs.is_file()
    assert not old[1].exists()  # the oldest of the others made room, and the window says so
    said = window.statusBar().currentMessage()
    assert said.startswith("Deleted the oldest unnamed model to make room; rename a model")
    window.training.refresh_models()
    hint = window.training.models_menu.actions()[-1]
    assert "unnamed models are kept; rename one to keep it" in hint.text()
    assert not hint.isEnabled()
    window.quit_without_asking()
    window.shutdown()


def test_a_model_another_window_uses_is_kept_until_it_closes(tmp_path):
    userdata = UserData(tmp_path / "data").ensure()
    old = kept_models(userdata.models, generated(KEEP_MODELS + 3))
    theirs, mine = ModelsInUse(userdata.models), ModelsInUse(userdata.models)
    theirs.mark(str(old[0]))
    mine.mark("fcnn")
    assert mine.elsewhere() == [str(old[0])]
    assert theirs.elsewhere() == ["fcnn"]
    store = ModelStore(Recognition("fcnn"), userdata, protected=mine.elsewhere)
    store.keep(random_model(store.pending_path("fcnn"), seed=99))
    assert old[0].is_file()
    assert not old[1].exists() and not old[2].exists() and old[3].is_file()

    theirs.mark(str(old[3]))  # it moved on to another model
    assert mine.elsewhere() == [str(old[3])]
    theirs.release()  # and closed
    assert mine.elsewhere() == []
    store.keep(random_model(store.pending_path("fcnn"), seed=100))
    assert not old[0].exists()


def test_a_killed_windows_note_keeps_nothing(tmp_path):
    """A window killed without closing leaves its note and its lock; the next reading sees
    that nobody holds the lock, keeps nothing for it and tidies both away."""
    userdata = UserData(tmp_path / "data").ensure()
    old = kept_models(userdata.models, generated(KEEP_MODELS + 1))
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, sys; from pathlib import Path; "
            "from digitpad.ui.in_use import ModelsInUse; "
            "marks = ModelsInUse(Path(sys.argv[1])); marks.mark(sys.argv[2]); os._exit(0)",
            str(userdata.models),
            str(old[0]),
        ],
        check=True,
        timeout=60,
    )
    folder = userdata.models / ".in-use"
    assert len(list(folder.glob("*.model"))) == 1 and len(list(folder.glob("*.lock"))) == 1
    mine = ModelsInUse(userdata.models)
    assert mine.elsewhere() == []
    assert list(folder.iterdir()) == []
    store = ModelStore(Recognition("fcnn"), userdata, protected=mine.elsewhere)
    store.keep(random_model(store.pending_path("fcnn"), seed=99))
    assert not old[0].exists()


def test_a_window_starting_tidies_away_the_notes_of_killed_ones(
    qtbot, tmp_path, models_dir, private_user_data
):
    models = UserData(private_user_data).models
    models.mkdir(parents=True)
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, sys; from pathlib import Path; "
            "from digitpad.ui.in_use import ModelsInUse; "
            "marks = ModelsInUse(Path(sys.argv[1])); marks.mark('fcnn'); os._exit(0)",
            str(models),
        ],
        check=True,
        timeout=60,
    )
    folder = models / ".in-use"
    killed = {path.name for path in folder.iterdir()}
    assert len(killed) == 2
    window = started_window(qtbot, tmp_path / "s.ini")
    left = {path.name for path in folder.iterdir()}
    assert len(left) == 2 and not left & killed  # only this window's note and lock
    window.quit_without_asking()
    window.shutdown()
    assert list(folder.iterdir()) == []  # and they go as it closes


def test_an_unwritable_data_folder_still_lets_a_window_use_a_model(tmp_path, caplog):
    models = tmp_path / "models"
    models.write_text("a file where the folder should be")
    in_use = ModelsInUse(models)
    in_use.mark("fcnn")  # noted nowhere, said in the log, no exception
    assert "cannot note the model in use" in caplog.text
    assert in_use.elsewhere() == []
    in_use.release()


def test_two_windows_on_one_data_folder_keep_each_others_model(qtbot, tmp_path, models_dir):
    """Two windows on one data folder (two DigitPads, as far as the files can tell): the
    first uses an old unnamed model, the second keeps new ones until it must make room."""
    first, second = (started_window(qtbot, tmp_path / f"{name}.ini") for name in ("1", "2"))
    old = kept_models(first.training.userdata.models, generated(KEEP_MODELS + 2))
    with qtbot.waitSignal(first.recognition.modelChanged, timeout=10_000):
        first.choose_model(str(old[0]))
    store = second.training.store
    store.keep(random_model(store.pending_path("fcnn"), seed=99))
    assert old[0].is_file()
    assert not old[1].exists()

    def title(window) -> str:
        window.training.refresh_models()
        menus = [a.menu() for a in window.training.models_menu.actions() if a.menu()]
        return next(m.title() for m in menus if m.title().startswith(old[0].stem))

    assert title(first).endswith(" — in use")
    assert title(second).endswith(" — in another window")
    second.training._confirm_delete_model(old[0])
    assert "Another DigitPad window uses it" in second.training.delete_box.text()
    second.training.delete_box.close()
    first.quit_without_asking()
    first.close()
    store.keep(random_model(store.pending_path("fcnn"), seed=100))
    assert not old[0].exists()
    second.quit_without_asking()
    second.shutdown()


@pytest.mark.parametrize("kind", ["retrained", "adapted"])
def test_a_renamed_model_is_never_pruned_however_many_runs_follow(tmp_path, kind):
    userdata = UserData(tmp_path / "data").ensure()
    store = ModelStore(Recognition("fcnn"), userdata)
    first = store.keep(random_model(store.pending_path("fcnn", kind), seed=0))
    os.utime(first, (time.time() - 3600,) * 2)
    mine = store.rename(first, "my first model")
    for seed in range(1, KEEP_MODELS + 3):
        store.keep(random_model(store.pending_path("fcnn", kind), seed=seed))
    assert mine.is_file()
    assert len(list(userdata.models.glob("*.npz"))) == KEEP_MODELS + 2  # the new one, 8, mine


def test_deleting_the_model_another_window_chose_for_the_next_start(qtbot, tmp_path, models_dir):
    """Two DigitPads share the settings: the second learned a model, which the next start
    would load; the first deletes it. The next start then loads the first's model rather
    than failing on a file that is gone, at every start."""
    ini = tmp_path / "digitpad.ini"
    windows = first, second = [started_window(qtbot, ini) for _ in range(2)]
    (theirs,) = kept_models(first.training.userdata.models, ["fcnn-adapted-20260301-100000"])
    with qtbot.waitSignal(second.recognition.modelChanged, timeout=10_000):
        second.choose_model(str(theirs))
    assert Settings(QSettings(str(ini), QSettings.Format.IniFormat)).model == str(theirs)
    assert first.training.delete_model(theirs)
    assert not theirs.exists()
    assert Settings(QSettings(str(ini), QSettings.Format.IniFormat)).model == "fcnn"
    # The first window's own model may have lost its file too: then the bundled one.
    mine, second_choice = kept_models(
        first.training.userdata.models, ["fcnn-adapted-20260302-100000", "my sevens"]
    )
    with qtbot.waitSignal(first.recognition.modelChanged, timeout=10_000):
        first.choose_model(str(mine))
    with qtbot.waitSignal(second.recognition.modelChanged, timeout=10_000):
        second.choose_model(str(second_choice))
    assert second.training.delete_model(mine)  # first's model, in use there, is gone
    assert first.training.delete_model(second_choice)
    assert Settings(QSettings(str(ini), QSettings.Format.IniFormat)).model == "fcnn"
    for window in windows:
        window.quit_without_asking()
        window.shutdown()
