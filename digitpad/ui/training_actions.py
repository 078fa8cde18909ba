"""Retraining and corrections in the main window, installed by one call.

:class:`TrainingActions` adds to the window's Model menu "Retrain…",
"Learn my handwriting", "Reset to bundled model" and a Corrections submenu (count, Export as IDX…,
Export as PNG…, Delete all), and makes a click on a digit's bar, or a number
key 0–9, after a prediction save the drawing as a correction with that label.
The window creates it and calls :meth:`TrainingActions.shutdown` when it
closes; the window itself keeps no training logic.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QToolButton

from digitpad.corrections import CorrectionError, Corrections, PngOnThread
from digitpad.networks import DEFAULT_ARCH, label
from digitpad.ui.confirm import confirm
from digitpad.ui.in_use import ModelsInUse
from digitpad.ui.learning import HandwritingLearner, left_out_message
from digitpad.ui.model_store import (
    KEEP_MODELS,
    RESET_SOURCE,
    ModelStore,
    free_name,
    pruned_message,
    same_file,
    spoken_name,
)
from digitpad.ui.model_watch import ModelWatch
from digitpad.ui.settings import BUNDLED_MODELS, DEFAULT_MODEL, SettingsError, app_data_root
from digitpad.userdata import UserData
from digitpad.words import a_digit, plural

if TYPE_CHECKING:
    from digitpad.ui.inference import Page
    from digitpad.ui.retrain_dialog import RetrainDialog


# An answer this sure that a correction overrules may be a slip: asked before learning.
SURE = 0.9
# The status bar's words for a retrain still loading its libraries.
STARTING = "starting"


def drawing_key(path: Path) -> str:
    """A correction's name without its label: the same drawing, whatever it is labelled."""
    return path.name[1:]


class TrainingActions(QObject):
    """Owns the retrain dialog, the model store and the corrections of one window."""

    def __init__(self, window, menu: QMenu, userdata: UserData | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.userdata = userdata or UserData.at(app_data_root())
        self.corrections = Corrections(self.userdata.corrections)
        self.store = ModelStore(window.recognition, self.userdata, self, self._kept_for_now)
        self.store.renamed.connect(self._notice_follows_rename)
        self.store.deleted.connect(self._retire_finished_notice)
        self.store.pruned.connect(self._say_pruned)
        # Other windows on this data folder keep the model this one uses when they make room.
        self.in_use = ModelsInUse(self.userdata.models)
        self.in_use.mark(window.recognition.model_source)
        self.in_use.elsewhere()  # and tidy away the notes of windows that were killed
        window.recognition.modelChanged.connect(self._on_model_changed)
        # The correction file of the picture last opened, made while its answer is read.
        self._picture_png: PngOnThread | None = None
        window.recognition.imageOpened.connect(self._start_picture_png)
        self.watch = ModelWatch(self)
        self.watch.gone.connect(self._on_model_file_gone)
        self.watch.replaced.connect(self._on_model_file_replaced)
        self._replaced: str | None = None  # the model in use, when its file is another now
        # Made as the first model arrives, which this class is too late to be told of.
        self._follow(window.recognition.model_source)
        self._finished_notice: tuple[str, str] | None = None  # its text, its model's path
        self.dialog: RetrainDialog | None = None
        self._retrained: float | None = None  # how far the running retrain is, once it says
        self._preparing = STARTING  # what it does before that
        # How far a retrain whose dialog was closed has got; a click opens the dialog again.
        self.background_button = QToolButton(window)
        self.background_button.setAutoRaise(True)
        self.background_button.setToolTip("Show the retrain")
        self.background_button.clicked.connect(self.open_retrain)
        self.background_button.hide()
        window.statusBar().addPermanentWidget(self.background_button)

        menu.addSeparator()
        self.retrain_action = QAction("&Retrain…", window)
        self.retrain_action.triggered.connect(self.open_retrain)
        self.reset_action = QAction("Reset to &bundled model", window)
        self.reset_action.triggered.connect(self.reset_model)
        # This session's corrections that overrule an answer the model was sure of: the digit
        # it read. Asked about before learning (a stray key, or a new way of writing).
        # Keyed by the file name without its label, which relabelling (here or in another
        # window) leaves as it is.
        self._overruled: dict[str, int] = {}
        self.learner = HandwritingLearner(
            window, self.store, self.corrections, self.userdata, self._doubts, self._overruled.clear
        )
        menu.addAction(self.retrain_action)
        menu.addAction(self.learner.action)
        menu.addAction(self.reset_action)
        self.models_menu = menu.addMenu("&My models")
        self.models_menu.aboutToShow.connect(self.refresh_models)
        self.refresh_models()

        self.corrections_menu = menu.addMenu("&Corrections")
        self.count_action = QAction("", window)
        self.count_action.setEnabled(False)
        self.export_idx_action = QAction("Export as &IDX…", window)
        self.export_idx_action.triggered.connect(self._choose_idx_folder)
        self.export_png_action = QAction("Export as &PNG…", window)
        self.export_png_action.triggered.connect(self._choose_png_folder)
        self.show_action = QAction("&Show all…", window)
        self.show_action.triggered.connect(self.show_corrections)
        self.view = None
        self.delete_box = None  # the question before a delete (tests answer it)
        self.undo_action = QAction("&Undo last correction", window)
        self.undo_action.triggered.connect(self.undo_last)
        self.delete_action = QAction("&Delete all…", window)
        self.delete_action.triggered.connect(self._confirm_delete)
        self.corrections_menu.addAction(self.count_action)
        self.corrections_menu.addSeparator()
        self.corrections_menu.addActions(
            [
                self.show_action,
                self.undo_action,
                self.export_idx_action,
                self.export_png_action,
                self.delete_action,
            ]
        )
        self.corrections_menu.aboutToShow.connect(self.refresh_count)
        hint = QAction("Click a bar or press 0–9 to correct a prediction", window)
        hint.setEnabled(False)
        self.corrections_menu.addSeparator()
        self.corrections_menu.addAction(hint)

        # Number keys correct the last prediction; application-wide within the window.
        self.digit_actions = []
        for digit in range(10):
            action = QAction(str(digit), window)
            action.setShortcut(QKeySequence(str(digit)))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _=False, d=digit: self.correct(d))
            window.addAction(action)
            self.digit_actions.append(action)
        window.bars.digitClicked.connect(self.correct)
        # The correction saved for the drawing on the canvas now; a new drawing forgets it.
        self._last: Path | None = None
        # Every drawing corrected in this session, by its strokes (or opened picture): one
        # brought back by Undo or Redo after others were corrected is still one correction.
        self._drawings: dict[tuple, Path] = {}
        self._saved: list[Path] = []  # this session's corrections, newest last, for undo
        window.canvas.changed.connect(self._forget_last)
        self._hint_until: float | None = None
        self.refresh_count()
        problem = self.userdata.unreadable()
        if problem:
            window.show_error(
                f"Your DigitPad data folder cannot be used: {problem}.\n"
                "Your corrections and kept models are not shown until it can be read."
            )

    # --- models -----------------------------------------------------------------------------
    def open_retrain(self) -> RetrainDialog:
        from digitpad.ui.retrain_dialog import RetrainDialog

        if self.dialog is None:
            self.dialog = RetrainDialog(
                self.window, self.userdata, self.store, self.corrections, self.window.settings
            )
            self.dialog.modelAdopted.connect(
                lambda path: self.window.statusBar().showMessage(
                    f"Now using the retrained model {Path(path).name}", 8000
                )
            )
            self._watch_in_background(self.dialog)
        self.background_button.hide()
        self._retire_finished_notice()
        self.dialog.refresh_corrections()
        if not self.dialog.isVisible():
            self.dialog.forget_result()
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    def _watch_in_background(self, dialog: RetrainDialog) -> None:
        """A retrain keeps running when its dialog is closed: the status bar shows how far it
        is (a click reopens the dialog) and the window says when it has ended."""
        runner = dialog.runner
        runner.progress.connect(lambda fraction, *_: self._background_progress(dialog, fraction))
        runner.message.connect(lambda event: self._background_phase(dialog, event))
        # Closed while the child still loads its libraries or the data: shown at once.
        dialog.finished.connect(lambda *_: self._background_progress(dialog))
        runner.finished.connect(lambda *_: self._background_ended(dialog, None))
        runner.failed.connect(lambda message, *_: self._background_ended(dialog, message))
        runner.cancelled.connect(self._background_cancelled)

    def _background_phase(self, dialog: RetrainDialog, event: dict) -> None:
        """Before the first epoch (a minute or more the first time the full MNIST is
        prepared): which step of the data it is at."""
        if event.get("event") == "phase" and self._retrained is None:
            self._preparing = background_phase(event)
            self._background_progress(dialog)

    def _background_progress(self, dialog: RetrainDialog, fraction: float | None = None) -> None:
        if fraction is not None:
            self._retrained = fraction
        if dialog.isVisible() or not dialog.runner.running:
            self.background_button.hide()
            return
        done = self._retrained
        self.background_button.setText(
            f"Retraining… {self._preparing}" if done is None else f"Retraining… {done:.0%}"
        )
        self.background_button.show()

    def _background_cancelled(self) -> None:
        self.background_button.hide()
        self._retrained = None
        self._preparing = STARTING

    def _background_ended(self, dialog: RetrainDialog, failure: str | None) -> None:
        self._background_cancelled()
        if dialog.isVisible():
            return
        if failure is not None:
            self.window.show_error(f"The retrain did not finish: {failure}", unbidden=True)
        elif dialog.result_path is not None:
            result = dialog.result or {}
            accuracy = result.get("accuracy", result.get("test_accuracy"))
            scored = f" ({accuracy:.2%} test accuracy)" if isinstance(accuracy, float) else ""
            text = (
                f"The retrain has finished{scored}. Model → Retrain… shows it and lets you "
                "use it; it is kept under Model → My models either way."
            )
            self.window.banner.show_message(text, "info", unbidden=True)
            self._finished_notice = (text, str(dialog.result_path))

    def _say_pruned(self, count: int) -> None:
        self.window.statusBar().showMessage(pruned_message(count), 10000)

    def _retire_finished_notice(self, source: str | None = None) -> None:
        """Take down "The retrain has finished" once it is old news: the dialog it points to
        is opened, or its model is used or deleted (``source``, when given, must be it)."""
        if self._finished_notice is None:
            return
        text, path = self._finished_notice
        if source is not None and not same_file(source, path):
            return
        self._finished_notice = None
        if self.window.banner.text() == text:
            self.window.banner.dismiss()

    # --- the user's models -------------------------------------------------------------------
    def refresh_models(self) -> None:
        """List the kept models, newest first: each to use, rename or delete."""
        self.models_menu.clear()
        active = self.window.recognition.model_source
        if self._lost(active):
            what = "replaced" if active == self._replaced else "deleted"
            keep = self.models_menu.addAction(
                f"Keep the model in use again (its file {Path(active).name} was {what})"
            )
            keep.triggered.connect(self.keep_lost)
            self.models_menu.addSeparator()
        models = self.store.models()
        if not models:
            empty = self.models_menu.addAction("None yet: Retrain… or Learn my handwriting")
            empty.setEnabled(False)
            return
        elsewhere = [source for source in self.in_use.elsewhere() if source]
        titles = [model.title for model in models]
        for model in models:
            in_use = active is not None and Path(active) == model.path
            where = " — in use" if in_use else ""
            if any(same_file(source, model.path) for source in elsewhere):
                where += " here and in another window" if in_use else " — in another window"
            sub = self.models_menu.addMenu(model.titled(titles.count(model.title) > 1) + where)
            use = sub.addAction("In use" if in_use else "Use")
            use.setEnabled(not in_use and model.readable)
            use.triggered.connect(lambda _=False, p=model.path: self.window.choose_model(str(p)))
            sub.addAction("Rename…").triggered.connect(
                lambda _=False, p=model.path: self._ask_new_name(p)
            )
            sub.addAction("Delete…").triggered.connect(
                lambda _=False, p=model.path: self._confirm_delete_model(p)
            )
        self.models_menu.addSeparator()
        hint = self.models_menu.addAction(
            f"The {KEEP_MODELS + 1} newest unnamed models are kept; rename one to keep it for good"
        )
        hint.setEnabled(False)

    def _lost(self, source: str | None) -> bool:
        """Whether the model in use is one of the user's whose file has gone (deleted under
        My models in another window) or is another file now: it is still loaded here, and
        can be kept again."""
        if source is None or source in BUNDLED_MODELS or self.window.recognition.model is None:
            return False
        if source == self._replaced:
            return True
        with contextlib.suppress(OSError, ValueError):
            return not Path(source).exists()
        return False

    def keep_lost(self) -> Path | None:
        """Write the model in use, as it is loaded, among the user's models again."""
        from digitpad.model_file import ModelFileError, save_model

        source, model = self.window.recognition.model_source, self.window.recognition.model
        if not self._lost(source):
            return None
        target = self.userdata.models / Path(source).name
        try:
            self.userdata.models.mkdir(parents=True, exist_ok=True)
            target = free_name(target)
            save_model(target, model.arch, model.params, model.meta)
        except (OSError, ModelFileError) as exc:
            self.window.show_error(f"Could not keep the model in use again: {exc}")
            return None
        if self.window.banner.about() == source:  # the notice that its file had gone
            self.window.banner.dismiss()
        said = f"Kept {spoken_name(target)} again"
        # Said once the window has taken it up (which clears the status line).
        self.window.recognition.modelChanged.connect(
            lambda *_: self.window.statusBar().showMessage(said, 8000),
            Qt.ConnectionType.SingleShotConnection,
        )
        self.window.recognition.load_model(str(target))
        return target

    def _notice_follows_rename(self, old: str, new: str) -> None:
        """A notice that a model is in use stays true when that model is renamed."""
        about = self.window.banner.about()
        if about is not None and same_file(about, old):
            self.window.banner.set_about(new)
        if self._finished_notice is not None and same_file(self._finished_notice[1], old):
            self._finished_notice = (self._finished_notice[0], new)

    def rename_model(self, path: Path, name: str) -> Path | None:
        """Rename a kept model; a name it cannot have is said in the prompt, asked again
        with what was typed (a typo is no error of the app's)."""
        old_name = spoken_name(path)
        if self.store.in_use(path):
            self.watch.forget()  # moved here, on purpose: the window follows it
        try:
            renamed = self.store.rename(path, name)
        except ValueError as exc:
            self._ask_new_name(path, name, f"{exc}.")
            return None
        except FileNotFoundError:
            self.window.show_error(f"Could not rename it: {gone_message(path)}")
            return None
        except OSError as exc:
            self.window.show_error(f"Could not rename {old_name}: {exc.strerror or exc}")
            return None
        finally:
            if self.store.in_use(path):  # still: not renamed, or not yet loaded as renamed
                self.watch.follow(self.window.recognition.model_source)
        self.window.dismiss_error()  # a failed try before this one no longer stands
        self.window.statusBar().showMessage(f"Renamed {old_name} to {renamed.stem}", 5000)
        return renamed

    def delete_model(self, path: Path) -> bool:
        was_in_use = self.store.in_use(path)
        name = spoken_name(path)  # while its file, and so its time, is there
        if was_in_use:
            self.watch.forget()  # deleted here, on purpose: the bundled model takes over
        try:
            existed = self.store.delete(path)
        except OSError as exc:
            self.watch.follow(self.window.recognition.model_source)
            self.window.show_error(f"Could not delete {name}: {exc.strerror or exc}")
            return False
        self._forget_as_next_choice(path)
        now = f"; back to {label(DEFAULT_ARCH)} (bundled)" if was_in_use else ""
        if not existed:
            back = f" Back to {label(DEFAULT_ARCH)} (bundled)." if was_in_use else ""
            self.window.show_error(f"Nothing to delete: {gone_message(path)}{back}")
            return True
        self.window.statusBar().showMessage(f"Deleted {name}{now}", 8000)
        return True

    def _forget_as_next_choice(self, path: Path) -> None:
        """A deleted model that another window made the next start's choice: the next start
        takes this window's model instead of failing on a file that is gone, every time."""
        settings = self.window.settings
        with contextlib.suppress(SettingsError):
            settings.sync()
        if not same_file(settings.model, path):
            return
        mine = self.window.recognition.model_source
        # This window's model may have lost its file too (another window deleted it).
        usable = mine is not None and (mine in BUNDLED_MODELS or Path(mine).is_file())
        settings.model = mine if usable else DEFAULT_MODEL
        self.window.save_settings()

    def _ask_new_name(self, path: Path, typed: str | None = None, problem: str = "") -> None:
        """Ask for a new name (again, with what was typed and why it cannot be, after a name
        that cannot be)."""
        if typed is not None and not path.exists():
            return
        from PySide6.QtWidgets import QInputDialog

        dialog = QInputDialog(self.window)
        dialog.setWindowTitle("Rename model")
        question = f"New name for {spoken_name(path)}:"
        dialog.setLabelText(f"{problem}\n\n{question}" if problem else question)
        dialog.setTextValue(path.stem if typed is None else typed)
        dialog.textValueSelected.connect(lambda name: self.rename_model(path, name))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        self.rename_dialog = dialog

    def _confirm_delete_model(self, path: Path) -> None:
        question = f"Delete {spoken_name(path)}? This cannot be undone."
        if self.store.in_use(path):
            question += " It is the model in use: the bundled FCNN takes over."
        if self._used_elsewhere(path):
            question += " Another DigitPad window uses it: it keeps reading with its copy."
        self.delete_box = confirm(
            self.window, "Delete model", question, lambda: self.delete_model(path), "Delete"
        )

    def _used_elsewhere(self, path: Path) -> bool:
        """Whether another window uses ``path`` (named as it names it: a link, another case)."""
        return any(source and same_file(source, path) for source in self.in_use.elsewhere())

    def _on_model_changed(self, _model, source: str) -> None:
        self.in_use.mark(source)
        self._replaced = None
        self._follow(source)
        self._retire_finished_notice(source)

    def _follow(self, source: str | None) -> None:
        self.watch.follow(None if source in BUNDLED_MODELS else source)

    def _on_model_file_gone(self, path: str) -> None:
        """Say at once that the model in use has lost its file, and how to keep it."""
        if not self._lost(path) or path != self.window.recognition.model_source:
            return
        # Kept again among the user's models (keep_lost), where it came from or not.
        mine = same_file(Path(path).parent, self.userdata.models)
        keeps = "saves it back" if mine else "keeps it among your models"
        self.window.banner.show_message(
            f"The file of the model in use, {Path(path).name}, has gone from the disk (deleted "
            "or moved outside this window). The model stays in use here: Model → My models → "
            f"Keep the model in use again {keeps}.",
            "info",
            about=path,
            unbidden=True,
        )

    def _on_model_file_replaced(self, path: str) -> None:
        """Say at once that the file of the model in use holds something else now."""
        if path != self.window.recognition.model_source:
            return
        self._replaced = path
        self.window.banner.show_message(
            f"The file of the model in use, {Path(path).name}, was replaced or changed on the "
            "disk (outside this window). This window goes on with the model it loaded: Model → "
            "My models → Keep the model in use again saves that one under a new name.",
            "info",
            about=path,
            unbidden=True,
        )

    def _kept_for_now(self) -> list[str]:
        """Models that must not make room for a new one: the one the settings name for the
        next start, read again from the file so that another window's choice is seen too,
        those other windows use now, and a retrain's result the dialog still offers."""
        with contextlib.suppress(SettingsError):
            self.window.settings.sync()
        kept = [self.window.settings.model, *self.in_use.elsewhere()]
        if self.dialog is not None and self.dialog.result_path is not None:
            kept.append(self.dialog.result_path)
        return kept

    def reset_model(self) -> None:
        bar = self.window.statusBar()
        bar.showMessage("Going back to the bundled model…")
        # Said once the window has taken it up (which clears the status line).
        self.window.recognition.modelChanged.connect(
            lambda _model, source: (
                source == RESET_SOURCE
                and bar.showMessage(f"Back to {label(RESET_SOURCE)} (bundled)", 8000)
            ),
            Qt.ConnectionType.SingleShotConnection,
        )
        self.store.reset()

    # --- corrections ---------------------------------------------------------------------------
    def can_correct(self) -> bool:
        """A prediction is on screen for a drawing (or an opened picture)."""
        return not self.window.canvas.is_empty and self.window.bars.values() is not None

    def correct(self, digit: int) -> Path | None:
        """Save what is on the canvas labelled ``digit``; says so in the status line.

        A drawing that could not be saved (full disk, no permission) is said in the
        banner, which stays until dismissed: the user must not believe it was kept.
        """
        bar = self.window.statusBar()
        if not self.can_correct():
            bar.showMessage(self._why_not_correctable(), 5000)
            return None
        # One correction per drawing: pressing another digit for the same one relabels it,
        # where it is now (relabelled in another window, maybe), unless it was deleted.
        earlier = self._drawings.get(self._drawing_on_screen())
        previous = earlier and self.corrections.now_at(earlier)
        again = previous is not None
        try:
            if again:
                path = self.corrections.relabel(previous, digit)
            else:
                # An opened picture is saved as it was loaded and read, not as it is shown
                # on the canvas, scaled and between bands of paper.
                picture = self.window.canvas.picture
                image = self.window.canvas.image() if picture is None else picture.source.image
                made = self._picture_png
                png = made.result() if made is not None and made.image is image else None
                path = self.corrections.save(image, digit, picture=picture is not None, png=png)
        except CorrectionError as exc:
            self.window.show_error(f"The drawing was not saved as {a_digit(digit)}: {exc}")
            return None
        self._last = path
        self._drawings[self._drawing_on_screen()] = path
        self._saved = [*(p for p in self._saved_now() if p != path), path]
        self.window.bars.set_saved(digit)
        self._overruled.pop(drawing_key(path), None)
        read = self.window.bars.winner()
        if read is not None and read != digit and self._confidence(read) >= SURE:
            self._overruled[drawing_key(path)] = read
        if again:
            bar.showMessage(f"Changed this drawing's correction to {digit}", 8000)
            return path
        count = self.corrections.count()
        message = f"Saved as {a_digit(digit)} — {plural(count, 'correction')}"
        if self.window.bars.winner() == digit:  # nothing was wrong: say so, and the way back
            message += " (it was read right; Model → Corrections → Undo)"
        bar.showMessage(message, 8000)
        self.refresh_count()
        return path

    def _start_picture_png(self, _shown: object, _prediction: object, source: Page) -> None:
        self._picture_png = PngOnThread(source.image)

    def _why_not_correctable(self) -> str:
        window = self.window
        if window.canvas.is_empty:
            return (
                "Draw a digit and let it be read first, then click its bar or press its number "
                "to correct it."
            )
        if window.refusal:
            return (
                f"There is no answer to correct: {window.refusal}. "
                "Clear, draw one digit, then press its number if it is read wrong."
            )
        return (
            "Press Predict (Enter) to read the drawing first, then press the right digit's number."
        )

    def hint(self, digit: int) -> str:
        """For the first half minute of the first session (remembered in the settings), every
        answer says how to correct it."""
        settings = self.window.settings
        if self._hint_until is None:
            self._hint_until = 0.0 if settings.correction_hint_shown else time.monotonic() + 30
            settings.correction_hint_shown = True
        if time.monotonic() < self._hint_until:
            return ". Wrong? Click the right bar, or press its number"  # no stop, as the rest
        return ""

    def show_corrections(self):
        """The corrections, to relabel or delete one by one (a window of its own)."""
        from digitpad.ui.corrections_view import CorrectionsView

        if self.view is None:
            self.view = CorrectionsView(self.corrections, self.window)
            self.view.changed.connect(self.refresh_count)
            self.view.relabelled.connect(self._follow_relabel)
            self.view.removed.connect(self._follow_removal)
        else:
            self.view.refresh()
        self.view.show()
        self.view.raise_()
        return self.view

    def _forget_last(self) -> None:
        """A new drawing is a new correction. Clearing the canvas or undoing strokes, which
        Undo or Redo may take back, and taking them back, keep the same drawing."""
        canvas = self.window.canvas
        # Called at every pen move: the strokes are compared only when a drawing could be back.
        if self._last is None or canvas.can_restore or canvas.can_redo or self._shows_last():
            return
        self._last = None

    def _drawing_on_screen(self) -> tuple:
        """What identifies the drawing on the canvas among this session's corrections."""
        canvas = self.window.canvas
        if canvas.has_picture:
            return ("picture", canvas.picture.number)
        return ("strokes", *canvas.drawing_id())

    def _shows_last(self) -> bool:
        """Whether the canvas shows the drawing saved as the last correction."""
        if self._last is None or self.window.canvas.is_drawing:
            return False
        saved = self._drawings.get(self._drawing_on_screen())
        return saved is not None and drawing_key(saved) == drawing_key(self._last)

    def _confidence(self, digit: int) -> float:
        values = self.window.bars.values()
        return 0.0 if values is None else float(values[digit])

    def _doubts(self) -> list[tuple[int, int]]:
        """(saved as, read as) of this session's corrections, still saved, that overrule an
        answer the model was SURE of: asked about before learning from them."""
        doubts = []
        for key, read in self._overruled.items():
            now = self.corrections.now_at(self.corrections.folder / f"0{key}")
            if now is not None and int(now.name[0]) != read:  # relabelled as read: no doubt
                doubts.append((int(now.name[0]), read))
        return doubts

    def _follow_relabel(self, old: str, new: str) -> None:
        """A drawing relabelled under Show all…: a press for the drawing on screen, or Undo,
        acts on its new file (rather than saving the drawing a second time)."""
        old_path, new_path = Path(old), Path(new)
        self._saved = [new_path if p == old_path else p for p in self._saved]
        if self._last == old_path:
            self._last = new_path
            self.window.bars.set_saved(int(new_path.name[0]))

    def _follow_removal(self, path: str) -> None:
        """A drawing deleted under Show all…: the one on screen is no longer saved."""
        gone = Path(path)
        self._saved = [p for p in self._saved if p != gone]
        self._overruled.pop(drawing_key(gone), None)
        if self._last == gone:
            self._last = None
            self.window.bars.set_saved(None)

    def _saved_now(self) -> list[Path]:
        """This session's corrections still saved, where they are now."""
        return [now for now in map(self.corrections.now_at, self._saved) if now is not None]

    def undo_last(self) -> bool:
        """Delete the correction saved last in this session (a press on the wrong digit)."""
        saved = self._saved_now()
        path, self._saved = (saved[-1], saved[:-1]) if saved else (None, [])
        if path is None:
            self.window.statusBar().showMessage("No correction to undo.", 5000)
            return False
        on_screen = self._last is not None and path == self.corrections.now_at(self._last)
        try:
            path.unlink()
        except OSError as exc:
            self.window.show_error(f"Could not delete the correction: {exc.strerror or exc}")
            return False
        if on_screen:
            self._last = None
            self.window.bars.set_saved(None)
        self.window.statusBar().showMessage(
            f"Removed the last correction (a drawing saved as {a_digit(path.name[0])})", 5000
        )
        self.refresh_count()
        return True

    def refresh_count(self) -> None:
        count = self.corrections.count()
        self.count_action.setText(f"{plural(count, 'corrected drawing')} saved")
        for action in (self.export_idx_action, self.export_png_action, self.delete_action):
            action.setEnabled(count > 0)
        self.undo_action.setEnabled(bool(self._saved_now()))
        self.learner.refresh(count)
        if self.dialog is not None:
            self.dialog.refresh_corrections()

    def export_idx(self, folder: str) -> tuple[Path, Path] | None:
        skipped: list[str] = []
        try:
            paths = self.corrections.export_idx(folder, skipped=skipped)
        except (CorrectionError, OSError) as exc:
            left_out = f"\n{left_out_message(skipped)}" if skipped else ""
            self.window.show_error(f"Could not export the corrections: {exc}.{left_out}")
            return None
        # An IDX label file is an 8-byte header and a byte a label: what was written, which
        # leaves out a drawing that is blank or went away since it was listed.
        exported = paths[1].stat().st_size - 8
        done = f"Exported {plural(exported, 'correction')} as IDX to {folder}"
        if skipped:
            self.window.banner.show_message(f"{done}.\n{left_out_message(skipped)}", "info")
        else:
            self.window.statusBar().showMessage(done, 8000)
        return paths

    def export_png(self, folder: str) -> int | None:
        try:
            count = self.corrections.export_png(folder)
        except OSError as exc:
            self.window.show_error(f"Could not export the corrections: {exc}")
            return None
        self.window.statusBar().showMessage(
            f"Exported {plural(count, 'correction')} as PNG to {folder}", 8000
        )
        return count

    def delete_all(self) -> int:
        count = self.corrections.delete_all()
        self._saved = [path for path in self._saved if path.is_file()]
        if self._last is not None and not self._last.is_file():
            self._follow_removal(str(self._last))
        if self.view is not None:
            self.view.refresh()
        self.refresh_count()
        deleted = f"Deleted {plural(count, 'correction')}"
        left = self.corrections.count()
        if left:
            self.window.show_error(
                f"{deleted}; {plural(left, 'correction')} could not be deleted from "
                f"{self.corrections.folder}: check that you may change that folder."
            )
        else:
            self.window.statusBar().showMessage(deleted, 5000)
        return count

    def _choose_idx_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Export corrections as IDX into")
        if folder:
            self.export_idx(folder)

    def _choose_png_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Export corrections as PNG into")
        if folder:
            self.export_png(folder)

    def _confirm_delete(self) -> None:
        count = self.corrections.count()
        self.delete_box = confirm(
            self.window,
            "Delete corrections",
            "Delete the corrected drawing? This cannot be undone."
            if count == 1
            else f"Delete all {count} corrected drawings? This cannot be undone.",
            self.delete_all,
            "Delete",
        )

    # --- window lifetime -----------------------------------------------------------------------
    def busy(self) -> str:
        """What runs now, in words: "a retrain", "learning your handwriting" or ""."""
        if self.dialog is not None and self.dialog.runner.running:
            return "a retrain"
        if self.learner.busy:
            return "learning your handwriting"
        return ""

    def shutdown(self) -> None:
        """Stop every child (learning, retraining) and close the windows this part opened."""
        self.learner.shutdown()
        if self.dialog is not None:
            self.dialog.shutdown()
            self.dialog.close()
        if self.view is not None:
            self.view.close()
        self.store.release_unwritten()
        self.in_use.release()


def background_phase(event: dict) -> str:
    """A retrain's phase in the few words the status bar has room for."""
    step, steps = event.get("step"), event.get("steps")
    if event.get("phase") != "data":
        return STARTING
    if isinstance(step, int) and isinstance(steps, int) and 0 < step <= steps:
        return f"preparing the data ({step} of {steps})"
    return "preparing the data"


def gone_message(path: Path) -> str:
    """Why a kept model cannot be renamed or deleted: its file has gone, most often through
    another DigitPad window open on the same data folder."""
    return (
        f"{path.stem} is no longer in {path.parent}: another DigitPad window or another "
        "program renamed or deleted it. Model → My models lists what is there now."
    )
