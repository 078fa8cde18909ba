"""Model → Search hyperparameters…: an Optuna search in a child process, trial by trial.

The dialog runs ``digitpad search … --progress jsonl`` through
:class:`digitpad.ui.child_process.ChildProcess` (the GUI never imports
torch, optuna or ``training``) and shows each trial as it ends: a table and a
chart of validation accuracy by trial. The search space is not repeated here:
it lives in ``training/config.py`` (``SEARCH_SPACE``) and the child reports it
in its ``search_started`` event, which the dialog shows. Cancel stops the
child; the study (SQLite in the user's data folder) keeps every finished trial,
so starting again with the same study name resumes it. "Retrain with the best…"
emits :attr:`SearchDialog.retrainRequested` with TrainConfig field
values, which the main window hands to the retrain dialog.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from digitpad.best_params import format_value
from digitpad.networks import ARCHITECTURES, label
from digitpad.requests import (
    TRIAL_EPOCHS_RANGE,
    TRIALS_RANGE,
    SearchRequest,
    password_in,
    with_password,
    without_password,
)
from digitpad.ui.charts import LineChart
from digitpad.ui.child_process import ChildProcess
from digitpad.ui.dialog_fit import FitsTheScreen, scrolling
from digitpad.ui.settings import Settings
from digitpad.userdata import UserData
from digitpad.words import plural

ELSEWHERE = " on another computer"  # a trial another worker of a shared study ran
RUNNING = "running"
STOPPED = "stopped (not counted)"  # running when the search ended: the study fails it
COLUMNS = ("Trial", "State", "Val. accuracy", "Epochs", "Parameters")


def _where(event: dict) -> str:
    """Where a trial ran, when not here and now: earlier (a resumed study) or elsewhere."""
    if event.get("earlier"):
        return " earlier"
    return ELSEWHERE if event.get("by_another_worker") else ""


def readable(name: str) -> str:
    """A setting's name as people write it: ``label_smoothing`` → ``label smoothing``."""
    return "learning rate" if name == "lr" else name.replace("_", " ")


def format_params(params: dict) -> str:
    parts = []
    for key, value in params.items():
        shown = label(str(value)) if key == "arch" else format_value(value)
        parts.append(f"{readable(key)} {shown}")
    return ", ".join(parts)


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.2%}"


def trials_note(total: int, held: int) -> str:
    """What "Trials in the study, in all" means for a study that holds ``held`` trials: the
    count is the study's total, so Start runs only what it asks beyond them."""
    more = total - held
    if more > 0:
        return f"{more} more than the study holds: Start runs {'it' if more == 1 else 'them'}"
    return f"The study holds {plural(held, 'trial')} already: raise this to run more"


LISTING_FAILED = "Could not list the studies there"
NOT_STARTED = "Not started."


class TrialChart(LineChart):
    """Validation accuracy by trial (the shared :class:`LineChart`): completed trials,
    pruned trials (their last reported value) and the best so far, in trial order
    whatever order they end in (other workers' trials end out of it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, x_label="trial", empty_message="Trials appear here as they end")
        self.add_series("complete", "Completed trial", "accuracy", axis="left", percent=True)
        self.add_series("pruned", "Pruned trial (last value)", "muted", axis="left", percent=True)
        self.add_series("best", "Best so far", "best", axis="left", percent=True)
        self.setMinimumHeight(160)
        self._trials: dict[int, tuple[float, bool]] = {}  # number → (accuracy, pruned)

    def add(self, trial: int, accuracy: float | None, pruned: bool) -> None:
        if accuracy is None:
            return
        self._trials[trial] = (accuracy, pruned)
        super().clear()
        best = None
        for number in sorted(self._trials):
            value, was_pruned = self._trials[number]
            self.append("pruned" if was_pruned else "complete", number, value)
            if not was_pruned and (best is None or value > best):
                best = value
            if best is not None:
                self.append("best", number, best)

    def clear(self) -> None:
        super().clear()
        self._trials = {}


def _label_for(text: str, field: QWidget) -> QLabel:
    """A form label whose key (its underlined letter) goes to ``field``."""
    label = QLabel(text)
    label.setBuddy(field)
    return label


class SearchDialog(FitsTheScreen, QDialog):
    """Start, watch and cancel a hyperparameter search (see the module docstring)."""

    retrainRequested = Signal(dict)

    def __init__(
        self,
        parent: QWidget | None = None,
        userdata: UserData | None = None,
        settings: Settings | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Search hyperparameters")
        self.userdata = userdata or UserData.at()
        self.settings = settings if settings is not None else Settings()
        self.runner = ChildProcess(self, name="search")
        self.best_params: dict | None = None
        self.best_value: float | None = None
        self.rows: dict[int, int] = {}
        # The (storage, study) whose trials the table, chart and best belong to, and the
        # failure of the last search, which a later listing error must not hide.
        self._shown: tuple[str, str] | None = None
        self._failure: str | None = None
        self._trial_epochs: int | None = None  # each trial's epochs in the study shown
        self._target: int | None = None  # the trials the running search's study is to hold
        self._final = False  # the running search retrains its best, its last step
        self._list_again = False  # the form changed while a listing ran: list it again

        self.data_edit = QLineEdit()
        self.data_edit.setPlaceholderText("folder with train-images-idx3-ubyte etc.")
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._choose_data)
        self.browse_button = browse
        # A message about the folder no longer applies once the folder changes.
        self.data_edit.textEdited.connect(
            lambda _text: self.running or self.status_label.setText(NOT_STARTED)
        )
        data_row = QHBoxLayout()
        data_row.addWidget(self.data_edit)
        data_row.addWidget(browse)
        self.arch_combo = QComboBox()
        for spec in ARCHITECTURES.values():
            self.arch_combo.addItem(spec.title, spec.name)
        self.trials_spin = QSpinBox()
        self.trials_spin.setRange(*TRIALS_RANGE)
        self.trials_note = QLabel("")  # how the total relates to a continued study's trials
        self.trials_note.setWordWrap(True)  # one line, unless the dialog is narrow
        self.trials_note.hide()
        trials_row = QHBoxLayout()
        trials_row.addWidget(self.trials_spin)
        trials_row.addWidget(self.trials_note, 1)
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(*TRIAL_EPOCHS_RANGE)
        # Which study: a new one (named for the user unless they name it) or one to continue.
        self.study_combo = QComboBox()
        self.study_combo.addItem("A new study", None)
        self.study_edit = QLineEdit()
        self.study_edit.setPlaceholderText("a name is chosen for you")
        study_row = QHBoxLayout()
        study_row.addWidget(self.study_combo, 2)
        study_row.addWidget(self.study_edit, 1)
        self.studies: list[dict] = []  # what the last listing of the storage found
        self.lister = ChildProcess(self, name="study listing")
        self.local_radio = QRadioButton("&On this computer")
        self.shared_radio = QRadioButton("In a &database shared by several computers:")
        self.storage_edit = QLineEdit()
        self.storage_edit.setPlaceholderText("postgresql://user@host/database")
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("password (not remembered)")
        # Wide enough to read its hint whole: that the password is not kept matters.
        hint = self.password_edit.fontMetrics().horizontalAdvance("password (not remembered)")
        self.password_edit.setMinimumWidth(hint + 3 * self.password_edit.fontMetrics().height())
        self.storage_edit.textEdited.connect(lambda _: self.shared_radio.setChecked(True))
        # Chosen (Alt+D, or a click), a shared database wants its address next.
        self.shared_radio.clicked.connect(lambda _checked: self.storage_edit.setFocus())
        # A message about where the study is kept no longer applies once that changes.
        for edited in (self.storage_edit.textEdited, self.password_edit.textEdited):
            edited.connect(lambda _text: self._setup_changed())
        self.local_radio.toggled.connect(lambda _on: self._setup_changed())
        where = QVBoxLayout()
        where.addWidget(self.local_radio)
        where.addWidget(self.shared_radio)
        shared_row = QHBoxLayout()
        shared_row.addWidget(self.storage_edit, 2)
        shared_row.addWidget(self.password_edit, 1)
        where.addLayout(shared_row)
        form = QFormLayout()
        # Each field has its key, as the Retrain dialog's; a row that is a layout names the
        # field it starts with.
        form.addRow(_label_for("MNIST &folder", self.data_edit), data_row)
        form.addRow("&Architecture", self.arch_combo)
        form.addRow(_label_for("&Trials in the study, in all", self.trials_spin), trials_row)
        form.addRow("&Epochs per trial", self.epochs_spin)
        form.addRow("Study kept", where)
        form.addRow(_label_for("Stud&y", self.study_combo), study_row)

        self.space_label = QLabel("")
        self.space_label.setWordWrap(True)
        self.status_label = QLabel(NOT_STARTED)
        self.status_label.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(
            len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch
        )
        # The state, "complete on another computer" at its longest, is read whole.
        self.table.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.ResizeToContents
        )
        # Room for a few trials however little the screen shows (the dialog's body scrolls).
        rows = self.table.verticalHeader().defaultSectionSize()
        header = self.table.horizontalHeader().sizeHint().height()
        self.table.setMinimumHeight(header + 3 * rows + 2 * self.table.frameWidth())
        self.chart = TrialChart()

        self.start_button = QPushButton("&Start")
        self.cancel_button = QPushButton("&Cancel search")
        # Short enough for the row to fit 720×600 at 150%; "…": it opens the Retrain dialog.
        self.retrain_button = QPushButton("&Retrain with the best…")
        self.retrain_button.setToolTip("Open Retrain with the best trial's parameters filled in")
        self.cancel_button.setEnabled(False)
        self.retrain_button.setEnabled(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        # Text alone, as the Retrain dialog's buttons (some styles' icon is lost in the dark).
        buttons.button(QDialogButtonBox.StandardButton.Close).setIcon(QIcon())
        buttons.addButton(self.start_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.retrain_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)

        body = QVBoxLayout()
        body.addLayout(form)
        body.addWidget(self.space_label)
        body.addWidget(self.chart)
        body.addWidget(self.table, 1)
        layout = QVBoxLayout(self)
        self.scroll = scrolling(body, self)
        layout.addWidget(self.scroll, 1)
        # What happens now, and the buttons, stay in view however little the screen shows.
        layout.addWidget(self.status_label)
        layout.addWidget(buttons)
        self.resize(760, 660)  # as wanted; opened smaller on a smaller screen (FitsTheScreen)
        self._restore()
        self.study_combo.currentIndexChanged.connect(self._on_study_picked)
        self.trials_spin.valueChanged.connect(lambda _value: self._show_trials_note())
        self.lister.finished.connect(lambda _model, done: self._on_listing(done))
        self.lister.failed.connect(self._on_listing_failed)
        self.local_radio.toggled.connect(lambda _on: self.list_studies())
        self.storage_edit.editingFinished.connect(self._take_password_out)
        self.storage_edit.editingFinished.connect(self.list_studies)
        self.password_edit.editingFinished.connect(self.list_studies)
        self.arch_combo.currentIndexChanged.connect(lambda _i: self._name_hint())
        self.list_studies()

        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.retrain_button.clicked.connect(self._request_retrain)
        self.runner.message.connect(self._on_event)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(self._on_cancelled)

    # --- commands -----------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.runner.running

    def request(self) -> SearchRequest:
        """What the form asks for, the password included (it is never remembered)."""
        storage = ""
        if self.shared_radio.isChecked():
            storage = with_password(self.storage_edit.text().strip(), self.password_edit.text())
        return SearchRequest(
            folder=os.path.expanduser(self.data_edit.text().strip()),
            arch=str(self.arch_combo.currentData()),
            trials=self.trials_spin.value(),
            epochs=self.epochs_spin.value(),
            study=self._study_name(),
            storage=storage,
        )

    def _setup_changed(self) -> None:
        """A failure about where the study is kept no longer applies once that changes."""
        shown = self.status_label.text()
        if not self.running and (self._failure is not None or shown.startswith(LISTING_FAILED)):
            self._failure = None
            self.status_label.setText(NOT_STARTED)

    def _take_password_out(self) -> None:
        """A password typed into the address moves to the password box, which hides it."""
        address = self.storage_edit.text().strip()
        password = password_in(address)
        if password and without_password(address):
            self.password_edit.setText(password)
            self.storage_edit.setText(without_password(address))

    # --- the study -------------------------------------------------------------------------
    def list_studies(self) -> None:
        """Ask a child for the studies in the chosen storage (it needs Optuna, the app not)."""
        if self.running:
            return
        if self.lister.running:  # its answer is about what the form said before: ask again
            self._list_again = True
            return
        self._list_again = False
        request = replace(self.request(), folder=".")
        if request.storage and request.problem():
            return  # an address still being typed
        argv = ["search", "--list", "--progress", "jsonl"]
        if request.storage:
            argv += ["--storage", without_password(request.storage)]
        env = {**self.userdata.child_environment(), **request.environment()}
        self.lister.start(argv, env=env)

    def _stale_listing(self) -> bool:
        """Whether the listing that just ended was asked for an address changed since (then
        the form's is listed instead)."""
        if not self._list_again:
            return False
        self.list_studies()
        return True

    def _on_listing(self, event: dict) -> None:
        if self._stale_listing() or not isinstance(event.get("studies"), list):
            return
        wanted = self.study_combo.currentData() or {}
        remembered = self.settings.search_request.study
        self.studies = [s for s in event["studies"] if isinstance(s, dict) and s.get("study")]
        self.study_combo.blockSignals(True)
        self.study_combo.clear()
        self.study_combo.addItem("A new study", None)
        for study in self.studies:
            best = study.get("best_val_accuracy")
            self.study_combo.addItem(
                f"Continue {study['study']}: {label(str(study.get('arch')))}, "
                f"{plural(study.get('epochs'), 'epoch')} a trial, "
                f"{plural(study.get('trials'), 'trial')}"
                + (f", best {percent(best)}" if best is not None else ""),
                study,
            )
        names = [s["study"] for s in self.studies]
        keep = wanted.get("study") or (remembered if remembered in names else None)
        self.study_combo.setCurrentIndex(names.index(keep) + 1 if keep in names else 0)
        self.study_combo.blockSignals(False)
        self._on_study_chosen()

    def _on_listing_failed(self, message: str, _kind: str = "") -> None:
        if self._stale_listing():
            return
        # Whatever was listed came from another storage: only a new study is known here.
        self._on_listing({"studies": []})
        if self._failure is None:  # the search's own failure says more; keep it in view
            self.status_label.setText(f"{LISTING_FAILED}: {message}")

    def _on_study_picked(self, index: int) -> None:
        """The user chose a study to continue: the total asks for 10 more than it holds (the
        note beside it says so). Only on their choice: after a search the study just run is
        chosen again by itself, and the count they gave stays as they gave it."""
        study = self.study_combo.currentData()
        held = self._held(study)
        if held is not None:
            self.trials_spin.setValue(held + 10)
        names = [listed["study"] for listed in self.studies]
        if study is None and self.study_edit.text().strip() in names:
            self.study_edit.clear()  # a new study: not the name of one there already
        self._on_study_chosen(index)

    def _on_study_chosen(self, _index: int = 0) -> None:
        """An existing study fixes its network and epochs; a new one leaves them free."""
        study = self.study_combo.currentData()
        existing = isinstance(study, dict)
        if self._shown is not None and self._shown != self._chosen_study():
            self._forget_trials()  # they belong to another study, or to another storage
            if not self.running:  # and so does what the line below them says
                self.status_label.setText(NOT_STARTED)
        if self._shown is None:
            # No run of it on screen: the best is the listed study's (one searched in an
            # earlier session, say), which can be retrained without running it again.
            listed = study.get("best_params") if existing else None
            best = study.get("best_val_accuracy") if existing else None
            self.best_params = dict(listed) if isinstance(listed, dict) else None
            self.best_value = best if isinstance(best, float) else None
            self.retrain_button.setEnabled(self.best_params is not None and not self.running)
        if existing:
            index = self.arch_combo.findData(study.get("arch"))
            if index >= 0:
                self.arch_combo.setCurrentIndex(index)
            if isinstance(study.get("epochs"), int):
                self.epochs_spin.setValue(study["epochs"])
        for widget in (self.arch_combo, self.epochs_spin, self.study_edit):
            widget.setEnabled(not existing and not self.running)
        self.study_edit.setVisible(not existing)
        self._name_hint()
        self._show_trials_note()

    def _held(self, study: object) -> int | None:
        """How many trials a listed study holds that count towards its total (complete or
        pruned; None: a new study), counting those the table shows of it, which a listing
        made before they ended misses."""
        if not isinstance(study, dict) or not isinstance(study.get("trials"), int):
            return None
        shown = 0
        if self._shown == self._chosen_study():
            states = (self.table.item(row, 1) for row in self.rows.values())
            shown = sum(1 for item in states if item and item.text() not in (RUNNING, STOPPED))
        return max(study["trials"], shown)

    def _show_trials_note(self) -> None:
        held = None if self.running else self._held(self.study_combo.currentData())
        self.trials_note.setText(
            "" if held is None else trials_note(self.trials_spin.value(), held)
        )
        self.trials_note.setVisible(held is not None)

    def _clash(self, request: SearchRequest) -> str | None:
        """A new study named like an existing one made for another network or epochs."""
        if isinstance(self.study_combo.currentData(), dict):
            return None
        for study in self.studies:
            if study["study"] == request.study and (
                study.get("arch") != request.arch or study.get("epochs") != request.epochs
            ):
                return (
                    f"There is already a study called {request.study}, made for "
                    f"{label(str(study.get('arch')))} with {plural(study.get('epochs'), 'epoch')} "
                    "a trial. "
                    "Choose it under Study to continue it, or give the new one another name."
                )
        return None

    def _full(self, request: SearchRequest) -> str | None:
        """A study to continue that already holds the trials asked for: nothing to run."""
        held = self._held(self.study_combo.currentData())
        if held is None or request.trials > held:
            return None
        return (
            f"The study holds {plural(held, 'trial')} already: raise Trials in the study, "
            "in all, to run more."
        )

    def _chosen_study(self) -> tuple[str, str]:
        """(storage without its password, study name) of what the form would run."""
        storage = self.storage_edit.text().strip() if self.shared_radio.isChecked() else ""
        return without_password(storage) if storage else "", self._study_name()

    def _forget_trials(self) -> None:
        self.table.setRowCount(0)
        self.rows.clear()
        self.chart.clear()
        self.best_params, self.best_value = None, None
        self.retrain_button.setEnabled(False)
        self.space_label.setText("")
        self._shown = None

    def _study_name(self) -> str:
        study = self.study_combo.currentData()
        if isinstance(study, dict):
            return str(study["study"])
        return self.study_edit.text().strip() or self._new_name()

    def _new_name(self) -> str:
        """A study name no listed study has: digitpad-fcnn, then digitpad-fcnn-2, …"""
        arch = str(self.arch_combo.currentData())
        taken = {s["study"] for s in self.studies}
        name, n = f"digitpad-{arch}", 1
        while name in taken:
            n += 1
            name = f"digitpad-{arch}-{n}"
        return name

    def _name_hint(self) -> None:
        self.study_edit.setPlaceholderText(f"{self._new_name()}, or yours")

    def show_request(self, request: SearchRequest) -> None:
        self.data_edit.setText(request.folder)
        self.arch_combo.setCurrentIndex(max(0, self.arch_combo.findData(request.arch)))
        self.trials_spin.setValue(request.trials)
        self.epochs_spin.setValue(request.epochs)
        self.study_edit.setText("")
        self.storage_edit.setText(without_password(request.storage))
        (self.shared_radio if request.storage else self.local_radio).setChecked(True)

    def _restore(self) -> None:
        request = self.settings.search_request
        if not request.folder:
            # The folder Retrain uses: the one the user already chose for MNIST.
            train = self.settings.train_request
            folder = train.folder if train is not None and not train.download else ""
            # Or the one it downloads into, once it has: never a folder that is not there.
            downloaded = self.userdata.mnist
            with contextlib.suppress(OSError):
                if not folder and downloaded.is_dir() and any(downloaded.iterdir()):
                    folder = str(downloaded)
            request = replace(request, folder=folder)
        self.show_request(request)

    def arguments(self) -> list[str]:
        return self.request().argv(self.userdata.cache)

    def start(self) -> bool:
        """Start the search the form asks for; False (and the reason shown) when it cannot."""
        if self.running:
            return False
        self._take_password_out()
        request = self.request()
        problem = request.problem() or self._clash(request) or self._full(request)
        if problem:
            self.status_label.setText(problem)
            return False
        self.settings.search_request = request
        self._failure = None
        self._target, self._final = None, False  # until this search says its own
        # The table, chart and best so far stay until the search has really started: a
        # start that fails (a wrong folder, a database down) leaves what was shown.
        self._set_running(True)
        where = without_password(request.storage) if request.storage else "this computer"
        self.status_label.setText(f"Starting the search process (study kept on {where})…")
        env = {**self.userdata.child_environment(), **request.environment()}
        self.runner.start(request.argv(self.userdata.cache), env=env)
        return True

    def cancel(self) -> None:
        if self.running:
            self.status_label.setText("Stopping… finished trials stay in the study.")
            self.runner.cancel()

    def closeEvent(self, event) -> None:
        self.lister.stop()  # a search runs on (the status bar shows it); a listing need not
        super().closeEvent(event)

    def reject(self) -> None:
        """Escape closes the dialog as Close does; a search runs on, as a retrain does."""
        self.lister.stop()
        super().reject()

    def stop(self) -> None:
        """Stop the search and the listing (the window is closing)."""
        if self.running:
            self.runner.stop()
        self.lister.stop()

    def progress_text(self) -> str:
        """How far the search is, in a few words, for the status bar."""
        if self._final:
            return "retraining the best"
        ended = sum(
            1
            for row in self.rows.values()
            if (item := self.table.item(row, 1)) is not None and item.text() != RUNNING
        )
        return f"{ended} of {self._target} trials" if self._target else f"{ended} trials"

    # --- events from the child ----------------------------------------------------------
    def _on_event(self, event: dict) -> None:
        kind = event.get("event")
        if kind == "search_started":
            self._forget_trials()
            target = event.get("target_trials")
            self._target, self._final = (target if isinstance(target, int) else None), False
            self._shown = self._chosen_study()
            epochs = event.get("epochs")
            self._trial_epochs = epochs if isinstance(epochs, int) and epochs > 0 else None
            space = event.get("space") or {}
            self.space_label.setText("Searching: " + ", ".join(readable(k) for k in space))
            self.status_label.setText(
                f"Study {event.get('study')}: {event.get('finished_trials', 0)} of "
                f"{event.get('target_trials')} trials already finished. {event.get('data', '')}"
            )
        elif kind == "trial_started":
            self._row(event["trial"], RUNNING, None, 0, event.get("params") or {})
        elif kind == "epoch" and "trial" in event:
            self._row(
                event["trial"], RUNNING, event.get("val_accuracy"), event.get("epoch", 0), None
            )
        elif kind == "trial_finished":
            state = "complete" + _where(event)
            # A trial ended earlier (or elsewhere) comes without its epochs; complete, it ran
            # the study's number of them (epoch events gave this run's own trials theirs).
            epochs = event.get("epoch") or self._trial_epochs
            self._row(event["trial"], state, event.get("value"), epochs, event.get("params"))
            self.chart.add(event["trial"], event.get("value"), pruned=False)
            value = event.get("value")
            if value is not None and (self.best_value is None or value > self.best_value):
                self.best_value, self.best_params = value, dict(event.get("params") or {})
                self.retrain_button.setEnabled(True)
            self._show_best()
        elif kind == "trial_pruned":
            ended = "diverged" if event.get("diverged") else "pruned"
            self._row(
                event["trial"],
                f"{ended} (epoch {event.get('epoch')}){_where(event)}",
                event.get("value"),
                event.get("epoch"),
                event.get("params"),
            )
            self.chart.add(event["trial"], event.get("value"), pruned=True)
        elif kind == "final_started":
            self._final = True
            self.status_label.setText(
                f"Retraining the best on all the training data ({event.get('epochs')} epochs) "
                "to score it once on the test set…"
            )

    def _on_finished(self, _model: str, done: dict) -> None:
        self._set_running(False)
        if done.get("best_params"):
            self.best_params = dict(done["best_params"])
            self.best_value = done.get("best_val_accuracy")
            self.retrain_button.setEnabled(True)
        test = done.get("test_accuracy")
        self.status_label.setText(
            f"Done: {plural(done.get('trials_completed'), 'trial')} completed, "
            f"{done.get('trials_pruned')} pruned. Best validation accuracy "
            f"{percent(done.get('best_val_accuracy'))}"
            + (
                f", test accuracy of the retrained best {percent(test)}."
                if test is not None
                else ". Another worker of the study retrains the best."
                if done.get("final_by_another_worker")
                else "."
            )
        )

    def _on_failed(self, message: str, kind: str = "bug") -> None:
        self._failure = message
        self._set_running(False)
        self.status_label.setText(f"The search failed: {message}")

    def _on_cancelled(self) -> None:
        self._set_running(False)
        if self._final:  # the trials are all there: Start would have nothing to run
            self.status_label.setText(
                "Cancelled while retraining the best. The trials stay in the study; "
                "Retrain with the best… trains a model with its parameters."
            )
            return
        self.status_label.setText(
            "Cancelled. The finished trials stay in the study; Start resumes it."
        )

    # --- helpers ------------------------------------------------------------------------
    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        if running:
            self.trials_note.hide()  # the study's count changes while it runs
        for widget in (
            self.data_edit,
            self.arch_combo,
            self.trials_spin,
            self.epochs_spin,
            self.study_edit,
            self.local_radio,
            self.shared_radio,
            self.storage_edit,
            self.password_edit,
            self.study_combo,
            self.browse_button,
        ):
            widget.setEnabled(not running)
        # While it runs the best is not settled; afterwards (finished, failed or
        # cancelled) the best trial shown can be retrained.
        self.retrain_button.setEnabled(not running and self.best_params is not None)
        if not running:
            self._end_running_rows()
            self._on_study_chosen()  # a continued study keeps its network and epochs fixed
            self.list_studies()  # the study just run is now one to continue

    def _end_running_rows(self) -> None:
        """A trial still running when the search ends was stopped, and the study does not
        count it: its row must not go on saying it runs."""
        for row in self.rows.values():
            item = self.table.item(row, 1)
            if item is not None and item.text() == RUNNING:
                self.table.setItem(row, 1, QTableWidgetItem(STOPPED))

    def _row(
        self, trial: int, state: str, value: float | None, epoch: int | None, params: dict | None
    ) -> None:
        row = self.rows.get(trial)
        if row is None:  # in trial order, whatever order they start in
            row = sum(1 for number in self.rows if number < trial)
            self.table.insertRow(row)
            self.rows = {n: r + (r >= row) for n, r in self.rows.items()}
            self.rows[trial] = row
            self.table.setItem(row, 0, QTableWidgetItem(str(trial)))
        self.table.setItem(row, 1, QTableWidgetItem(state))
        if value is not None:
            self.table.setItem(row, 2, QTableWidgetItem(percent(value)))
        if epoch:
            self.table.setItem(row, 3, QTableWidgetItem(str(epoch)))
        if params is not None:
            self.table.setItem(row, 4, QTableWidgetItem(format_params(params)))
        self.table.scrollToItem(self.table.item(row, 0))

    def _show_best(self) -> None:
        if self.best_value is not None:
            self.status_label.setText(
                f"{plural(len(self.rows), 'trial')} so far; best validation accuracy "
                f"{percent(self.best_value)}"
            )

    def _choose_data(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "MNIST folder", self.data_edit.text())
        if folder:
            self.data_edit.setText(folder)

    def _request_retrain(self) -> None:
        if self.best_params:
            # The epochs stay the retrain dialog's: trials are short, a final model is not.
            params = {"arch": self.arch_combo.currentData(), **self.best_params}
            self.retrainRequested.emit(params)


__all__ = ["SearchDialog", "TrialChart"]
