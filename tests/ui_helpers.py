"""Fixtures and helpers for the GUI tests (registered with ``pytest_plugins``).

Widgets are real and events are real: strokes are sent to the canvas as
QMouseEvents with the left button held, as a user's mouse would send them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path

# Before any QApplication exists: run without a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, QSettings, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget

from digitpad.assets import bundled_model_path
from digitpad.model_file import save_model
from digitpad.networks import ARCHITECTURES
from digitpad.ui import inference
from digitpad.ui.main_window import MainWindow
from digitpad.ui.settings import Settings

# Digit sketches in a unit square (y down), drawn with the mouse by the tests.
ONE = [[(0.35, 0.22), (0.55, 0.05), (0.55, 0.95)]]
SEVEN = [[(0.15, 0.05), (0.85, 0.05), (0.62, 0.5), (0.42, 0.95)]]
BUNDLED_FCNN = bundled_model_path("fcnn")


def random_model(
    path: Path, arch: str = "fcnn", seed: int = 0, accuracy: float | None = 0.5
) -> Path:
    """A valid model file with random weights, for tests that need no right answer (and no
    recorded accuracy when ``accuracy`` is None, as an adapted model)."""
    spec = ARCHITECTURES[arch]
    rng = np.random.default_rng(seed)
    sizes = {"hidden": 16} if arch == "fcnn" else {"channels": [4, 8], "hidden": 16}
    params = {
        name: rng.normal(0, 0.1, shape).astype(np.float32)
        for name, shape in spec.shapes(sizes).items()
    }
    recorded = {} if accuracy is None else {"test_accuracy": accuracy}
    save_model(path, arch, params, {"sizes": sizes, **recorded})
    return path


@contextmanager
def wait_success(qtbot, runner, signal, timeout: int = 120_000) -> Iterator:
    """``qtbot.waitSignal(signal)`` that fails at once, with the child's message and error
    kind, if ``runner`` (a :class:`~digitpad.ui.child_process.ChildProcess`) fails first.

    Use as ``with wait_success(qtbot, runner, runner.finished) as blocker: runner.start(…)``.
    """
    failures: list[tuple[str, str]] = []

    def record(message: str, kind: str) -> None:
        failures.append((message, kind))

    runner.failed.connect(record)
    try:
        with qtbot.waitSignal(signal, timeout=timeout, raising=True) as blocker:
            blocker.connect(runner.failed)  # ends the wait too
            yield blocker
    finally:
        runner.failed.disconnect(record)
    if failures:
        message, kind = failures[0]
        pytest.fail(f"the child process failed ({kind}) instead: {message}", pytrace=False)


def wait_until_success(qtbot, runner, condition: Callable[[], bool], timeout: int = 120_000):
    """``qtbot.waitUntil(condition)`` that fails at once if ``runner`` fails first."""
    failures: list[tuple[str, str]] = []

    def record(message: str, kind: str) -> None:
        failures.append((message, kind))

    runner.failed.connect(record)
    try:
        qtbot.waitUntil(lambda: bool(failures) or condition(), timeout=timeout)
    finally:
        runner.failed.disconnect(record)
    if failures:
        message, kind = failures[0]
        pytest.fail(f"the child process failed ({kind}) instead: {message}", pytrace=False)


@pytest.fixture
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Bundled models for the test: the real FCNN and a random-weight CNN.

    The real FCNN must exist (another part of the project trains and ships it);
    a missing one fails here with a clear message rather than skipping.
    """
    assert BUNDLED_FCNN.is_file(), f"the bundled model {BUNDLED_FCNN} is missing"
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy(BUNDLED_FCNN, folder / "fcnn.npz")
    random_model(folder / "cnn.npz", "cnn", accuracy=0.25)
    monkeypatch.setattr(inference, "bundled_model_path", lambda arch: folder / f"{arch}.npz")
    return folder


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings in a temporary ini file, never the user's own."""
    return Settings(QSettings(str(tmp_path / "digitpad.ini"), QSettings.Format.IniFormat))


def started_window(qtbot, settings: Settings) -> MainWindow:
    """A main window with ``settings``, on screen, its first model loaded (or failed to)."""
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.modelReady, timeout=10_000):
        win.start()
    return win


@pytest.fixture
def window(qtbot, settings: Settings, models_dir: Path) -> Iterator[MainWindow]:
    """The main window on screen with the bundled FCNN loaded."""
    win = started_window(qtbot, settings)
    yield win
    # Stop what runs even when a test left a child going (a plain close would ask first
    # and leave the recognition thread running for the garbage collector to abort on).
    win.quit_without_asking()
    win.shutdown()
    # Delete the Qt side now, while the QApplication exists, not at interpreter exit.
    win.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def send_mouse(
    widget: QWidget,
    kind: QEvent.Type,
    pos: QPointF,
    button: Qt.MouseButton = Qt.MouseButton.LeftButton,
) -> None:
    held = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else button
    global_pos = QPointF(widget.mapToGlobal(pos.toPoint()))
    event = QMouseEvent(
        kind,
        pos,
        global_pos,
        button if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton,
        held,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, event)


def drag(widget: QWidget, points: Sequence[tuple[float, float]]) -> None:
    """Press at the first point, move through the others, release at the last (widget px)."""
    qpoints = [QPointF(x, y) for x, y in points]
    send_mouse(widget, QEvent.Type.MouseButtonPress, qpoints[0])
    for point in qpoints[1:]:
        send_mouse(widget, QEvent.Type.MouseMove, point)
    send_mouse(widget, QEvent.Type.MouseButtonRelease, qpoints[-1])


def to_canvas(widget: QWidget, x: float, y: float, size: float = 0.7) -> tuple[float, float]:
    """A unit-square point placed in a centred square of ``size`` × the canvas's shorter side."""
    side = min(widget.width(), widget.height()) * size
    return (widget.width() - side) / 2 + x * side, (widget.height() - side) / 2 + y * side


def draw_sketch(widget: QWidget, strokes, steps: int = 8) -> None:
    """Draw unit-square strokes with the mouse, ``steps`` mouse moves per segment."""
    for stroke in strokes:
        points = []
        for (x0, y0), (x1, y1) in pairwise(stroke):
            points += [
                (x0 + (x1 - x0) * t / steps, y0 + (y1 - y0) * t / steps) for t in range(steps)
            ]
        points.append(stroke[-1])
        drag(widget, [to_canvas(widget, x, y) for x, y in points])


def ink_at(image: np.ndarray, widget: QWidget, x: float, y: float) -> int:
    """Darkness (0–255) of the canvas image at widget point (x, y), at device resolution."""
    ratio = image.shape[1] / widget.width()
    return 255 - int(image[int(y * ratio), int(x * ratio)])


class Mouse:
    """The drawing helpers, handed to tests by the ``mouse`` fixture."""

    ONE = ONE
    SEVEN = SEVEN
    send = staticmethod(send_mouse)
    drag = staticmethod(drag)
    draw = staticmethod(draw_sketch)
    ink_at = staticmethod(ink_at)
    to_canvas = staticmethod(to_canvas)

    @staticmethod
    def press(widget: QWidget, x: float, y: float) -> None:
        send_mouse(widget, QEvent.Type.MouseButtonPress, QPointF(x, y))

    @staticmethod
    def move(widget: QWidget, x: float, y: float) -> None:
        send_mouse(widget, QEvent.Type.MouseMove, QPointF(x, y))

    @staticmethod
    def release(widget: QWidget, x: float, y: float) -> None:
        send_mouse(widget, QEvent.Type.MouseButtonRelease, QPointF(x, y))


@pytest.fixture
def mouse() -> type[Mouse]:
    return Mouse


@pytest.fixture
def make_model(tmp_path: Path):
    """Factory: ``make_model(name, arch="fcnn", seed=0, accuracy=0.5)`` → a random-weight file."""

    def make(name: str, arch: str = "fcnn", seed: int = 0, accuracy: float = 0.5) -> Path:
        return random_model(tmp_path / name, arch, seed, accuracy)

    return make


@pytest.fixture
def canvas(qtbot):
    """A 300×300 canvas on screen with an 18 px pen."""
    from digitpad.ui.canvas import DrawingCanvas

    widget = DrawingCanvas(pen_width=18)
    qtbot.addWidget(widget)
    widget.resize(300, 300)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def quit_and_stop(window) -> None:
    """Close ``window`` the way a user does while a child runs: close, then confirm."""
    window.close()
    box = getattr(window, "quit_box", None)
    if window.isVisible() and box is not None and box.isVisible():
        next(b for b in box.buttons() if b.text() == "Quit and stop it").click()


def trigger_learning(learner) -> None:
    """Model → Learn my handwriting, answering "Learn anyway" when it asks about corrections
    that overrule an answer the model was sure of (most tests save a 7 it reads well as
    another digit)."""
    learner.action.trigger()
    box = learner.question
    if box is not None and box.isVisible():
        box.button(box.StandardButton.Yes).click()


def start_learning(window, qtbot, mouse: type[Mouse]):
    """Correct one drawing and start Learn my handwriting: a child runs; its learner."""
    mouse.draw(window.canvas, mouse.SEVEN)
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        window.predict()
    window.training.correct(1)
    learner = window.training.learner
    trigger_learning(learner)
    # Its corrections are copied first, then the child starts.
    qtbot.waitUntil(lambda: learner.runner.running or not learner.busy, timeout=10_000)
    assert learner.runner.running, window.banner.text()
    return learner
