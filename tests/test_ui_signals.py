"""A logout, ``kill`` or Ctrl+C quits the app cleanly: settings saved, children stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digitpad.ui.signals import SignalWatcher

pytest_plugins = ["ui_helpers"]
from ui_helpers import start_learning  # noqa: E402

# Windows has no way to send a signal that a process may handle: os.kill ends it.
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def wakeup_fd() -> int:
    fd = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(fd)
    return fd


def test_a_signal_wakes_the_event_loop_and_everything_comes_back(qtbot):
    before, fd = signal.getsignal(signal.SIGTERM), wakeup_fd()
    got: list[int] = []
    watcher = SignalWatcher(got.append)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        qtbot.waitUntil(lambda: got == [signal.SIGTERM], timeout=3000)
    finally:
        watcher.close()
    # Else the next signal would write a byte into whatever file takes the socket's number.
    assert signal.getsignal(signal.SIGTERM) is before and wakeup_fd() == fd


def test_a_signal_ignored_at_the_start_stays_ignored(qtbot):
    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as nohup starts it
    got: list[int] = []
    watcher = SignalWatcher(got.append)
    try:
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        os.kill(os.getpid(), signal.SIGHUP)
        os.kill(os.getpid(), signal.SIGTERM)
        qtbot.waitUntil(lambda: got == [signal.SIGTERM], timeout=3000)
    finally:
        watcher.close()
        signal.signal(signal.SIGHUP, before)


def test_a_signal_stops_a_running_child_without_asking(qtbot, window, mouse):
    learner = start_learning(window, qtbot, mouse)
    assert learner.busy
    watcher = SignalWatcher(lambda _number: window.quit_without_asking())
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
    finally:
        watcher.close()
    assert getattr(window, "quit_box", None) is None  # nobody was asked
    qtbot.waitUntil(lambda: not learner.busy, timeout=10_000)


def test_sigterm_closes_the_window_as_quitting_does(tmp_path: Path):
    data = tmp_path / "data"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "DIGITPAD_DATA_DIR": str(data),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    app = subprocess.Popen(
        [sys.executable, "-m", "digitpad"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while not list((data / "logs").glob("*.log")) and time.monotonic() < deadline:
            assert app.poll() is None, app.communicate()
            time.sleep(0.1)
        time.sleep(0.5)  # the start after the first frame goes on a little
        app.send_signal(signal.SIGTERM)
        _out, err = app.communicate(timeout=30)
    finally:
        app.kill()
    assert app.returncode == 128 + signal.SIGTERM, err
    assert b"Traceback" not in err
    settings = (data / "settings.ini").read_text(encoding="utf-8")
    assert "geometry=" in settings  # closed as a window closes, not killed
