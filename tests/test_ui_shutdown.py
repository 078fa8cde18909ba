"""Leaving the app: one shutdown stops everything, and a stuck worker cannot abort it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytest_plugins = ["ui_helpers"]

STUCK = textwrap.dedent(
    """
    import os, sys, threading, time
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication
    import digitpad.model_file
    from digitpad.ui import app as app_module
    from digitpad.ui.inference import Recognition, stray_threads

    started = threading.Event()

    def stuck(path):  # a model file on a network drive that stopped answering
        started.set()
        time.sleep(60)

    digitpad.model_file.load_model = stuck
    qt = QApplication([])
    recognition = Recognition()
    recognition.load_model("fcnn")
    assert started.wait(10)
    clean = recognition.shutdown(wait_ms=200)
    print(f"clean={clean} strays={stray_threads()}", flush=True)
    del recognition
    sys.exit(app_module.leave(0) if sys.argv[1] == "leave" else 0)
    """
)


@pytest.mark.parametrize("way", ["leave", "plain"])
def test_a_worker_stuck_in_a_job_cannot_abort_the_exit(way):
    result = subprocess.run(
        [sys.executable, "-c", STUCK, way], capture_output=True, text=True, timeout=60
    )
    assert "clean=False strays=1" in result.stdout, result.stderr
    if way == "leave":
        assert result.returncode == 0, result.stderr
        assert "Destroyed while thread" not in result.stderr
    else:
        # What leave() prevents: Python's own exit destroys the running thread and Qt aborts.
        assert result.returncode != 0


def test_closing_the_window_stops_every_part(window, qtbot):
    window.search.action.trigger()
    window.training.retrain_action.trigger()
    search, retrain = window.search.dialog, window.training.dialog
    assert search.isVisible() and retrain.isVisible()
    window.close()
    assert not search.isVisible() and not retrain.isVisible()
    assert not window.recognition._thread.isRunning()
    window.shutdown()  # a second time (the application quitting after) is harmless
