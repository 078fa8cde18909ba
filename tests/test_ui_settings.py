"""Settings persist between runs, and a corrupted settings file never stops the app."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QCoreApplication, QSettings

from digitpad.ui.main_window import PEN_WIDTHS, MainWindow
from digitpad.ui.settings import (
    DEFAULT_PEN_WIDTH,
    MAX_SETTINGS_BYTES,
    Settings,
    damage,
    default_store,
    not_a_file,
    scratch_store,
    set_aside_if_damaged,
    settings_file,
)

pytest_plugins = ["ui_helpers"]
from ui_helpers import started_window  # noqa: E402


def reopen(settings: Settings) -> Settings:
    settings.sync()
    return Settings(QSettings(settings.store.fileName(), QSettings.Format.IniFormat))


def test_defaults(settings):
    assert settings.pen_width == DEFAULT_PEN_WIDTH
    assert settings.model == "fcnn"
    assert settings.live_prediction is True
    assert settings.window_geometry is None


def test_values_survive_a_restart(settings):
    settings.pen_width = 28
    settings.model = "cnn"
    settings.live_prediction = False
    again = reopen(settings)
    assert (again.pen_width, again.model, again.live_prediction) == (28, "cnn", False)


def test_corrupted_values_fall_back_to_defaults(settings, tmp_path):
    path = tmp_path / "digitpad.ini"
    path.write_text(
        "[canvas]\npen_width=banana\n[prediction]\nlive=perhaps\n"
        "[model]\nchoice=\n[window]\ngeometry=@ByteArray(garbage)\n"
    )
    broken = Settings(QSettings(str(path), QSettings.Format.IniFormat))
    assert broken.pen_width == DEFAULT_PEN_WIDTH
    assert broken.live_prediction is True
    assert broken.model == "fcnn"
    settings.pen_width = 10_000
    assert settings.pen_width == DEFAULT_PEN_WIDTH


def test_window_remembers_pen_model_live_and_geometry(window, qtbot, settings, models_dir):
    window.pen_actions["Thick"].trigger()
    window.live_check.setChecked(False)
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=5000):
        window.model_actions["cnn"].trigger()
    window.resize(700, 480)
    qtbot.wait(10)
    window.close()

    again = MainWindow(reopen(settings))
    qtbot.addWidget(again)
    assert again.canvas.pen_width() == PEN_WIDTHS["Thick"]
    assert not again.live_action.isChecked() and not again.live_check.isChecked()
    assert (again.width(), again.height()) == (700, 480)
    again.show()
    with qtbot.waitSignal(again.modelReady, timeout=5000):
        again.start()
    assert again.recognition.model.arch == "cnn"
    again.close()


@pytest.mark.parametrize("where", ["elsewhere", "models"])
def test_a_remembered_model_file_that_vanished_falls_back_to_fcnn(
    qtbot, settings, models_dir, tmp_path, private_user_data, where
):
    """Still the remembered model when it was elsewhere: what kept it from loading may pass
    (a drive not mounted). Deleted from DigitPad's own models folder (by another window,
    say), it is not coming back: the bundled FCNN becomes the choice."""
    from digitpad.userdata import UserData

    folder = tmp_path if where == "elsewhere" else UserData(private_user_data).models
    gone = folder / "fcnn-adapted-20260101-120000.npz"
    settings.model = str(gone)
    win = started_window(qtbot, settings)
    assert win.recognition.model.arch == "fcnn"
    assert "fcnn-adapted-20260101-120000.npz" in win.banner.text()
    if where == "elsewhere":
        assert reopen(settings).model == str(gone)
    else:
        assert "no longer among your models" in win.banner.text()
        assert reopen(settings).model == "fcnn"
    win.close()


def test_settings_follow_the_data_folder_never_the_real_users(private_user_data, qapp):
    """With DIGITPAD_DATA_DIR set (every test sets it), settings live in that folder."""
    from pathlib import Path

    from digitpad.ui.settings import Settings as AppSettings

    settings = AppSettings()
    settings.pen_width = 10.0
    settings.sync()
    stored = Path(settings.store.fileName())
    assert stored.parent == private_user_data and stored.is_file()
    assert AppSettings().pen_width == 10.0  # read back from the same place


def test_the_suite_never_writes_the_real_users_configuration(qapp):
    from conftest import CONFIG_HOME

    plain = QSettings("DigitPad", "DigitPad")
    assert plain.fileName().startswith(str(CONFIG_HOME))


def qt_written(path) -> bytes:
    store = QSettings(str(path), QSettings.Format.IniFormat)
    store.setValue("canvas/pen_width", 28.0)
    store.setValue("model/choice", "/tmp/mine é.npz")
    store.setValue("window/geometry", QByteArray(bytes(range(256))))
    store.setValue("retrain/request", '{"epochs": 3, "note": "a\\tb"}')
    store.sync()
    return path.read_bytes()


def test_a_file_qt_wrote_is_not_damaged(tmp_path):
    assert damage(qt_written(tmp_path / "s.ini")) is None
    assert damage(b"") is None


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"[model]\nchoice=cnn\njunk line\n", "line 3 is not a setting"),
        (b"\x00\xff[general\n[model]\nchoice=cnn\n", "not text"),
        (b"[model]\nchoice=c\x01nn\n", "line 2 is not a setting"),
        (b"[model]\n=cnn\n", "line 2 is not a setting"),
        (b"[model\nchoice=cnn\n", "line 1 is not a setting"),
        (b"[a]\n" + b"k=v\n" * (MAX_SETTINGS_BYTES // 4 + 1), "far larger"),
    ],
)
def test_damage_says_what_is_wrong(data, reason):
    assert reason in damage(data)


def test_a_damaged_file_is_kept_whole_and_what_qt_can_read_still_counts(tmp_path):
    path = tmp_path / "settings.ini"
    original = b"[canvas]\npen_width=28\nthis line broke\n[model]\nchoice=cnn\n"
    path.write_bytes(original)
    message = set_aside_if_damaged(path)
    kept = tmp_path / "settings.ini.damaged"
    assert kept.read_bytes() == original
    assert "line 3" in message and str(kept) in message
    again = Settings(QSettings(str(path), QSettings.Format.IniFormat))
    assert (again.pen_width, again.model) == (28, "cnn")
    # Qt drops the broken line at its next write; the copy still has it.
    again.pen_width = 10
    again.sync()
    assert b"this line broke" not in path.read_bytes()
    assert kept.read_bytes() == original


def test_a_huge_settings_file_is_moved_away_before_qt_reads_it(tmp_path):
    path = tmp_path / "settings.ini"
    path.write_bytes(b"[a]\n" + b"k=" + b"v" * MAX_SETTINGS_BYTES + b"\n")
    message = set_aside_if_damaged(path)
    assert not path.exists() and (tmp_path / "settings.ini.damaged").is_file()
    assert "All settings are back to their defaults" in message


def test_a_sound_or_missing_file_is_left_alone(tmp_path):
    path = tmp_path / "settings.ini"
    assert set_aside_if_damaged(path) is None
    data = qt_written(path)
    assert set_aside_if_damaged(path) is None
    assert path.read_bytes() == data and list(tmp_path.iterdir()) == [path]
    assert set_aside_if_damaged(None) is None


def test_a_damaged_file_that_cannot_be_copied_is_still_reported(tmp_path, monkeypatch):
    path = tmp_path / "settings.ini"
    path.write_bytes(b"broken\n")

    def refuse(*args):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("digitpad.ui.settings.shutil.copyfile", refuse)
    message = set_aside_if_damaged(path)
    assert "could not be kept (Permission denied)" in message
    assert path.read_bytes() == b"broken\n"


def test_the_file_checked_is_the_one_qt_reads(qapp, tmp_path, monkeypatch):
    monkeypatch.delenv("DIGITPAD_DATA_DIR", raising=False)
    names = QCoreApplication.organizationName(), QCoreApplication.applicationName()
    QCoreApplication.setOrganizationName("DigitPad")
    QCoreApplication.setApplicationName("DigitPad")
    try:
        assert settings_file() == Path(QSettings().fileName())
    finally:
        QCoreApplication.setOrganizationName(names[0])
        QCoreApplication.setApplicationName(names[1])
    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(tmp_path / "data"))
    assert settings_file() == Path(default_store().fileName())


def test_a_settings_file_that_is_a_fifo_or_a_folder_is_left_alone(tmp_path):
    fifo = tmp_path / "settings.ini"
    os.mkfifo(fifo)
    assert not_a_file(fifo) and not_a_file(tmp_path)
    assert not not_a_file(tmp_path / "missing.ini") and not not_a_file(None)
    # Opening a FIFO to read would wait for a writer for ever; this must not open it.
    assert "is not a regular file" in set_aside_if_damaged(fifo)
    assert not (tmp_path / "settings.ini.damaged").exists()
    store = scratch_store()
    Settings(store).pen_width = 30
    assert Settings(store).pen_width == 30 and Path(store.fileName()).parent != tmp_path


def test_a_data_folder_whose_name_is_not_text_keeps_no_settings_elsewhere(
    tmp_path, monkeypatch, qapp
):
    """Linux allows any bytes in a folder's name; Qt names files in UTF-8 and would have
    written the settings into a second folder, named with replacement characters."""
    folder = Path(os.fsdecode(os.fsencode(tmp_path) + b"/data\xff"))
    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(folder))
    path = settings_file()
    assert not_a_file(path)
    message = set_aside_if_damaged(path)
    assert "not valid text" in message
    message.encode("utf-8")  # shown in the window and logged as it is
    settings = Settings(default_store())
    settings.pen_width = 30
    settings.sync()
    assert Settings(settings.store).pen_width == 30
    assert [p.name for p in tmp_path.iterdir()] == []


def test_a_relative_data_folder_keeps_its_settings_in_it(tmp_path, monkeypatch, qapp):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DIGITPAD_DATA_DIR", "data")
    assert settings_file() == tmp_path / "data" / "settings.ini"
    assert Path(default_store().fileName()) == tmp_path / "data" / "settings.ini"
