"""The leak check in conftest.py fails a test that leaves a thread or a child process behind."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import conftest
import pytest
from conftest import alive, child_processes

pytest_plugins = ["pytester"]

LEAKY = """
import subprocess, sys, threading, time

def test_leaks_a_thread():
    threading.Thread(target=time.sleep, args=(30,), name="forgotten", daemon=True).start()

def test_leaks_a_child():
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])

def test_cleans_up():
    thread = threading.Thread(target=time.sleep, args=(0.2,), name="short")
    thread.start()
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
"""


def test_a_leaked_thread_or_child_fails_the_test(pytester: pytest.Pytester):
    conftest = (Path(__file__).parent / "conftest.py").read_text()
    assert "LEAK_GRACE_S = 5.0" in conftest
    pytester.makeconftest(conftest.replace("LEAK_GRACE_S = 5.0", "LEAK_GRACE_S = 0.5"))
    pytester.makepyfile(test_leaky=LEAKY)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, errors=2)
    result.stdout.fnmatch_lines(["*leaked*", "*thread 'forgotten'*"])
    result.stdout.fnmatch_lines(["*leaked*", "*child process *time.sleep(60)*"])


@pytest.fixture(params=["as installed", "ps"])
def way_to_look(request, monkeypatch) -> str:
    """Look at processes as this machine does, and as a machine without /proc or psutil
    (macOS without psutil) does: through ``ps``."""
    if request.param == "ps":
        if os.name != "posix":
            pytest.skip("ps is a POSIX command")
        monkeypatch.setattr(conftest, "PROC", Path("/no/proc/here"))
        monkeypatch.setattr(conftest, "psutil", None)
    return request.param


def test_alive_and_child_processes_see_a_child(way_to_look):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert alive(child.pid)
        assert child.pid in child_processes()
        assert "time.sleep(30)" in child_processes()[child.pid]
        child.kill()
        if os.name == "posix":
            # Killed but not yet reaped: a zombie, which is not alive.
            wait_until_zombie(child.pid)
            assert not alive(child.pid)
            assert child.pid not in child_processes()
    finally:
        child.kill()
        child.wait()
    assert not alive(child.pid)
    assert child.pid not in child_processes()
    assert alive(os.getpid())
    with pytest.raises(ValueError):
        alive(0)


def wait_until_zombie(pid: int) -> None:
    deadline = time.monotonic() + 10
    while conftest._posix_state(pid) != "Z":
        assert time.monotonic() < deadline, "the killed child never became a zombie"
        time.sleep(0.01)
