"""Recognition off the GUI thread: a worker on a QThread and its GUI-side client.

:class:`InferenceWorker` lives on the worker thread; each slot does one job
(load a model, open an image, predict) and answers with a signal. Nothing else
crosses the thread boundary.

:class:`Recognition` lives on the GUI thread and owns the thread and the worker.
Every request carries a sequence number; only the answer to the newest request
is passed on, so a slow answer for an old drawing never replaces a newer one.
At most one prediction is in flight and at most one waits behind it (the newest;
an older waiting request is simply replaced), so drawing fast never builds a
queue of stale work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QImage

from digitpad.assets import bundled_model_path
from digitpad.ui.canvas import grey_pixels
from digitpad.ui.settings import BUNDLED_MODELS

log = logging.getLogger(__name__)

LIVE_INTERVAL_MS = 50
SHUTDOWN_WAIT_MS = 3000
# Worker threads that did not stop when asked (a model or image load stuck on a dead
# network drive, say). Qt aborts the process when a running QThread is destroyed, so
# they stay referenced here and the app leaves through :func:`leave`.
_STRAYS: list[tuple[QThread, QObject]] = []


def stray_threads() -> int:
    """How many recognition threads are still running after their shutdown."""
    return sum(thread.isRunning() for thread, _worker in _STRAYS)


class Page(NamedTuple):
    """A picture opened from a file, as it was loaded: :meth:`Recognition.predict` reads it
    as one (its page cleaned), as when it was opened."""

    image: Any


def model_path(source: str) -> Path:
    """The file for a model choice: a bundled name (``fcnn``, ``cnn``) or a path."""
    return bundled_model_path(source) if source in BUNDLED_MODELS else Path(source)


class InferenceWorker(QObject):
    """Loads models and recognises images on whatever thread it was moved to."""

    modelLoaded = Signal(int, object)
    modelFailed = Signal(int, str)
    predicted = Signal(int, object)  # request, Prediction
    predictionFailed = Signal(int, str)
    # request, picture to show, Prediction
    imageOpened = Signal(int, QImage, object, object)
    imageFailed = Signal(int, str)

    def __init__(self) -> None:
        super().__init__()
        self._model = None
        # Set from the window's thread: predictions also carry "why this answer".
        self.explain = False

    @Slot(int, str)
    def load_model(self, request: int, path: str) -> None:
        # Imported here, on the worker thread, so the window is up before any of it loads;
        # the recogniser too (NumPy, Pillow), so the first prediction does not pay for it
        # and the window's own later imports of them find them loaded.
        import digitpad.recognizer  # noqa: F401
        from digitpad.model_file import ModelFileError, load_model

        try:
            model = load_model(path)
        except ModelFileError as exc:
            self.modelFailed.emit(request, str(exc))
            return
        except Exception as exc:  # a bug must reach the window, not kill the thread
            log.exception("loading model %s failed", path)
            self.modelFailed.emit(request, f"could not load {path}: {exc}")
            return
        self._model = model
        self._warm_up()
        self.modelLoaded.emit(request, model)

    def _warm_up(self) -> None:
        """Recognise one made-up stroke now, so that what a first prediction does only once
        (late imports, first allocations, code paged in from disk) is paid here, before the
        user's first stroke, rather than as a stall of the window while they draw."""
        import numpy as np

        stroke = np.full((56, 56), 255, np.uint8)
        stroke[10:46, 26:30] = 0
        # As the canvas sends it: a colour image, converted here.
        snapshot = QImage(stroke.data, 56, 56, 56, QImage.Format.Format_Grayscale8).convertToFormat(
            QImage.Format.Format_ARGB32_Premultiplied
        )
        try:
            self._predict(snapshot)
        except Exception:  # the user's own prediction will say what is wrong
            log.exception("warming up the recogniser failed")

    @Slot(int, object)
    def predict(self, request: int, image: Any) -> None:
        try:
            prediction = self._predict(image)
        except Exception as exc:
            log.exception("prediction failed")
            self.predictionFailed.emit(request, f"recognition failed: {exc}")
            return
        self.predicted.emit(request, prediction)

    @Slot(int, str)
    def open_image(self, request: int, path: str) -> None:
        from digitpad.images import load_image

        self._open(request, lambda: load_image(path), Path(path).name)

    @Slot(int, QImage)
    def open_pasted(self, request: int, pasted: QImage) -> None:
        self._open(request, lambda: _from_qimage(pasted), "The picture pasted")

    def _open(self, request: int, load: Callable[[], Any], name: str) -> None:
        """Load a picture, show it and read it as a page, or say why it cannot be."""
        from digitpad.images import ImageLoadError

        try:
            image = load()
            picture = _to_qimage(image)
            prediction = self._predict(image, page=True)
        except ImageLoadError as exc:
            self.imageFailed.emit(request, str(exc))
            return
        except Exception as exc:
            log.exception("opening %s failed", name)
            self.imageFailed.emit(request, f"{name} could not be opened: {exc}")
            return
        self.imageOpened.emit(request, picture, prediction, Page(image))

    def _predict(self, image: Any, page: bool = False):
        """``image`` read by the model; ``page``: it was opened from a file (a photo, perhaps)."""
        from digitpad.recognizer import predict

        if self._model is None:
            raise RuntimeError("no model is loaded yet")
        if isinstance(image, QImage):  # a canvas snapshot: converted here, not on the GUI thread
            image = grey_pixels(image)
        elif isinstance(image, Page):
            image, page = image.image, True
        return predict(self._model, image, explain=self.explain, page=page)


def _from_qimage(image: QImage):
    """A pasted QImage as the PIL image a file of it would load as: RGBA (RGB when it is
    opaque), no larger than recognition reads."""
    import numpy as np
    from PIL import Image

    from digitpad.images import fitted

    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
    w, h = rgba.width(), rgba.height()
    rows = np.frombuffer(rgba.constBits(), np.uint8, count=rgba.sizeInBytes())
    pixels = rows.reshape(h, rgba.bytesPerLine())[:, : 4 * w].reshape(h, w, 4).copy()
    picture = Image.fromarray(pixels)
    return fitted(picture if pixels[..., 3].min() < 255 else picture.convert("RGB"))


def _to_qimage(image) -> QImage:
    """A PIL image as a QImage that owns its pixels (safe to send between threads)."""
    import numpy as np

    rgba = np.ascontiguousarray(np.asarray(_on_backdrop(image.convert("RGBA"))))
    h, w = rgba.shape[:2]
    return QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()


def _on_backdrop(rgba):
    """``rgba`` made opaque over the backdrop recognition puts behind transparent pixels.

    Shown as it is, white ink on a transparent layer vanishes on a white canvas (and
    black ink on a dark one) while the model still reads it.
    """
    import numpy as np
    from PIL import Image

    from digitpad.preprocess import transparent_backdrop

    if rgba.getextrema()[3][0] == 255:
        return rgba
    la = np.asarray(rgba.convert("LA"), np.float32) / 255.0
    level = round(255 * transparent_backdrop(la[..., 0], la[..., 1]))
    return Image.alpha_composite(Image.new("RGBA", rgba.size, (level, level, level, 255)), rgba)


class Recognition(QObject):
    """The GUI side: sends requests to the worker and passes on only current answers.

    ``predictionReady(Prediction)`` and ``predictionFailed(message)`` answer the
    newest drawing; ``modelChanged(Model, source)`` and ``modelFailed(message,
    source)`` answer :meth:`load_model`; ``imageOpened(QImage, Prediction, Page)``
    (shown, read, and the picture to read again: :meth:`predict` takes it) and
    ``imageFailed(message)`` answer :meth:`open_image` and :meth:`open_pasted`.
    """

    predictionReady = Signal(object)
    predictionFailed = Signal(str)
    modelChanged = Signal(object, str)
    modelFailed = Signal(str, str)
    imageOpened = Signal(QImage, object, object)
    imageFailed = Signal(str)

    _predictRequested = Signal(int, object)
    _loadRequested = Signal(int, str)
    _openRequested = Signal(int, str)
    _pasteRequested = Signal(int, QImage)

    def __init__(self, parent: QObject | None = None, interval_ms: int = LIVE_INTERVAL_MS) -> None:
        super().__init__(parent)
        self._latest = 0
        self._in_flight = False
        self._pending: tuple[int, Any] | None = None
        self._model = None
        self._model_source: str | None = None
        self._load_sources: dict[int, str] = {}
        self._answered: set[int] = set()  # the loads that have loaded or failed
        self._live_source: Callable[[], Any] | None = None
        self.sent = 0  # predictions handed to the worker, for tests and benchmarks

        self._live_timer = QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_timer.setInterval(interval_ms)
        self._live_timer.timeout.connect(self._predict_live)

        self._thread = QThread()
        self._thread.setObjectName("digitpad-inference")
        self._worker = InferenceWorker()
        self._worker.moveToThread(self._thread)
        self._thread.finished.connect(self._worker.deleteLater)
        self._predictRequested.connect(self._worker.predict)
        self._loadRequested.connect(self._worker.load_model)
        self._openRequested.connect(self._worker.open_image)
        self._pasteRequested.connect(self._worker.open_pasted)
        self._worker.predicted.connect(self._on_predicted)
        self._worker.predictionFailed.connect(self._on_prediction_failed)
        self._worker.modelLoaded.connect(self._on_model_loaded)
        self._worker.modelFailed.connect(self._on_model_failed)
        self._worker.imageOpened.connect(self._on_image_opened)
        self._worker.imageFailed.connect(self._on_image_failed)
        self._thread.start()

    # --- state ----------------------------------------------------------------------
    @property
    def model(self):
        """The model answering predictions, or None before the first one loaded."""
        return self._model

    @property
    def model_source(self) -> str | None:
        return self._model_source

    @property
    def busy(self) -> bool:
        return self._in_flight

    @property
    def loading(self) -> bool:
        """Whether a model asked for has not loaded or failed yet (told before the answer's
        signal, so a slot of ``modelFailed`` sees whether another load is still coming)."""
        return len(self._answered) < len(self._load_sources)

    @property
    def answered_all(self) -> bool:
        """Whether models were asked for and every one has loaded or failed: with no model
        in, none is coming."""
        return bool(self._load_sources) and not self.loading

    # --- requests -----------------------------------------------------------------------
    def load_model(self, source: str) -> None:
        """Load ``source`` (``fcnn``, ``cnn`` or a path); the current model stays if it fails."""
        request = len(self._load_sources) + 1
        self._load_sources[request] = source
        self._loadRequested.emit(request, str(model_path(source)))

    def set_explain(self, on: bool) -> None:
        """Whether predictions from now on carry the evidence for their answer."""
        self._worker.explain = bool(on)

    def predict(self, image: Any) -> int:
        """Recognise ``image`` now (or right after the prediction in flight); returns its number."""
        self._live_timer.stop()
        self._latest += 1
        if self._in_flight:
            self._pending = (self._latest, image)
        else:
            self._send(self._latest, image)
        return self._latest

    def schedule(self, source: Callable[[], Any]) -> None:
        """Live prediction: recognise ``source()`` soon, at most once per interval.

        The timer is not restarted by every call, so predictions keep coming
        while the pen moves instead of waiting for it to stop.
        """
        self._live_source = source
        if not self._live_timer.isActive():
            self._live_timer.start()

    def cancel(self) -> None:
        """Forget every request made so far: their answers will be dropped."""
        self._live_timer.stop()
        self._latest += 1
        self._pending = None

    def open_image(self, path: str) -> None:
        """Open an image file and recognise it; this supersedes any drawing request."""
        self.cancel()
        self._openRequested.emit(self._latest, path)

    def open_pasted(self, image: QImage) -> None:
        """Recognise a picture pasted from the clipboard, as an opened file is."""
        self.cancel()
        self._pasteRequested.emit(self._latest, image)

    def shutdown(self, wait_ms: int = SHUTDOWN_WAIT_MS) -> bool:
        """Stop the worker thread; False when it is stuck in a job and was left running."""
        self._live_timer.stop()
        self._pending = None
        self._thread.quit()
        if self._thread.wait(wait_ms):
            return True
        if all(thread is not self._thread for thread, _worker in _STRAYS):
            log.warning("the recognition thread did not stop within %d ms; leaving it", wait_ms)
            _STRAYS.append((self._thread, self._worker))
        return False

    # --- answers ---------------------------------------------------------------------------
    def _send(self, request: int, image: Any) -> None:
        self._in_flight = True
        self.sent += 1
        self._predictRequested.emit(request, image)

    def _predict_live(self) -> None:
        if self._live_source is not None:
            self.predict(self._live_source())

    def _next(self) -> None:
        self._in_flight = False
        if self._pending is not None:
            request, image = self._pending
            self._pending = None
            self._send(request, image)

    @Slot(int, object)
    def _on_predicted(self, request: int, prediction: Any) -> None:
        self._next()
        if request == self._latest:
            self.predictionReady.emit(prediction)

    @Slot(int, str)
    def _on_prediction_failed(self, request: int, message: str) -> None:
        self._next()
        if request == self._latest:
            self.predictionFailed.emit(message)

    @Slot(int, object)
    def _on_model_loaded(self, request: int, model: Any) -> None:
        self._answered.add(request)
        self._model = model
        self._model_source = self._load_sources[request]
        self.modelChanged.emit(model, self._model_source)

    @Slot(int, str)
    def _on_model_failed(self, request: int, message: str) -> None:
        self._answered.add(request)
        self.modelFailed.emit(message, self._load_sources[request])

    @Slot(int, QImage, object, object)
    def _on_image_opened(
        self, request: int, picture: QImage, prediction: Any, source: Page
    ) -> None:
        if request == self._latest:
            self.imageOpened.emit(picture, prediction, source)

    @Slot(int, str)
    def _on_image_failed(self, request: int, message: str) -> None:
        if request == self._latest:
            self.imageFailed.emit(message)
