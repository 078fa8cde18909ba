"""The app as a user starts it: window first, model next, and never torch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from digitpad.assets import bundled_model_path

SCRIPT = """
import sys
from digitpad.ui.app import run
code = run([])
sys.exit(3 if 'torch' in sys.modules else code)
"""


def test_app_starts_loads_the_model_and_never_imports_torch(tmp_path: Path):
    assert bundled_model_path("fcnn").is_file(), "the bundled FCNN is missing"
    report = tmp_path / "startup.txt"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "DIGITPAD_STARTUP_REPORT": str(report),
        # Keep the test's QSettings away from the user's own.
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "HOME": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    events = [line.split()[0] for line in report.read_text().splitlines()]
    assert events == ["window", "ready"]


def start_with_data_folder(tmp_path: Path, data: Path) -> tuple[list[str], str, str]:
    """Run the app on ``data`` until its first model is ready: (start-up events, log, stderr)."""
    report = tmp_path / "startup.txt"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "DIGITPAD_STARTUP_REPORT": str(report),
        "DIGITPAD_DATA_DIR": str(data),
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    events = [line.split()[0] for line in report.read_text().splitlines()]
    log = "".join(p.read_text() for p in (data / "logs").glob("*.log"))
    return events, log, done.stderr


def test_a_damaged_settings_file_is_kept_and_reported_and_the_app_still_starts(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    damaged = b"[canvas]\npen_width=30\n\x00 torn off half-way \xff\n"
    (data / "settings.ini").write_bytes(damaged)
    _events, log, stderr = start_with_data_folder(tmp_path, data)
    assert (data / "settings.ini.damaged").read_bytes() == damaged
    assert "settings file was damaged (it is not text)" in log
    assert "Traceback" not in stderr


def test_a_settings_file_that_is_a_fifo_does_not_stop_the_app(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    os.mkfifo(data / "settings.ini")
    events, log, _stderr = start_with_data_folder(tmp_path, data)
    assert events == ["window", "ready"]
    assert "settings.ini is not a regular file" in log
    assert (data / "settings.ini").is_fifo()


@pytest.mark.parametrize("name", ["digitpad.png", "digitpad.ico"])
def test_app_icon_exists(name):
    from digitpad.assets import resources_dir

    assert (resources_dir() / "icons" / name).stat().st_size > 1000


def test_work_deferred_to_the_first_frame_runs_once_after_it(qtbot):
    from PySide6.QtWidgets import QWidget

    from digitpad.ui.app import after_first_frame

    widget = QWidget()
    qtbot.addWidget(widget)
    widget.show()
    calls = []
    after_first_frame(widget, lambda: calls.append(widget.isVisible()), fallback_ms=2000)
    assert calls == []  # not before the event loop has shown the frame
    qtbot.waitUntil(lambda: calls == [True], timeout=1500)  # the frame, not the fallback
    widget.hide()
    widget.show()  # exposed again, and the fallback's time passes: nothing more runs
    qtbot.waitExposed(widget)
    qtbot.wait(2100)
    assert calls == [True]


def test_work_deferred_to_the_first_frame_still_runs_if_no_frame_comes(qtbot):
    from PySide6.QtWidgets import QWidget

    from digitpad.ui.app import after_first_frame

    widget = QWidget()
    qtbot.addWidget(widget)
    widget.create()  # a native window that is never shown, as when started minimised
    calls = []
    after_first_frame(widget, lambda: calls.append(1), fallback_ms=100)
    qtbot.wait(20)
    assert calls == []
    qtbot.waitUntil(lambda: calls == [1], timeout=2000)
