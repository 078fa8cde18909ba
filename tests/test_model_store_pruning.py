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
    window = MainWindow(Settings(QSettings(str(ini), QSettings.Format.IniFormat)))
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.modelReady, timeout=10_000):
        window.start()
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
