"""Model → Retrain…: a non-modal dialog that trains a new model in a child process.

The dialog only composes widgets and reacts to the signals of
:class:`~digitpad.ui.child_process.ChildProcess`; training itself runs in
``digitpad train … --progress jsonl`` so torch never loads into the app and the
app stays usable while it runs. At the end it shows the new model's test
accuracy next to the current model's, and "Use this model" swaps it in through
:class:`~digitpad.ui.model_store.ModelStore`.

Like the search dialog it opens within the screen of its window
(:mod:`digitpad.ui.dialog_fit`), its body scrolling when the screen is too small.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from digitpad import best_params
from digitpad.corrections import Corrections
from digitpad.networks import ARCHITECTURES
from digitpad.requests import BATCH_RANGE, EPOCHS_RANGE, TrainRequest
from digitpad.ui.charts import LineChart
from digitpad.ui.child_process import ChildProcess
from digitpad.ui.colours import ErrorLabel
from digitpad.ui.dialog_fit import FitsTheScreen, scrolling
from digitpad.ui.model_store import ModelStore, same_file, written
from digitpad.ui.rate_box import RateBox
from digitpad.ui.settings import Settings
from digitpad.userdata import UserData
from digitpad.words import in_data_folder, os_reason, without_errno


def format_duration(seconds: float) -> str:
    if seconds < 0:
        return "estimating time left…"
    seconds = round(seconds)
    if seconds < 1:
        return "almost done"  # not "about 0 s left" while the last steps and the save run
    if seconds < 60:
        return f"about {seconds} s left"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"about {minutes} min {seconds:02d} s left"
    hours, minutes = divmod(minutes, 60)
    return f"about {hours} h {minutes:02d} min left"


def seconds_text(seconds: float) -> str:
    """A time taken, with a decimal where whole seconds would round a short run to "0 s"."""
    return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"


def percent(value) -> str:
    return "unknown" if value is None else f"{100 * float(value):.2f}%"


def accuracy_of(result: dict | None) -> float | None:
    """The new model's test accuracy from the child's result, when it reports a number."""
    value = (result or {}).get("accuracy", (result or {}).get("test_accuracy"))
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return float(value) if is_number else None


# A difference in test accuracy smaller than this is about one run's spread on MNIST's
# 10,000 test digits; one below the model in use by this much asks before it is used.
NOISE = 0.002
WARN_BELOW = 0.005


def comparison(new: float | None, current: float | None) -> tuple[str, str]:
    """The result's words next to the model in use, and the use button's label.

    A new model clearly less accurate than the one in use says so before it is used.
    When the model in use records no test accuracy (an adapted one: its test is the
    user's drawings), that is said plainly and neither model is called the better.
    """
    lines = [f"New model: <b>{percent(new)}</b> test accuracy"]
    kept = "It is kept under Model → My models either way."
    if current is None:
        lines.append(f"The model in use has no recorded test accuracy to compare with. {kept}")
        return "<br>".join(lines), "Use this model"
    lines.append(f"Model in use: {percent(current)}")
    worse = new is not None and new < current - WARN_BELOW
    if new is None:
        pass
    elif abs(new - current) < NOISE:
        lines.append(f"About as accurate as the model in use. {kept}")
    else:
        points = f"{100 * abs(new - current):.1f} points {'more' if new > current else 'less'}"
        said = f"It is {points} accurate than the model in use{mistakes(new, current)}."
        lines.append(f"<b>{said}</b> {kept}" if worse else f"{said} {kept}")
    return "<br>".join(lines), "Use it anyway" if worse else "Use this model"


def mistakes(new: float, current: float) -> str:
    """How the share of digits read wrong changes, which says more than points near 100%:
    99.1% against 98.8% is a quarter fewer mistakes."""
    before, after = 1 - current, 1 - new
    if before <= 0 or after <= 0:
        return ""
    ratio = after / before
    if ratio >= 2:
        return f": {ratio:.1f} times as many mistakes"
    share = f"{abs(ratio - 1):.0%}"
    return "" if share == "0%" else f": {share} {'fewer' if ratio < 1 else 'more'} mistakes"


# What a person can do about each kind of failure the child reports (training.events).
HINTS = {
    "disk": "Check that the disk has free space and that you may write to the data folder.",
    "network": (
        "Downloading MNIST needs an internet connection; or choose a folder "
        "that already holds the MNIST files."
    ),
    "data": (
        "Check that the folder holds the four MNIST files (train and t10k "
        "images and labels), complete and not renamed."
    ),
    "model": "Choose another model file, or reset to the bundled model.",
}


def plain_error(message: str, kind: str = "bug") -> str:
    """The child's message with what a person can do about it, chosen by ``kind``."""
    hint = HINTS.get(kind)
    text = without_errno(message.strip())
    return "\n".join([f"Training failed: {text}", *([hint] if hint else [])])


NOT_FINISHED = "Training did not finish; the current model is unchanged."
NOT_IN_USE = "The new model is not in use; the current model is unchanged."


class RetrainDialog(FitsTheScreen, QDialog):
    """Settings, progress and result of one retrain at a time."""

    modelAdopted = Signal(str)

    def __init__(
        self,
        parent: QWidget | None,
        userdata: UserData,
        store: ModelStore,
        corrections: Corrections,
        settings: Settings | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Retrain the model")
        self.setModal(False)
        self.userdata = userdata
        self.store = store
        self.corrections = corrections
        self.settings = settings if settings is not None else Settings()
        # Extra arguments for the child (tests use --device cpu, benchmarks --cache…).
        self.extra_args: list[str] = []
        # Parameters beyond the form (weight decay, hidden units…) from a search's best.
        self.tuned: dict = {}
        self.runner = ChildProcess(self)
        # The last finished run's result, and its kept file while it is not used yet; once
        # used, the path it was adopted from (the words follow the model in use).
        self.result_path: str | None = None
        self.result: dict | None = None
        self._adopted: str | None = None
        # The kept model "Use this model" asked the window to load, until it has loaded or failed.
        self._loading: str | None = None
        self._pending: Path | None = None
        self._clicked = time.monotonic()  # when Start was pressed: the wait the user sees
        self._build()
        self._restore()
        self._wire()
        self.refresh_corrections()
        self._set_running(False)

    # --- composition ----------------------------------------------------------------------
    def _build(self) -> None:
        source_box = QGroupBox("Training data", self)
        self.folder_radio = QRadioButton("&MNIST files in a folder:", source_box)
        self.download_radio = QRadioButton(
            "Do&wnload MNIST into DigitPad's data folder", source_box
        )
        self.source_group = QButtonGroup(self)
        self.source_group.addButton(self.folder_radio)
        self.source_group.addButton(self.download_radio)
        self.folder_edit = QLineEdit(source_box)
        self.folder_edit.setPlaceholderText("folder with train-images-idx3-ubyte etc.")
        self.browse_button = QPushButton("&Browse…", source_box)
        self.download_note = QLabel(str(self.userdata.mnist), source_box)
        self.download_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.browse_button)
        source_layout = QVBoxLayout(source_box)
        source_layout.addWidget(self.folder_radio)
        source_layout.addLayout(folder_row)
        source_layout.addWidget(self.download_radio)
        source_layout.addWidget(self.download_note)

        self.arch_combo = QComboBox(self)
        for arch in ARCHITECTURES.values():
            self.arch_combo.addItem(arch.title, arch.name)
        self.epochs_spin = QSpinBox(self)
        self.epochs_spin.setRange(*EPOCHS_RANGE)
        self.lr_spin = RateBox(self)
        self._exact_lr: float | None = None  # the rate last filled in, before rounding
        self.batch_spin = QSpinBox(self)
        self.batch_spin.setRange(*BATCH_RANGE)
        self.corrections_check = QCheckBox(self)
        self.defaults_button = QPushButton("&Defaults", self)
        self.tuned_label = QLabel("", self)
        self.tuned_label.setWordWrap(True)
        self.tuned_label.hide()
        form = QFormLayout()
        form.addRow("&Architecture", self.arch_combo)
        form.addRow("&Epochs", self.epochs_spin)
        form.addRow("&Learning rate", self.lr_spin)
        form.addRow("Batch si&ze", self.batch_spin)
        form.addRow("", self.tuned_label)
        form.addRow("", self.corrections_check)

        self.progress_bar = QProgressBar(self)
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat("%p%")
        self.progress_bar.hide()  # only while a run goes and after it: idle, it reads as a field
        self.status_label = QLabel("", self)
        self.status_label.setWordWrap(True)
        self.chart = LineChart(self, x_label="epoch", empty_message="Loss and accuracy per epoch")
        self.chart.add_series("loss", "Training loss", "loss", axis="left")
        self.chart.add_series("accuracy", "Test accuracy", "accuracy", axis="right", percent=True)
        self.error_label = ErrorLabel(self)
        self.error_label.hide()
        self.result_label = QLabel("", self)
        self.result_label.setWordWrap(True)
        self.use_button = QPushButton("Use this model", self)
        self.use_button.hide()

        self.start_button = QPushButton("&Start training", self)
        self.start_button.setDefault(True)
        self.cancel_button = QPushButton("&Cancel training", self)
        self.close_button = QPushButton("Close", self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.defaults_button)
        buttons.addStretch(1)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.close_button)
        result_row = QHBoxLayout()
        result_row.addWidget(self.result_label, 1)
        result_row.addWidget(self.use_button)

        body = QVBoxLayout()
        body.addWidget(source_box)
        body.addLayout(form)
        body.addWidget(self.progress_bar)
        body.addWidget(self.status_label)
        body.addWidget(self.chart, 1)
        body.addWidget(self.error_label)
        body.addLayout(result_row)
        self.scroll = scrolling(body, self)
        # Tab goes from field to field (each scrolled into view), never to the area itself,
        # which would take the focus with nothing to show for it.
        self.scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QVBoxLayout(self)
        layout.addWidget(self.scroll, 1)
        layout.addLayout(buttons)
        self.resize(520, 640)  # as wanted; opened smaller on a smaller screen (FitsTheScreen)

    def _wire(self) -> None:
        self.browse_button.clicked.connect(self._browse)
        self.folder_edit.textEdited.connect(lambda _: self.folder_radio.setChecked(True))
        # An error about the old choice of data no longer applies once the choice changes.
        self.folder_edit.textChanged.connect(self._forget_error)
        self.download_radio.toggled.connect(self._forget_error)
        self.defaults_button.clicked.connect(self.reset_defaults)
        self.start_button.clicked.connect(self.start_training)
        self.cancel_button.clicked.connect(self.cancel_training)
        self.close_button.clicked.connect(self.close)
        self.use_button.clicked.connect(self.use_model)
        self.runner.progress.connect(self._on_progress)
        self.runner.epochFinished.connect(self._on_epoch)
        self.runner.started.connect(self._on_started)
        self.runner.message.connect(self._on_message)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(self._on_cancelled)
        # "Model in use" is whatever is in use now, not what was when the run ended.
        self.store.recognition.modelChanged.connect(self._on_model_changed)
        self.store.recognition.modelFailed.connect(self._on_model_failed)
        # The result's file renamed or deleted under My models: the result follows it.
        self.store.renamed.connect(self._follow_rename)
        self.store.deleted.connect(self._follow_delete)

    # --- the request ------------------------------------------------------------------------
    def request(self) -> TrainRequest:
        """What the form asks for, as data (see :mod:`digitpad.requests`)."""
        return TrainRequest(
            folder=os.path.expanduser(self.folder_edit.text().strip()),
            download=self.download_radio.isChecked(),
            arch=self.arch,
            epochs=self.epochs_spin.value(),
            lr=self._lr(),
            batch_size=self.batch_spin.value(),
            tuned=dict(self.tuned),
            corrections=self.corrections_check.isChecked(),
        )

    def _lr(self) -> float:
        """The spin box's rate, or the exact one it shows rounded (the design's, a search's):
        six decimals would turn 0.001065741156220378 into 0.001066."""
        shown = self.lr_spin.value()
        exact = self._exact_lr
        if exact is not None and round(exact, self.lr_spin.decimals()) == round(shown, 6):
            return exact
        return shown

    def show_request(self, request: TrainRequest) -> None:
        """Fill the form from ``request`` (already checked and clamped by its class)."""
        (self.download_radio if request.download else self.folder_radio).setChecked(True)
        self.folder_edit.setText(request.folder)
        self.arch_combo.setCurrentIndex(max(0, self.arch_combo.findData(request.arch)))
        self.epochs_spin.setValue(request.epochs)
        self.lr_spin.setValue(request.lr)
        self._exact_lr = request.lr
        self.batch_spin.setValue(request.batch_size)
        self.corrections_check.setChecked(request.corrections)
        self._set_tuned(request.tuned)

    def _restore(self) -> None:
        remembered = self.settings.train_request
        if remembered is None:
            self.reset_defaults()  # never retrained here: the search's best or the design's
        else:
            self.show_request(remembered)

    def reset_defaults(self) -> None:
        """The best parameters of the last finished search when there is one, else the design's."""
        best = best_params.load(self.userdata.root)
        current = self.request()
        request = TrainRequest(
            folder=current.folder, download=current.download, corrections=current.corrections
        )
        if best is not None:
            request = request.with_params({"arch": best.get("arch"), **best["params"]})
        self.show_request(request)
        self.defaults_button.setToolTip(
            "The best parameters found by the last hyperparameter search"
            if best is not None
            else "The design's values: Adam, learning rate 0.00107, batch 128, 40 epochs"
        )

    def prefill(self, params: dict, folder: str = "") -> bool:
        """Fill the form from a search's parameters (arch, epochs, lr, batch size and the rest)
        and, when the form names no data yet, the folder the search read; False (and why)
        while a run goes, whose form it would misdescribe.

        A finished run's result leaves the view: "Use this model" would adopt that run's
        model, not one the form now describes. Its file stays among the user's models.
        """
        if self.runner.running:
            self._show_error(
                "A retrain is running: the search's parameters can be filled in once it has "
                "ended (Retrain with the best…, in the search dialog)."
            )
            return False
        had_result = self.result is not None
        self._clear_result()
        request = self.request().with_params(params)
        if folder and not request.folder:
            request = replace(request, folder=folder, download=False)
        self.show_request(request)
        self.status_label.setText(
            "Filled in with the search's best parameters"
            + ("; the last retrain's model is kept under Model → My models." if had_result else ".")
        )
        return True

    def _set_tuned(self, params: dict) -> None:
        self.tuned = dict(params)
        shown = ", ".join(
            f"{k.replace('_', ' ')} {best_params.format_value(v)}" for k, v in self.tuned.items()
        )
        self.tuned_label.setText(f"Also from the search: {shown}" if shown else "")
        self.tuned_label.setVisible(bool(shown))
        # A search's network sizes are what will be trained: the architecture says so.
        for index in range(self.arch_combo.count()):
            spec = ARCHITECTURES[self.arch_combo.itemData(index)]
            self.arch_combo.setItemText(index, spec.title_for(self.tuned))

    @property
    def arch(self) -> str:
        return str(self.arch_combo.currentData())

    def refresh_corrections(self) -> None:
        count = self.corrections.count()
        self.corrections_check.setText(
            f"&Include my corrected drawings ({count} saved)"
            if count
            else "&Include my corrected drawings (none saved yet)"
        )
        self.corrections_check.setEnabled(count > 0 and not self.runner.running)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Folder with the MNIST files", self.folder_edit.text()
        )
        if folder:
            self.folder_edit.setText(folder)
            self.folder_radio.setChecked(True)

    # --- running ------------------------------------------------------------------------------
    def arguments(self, out: Path) -> list[str]:
        """The child's command line for the current form."""
        corrections = self.corrections.folder if self.corrections.count() else None
        argv = self.request().argv(out, self.userdata.mnist, self.userdata.cache, corrections)
        return argv + list(self.extra_args)

    def start_training(self) -> bool:
        """Start a run with the dialog's settings; False (and a message) when it cannot."""
        if self.runner.running:
            return False
        problem = self.request().problem()
        if problem:
            self._show_error(problem)
            return False
        self.settings.train_request = self.request()
        try:
            self.store.clear_pending()
            self.userdata.ensure()
            self._pending = self.store.pending_path(self.arch)
        except OSError as exc:
            self._show_error(
                f"Cannot write to {in_data_folder(exc, self.userdata.root)}: {os_reason(exc)}"
            )
            return False
        self._clear_result()
        self.chart.set_x_max(self.epochs_spin.value())
        self.progress_bar.setValue(0)
        self.error_label.hide()
        self.result_label.setText("")
        self.use_button.hide()
        self.status_label.setText("Starting the training process…")
        self.progress_bar.setRange(0, 0)  # busy until the training loop reports
        self.progress_bar.show()
        self._clicked = time.monotonic()
        self._set_running(True)
        self.runner.start(
            self.arguments(self._pending),
            env=self.userdata.child_environment(),
            working_dir=str(self.userdata.root),
        )
        return True

    def cancel_training(self) -> None:
        if self.runner.running:
            self.status_label.setText("Stopping…")
            self.runner.cancel()

    def _set_running(self, running: bool) -> None:
        for widget in (
            self.folder_radio,
            self.download_radio,
            self.folder_edit,
            self.browse_button,
            self.arch_combo,
            self.epochs_spin,
            self.lr_spin,
            self.batch_spin,
            self.defaults_button,
            self.start_button,
        ):
            widget.setEnabled(not running)
        self.corrections_check.setEnabled(not running and self.corrections.count() > 0)
        self.cancel_button.setEnabled(running)

    # --- reactions ------------------------------------------------------------------------------
    def _on_message(self, event: dict) -> None:
        """Phases before and after the training loop: what the child does now, in words."""
        if event.get("event") != "phase" or not isinstance(event.get("message"), str):
            return
        if event.get("phase") in ("evaluating", "saving"):
            self.progress_bar.setValue(1000)
        self.status_label.setText(event["message"])

    def _on_started(self, info: dict) -> None:
        samples, epochs = info.get("train_samples"), info.get("epochs")
        self.progress_bar.setRange(0, 1000)
        self.status_label.setText(f"Training on {samples} samples ({info.get('device', '')})…")
        rate = self.settings.training_rate(self.request().arch)
        if rate and isinstance(samples, int) and isinstance(epochs, int):
            self.runner.eta.expect(samples * epochs / rate)

    def _on_progress(self, fraction: float, eta: float, epoch: int) -> None:
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(round(fraction * 1000))
        epochs = self.epochs_spin.value()
        shown = max(1, min(epoch, epochs))
        self.status_label.setText(f"Epoch {shown} of {epochs} — {format_duration(eta)}")

    def _on_epoch(self, metrics: dict) -> None:
        epoch = metrics.get("epoch", len(self.chart.points("loss")) + 1)
        if "train_loss" in metrics:
            self.chart.append("loss", epoch, metrics["train_loss"])
        if "test_accuracy" in metrics:
            self.chart.append("accuracy", epoch, metrics["test_accuracy"])

    def current_accuracy(self) -> float | None:
        """The model in use's recorded test accuracy, now (None: none recorded)."""
        model = self.store.recognition.model
        return None if model is None else model.test_accuracy

    def _on_finished(self, path: str, result: dict) -> None:
        self._set_running(False)
        self.progress_bar.setValue(1000)
        if not written(path):
            self._on_failed("the training process finished but wrote no model file")
            return
        try:
            kept = self.store.keep(path)  # kept among the user's models, used or not
        except OSError as exc:
            self._on_failed(f"the new model could not be kept: {os_reason(exc)}", "disk")
            return
        self.result_path = str(kept)
        self.result = result
        self._adopted = None
        self.error_label.hide()  # a note given while it ran (see prefill) is done with
        rate = result.get("samples_per_second")
        if isinstance(rate, (int, float)) and rate > 0:
            self.settings.remember_training_rate(self.request().arch, rate)
        waited = time.monotonic() - self._clicked
        trained = result.get("seconds")
        self.status_label.setText(
            f"Done in {seconds_text(waited)}"
            + (
                f" (the training itself took {seconds_text(trained)})."
                if isinstance(trained, (int, float))
                else "."
            )
        )
        self._show_result()
        self._reveal(self.use_button)
        self.use_button.setFocus()  # the next step, one key press away (Space or Enter)

    def _show_result(self) -> None:
        """The finished run's accuracy next to the model in use now (called again whenever
        the model in use changes), or, once it is used, that it is."""
        if self.result is None or self.runner.running:
            return
        new = accuracy_of(self.result)
        source = self.store.recognition.model_source
        if (
            self.result_path is not None
            and source is not None
            and same_file(source, self.result_path)
        ):
            self.result_path, self._adopted = None, self.result_path  # chosen in My models
        if self.result_path is not None:
            text, button = comparison(new, self.current_accuracy())
            self.result_label.setText(text)
            self.use_button.setText(button)
            self.use_button.setEnabled(True)
            self.use_button.show()
        elif source is not None and self._adopted is not None and same_file(source, self._adopted):
            self.result_label.setText(
                f"Model in use: <b>{percent(new)}</b> test accuracy (the new one)"
            )
            self.use_button.setText("In use")
            self.use_button.setEnabled(False)
            self.use_button.show()
        else:  # used, then another model chosen since
            self.result_label.setText(
                f"New model: <b>{percent(new)}</b> test accuracy, kept under Model → My models"
                f"<br>Model in use: {percent(self.current_accuracy())}"
            )
            self.use_button.hide()

    def _follow_rename(self, old: str, new: str) -> None:
        """The result's file has a new name: "Use this model" uses it under that name."""
        if self.result_path is not None and same_file(self.result_path, old):
            self.result_path = new
        if self._adopted is not None and same_file(self._adopted, old):
            self._adopted = new
        if self._loading is not None and same_file(self._loading, old):
            self._loading = new

    def _follow_delete(self, path: str) -> None:
        """The result's file is deleted: nothing is left to use, so the result goes too."""
        kept = self.result_path or self._adopted
        if self.result is None or kept is None or not same_file(kept, path):
            return
        self._clear_result()
        self.status_label.setText(f"The new model, {Path(path).stem}, was deleted.")

    def forget_result(self) -> None:
        """Clear the last run's result and chart (the dialog is opened again for a new run)."""
        if self.runner.running or self.result_path is not None:
            return  # still running, or a result not used yet: keep it on screen
        self._clear_result()

    def _clear_result(self) -> None:
        """The view of the last run, gone (its model file, if any, stays where it was kept)."""
        self.result_path, self.result, self._adopted, self._loading = None, None, None, None
        self.chart.clear()
        self.progress_bar.setValue(0)
        self.progress_bar.hide()
        self.result_label.setText("")
        self.status_label.setText("")
        self.use_button.hide()

    def _on_failed(self, message: str, kind: str = "bug") -> None:
        self._set_running(False)
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.hide()
        self.status_label.setText(NOT_FINISHED)
        self._show_error(plain_error(message, kind))

    def _on_cancelled(self) -> None:
        self._set_running(False)
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(0)
        self.progress_bar.hide()
        # Nothing of a cancelled run is kept, so its half-drawn curves go too: left beside
        # "Cancelled", they read as a result (and the next run starts a chart of its own).
        self.chart.clear()
        self.error_label.hide()  # a note given while it ran (see prefill) is done with
        self.status_label.setText("Cancelled; the current model is unchanged.")
        self.store.clear_pending()

    def _forget_error(self) -> None:
        """The data chosen changed: an error about the old choice, and the view of the run
        that did not finish because of it (its line, its chart), no longer apply."""
        if self.runner.running:
            return
        self.error_label.hide()
        if self.status_label.text() == NOT_FINISHED:
            self._clear_result()

    def _show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()
        self._reveal(self.error_label)

    def _reveal(self, widget: QWidget) -> None:
        """Scroll ``widget`` into view once the layout has placed it (a small screen shows
        only part of the dialog at a time)."""
        QTimer.singleShot(0, self, lambda: self.scroll.ensureWidgetVisible(widget))

    def use_model(self) -> None:
        """Ask the window to load the new model; "In use" is said only once it has loaded."""
        if not self.result_path or self._loading:
            return
        if not Path(self.result_path).is_file():
            gone = self.result_path
            self._follow_delete(gone)  # nothing is left to use: the result goes
            self._show_error(
                f"The new model is no longer at {gone}: it was moved or deleted "
                "outside DigitPad. Retrain to make another."
            )
            return
        try:
            path = self.store.adopt(self.result_path)
        except OSError as exc:
            self._show_error(
                f"Could not keep the new model in {self.userdata.models}: {os_reason(exc)}"
            )
            return
        self._loading = str(path)
        self.result_path = str(path)
        self.error_label.hide()
        self.use_button.setEnabled(False)
        self.use_button.setText("Loading…")
        self.status_label.setText(f"Loading the new model, {path.stem}…")

    def _on_model_changed(self, _model: object, source: str) -> None:
        loading, self._loading = self._loading, None
        self._show_result()
        if loading is not None and same_file(source, loading):
            self.status_label.setText(f"Now using the new model, {Path(loading).stem}.")
            self.modelAdopted.emit(loading)

    def _on_model_failed(self, message: str, source: str) -> None:
        """The new model's file would not load (damaged since it was written): the model in
        use stays, and the dialog says so rather than calling the new one in use."""
        loading = self._loading
        if loading is None or not same_file(source, loading):
            return
        self._loading = None
        self.result_path = None
        self.use_button.setText("Could not be used")
        self.use_button.setEnabled(False)
        self.result_label.setText(
            f"New model: <b>{percent(accuracy_of(self.result))}</b> test accuracy, "
            "but its file could not be loaded"
            f"<br>Model in use: {percent(self.current_accuracy())} (unchanged)"
        )
        self.status_label.setText(NOT_IN_USE)
        self._show_error(
            f"The new model could not be loaded: {message.strip()}\n"
            "Retrain to make another, or delete it under Model → My models."
        )

    def shutdown(self) -> None:
        """Stop any run and wait for the child to end (the window is closing)."""
        self.runner.stop()
