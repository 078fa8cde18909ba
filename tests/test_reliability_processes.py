"""Child processes that hang, flood or die: the app ends them and says what happened.

The children here are small stand-in scripts (started in place of ``digitpad
train``/``search``), so each test takes about a second; the retrain and
search dialogs and the main window around them are the real ones.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

pytest_plugins = ["ui_helpers"]
from conftest import alive  # noqa: E402
from ui_helpers import quit_and_stop, wait_success, wait_until_success  # noqa: E402

from digitpad.ui import child_process  # noqa: E402
from digitpad.ui.child_process import ChildProcess  # noqa: E402
from digitpad.ui.search_actions import ACTION_TEXT  # noqa: E402
from digitpad.ui.search_dialog import SearchDialog  # noqa: E402

# Ignores SIGTERM, prints nothing, then never ends; it touches a file once SIGTERM is ignored.
HUNG = r"""
import pathlib, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
pathlib.Path(sys.argv[1]).touch()
while True:
    time.sleep(1)
"""

# A search child that reports a trial, then keeps going until it is killed.
SEARCHING = r"""
import json, pathlib, sys, time
say = lambda **event: print(json.dumps(event), flush=True)
say(event="search_started", study="s", space={"lr": [1e-4, 1e-1]}, target_trials=9)
say(event="trial_started", trial=0, params={"lr": 0.01})
say(event="trial_finished", trial=0, value=0.5, params={"lr": 0.01})
pathlib.Path(sys.argv[1]).touch()
while True:
    time.sleep(1)
"""


@pytest.fixture
def child(monkeypatch, tmp_path, qtbot):
    """``child(script)``: the next runner start runs ``script``; returns ``ready(runner)``,
    which waits until the child is up and fails at once if the runner fails instead."""
    marker = tmp_path / "child-ready"

    def use(script: str):
        monkeypatch.setattr(
            child_process,
            "entry_command",
            lambda args: (sys.executable, ["-c", script, str(marker), *args]),
        )

        def ready(runner: ChildProcess) -> None:
            wait_until_success(qtbot, runner, marker.exists, timeout=10_000)

        return ready

    return use


def hung_run(child) -> tuple[ChildProcess, int]:
    """A training run whose child ignores SIGTERM and says nothing; (runner, child pid)."""
    ready = child(HUNG)
    runner = ChildProcess()
    runner.start(["train"])
    ready(runner)
    return runner, runner.pid()


def test_cancel_kills_a_silent_child_that_ignores_sigterm(qtbot, child):
    runner, pid = hung_run(child)
    ended = []
    for signal_ in (runner.finished, runner.failed, runner.cancelled):
        signal_.connect(lambda *args, s=signal_: ended.append(s))
    t0 = time.monotonic()
    with wait_success(qtbot, runner, runner.cancelled, timeout=5000):
        runner.cancel()
    assert time.monotonic() - t0 < 2.0
    assert not alive(pid) and not runner.running
    assert ended == [runner.cancelled]  # one ending, and it is "cancelled"


def test_stop_returns_in_bounded_time_with_a_hung_child(qtbot, child):
    runner, pid = hung_run(child)
    t0 = time.monotonic()
    with wait_success(qtbot, runner, runner.cancelled, timeout=5000):
        runner.stop()
    assert time.monotonic() - t0 < 3.0
    assert not alive(pid) and not runner.running


def test_a_flood_without_newlines_is_dropped_and_the_run_still_finishes(qtbot, child):
    flood = (
        "import json, sys\n"
        "sys.stdout.write('x' * (3 << 20)); sys.stdout.write('\\n')\n"
        "print(json.dumps({'event': 'done', 'model': 'm.npz', 'accuracy': 0.9}))\n"
    )
    child(flood)
    runner = ChildProcess()
    with wait_success(qtbot, runner, runner.finished, timeout=10_000) as blocker:
        runner.start([])
    assert blocker.args[0] == "m.npz"


def test_a_flood_on_stderr_gives_a_short_error_message(qtbot, child):
    child(
        "import sys\nsys.stderr.write('noise ' * 500_000 + '\\nFinal: it broke\\n')\n"
        "sys.stderr.write('e' * 2_000_000)\nsys.exit(2)\n"
    )
    runner = ChildProcess()
    with qtbot.waitSignal(runner.failed, timeout=10_000) as blocker:
        runner.start([])
    message = blocker.args[0]
    assert "exit status 2" in message
    assert len(message) < 2000, "a message the size of the flood cannot be shown"


# --- the dialogs around the runner ------------------------------------------------------------
@pytest.fixture
def retrain(window, tmp_path):
    """The window's retrain dialog, set to a data folder the stand-in child never reads."""
    window.training.retrain_action.trigger()
    dialog = window.training.dialog
    dialog.folder_radio.setChecked(True)
    dialog.folder_edit.setText(str(tmp_path))
    return dialog


def test_retrain_cancel_ends_a_hung_child(window, qtbot, child, retrain, private_user_data):
    ready = child(HUNG)
    before = window.recognition.model
    assert retrain.start_training()
    ready(retrain.runner)
    pid = retrain.runner.pid()
    t0 = time.monotonic()
    with wait_success(qtbot, retrain.runner, retrain.runner.cancelled, timeout=5000):
        retrain.cancel_button.click()
    assert time.monotonic() - t0 < 2.0 and not alive(pid)
    assert "Cancelled" in retrain.status_label.text() and retrain.start_button.isEnabled()
    assert not retrain.cancel_button.isEnabled()
    assert window.recognition.model is before
    pending = Path(private_user_data) / "models" / "pending"
    assert not pending.exists() or list(pending.iterdir()) == []


def test_closing_the_window_ends_a_hung_training_child(window, qtbot, child, retrain):
    ready = child(HUNG)
    assert retrain.start_training()
    ready(retrain.runner)
    pid = retrain.runner.pid()
    t0 = time.monotonic()
    quit_and_stop(window)
    assert time.monotonic() - t0 < 3.0
    assert not alive(pid) and not retrain.runner.running


@pytest.fixture
def search(window, tmp_path) -> SearchDialog:
    next(a for a in window.model_menu.actions() if a.text() == ACTION_TEXT).trigger()
    dialog = window.search.dialog
    assert dialog.isVisible()
    dialog.data_edit.setText(str(tmp_path))
    return dialog


def test_search_child_killed_mid_run_shows_an_error(qtbot, child, search):
    ready = child(SEARCHING)
    search.start_button.click()
    ready(search.runner)
    wait_until_success(qtbot, search.runner, lambda: search.table.rowCount() == 1, timeout=5000)
    with qtbot.waitSignal(search.runner.failed, timeout=5000):
        os.kill(search.runner.pid(), signal.SIGKILL)
    text = search.status_label.text()
    assert text.startswith("The search failed") and "stopped unexpectedly" in text
    assert search.start_button.isEnabled() and not search.cancel_button.isEnabled()
    assert search.table.item(0, 1).text() == "complete"  # what was reported stays
    assert search.retrain_button.isEnabled()


def test_search_cancel_ends_a_hung_child(qtbot, child, search):
    ready = child(HUNG)
    search.start_button.click()
    ready(search.runner)
    pid = search.runner.pid()
    with wait_success(qtbot, search.runner, search.runner.cancelled, timeout=5000):
        search.cancel_button.click()
    assert not alive(pid) and "Cancelled" in search.status_label.text()


@pytest.mark.parametrize("script", [SEARCHING, HUNG], ids=["searching", "hung"])
def test_closing_the_window_stops_the_search(window, qtbot, child, search, script):
    ready = child(script)
    search.start_button.click()
    ready(search.runner)
    pid = search.runner.pid()
    t0 = time.monotonic()
    quit_and_stop(window)
    assert time.monotonic() - t0 < 3.0
    assert not alive(pid), "the search child outlived the window"
    assert not search.running and not search.isVisible()
