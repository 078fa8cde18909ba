"""The main window: composes the widgets and wires them to recognition and settings.

It holds no recognition logic and no drawing logic of its own: the canvas
draws, :class:`~digitpad.ui.inference.Recognition` recognises on its thread,
and the window passes results to the bars and the model-input view.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import PySide6
from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal, qVersion
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QFont,
    QKeySequence,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from digitpad import __version__
from digitpad.networks import ARCHITECTURES
from digitpad.ui.canvas import DrawingCanvas
from digitpad.ui.colours import make_disabled_readable
from digitpad.ui.dialog_fit import FitsTheScreen, scrolling
from digitpad.ui.inference import Recognition
from digitpad.ui.message_banner import MessageBanner
from digitpad.ui.model_view import ModelInputView
from digitpad.ui.probability_bars import ProbabilityBars, percent
from digitpad.ui.settings import (
    BUNDLED_MODELS,
    DEFAULT_MODEL,
    Settings,
    SettingsError,
    app_data_root,
)
from digitpad.userdata import UserData
from digitpad.words import a_digit, os_reason, plural

if TYPE_CHECKING:
    from collections.abc import Callable

    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QMessageBox

    from digitpad.recognizer import Prediction

PEN_WIDTHS = {"Thin": 8.0, "Medium": 18.0, "Thick": 30.0}  # on a 280 px canvas
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"
MODEL_FILTER = "DigitPad models (*.npz);;All files (*)"
SEEN = "What the model sees"
NBSP = "\u00a0"
MODEL_LABELS = {name: f"{arch.label} (bundled)" for name, arch in ARCHITECTURES.items()}

SPACING = 8  # between the parts of the side panel, in pixels
# What the panel says of a drawing made with live prediction off, until Predict is pressed.
AWAITING_PREDICT = "Press Predict (Enter) to read this drawing"
# How often the question before quitting looks again at what still runs.
QUIT_QUESTION_MS = 300
MIN_CANVAS = 240  # the canvas never shrinks below this square
# A notice of work done in the background waits until the pen has been up this long: the
# strip it shows in moves the canvas down, which must not happen between two strokes.
BETWEEN_STROKES_S = 1.0

log = logging.getLogger(__name__)


def quit_question(busy: str) -> str:
    """Asked before quitting while ``busy`` (what runs, in words), and once it has ended."""
    if not busy:
        return "Nothing is running any more. Quit DigitPad?"
    return f"{busy[0].upper()}{busy[1:]} is still running. Quit and stop it?"


def deleted_from(source: str, folder: Path) -> bool:
    """Whether model ``source`` was a file in ``folder`` that is not there any more."""
    try:
        path = Path(source)
        return path.parent.resolve() == folder.resolve() and not path.exists()
    except (OSError, ValueError):
        return False


def scaled_font(base: QFont, factor: float, bold: bool = False) -> QFont:
    """``base`` scaled by ``factor`` (the window's type scale: 1, 1.15, 3)."""
    font = QFont(base)
    font.setPointSizeF(base.pointSizeF() * factor)
    font.setBold(bold)
    return font


def result_words(digit: int | None, confidence: float | None, reason: str = "") -> str:
    """The answer as a screen reader says it: the large digit alone would be read as "7"
    with no word of what it is or how sure."""
    if digit is None:
        return f"No digit recognised: {reason}" if reason else "No digit recognised"
    sure = "" if confidence is None else f", {percent(confidence)} sure"
    return f"Recognised digit: {digit}{sure}"


def versions_text() -> str:
    """The versions of what DigitPad runs on, shown in Help → About under its own (no torch:
    the app never loads it)."""
    import platform

    import numpy

    return (
        f"Qt {qVersion()}, PySide6 {PySide6.__version__}\n"
        f"NumPy {numpy.__version__}\n"
        f"Python {platform.python_version()} on {platform.system()}"
    )


class MainWindow(FitsTheScreen, QMainWindow):
    """Canvas on the left; prediction, bars and the model's view on the right.

    It opens within the free area of its screen; where that is shorter than the side
    panel (an 800×480 screen, large fonts) the panel scrolls, the canvas stays whole.
    """

    # Emitted once, when the first model is ready to answer.
    modelReady = Signal()

    def __init__(self, settings: Settings, recognition: Recognition | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.recognition = recognition or Recognition(self)
        self._about: QMessageBox | None = None
        self._settings_failed = False
        # A drawing changed since the last answer, with live prediction off; and why the last
        # drawing read was refused (no digit in it), until the next stroke.
        self.awaiting_predict = False
        self.refusal: str | None = None
        self._quit_confirmed = False  # the user said yes to stopping a running child
        self._reveal_why = False  # Why this answer just turned on: scroll its picture into view
        # The log file errors are recorded in; the banner says where it is.
        self.log_path: Path | None = None
        self.setWindowTitle("DigitPad")
        self.setAcceptDrops(False)
        make_disabled_readable()

        self._build_widgets()
        self._build_actions()
        self._build_menus()
        self._wire()
        # Retraining, corrections and search join the Model menu once the first model is
        # loaded (see _add_training_actions): the first frame needs none of them.
        self.training = None
        self.search = None
        self._falling_back = False  # loading the bundled model in place of the remembered one
        # A picture opened or pasted before any model was in: it opens once one is.
        self._once_loaded: Callable[[], None] | None = None
        self._show_empty("Nothing drawn yet")
        self.statusBar().showMessage("Loading the model…")
        geometry = settings.window_geometry
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(780, 520)

    # --- composition -----------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.banner = MessageBanner(self)
        self.canvas = DrawingCanvas(self, pen_width=self.settings.pen_width)
        self.canvas.setMinimumSize(MIN_CANVAS, MIN_CANVAS)
        # The answer: the digit large, how sure below it (one step of the type scale).
        self.result_label = QLabel("–", self)
        self.result_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.result_label.setFont(scaled_font(self.font(), 3.0, bold=True))
        self.result_label.setAccessibleName(result_words(None, None))
        self._announced = ""  # the answer last spoken, so an unchanged one is not repeated
        self.confidence_label = QLabel("", self)
        self.confidence_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.confidence_label.setFont(scaled_font(self.font(), 1.15))
        self.bars = ProbabilityBars(self)
        self.model_view = ModelInputView(self)
        # Made in the order they stand on screen, which is the order Tab visits them.
        self.why_check = QCheckBox("&Why this answer", self)
        self.why_check.setToolTip(
            "Tint the pixels that made the answer win (blue) and those that pushed "
            "towards the runner-up (red), and name the two"
        )
        self.live_check = QCheckBox("&Live prediction", self)
        self.predict_button = QPushButton("&Predict", self)
        self.predict_button.setToolTip("Recognise the drawing (Enter)")
        self.clear_button = QPushButton("&Clear", self)
        self.clear_button.setToolTip("Empty the canvas (Esc or Delete)")
        self.model_label = QLabel(self)
        # A long message in the status line ends where the model's name begins: keep a gap.
        self.model_label.setContentsMargins(self.fontMetrics().averageCharWidth() * 3, 0, 0, 0)
        self.statusBar().addPermanentWidget(self.model_label)

        self.seen_label = seen = QLabel(SEEN, self)
        seen.setAlignment(Qt.AlignmentFlag.AlignCenter)
        seen.setWordWrap(True)
        view_row = QHBoxLayout()
        view_row.addWidget(self.model_view, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.predict_button)
        buttons.addWidget(self.clear_button)

        side = QVBoxLayout()
        side.setSpacing(SPACING)
        side.addWidget(self.result_label)
        side.addWidget(self.confidence_label)
        side.addWidget(self.bars, 3)
        side.addWidget(seen)
        side.addLayout(view_row, 2)

        # What shows the answer scrolls on a short screen; the controls below it never do.
        self.side_panel = scrolling(side, self)
        self.side_panel.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.side_panel.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to what it holds
        self.side_panel.verticalScrollBar().rangeChanged.connect(lambda _low, _high: self._reveal())
        column = QVBoxLayout()
        column.setSpacing(SPACING)
        column.addWidget(self.side_panel, 1)
        column.addWidget(self.why_check)
        column.addWidget(self.live_check)
        column.addLayout(buttons)
        body = QHBoxLayout()
        body.addWidget(self.canvas, 3)
        body.addLayout(column, 2)

        central = QWidget(self)
        outer = QVBoxLayout(central)
        outer.addWidget(self.banner)
        self.banner.hold_while(
            lambda: self.canvas.is_drawing,
            self.canvas.changed,
            lambda: self.canvas.drew_within(BETWEEN_STROKES_S),
        )
        outer.addLayout(body, 1)
        self.setCentralWidget(central)

    def _build_actions(self) -> None:
        self.open_action = self._action(
            "&Open image…", QKeySequence.StandardKey.Open, self._choose_image
        )
        self.save_action = self._action(
            "&Save drawing as PNG…", QKeySequence.StandardKey.Save, self._choose_save_path
        )
        self.quit_action = self._action("&Quit", QKeySequence.StandardKey.Quit, self.close)
        self.undo_action = self._action("&Undo stroke", QKeySequence.StandardKey.Undo, self.undo)
        self.redo_action = self._action("&Redo stroke", None, self.redo)
        # The platform's keys, and both that people know: X11's list lacks Ctrl+Y.
        redo_keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Redo)
        for keys in ("Ctrl+Shift+Z", "Ctrl+Y"):
            if QKeySequence(keys) not in redo_keys:
                redo_keys.append(QKeySequence(keys))
        self.redo_action.setShortcuts(redo_keys)
        self.redo_action.setEnabled(False)
        self.paste_action = self._action("P&aste image", QKeySequence.StandardKey.Paste, self.paste)
        self.clear_action = self._action("&Clear", None, self.clear)
        self.clear_action.setShortcuts(
            [QKeySequence(Qt.Key.Key_Escape), QKeySequence(Qt.Key.Key_Delete)]
        )
        self.predict_action = self._action("&Predict", None, self.predict)
        self.predict_action.setShortcuts(
            [QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)]
        )
        self.live_action = self._action("&Live prediction", None, None)
        self.live_action.setCheckable(True)
        self.live_action.setChecked(self.settings.live_prediction)
        self.live_check.setChecked(self.settings.live_prediction)

        self.pen_group = QActionGroup(self)
        self.pen_actions: dict[str, QAction] = {}
        for name, width in PEN_WIDTHS.items():
            action = QAction(name, self, checkable=True)
            action.setData(width)
            action.setChecked(abs(width - self.settings.pen_width) < 0.5)
            self.pen_group.addAction(action)
            self.pen_actions[name] = action

        self.model_group = QActionGroup(self)
        # Optional exclusivity: a model loaded from a file unchecks both bundled ones.
        self.model_group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
        self.model_actions: dict[str, QAction] = {}
        for source in BUNDLED_MODELS:
            action = QAction(MODEL_LABELS[source], self, checkable=True)
            action.setData(source)
            self.model_group.addAction(action)
            self.model_actions[source] = action
        self.load_model_action = self._action("Load model &file…", None, self._choose_model_file)
        self.save_model_action = self._action(
            "Sa&ve the model in use as…", None, self._choose_model_save_path
        )
        self.active_model_action = QAction("Active: none yet", self)
        self.active_model_action.setEnabled(False)
        self.about_action = self._action(
            "&About DigitPad", QKeySequence.StandardKey.HelpContents, self.show_about
        )

    def _action(self, text: str, shortcut, slot) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        if slot is not None:
            action.triggered.connect(slot)
        # Added to the window as well as to a menu, so shortcuts work with the menu bar hidden.
        self.addAction(action)
        return action

    def _build_menus(self) -> None:
        menu_bar = self.menuBar()
        file_menu = menu_bar.addMenu("&File")
        file_menu.addActions([self.open_action, self.save_action])
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        edit_menu = menu_bar.addMenu("&Edit")
        edit_menu.addActions(
            [
                self.undo_action,
                self.redo_action,
                self.paste_action,
                self.clear_action,
                self.predict_action,
            ]
        )
        edit_menu.addSeparator()
        edit_menu.addAction(self.live_action)
        pen_menu = edit_menu.addMenu("Pen &width")
        pen_menu.addActions(list(self.pen_actions.values()))

        self.model_menu = menu_bar.addMenu("&Model")
        self.model_menu.addAction(self.active_model_action)
        self.model_menu.addSeparator()
        self.model_menu.addActions(list(self.model_actions.values()))
        self.model_menu.addAction(self.load_model_action)
        self.model_menu.addAction(self.save_model_action)

        help_menu = menu_bar.addMenu("&Help")
        help_menu.addAction(self.about_action)

    def _add_training_actions(self) -> None:
        """Retrain…, Reset to bundled model, Corrections and Search hyperparameters…

        Each part owns its actions, dialogs and child processes; a new model
        reaches the window through ``self.recognition`` exactly as "Load model
        file…" does, and :meth:`shutdown` stops them all. Added when the first
        model has loaded (or failed to): by then the worker thread has imported
        NumPy and Pillow, so nothing here holds up the first frame or stroke.
        """
        if self.training is not None:
            return
        from digitpad.ui.search_actions import SearchActions
        from digitpad.ui.training_actions import TrainingActions

        self.training = TrainingActions(self, self.model_menu)
        self.search = SearchActions(self, self.model_menu, self.training)

    def _wire(self) -> None:
        self.canvas.changed.connect(self._on_canvas_changed)
        self.canvas.strokeFinished.connect(self._on_stroke_finished)
        self.canvas.fileDropped.connect(self.open_file)
        self.predict_button.clicked.connect(self.predict)
        self.clear_button.clicked.connect(self.clear)
        self.live_action.toggled.connect(self._set_live)
        self.live_check.toggled.connect(self.live_action.setChecked)
        self.why_check.toggled.connect(self._set_explain)
        self.pen_group.triggered.connect(lambda action: self.set_pen_width(action.data()))
        self.model_group.triggered.connect(lambda action: self.choose_model(action.data()))
        rec = self.recognition
        rec.predictionReady.connect(self._show_prediction)
        rec.predictionFailed.connect(self.show_error)
        rec.modelChanged.connect(self._on_model_changed)
        rec.modelFailed.connect(self._on_model_failed)
        rec.imageOpened.connect(self._on_image_opened)
        rec.imageFailed.connect(self._on_image_failed)

    # --- commands (menus, buttons and tests call these) ---------------------------------
    def start(self) -> None:
        """Load the model chosen last time; called once the window is on screen."""
        self.recognition.load_model(self.settings.model)

    def predict(self) -> None:
        if self.recognition.model is None:
            self.statusBar().showMessage("The model is still loading…")
        elif self.canvas.has_picture:  # read as it was loaded, whatever its file is now
            self.recognition.predict(self.canvas.picture.source)
        elif self.canvas.is_empty:
            self._show_empty("Nothing drawn: draw a digit first")
        else:
            self.recognition.predict(self.canvas.snapshot())

    def undo(self) -> None:
        self.canvas.undo()
        self._picture_back()

    def redo(self) -> None:
        self.canvas.redo()
        self._picture_back()

    def _picture_back(self) -> None:
        """After Undo or Redo: an opened picture they brought back is read again, as when it
        was opened."""
        if not self.canvas.has_picture:
            return
        if self.live_action.isChecked():
            self.predict()
        else:
            self.awaiting_predict, self.refusal = True, None
            self._show_empty(AWAITING_PREDICT)

    def clear(self) -> None:
        self.canvas.clear()
        if self.canvas.can_restore:
            undo = self.undo_action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            self.statusBar().showMessage(f"Nothing drawn: {undo} brings back the drawing cleared")

    def choose_model(self, source: str) -> None:
        """Switch to a bundled model (``fcnn``/``cnn``) or a model file path."""
        self.statusBar().showMessage(f"Loading {MODEL_LABELS.get(source, Path(source).name)}…")
        self.recognition.load_model(source)

    def open_file(self, path: str) -> None:
        """A file dropped on the canvas: a model archive loads, anything else opens as an image."""
        if path.lower().endswith(".npz"):
            self.choose_model(path)
        else:
            self.open_image(path)

    def open_image(self, path: str) -> None:
        if self.recognition.model is None:
            self._open_once_loaded(lambda: self.open_image(path), Path(path).name)
            return
        self.statusBar().showMessage(f"Opening {Path(path).name}…")
        self.recognition.open_image(path)

    def _open_once_loaded(self, opening: Callable[[], None], name: str) -> None:
        """A picture given before any model is in (the first one loads as the window opens)
        opens once one is; a later picture takes its place. With no model coming (every
        load failed), it says so at once."""
        if self.recognition.answered_all:
            self.show_error(
                f"{name} was not opened: no model is loaded. Choose one in the Model menu, "
                "then open it again."
            )
            return
        self._once_loaded = opening
        self.statusBar().showMessage(f"{name} opens once the model has loaded…")

    def paste(self) -> None:
        """Edit → Paste image: a picture copied (a screenshot, an image in a web page) opens
        as a file does; a file copied in a file manager opens as if dropped."""
        from PySide6.QtWidgets import QApplication

        from digitpad.images import too_many_pixels
        from digitpad.preprocess import MAX_PIXELS

        clipboard = QApplication.clipboard()
        data = clipboard.mimeData()
        links = data.urls() if data is not None and data.hasUrls() else []
        files = [url.toLocalFile() for url in links if url.isLocalFile()]
        if files:
            self.open_file(files[0])
            return
        image = clipboard.image() if data is not None and data.hasImage() else None
        if image is None or image.isNull():
            self.statusBar().showMessage(
                "Only pictures and files on this computer can be pasted: copy the picture "
                "itself, or save it first"
                if links
                else "Nothing to paste: copy a picture of a digit, or its file, first",
                8000,
            )
        elif image.width() * image.height() > MAX_PIXELS:
            pixels = image.width() * image.height()
            self.show_error(
                f"Could not open the image: {too_many_pixels('the picture pasted', pixels)}"
            )
        elif self.recognition.model is None:
            self._open_once_loaded(lambda: self._open_pasted(image), "The picture pasted")
        else:
            self._open_pasted(image)

    def _open_pasted(self, image: QImage) -> None:
        self.statusBar().showMessage("Reading the picture pasted…")
        self.recognition.open_pasted(image)

    def save_drawing(self, path: str) -> bool:
        """Save the drawing as a PNG; the file is replaced whole or not at all."""
        from PySide6.QtCore import QBuffer, QByteArray, QIODevice

        from digitpad.atomic import replace_file  # not needed before the window shows

        png = QByteArray()
        buffer = QBuffer(png)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        encoded = self.canvas.qimage().save(buffer, "PNG")
        buffer.close()
        try:
            if not encoded:
                raise OSError("the picture could not be encoded as a PNG")
            replace_file(path, png.data())
        except OSError as exc:
            self.show_error(f"Could not save the drawing to {path}: {exc.strerror or exc}.")
            return False
        self.dismiss_error()
        self.statusBar().showMessage(f"Saved {Path(path).name}", 5000)
        return True

    def set_pen_width(self, width: float) -> None:
        self.canvas.set_pen_width(float(width))
        self.settings.pen_width = float(width)
        self.save_settings()

    def show_about(self) -> None:
        """A non-modal About box (so nothing blocks and tests can find and close it)."""
        import html

        from PySide6.QtWidgets import QMessageBox

        in_use = self.model_label.text() or "none yet"
        data = self.training.userdata.root if self.training is not None else None
        box = QMessageBox(
            QMessageBox.Icon.NoIcon,
            "About DigitPad",
            f"<h2>DigitPad {__version__}</h2>"
            "<p>Draw a digit; a small neural network says which it is, and how sure it "
            "is of each digit. Correct it, and it learns your handwriting.</p>"
            f"<p><b>Model in use:</b> {html.escape(in_use)}</p>"
            + (f"<p><b>Your data:</b> {html.escape(str(data))}</p>" if data else "")
            + (f"<p><b>Log:</b> {html.escape(str(self.log_path))}</p>" if self.log_path else "")
            + "<p>"
            + html.escape(versions_text()).replace("\n", "<br>")
            + "</p>",
            QMessageBox.StandardButton.Close,
            self,
        )
        icon = self.windowIcon()
        if not icon.isNull():
            box.setIconPixmap(icon.pixmap(64, 64))
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self._about = box

    # --- dialogs --------------------------------------------------------------------------
    def _chosen(self, path: str) -> str:
        """``path`` as picked in a file dialog, whose folder the next dialog starts in."""
        if path:
            self.settings.file_folder = str(Path(path).parent)
            self.save_settings()
        return path

    def _choose_model_save_path(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        source = self.recognition.model_source
        if self.recognition.model is None or source is None:
            self.statusBar().showMessage("The model is still loading…", 5000)
            return
        name = f"{source}.npz" if source in MODEL_LABELS else Path(source).name
        start = str(Path(self.settings.file_folder) / name)
        path, _ = QFileDialog.getSaveFileName(self, "Save the model in use as", start, MODEL_FILTER)
        if self._chosen(path):
            self.save_model_copy(path if path.lower().endswith(".npz") else path + ".npz")

    def save_model_copy(self, path: str) -> bool:
        """Write the model in use, as it is loaded, to ``path``: a file to share or keep
        anywhere, which Load model file… (or a drop) reads again on any DigitPad."""
        from digitpad.assets import resources_dir
        from digitpad.model_file import ModelFileError, save_model

        if Path(path).resolve().is_relative_to(resources_dir().resolve()):
            self.show_error(
                f"Could not save the model to {path}: that folder holds DigitPad's own files "
                "(the bundled models among them), which stay as installed; choose another one."
            )
            return False
        model = self.recognition.model
        try:
            save_model(path, model.arch, model.params, model.meta)
        except OSError as exc:
            self.show_error(f"Could not save the model to {path}: {os_reason(exc)}")
            return False
        except ModelFileError as exc:
            self.show_error(f"Could not save the model to {path}: {exc}")
            return False
        source = self.recognition.model_source
        if self.training is not None and source not in MODEL_LABELS:
            from digitpad.ui.model_store import same_file

            if same_file(path, source):  # written over its own file here: no one else's change
                self.training.watch.follow(source)
        self.dismiss_error()
        self.statusBar().showMessage(f"Saved the model in use as {Path(path).name}", 5000)
        return True

    def _choose_image(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        start = self.settings.file_folder
        path, _ = QFileDialog.getOpenFileName(self, "Open an image of a digit", start, IMAGE_FILTER)
        if self._chosen(path):
            self.open_image(path)

    def _choose_save_path(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        start = str(Path(self.settings.file_folder) / "digit.png")
        path, _ = QFileDialog.getSaveFileName(
            self, "Save drawing as PNG", start, "PNG images (*.png)"
        )
        if self._chosen(path):
            self.save_drawing(path if path.lower().endswith(".png") else path + ".png")

    def _choose_model_file(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        start = self.settings.file_folder
        path, _ = QFileDialog.getOpenFileName(self, "Load a model file", start, MODEL_FILTER)
        if self._chosen(path):
            self.choose_model(path)

    # --- reactions ---------------------------------------------------------------------------
    def _on_canvas_changed(self) -> None:
        canvas = self.canvas
        undo = (
            "&Undo clear"
            if canvas.can_restore
            else "&Undo open image"
            if canvas.has_picture
            else "&Undo stroke"
        )
        redo = (
            "&Redo clear"
            if canvas.redo_clears
            else "&Redo open image"
            if canvas.redo_opens
            else "&Redo stroke"
        )
        # At every pen move: the menu changes rarely, and each change is redrawn.
        if self.undo_action.text() != undo:
            self.undo_action.setText(undo)
        if self.redo_action.text() != redo:
            self.redo_action.setText(redo)
        if self.redo_action.isEnabled() != canvas.can_redo:
            self.redo_action.setEnabled(canvas.can_redo)
        if self.canvas.is_empty:
            self.recognition.cancel()
            self.awaiting_predict, self.refusal = False, None
            self._show_empty("Nothing drawn")
        elif self.canvas.has_picture:
            return  # an opened picture is read as it was loaded, not from the screen
        elif self.live_action.isChecked() and self.recognition.model is not None:
            self.recognition.schedule(self.canvas.snapshot)
        elif not self.awaiting_predict:  # the answer on show, if any, is an older drawing's
            self.awaiting_predict, self.refusal = True, None
            self._show_empty(AWAITING_PREDICT)

    def _on_stroke_finished(self) -> None:
        self._reveal_why = False  # the user's own scrolling is theirs again
        self.dismiss_error()  # a new drawing: an old error no longer describes the screen
        self.refusal = None
        if self.live_action.isChecked() and self.recognition.model is not None:
            self.recognition.predict(self.canvas.snapshot())

    def _set_explain(self, on: bool) -> None:
        self.recognition.set_explain(on)
        if not on:
            self._reveal_why = False
            self._show_evidence(None)
            return
        # On a short screen the picture may be below what the side panel shows.
        self._reveal_why = True
        self._reveal()
        if not self.canvas.is_empty and self.recognition.model is not None:
            self.predict()  # show why for what is on screen now

    def _set_live(self, on: bool) -> None:
        self.live_check.setChecked(on)
        self.settings.live_prediction = on
        self.save_settings()
        if on and not self.canvas.is_empty:
            self.predict()

    def _show_prediction(self, prediction) -> None:
        self.awaiting_predict = False
        self.refusal = prediction.reason if prediction.digit is None else None
        if prediction.digit is None:
            self._show_empty(f"Nothing to recognise: {prediction.reason}")
            return
        self.bars.set_probabilities(prediction.probabilities, prediction.digit)
        self.model_view.set_pixels(prediction.model_input)
        self._show_evidence(prediction)
        self.result_label.setText(str(prediction.digit))
        sure = prediction.confidence
        self.confidence_label.setText(f"{percent(sure)} sure")
        self._tell(result_words(prediction.digit, sure))
        self.statusBar().showMessage(
            f"Looks like {a_digit(prediction.digit)}{self._hint(prediction.digit)}"
        )

    def _show_evidence(self, prediction: Prediction | None) -> None:
        """Why this answer on the picture, and the two digits it weighs named above it;
        nothing for None or while the toggle is off."""
        why = prediction is not None and self.why_check.isChecked()
        why = why and prediction.evidence is not None and prediction.runner_up is not None
        self.model_view.set_evidence(prediction.evidence if why else None)
        # No line break inside "blue for 7": each names a colour and its digit.
        named = f"blue for {prediction.digit}, red for {prediction.runner_up}" if why else ""
        self.seen_label.setText(f"{SEEN}: {named.replace(' ', NBSP)}" if why else SEEN)
        if why and self._reveal_why:
            self._reveal()

    def _reveal(self) -> None:
        """Scroll the model's picture into view while Why this answer has just been turned on
        (until the next stroke): the panel's length changes once the caption is laid out."""
        if self._reveal_why:
            self.side_panel.ensureWidgetVisible(self.model_view)

    def _hint(self, digit: int) -> str:
        return self.training.hint(digit) if self.training is not None else ""

    def _show_empty(self, message: str) -> None:
        self.bars.clear(message)
        self.model_view.set_pixels(None)
        self._show_evidence(None)
        self.result_label.setText("–")
        self.confidence_label.setText("")
        self.result_label.setToolTip(message)
        self._tell(result_words(None, None, message))
        self.statusBar().showMessage(message)

    def _tell(self, words: str) -> None:
        """Name the answer for screen readers and announce it once the pen is lifted:
        announcing each live prediction mid-stroke would talk over the user, and a window
        not yet on screen has no one to tell."""
        self.result_label.setAccessibleName(words)
        if words != self._announced and not self.canvas.is_drawing and self.isVisible():
            self._announced = words
            from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent

            QAccessible.updateAccessibility(QAccessibleAnnouncementEvent(self.result_label, words))

    def save_settings(self) -> None:
        """Write the settings at once, so that a store that cannot be written is reported
        while the user is here to read it (once: QSettings keeps reporting its first error)."""
        try:
            self.settings.sync()
        except SettingsError as exc:
            if not self._settings_failed:
                self._settings_failed = True
                self.show_error(f"{exc}.")

    def show_error(self, message: str, name_the_log: bool = False, unbidden: bool = False) -> None:
        """Log ``message`` and show it in the banner. Where the log is goes in the banner's
        tooltip (and Help → About): a long path as a third line would push the buttons
        out of a small window. ``name_the_log`` puts it in the text, for errors whose
        message alone does not say what happened (a bug); ``unbidden``: see the banner's
        :meth:`~digitpad.ui.message_banner.MessageBanner.show_message`."""
        log.warning("%s", message)
        where = f"Details are in the log: {self.log_path}" if self.log_path else ""
        text = f"{message}\n{where}" if name_the_log and where else message
        self.banner.show_message(text, "error", details=where, unbidden=unbidden)
        self.statusBar().clearMessage()  # said once, in the strip, not again beside the model

    def dismiss_error(self) -> None:
        if self.banner.level() == "error":
            self.banner.dismiss()

    def _dismiss_notice_of_other_model(self, source: str) -> None:
        """A notice that a model is now in use ("DigitPad now uses your own model") turns
        false once the user resets or switches to another one: take it down then."""
        from digitpad.ui.model_store import same_file  # after the window is up

        about = self.banner.about()
        if about is not None and not same_file(about, source):
            self.banner.dismiss()

    def report_unexpected(self, error: BaseException) -> None:
        """An error nothing else caught (already logged with its traceback): say so, carry on."""
        self.show_error(f"Something went wrong: {error}. DigitPad carries on.", name_the_log=True)

    def _on_model_changed(self, model, source: str) -> None:
        first = self.model_label.text() == ""
        if self._falling_back:
            # Stand-in for the remembered model, which stays remembered: what kept it from
            # loading (a drive not mounted, say) may be gone next time.
            self._falling_back = False
        else:
            self.settings.model = source
            self.save_settings()
        for action in self.model_actions.values():
            action.setChecked(action.data() == source)
        name = model_name(source, "adapted" in model.meta)
        accuracy = model.test_accuracy
        short = name if accuracy is None else f"{name} · {accuracy:.2%}"
        self.model_label.setText(short)
        self.model_label.setToolTip(f"{name}: {model.summary}")
        count = model.learned_from
        learned = (
            f" (adapted to your handwriting from {plural(count, 'correction')})"
            if count is not None
            else " (adapted to your handwriting)"
            if "adapted" in model.meta
            else ""
        )
        self.active_model_action.setText(f"In use: {short}{learned}")
        self.statusBar().clearMessage()
        if not self.canvas.is_empty:
            self.predict()
        if first:
            self._add_training_actions()
            self.modelReady.emit()
        else:
            self.dismiss_error()  # the first load may be a fallback whose reason must stay
            self._dismiss_notice_of_other_model(source)
        opening, self._once_loaded = self._once_loaded, None
        if opening is not None:
            opening()

    def _on_model_failed(self, message: str, source: str) -> None:
        self._add_training_actions()  # Reset and Retrain are the way out of a broken model
        current = self.recognition.model_source
        for action in self.model_actions.values():
            action.setChecked(action.data() == current)
        if current is None and source != DEFAULT_MODEL and source == self.settings.model:
            # The model remembered from last time is gone: fall back to the bundled one. It
            # stays remembered (a drive not mounted may be back next time) unless it was one
            # of the user's models, deleted: then the bundled one is the choice from now on.
            deleted = deleted_from(source, UserData.at(app_data_root()).models)
            instead = (
                "It is no longer among your models: DigitPad uses the bundled FCNN from now on."
                if deleted
                else "DigitPad uses the bundled FCNN instead."
            )
            # A notice about the model, not the screen: it stays through drawings and
            # pictures, until dismissed or another model is chosen.
            text = f"Could not load the model used last time: {message}\n{instead}"
            log.warning("%s", text)
            self.banner.show_message(text, "info", about=DEFAULT_MODEL)
            self._falling_back = not deleted
            self.recognition.load_model(DEFAULT_MODEL)
            return
        model = self.recognition.model
        if model is None and self._once_loaded is not None and not self.recognition.loading:
            self._once_loaded = None
            self.show_error(
                f"Could not load the model: {message}\nNo model is loaded, so the picture "
                "was not opened: choose a model in the Model menu, then open it again."
            )
            return
        keeping = (
            "No model is loaded."
            if current is None or model is None
            else f"Still using {model_name(current, 'adapted' in model.meta)}."  # as the menu
        )
        self.show_error(f"Could not load the model: {message}\n{keeping}")

    def _on_image_opened(self, picture, prediction, source) -> None:
        self.dismiss_error()
        self.canvas.set_picture(picture, source)
        self._show_prediction(prediction)

    def _on_image_failed(self, message: str) -> None:
        # What was on screen, and its answer, stay exactly as they were.
        self.statusBar().clearMessage()
        self.show_error(f"Could not open the image: {message}")

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            # The theme changed while the app runs; after Qt has finished switching it.
            QTimer.singleShot(0, make_disabled_readable)

    def _fit_side_panel_width(self) -> None:
        """The panel never scrolls sideways: it is as wide as its contents need, and a
        vertical scroll bar beside them."""
        panel = self.side_panel
        room = (
            panel.widget().minimumSizeHint().width() + panel.verticalScrollBar().sizeHint().width()
        )
        panel.setMinimumWidth(room)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._fit_side_panel_width()
        super().resizeEvent(event)
        if not fits(event.size(), self.minimumSizeHint()):
            # Only a window manager enforces the minimum size: without one (or with one that
            # ignores it) the panel would be drawn over the canvas. Grow back once resized.
            QTimer.singleShot(0, self._grow_to_minimum)

    def _grow_to_minimum(self) -> None:
        if not self.isMaximized() and not self.isFullScreen():
            self.resize(self.size().expandedTo(self.minimumSizeHint()))

    def closeEvent(self, event: QCloseEvent) -> None:
        busy = self._busy()
        if busy and not self._quit_confirmed:
            event.ignore()  # ask first; the answer closes the window again
            self._ask_to_quit(busy)
            return
        self.settings.window_geometry = self.saveGeometry()
        self.save_settings()
        self.shutdown()
        super().closeEvent(event)

    def _busy(self) -> str:
        """What is still running in a child process, in words ("" when nothing is)."""
        if self.training is None:
            return ""
        return self.training.busy() or self.search.busy()

    def _ask_to_quit(self, busy: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Quit DigitPad?",
            quit_question(busy),
            QMessageBox.StandardButton.NoButton,
            self,
        )
        quit_button = box.addButton("Quit and stop it", QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton("Keep running", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)  # Enter must not stop a run
        box.buttonClicked.connect(
            lambda button: button is quit_button and self.quit_without_asking()
        )
        box.finished.connect(box.deleteLater)

        def follow() -> None:
            """The run may end while the question is open: it then says so."""
            now = self._busy()
            if box.text() != quit_question(now):  # each change lays the box out again
                box.setText(quit_question(now))
                quit_button.setText("Quit and stop it" if now else "Quit")
                keep.setText("Keep running" if now else "Cancel")

        watch = QTimer(box)
        watch.timeout.connect(follow)
        watch.start(QUIT_QUESTION_MS)
        box.open()
        self.quit_box = box

    def quit_without_asking(self) -> None:
        """Close as Quit does, stopping whatever runs (the user said so, or the session ends)."""
        self._quit_confirmed = True
        self.close()

    def shutdown(self) -> None:
        """Stop everything the window started: the one place children and threads end.

        Called when the window closes and when the application quits without
        closing it; safe to call twice.
        """
        if self.search is not None:
            self.search.shutdown()
            self.training.shutdown()
        self.recognition.shutdown()


def fits(size: QSize, minimum: QSize) -> bool:
    """Whether ``size`` leaves every widget at least its minimum size."""
    return size.width() >= minimum.width() and size.height() >= minimum.height()


def model_name(source: str, adapted: bool) -> str:
    """What the window calls a model: a bundled one by its label, a kept one by its file name,
    and one adapted here "Your model" until the user gives it a name of their own."""
    if source in MODEL_LABELS:
        return MODEL_LABELS[source]
    from digitpad.ui.model_store import display_name  # once a model has loaded

    return display_name(source) if adapted else Path(source).stem
