"""Shared fixtures: small synthetic data written by the tests themselves (never the network).

``mnist_folder`` writes a tiny MNIST-like set of IDX files (drawn digit shapes
with random jitter) in any of the layouts :mod:`training.data` reads; use the
``make_mnist_folder`` factory fixture for a non-default layout or size.
"""

from __future__ import annotations

import contextlib
import gzip
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitpad.strokes import render_strokes

try:  # optional: the leak check and alive() use it where installed, /proc or ps otherwise
    import psutil
except ImportError:
    psutil = None

# Headless Qt for every test; set before any test module creates a QApplication.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Any QSettings a test (or a child process it starts) makes without a data folder lands
# here, never in the real user's configuration; Qt reads this once, at first use.
CONFIG_HOME = Path(tempfile.mkdtemp(prefix="digitpad-test-config-"))
os.environ["XDG_CONFIG_HOME"] = str(CONFIG_HOME)
PROC = Path("/proc")
# The GUI tests load ui_helpers as a plugin and import its helpers: rewrite its asserts
# whichever comes first.
pytest.register_assert_rewrite("ui_helpers")


def alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie waiting to be reaped does not count).

    Works on Linux, macOS and Windows; where it cannot tell it raises rather than say no,
    so ``assert not alive(pid)`` never passes for want of a way to look.
    """
    if pid <= 0:
        raise ValueError(f"no such process id: {pid} (was the process ever started?)")
    if psutil is not None:
        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False
    if os.name == "nt":
        return _windows_alive(pid)
    try:
        os.kill(pid, 0)  # signal 0 only checks, on POSIX
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process: it exists
    return _posix_state(pid) not in ("", "Z")


def _posix_state(pid: int) -> str:
    """The process's state letter ("R", "S", "Z"…), or "" when it is gone."""
    if PROC.is_dir():
        try:
            stat = (PROC / str(pid) / "stat").read_text()
        except OSError:
            return ""
        return stat.rpartition(")")[2].split()[0]  # the name in (…) may hold spaces
    done = subprocess.run(
        ["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True, check=False
    )
    return done.stdout.strip()[:1]


def _windows_alive(pid: int) -> bool:
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        error = ctypes.get_last_error()
        if error == 87:  # ERROR_INVALID_PARAMETER: no such process
            return False
        if error == 5:  # ERROR_ACCESS_DENIED: it exists
            return True
        raise ctypes.WinError(error)
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            raise ctypes.WinError(ctypes.get_last_error())
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def child_processes() -> dict[int, str]:
    """This process's live children (not zombies): pid → command line."""
    me = os.getpid()
    if psutil is not None:
        children = {}
        for child in psutil.Process(me).children():
            try:
                if child.status() != psutil.STATUS_ZOMBIE:
                    children[child.pid] = " ".join(child.cmdline())
            except psutil.NoSuchProcess:
                pass
        return children
    if PROC.is_dir():
        children = {}
        for entry in PROC.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
                if int(fields[1]) != me or fields[0] == "Z":
                    continue
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except (OSError, IndexError, ValueError):
                continue  # gone while we looked
            children[int(entry.name)] = command.decode(errors="replace").strip()
        return children
    if os.name == "posix":
        done = subprocess.run(
            ["ps", "-ww", "-A", "-o", "pid=", "-o", "ppid=", "-o", "stat=", "-o", "command="],
            capture_output=True,
            text=True,
            check=True,
        )
        children = {}
        for line in done.stdout.splitlines():
            pid, ppid, state, *command = line.split(None, 3)
            if int(ppid) == me and not state.startswith("Z"):
                children[int(pid)] = " ".join(command)
        return children
    raise RuntimeError("the leak check needs psutil on this platform: pip install psutil")


# Threads started by libraries, which outlive the test that first used them by design.
# tqdm's monitor (tqdm._monitor.TMonitor, "tqdm_monitor"): started with the first bar, it
# stays for the rest of the process (tqdm 4.70 no longer stops it when the last bar closes).
LIBRARY_THREADS = {("tqdm._monitor", "TMonitor")}
# Qt's global QThreadPool: its workers (native name "Thread (pooled)") expire after 30 s idle.
LIBRARY_NATIVE_THREADS = {"Thread (pooled)"}
LEAK_GRACE_S = 5.0


def python_threads() -> set[threading.Thread]:
    """Threads Python started; a _DummyThread stands for a thread Python did not start
    (a QThread that logged), and before Python 3.12 it never leaves the list."""
    return {
        t
        for t in threading.enumerate()
        if t.is_alive()
        and not isinstance(t, threading._DummyThread)
        and (type(t).__module__, type(t).__qualname__) not in LIBRARY_THREADS
    }


def native_threads() -> dict[int, str]:
    """Linux: this process's native threads that have a name of their own, tid → name.

    A QThread is named by Qt (its objectName, or "QThread"); threads started by Python or
    by C libraries (OpenMP) keep the process's name and are left to :func:`python_threads`.
    """
    tasks = PROC / "self" / "task"
    if not tasks.is_dir():
        return {}
    process_name = (PROC / "self" / "comm").read_text().strip()
    named = {}
    for entry in tasks.iterdir():
        try:
            name = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if name != process_name and name not in LIBRARY_NATIVE_THREADS:
            named[int(entry.name)] = name
    return named


def _process_qt_events() -> None:
    qtcore = sys.modules.get("PySide6.QtCore")
    if qtcore is not None and qtcore.QCoreApplication.instance() is not None:
        qtcore.QCoreApplication.processEvents()


def _kill(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM)


def pytest_configure(config: pytest.Config) -> None:
    if psutil is None and not PROC.is_dir() and os.name != "posix":
        raise pytest.UsageError(
            "the tests' leak check needs psutil on this platform: pip install psutil"
        )


@pytest.fixture(autouse=True)
def no_leaks() -> Iterator[None]:
    """Fail a test that leaves a thread or a child process running after it ends.

    Threads and children that were there before the test are not its doing; those it
    started get :data:`LEAK_GRACE_S` to end. A leaked child is killed once reported.
    """
    threads, natives, children = python_threads(), native_threads(), child_processes()
    yield
    deadline = time.monotonic() + LEAK_GRACE_S
    while True:
        new_threads = python_threads() - threads
        new_natives = {t: n for t, n in native_threads().items() if t not in natives}
        new_children = {p: c for p, c in child_processes().items() if p not in children}
        if not (new_threads or new_natives or new_children) or time.monotonic() > deadline:
            break
        _process_qt_events()
        time.sleep(0.05)
    for pid in new_children:
        _kill(pid)
    leaks = [f"thread {t.name!r} ({t!r})" for t in sorted(new_threads, key=lambda t: t.name)]
    leaks += [f"native thread {name!r} (tid {tid})" for tid, name in new_natives.items()]
    leaks += [
        f"child process {pid}: {' '.join(command.split())[:300]}"
        for pid, command in new_children.items()
    ]
    if leaks:
        pytest.fail("the test leaked:\n  " + "\n  ".join(leaks), pytrace=False)


@pytest.fixture(autouse=True)
def private_user_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own DigitPad data folder: nothing touches the user's real one."""
    folder = tmp_path / "userdata"
    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(folder))
    return folder


def _circle(cx: float, cy: float, rx: float, ry: float, n: int = 16) -> list[list[float]]:
    return [
        [cx + rx * math.sin(2 * math.pi * i / n), cy - ry * math.cos(2 * math.pi * i / n)]
        for i in range(n + 1)
    ]


# One stroke sketch per digit in a unit square, y down; crude but clearly different shapes.
DIGIT_STROKES: dict[int, list[list[list[float]]]] = {
    0: [_circle(0.5, 0.5, 0.3, 0.45)],
    1: [[[0.35, 0.2], [0.55, 0.05], [0.55, 0.95]]],
    2: [
        [
            [0.2, 0.25],
            [0.35, 0.08],
            [0.65, 0.08],
            [0.8, 0.28],
            [0.7, 0.5],
            [0.2, 0.95],
            [0.85, 0.95],
        ]
    ],
    3: [[[0.2, 0.1], [0.75, 0.1], [0.45, 0.45], [0.8, 0.7], [0.6, 0.95], [0.2, 0.9]]],
    4: [[[0.6, 0.95], [0.6, 0.05], [0.15, 0.65], [0.85, 0.65]]],
    5: [
        [[0.8, 0.05], [0.25, 0.05], [0.2, 0.45], [0.7, 0.45], [0.8, 0.75], [0.6, 0.95], [0.2, 0.9]]
    ],
    6: [[[0.7, 0.05], [0.3, 0.4], [0.2, 0.75], [0.45, 0.95], [0.75, 0.8], [0.7, 0.55], [0.3, 0.6]]],
    7: [[[0.15, 0.05], [0.85, 0.05], [0.4, 0.95]]],
    8: [_circle(0.5, 0.27, 0.22, 0.22), _circle(0.5, 0.72, 0.27, 0.23)],
    9: [_circle(0.5, 0.3, 0.25, 0.25), [[0.75, 0.3], [0.65, 0.95]]],
}


def draw_digit(label: int, rng: np.random.Generator, canvas: int = 112) -> np.ndarray:
    """A jittered sketch of ``label`` as a 28×28 uint8 MNIST-style image (white ink on black)."""
    angle = rng.uniform(-0.2, 0.2)
    cos, sin = math.cos(angle), math.sin(angle)
    strokes = [
        [
            [0.5 + cos * (x - 0.5) - sin * (y - 0.5), 0.5 + sin * (x - 0.5) + cos * (y - 0.5)]
            for x, y in stroke
        ]
        for stroke in DIGIT_STROKES[label]
    ]
    box = (0.5 + rng.uniform(-0.03, 0.03), 0.5 + rng.uniform(-0.03, 0.03), rng.uniform(0.6, 0.72))
    image = render_strokes(strokes, canvas, box, pen_width=rng.uniform(7, 11))
    small = image.resize((28, 28), Image.Resampling.LANCZOS)
    return 255 - np.asarray(small, np.uint8)


def synthetic_digits(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.arange(count, dtype=np.uint8) % 10
    rng.shuffle(labels)
    images = np.stack([draw_digit(int(label), rng) for label in labels])
    return images, labels


def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + np.ascontiguousarray(array, np.uint8).tobytes()


LAYOUTS = ("torchvision", "kaggle", "torchvision-raw-subdir")


def write_mnist_folder(
    folder: Path,
    n_train: int = 200,
    n_test: int = 100,
    gz: bool = True,
    layout: str = "torchvision",
    seed: int = 0,
) -> Path:
    """Write train and test IDX files into ``folder`` (made if needed) and return ``folder``."""
    target = folder / "MNIST" / "raw" if layout == "torchvision-raw-subdir" else folder
    target.mkdir(parents=True, exist_ok=True)
    sep = "." if layout == "kaggle" else "-"
    for prefix, count, split_seed in (("train", n_train, seed), ("t10k", n_test, seed + 1)):
        images, labels = synthetic_digits(count, split_seed)
        for kind, dims, array, magic in (
            ("images", "idx3", images, 2051),
            ("labels", "idx1", labels, 2049),
        ):
            name = f"{prefix}-{kind}{sep}{dims}-ubyte" + (".gz" if gz else "")
            data = idx_bytes(array, magic)
            (target / name).write_bytes(gzip.compress(data) if gz else data)
    return folder


@pytest.fixture(scope="session")
def mnist_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 train / 100 test synthetic digits, gzipped, torchvision names. Do not modify."""
    return write_mnist_folder(tmp_path_factory.mktemp("mnist"))


@pytest.fixture
def make_mnist_folder(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``make_mnist_folder(n_train=, n_test=, gz=, layout=, seed=)`` → a fresh folder."""
    counter = iter(range(1000))

    def make(**kwargs) -> Path:
        return write_mnist_folder(tmp_path / f"mnist{next(counter)}", **kwargs)

    return make


@pytest.fixture
def unipen_file(tmp_path: Path) -> Path:
    """A small UniPen-format JSON.gz file: 3 orgs × 20 records of the sketched digits."""
    import json

    records = [
        {"label": label, "org": org, "writer": f"{org}{i}", "strokes": DIGIT_STROKES[label]}
        for org in ("syn", "apa", "aga")
        for i, label in enumerate(list(range(10)) * 2)
    ]
    path = tmp_path / "unipen.json.gz"
    path.write_bytes(gzip.compress(json.dumps(records).encode()))
    return path
