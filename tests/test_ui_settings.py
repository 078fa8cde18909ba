"""Settings persist between runs, and a corrupted settings file never stops the app."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from digitpad.ui.main_window import PEN_WIDTHS, MainWindow
from digitpad.ui.settings import DEFAULT_PEN_WIDTH, Settings

pytest_plugins = ["ui_helpers"]


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


def test_a_remembered_model_file_that_vanished_falls_back_to_fcnn(
    qtbot, settings, models_dir, tmp_path
):
    settings.model = str(tmp_path / "gone.npz")
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.modelReady, timeout=5000):
        win.start()
    assert win.recognition.model.arch == "fcnn"
    assert "gone.npz" in win.banner.text()
    # Still the remembered model: what kept it from loading may pass (a drive not mounted).
    assert reopen(settings).model == str(tmp_path / "gone.npz")
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
