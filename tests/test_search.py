"""The Optuna search on tiny synthetic data: storage, resuming, pruning and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import optuna
import pytest

from digitpad import best_params
from digitpad.userdata import UserData
from training import search
from training.config import SEARCH_SPACE, TrainConfig
from training.events import error_kind


def run_cli(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, list[dict], str]:
    code = search.main(list(argv))
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return code, lines, err


@pytest.fixture
def storage(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'study.db'}"


def common(mnist_folder: Path, storage: str, tmp_path: Path) -> list[str]:
    return [
        "--data",
        str(mnist_folder),
        "--storage",
        storage,
        "--epochs",
        "1",
        "--device",
        "cpu",
        "--cache",
        str(tmp_path / "cache"),
    ]


def test_search_stores_trials_and_resumes(mnist_folder, storage, tmp_path, capsys):
    args = common(mnist_folder, storage, tmp_path)
    code, lines, err = run_cli(
        capsys, *args, "--trials", "2", "--study-name", "s", "--progress", "jsonl"
    )
    assert code == 0, err
    result = lines[-1]
    assert result["event"] == "done"
    assert result["trials_completed"] + result["trials_pruned"] == 2
    assert 0 <= result["best_val_accuracy"] <= 1 and 0 <= result["test_accuracy"] <= 1
    assert set(result["best_params"]) == set(search.space_for("fcnn"))
    events = [line["event"] for line in lines]
    assert events.count("trial_started") == 2
    assert events.count("trial_finished") + events.count("trial_pruned") == 2
    # The best parameters are kept where the Retrain dialog takes its defaults from.
    kept = best_params.load(UserData.at().root)
    assert kept is not None and kept["arch"] == "fcnn"
    assert kept["params"]["lr"] == pytest.approx(result["best_params"]["lr"])
    assert kept["test_accuracy"] == result["test_accuracy"]

    study = optuna.load_study(study_name="s", storage=storage)
    assert len(study.trials) == 2
    # The first trial of a new study measures the current defaults.
    assert study.trials[0].params["lr"] == pytest.approx(TrainConfig().lr)

    code, lines, err = run_cli(capsys, *args, "--trials", "3", "--study-name", "s", "--no-final")
    assert code == 0, err
    assert lines[-1]["trials_completed"] + lines[-1]["trials_pruned"] == 3
    assert lines[-1]["test_accuracy"] is None
    trials = optuna.load_study(study_name="s", storage=storage).trials
    assert [t.number for t in trials] == [0, 1, 2]
    params = [json.dumps(t.params, sort_keys=True) for t in trials]
    assert len(set(params)) == 3, "a resumed study must not repeat its trials"
    assert "trials" in err  # the tqdm bar over trials


def test_cnn_searches_channels_and_depth(mnist_folder, storage, tmp_path):
    options = search.SearchOptions(
        data=mnist_folder,
        arch="cnn",
        trials=1,
        epochs=1,
        storage=storage,
        device="cpu",
        final=False,
        cache=tmp_path / "cache",
    )
    result = search.run_search(options)
    assert "channels" in result["best_params"] and "channels" not in search.space_for("fcnn")
    assert list(result["best_params"]["channels"]) in [
        list(c) for c in SEARCH_SPACE["channels"].choices
    ]
    assert result["best_params"]["convs"] in (1, 2) and "convs" not in search.space_for("fcnn")


def test_a_clearly_worse_trial_is_pruned(mnist_folder, storage, tmp_path):
    good = {
        "lr": 5e-3,
        "batch_size": 64,
        "augment": 0.0,
        "dropout": 0.0,
        "hidden": 128,
        "schedule": "constant",
        "weight_decay": 1e-6,
        "label_smoothing": 0.0,
    }
    bad = {**good, "lr": 1e-4, "batch_size": 512, "augment": 1.5, "dropout": 0.5}
    events: list[dict] = []
    options = search.SearchOptions(
        data=mnist_folder,
        trials=3,
        epochs=2,
        storage=storage,
        device="cpu",
        final=False,
        pruner="median",
        pruner_startup_trials=1,
        pruner_warmup_epochs=0,
        enqueue=[good, bad],
        cache=tmp_path / "cache",
    )
    result = search.run_search(options, emit=events.append)
    assert result["trials_pruned"] >= 1
    study = optuna.load_study(study_name=options.name, storage=storage)
    worst = study.trials[2]
    assert worst.params["lr"] == pytest.approx(1e-4)
    assert worst.state == optuna.trial.TrialState.PRUNED
    assert worst.user_attrs["pruned_at_epoch"] == 1
    assert any(e["event"] == "trial_pruned" and e["trial"] == 2 for e in events)


def test_a_trial_whose_training_diverges_is_pruned_and_the_search_goes_on(
    mnist_folder, storage, tmp_path, capsys, monkeypatch
):
    """Parameters that cannot train are a bad trial, not the end of the search."""
    import training.loop
    from training.events import DivergedError

    real, calls = training.loop.train, []

    def first_diverges(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise DivergedError(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(training.loop, "train", first_diverges)
    args = common(mnist_folder, storage, tmp_path)
    code, lines, err = run_cli(capsys, *args, "--trials", "2", "--no-final", "--progress", "jsonl")
    assert code == 0, err
    pruned = [line for line in lines if line["event"] == "trial_pruned"]
    assert pruned[0]["trial"] == 0 and pruned[0]["diverged"] and pruned[0]["epoch"] == 1
    assert lines[-1]["trials_completed"] + lines[-1]["trials_pruned"] == 2
    trials = optuna.load_study(study_name=None, storage=storage).trials
    assert "diverged in epoch 1" in trials[0].user_attrs["diverged"]


def test_cancel_keeps_finished_trials(mnist_folder, storage, tmp_path):
    import threading

    stop = threading.Event()
    options = search.SearchOptions(
        data=mnist_folder,
        trials=5,
        epochs=1,
        storage=storage,
        device="cpu",
        cache=tmp_path / "cache",
    )

    def emit(event: dict) -> None:
        if event["event"] == "trial_started" and event["trial"] == 1:
            stop.set()

    result = search.run_search(options, emit=emit, stop=stop)
    assert result["cancelled"] and result["test_accuracy"] is None
    study = optuna.load_study(study_name=options.name, storage=storage)
    states = [t.state for t in study.trials]
    assert states[0] == optuna.trial.TrialState.COMPLETE
    assert optuna.trial.TrialState.RUNNING not in states


@pytest.mark.parametrize(
    ("storage_url", "says"),
    [
        (
            "sqlite:////nonexistent-folder/deeper/study.db",
            "folder /nonexistent-folder/deeper does not exist",
        ),
        ("postgresql://digitpad:secret@127.0.0.1:1/nothing", "nothing answers at 127.0.0.1 port 1"),
        ("postgresql://me@no-such-host.invalid/x", "no-such-host.invalid"),
        ("nosuchdb://somewhere/x", "nosuchdb"),
    ],
)
def test_unreachable_storage_is_a_clear_error(mnist_folder, tmp_path, capsys, storage_url, says):
    code, lines, err = run_cli(
        capsys, *common(mnist_folder, storage_url, tmp_path), "--trials", "1"
    )
    assert code == 1
    assert "cannot" in err and "storage" in err and "Traceback" not in err
    assert "secret" not in err and says in err
    assert "OperationalError" not in err  # the driver's class names mean nothing to a user
    assert lines[-1]["event"] == "error" and lines[-1]["kind"] == "storage"
    assert len(lines[-1]["message"].splitlines()) == 1


def test_study_with_another_direction_is_refused(mnist_folder, storage, tmp_path, capsys):
    optuna.create_study(study_name="taken", storage=storage, direction="minimize")
    code, lines, err = run_cli(
        capsys, *common(mnist_folder, storage, tmp_path), "--study-name", "taken", "--trials", "1"
    )
    assert code == 1
    assert "minimize" in err and "taken" in err and "Traceback" not in err
    assert lines[-1]["kind"] == "storage"


@pytest.mark.parametrize("kind", ["empty", "broken"])
def test_bad_data_folder_is_a_clear_error(tmp_path, storage, capsys, kind):
    folder = tmp_path / "data"
    folder.mkdir()
    if kind == "broken":
        (folder / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03trunc")
        (folder / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01")
    code, lines, err = run_cli(capsys, *common(folder, storage, tmp_path), "--trials", "1")
    assert code == 1
    assert str(folder) in err and "Traceback" not in err
    assert lines[-1]["event"] == "error" and lines[-1]["kind"] == "data"


@pytest.mark.parametrize("entry", [["training", "search"], ["training.search"]])
def test_cli_subcommand_exits_cleanly_in_a_child_process(tmp_path, storage, entry):
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", *entry, "--data", str(empty), "--storage", storage],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "empty" in proc.stderr and "Traceback" not in proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1])["event"] == "error"
    assert json.loads(proc.stdout.splitlines()[-1])["kind"] == "data"


def test_default_storage_lives_in_the_user_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(tmp_path / "userdata"))
    assert search.default_storage() == f"sqlite:///{tmp_path / 'userdata' / 'search.db'}"


def test_an_out_that_is_a_folder_is_refused_before_any_trial(
    mnist_folder, storage, tmp_path, capsys
):
    folder = tmp_path / "a-folder.npz"
    folder.mkdir()
    args = common(mnist_folder, storage, tmp_path)
    code, lines, _err = run_cli(capsys, *args, "--trials", "1", "--out", str(folder))
    assert code == 1 and "not a regular file" in lines[-1]["message"]
    assert lines[-1]["event"] == "error" and len(lines) == 1  # no trial started
    assert lines[-1]["kind"] == "input"


def test_a_trial_past_the_target_is_surplus_and_surplus_trials_do_not_count(storage):
    study = optuna.create_study(study_name="race", storage=storage, direction="maximize")
    first, second, third = (study.ask() for _ in range(3))  # three workers asked at once
    assert not search.is_surplus(study, first.number, 2)
    assert not search.is_surplus(study, second.number, 2)
    assert search.is_surplus(study, third.number, 2)
    second.set_user_attr(search.SURPLUS, True)  # gave its place up
    study.tell(second, state=optuna.trial.TrialState.FAIL)
    assert not search.is_surplus(study, third.number, 2)
    assert search.counts(study)["failed"] == 0


def test_a_search_error_says_its_kind_storage_by_default():
    assert search.SearchError("the database is gone").kind == "storage"
    assert search.SearchError("no images", kind="data").kind == "data"
    assert search.SearchError("--trials 0", kind="input").kind == "input"
    assert error_kind(search.SearchError("no images", kind="data")) == "data"
    with pytest.raises(ValueError, match="unknown error kind"):
        search.SearchError("?", kind="weather")


@pytest.mark.parametrize(
    ("extra", "kind", "words"),
    [
        (["--trials", "0"], "input", "at least 1"),
        (["--val-fraction", "1.5"], "input", "--val-fraction"),
        (["--no-data"], "input", "needs --data"),
        (["--status", "--study-name", "never-made"], "storage", "there is no study"),
    ],
)
def test_every_error_event_carries_its_kind(
    mnist_folder, storage, tmp_path, capsys, extra, kind, words
):
    args = common(mnist_folder, storage, tmp_path)
    if extra == ["--no-data"]:
        args, extra = args[2:], []
    code, lines, err = run_cli(capsys, *args, *extra)
    assert code == 1 and "Traceback" not in err
    assert lines[-1]["event"] == "error" and lines[-1]["kind"] == kind
    assert words in lines[-1]["message"]
    assert err.strip().splitlines()[-1] == f"error: {lines[-1]['message']}"


def test_too_few_images_to_hold_out_validation_is_a_data_error():
    with pytest.raises(search.SearchError, match="too few") as caught:
        search.split_indices(1, 0.5, seed=0)
    assert caught.value.kind == "data"


def test_the_stop_flag_is_set_by_sigterm_and_gives_the_old_handler_back():
    import os
    import signal
    import threading

    from training.stopping import StopFlag

    before = signal.getsignal(signal.SIGTERM)
    stop = StopFlag()
    with stop.installed():
        assert not stop() and not stop.wait(0.01)
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.wait(5) and stop() and stop.is_set() and stop.signum == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is before
    # Outside the main thread signals cannot be caught: installing does nothing.
    elsewhere: list[dict] = []
    worker = threading.Thread(target=lambda: elsewhere.append(StopFlag().install()))
    worker.start()
    worker.join()
    assert elsewhere == [{}] and signal.getsignal(signal.SIGTERM) is before


def test_sigterm_stops_a_search_child_and_keeps_its_finished_trials(
    mnist_folder, storage, tmp_path
):
    import os
    import signal

    command = [sys.executable, "-m", "training", "search", *common(mnist_folder, storage, tmp_path)]
    command[command.index("--epochs") + 1] = "30"
    proc = subprocess.Popen(
        [*command, "--trials", "3", "--progress", "jsonl"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    for line in proc.stdout:
        if json.loads(line)["event"] == "epoch":
            break
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err[-1000:]
    last = json.loads(out.splitlines()[-1])
    assert last["event"] == "cancelled" and last["cancelled"] and "Traceback" not in err
    states = [
        t.state for t in optuna.load_study(study_name="digitpad-fcnn", storage=storage).trials
    ]
    assert optuna.trial.TrialState.RUNNING not in states


def test_a_trial_that_ran_every_epoch_is_never_pruned():
    from types import SimpleNamespace

    from training.search.trial import Objective

    class AlwaysPrune:
        number = 0

        def __init__(self) -> None:
            self.attrs: dict = {}

        def report(self, value, step):
            pass

        def should_prune(self):
            return True

        def set_user_attr(self, key, value):
            self.attrs[key] = value

    events: list[dict] = []
    objective = Objective(None, {}, TrainConfig(), None, 1, events.append, lambda: False)
    last: dict = {}

    def epoch(n: int) -> SimpleNamespace:
        return SimpleNamespace(epoch_end=True, epoch=n, epochs=3, metrics={"test_accuracy": 0.9})

    objective._on_progress(AlwaysPrune(), last, epoch(3))  # the last: a finished trial
    assert last == {"value": 0.9, "epoch": 3} and events[-1]["event"] == "epoch"
    with pytest.raises(optuna.TrialPruned):
        objective._on_progress(AlwaysPrune(), last, epoch(2))


def test_resuming_a_finished_study_reports_the_test_score_of_its_retrained_best(
    mnist_folder, storage, tmp_path, capsys
):
    args = [*common(mnist_folder, storage, tmp_path), "--trials", "1", "--study-name", "again"]
    code, lines, err = run_cli(capsys, *args, "--progress", "jsonl")
    assert code == 0, err
    first = lines[-1]
    assert first["test_accuracy"] is not None
    (search.user_data_dir() / best_params.FILE_NAME).unlink()  # only the study remembers it

    code, lines, err = run_cli(capsys, *args, "--progress", "jsonl")
    assert code == 0, err
    again = lines[-1]
    assert again["final_by_another_worker"] and again["best_trial"] == first["best_trial"]
    assert again["test_accuracy"] == first["test_accuracy"]
    assert best_params.load(search.user_data_dir())["test_accuracy"] == first["test_accuracy"]


def test_a_worker_that_does_not_retrain_keeps_the_test_score_already_saved(
    mnist_folder, storage, tmp_path, capsys
):
    args = [*common(mnist_folder, storage, tmp_path), "--trials", "1", "--study-name", "kept"]
    code, lines, err = run_cli(capsys, *args, "--progress", "jsonl")
    assert code == 0, err
    score = lines[-1]["test_accuracy"]
    assert best_params.load(search.user_data_dir())["test_accuracy"] == score is not None

    code, lines, err = run_cli(capsys, *args, "--no-final", "--progress", "jsonl")
    assert code == 0, err
    assert best_params.load(search.user_data_dir())["test_accuracy"] == score


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://ann:pa/ss@h/db", "postgresql://ann:***@h/db"),
        ("postgresql://ann:s3cr@t@h/db", "postgresql://ann:***@h/db"),
        ("postgresql://ann@h/db?password=s3cret", "postgresql://ann@h/db?password=***"),
        ("garbage:s3cret@h", "h"),
    ],
)
def test_a_storage_url_is_shown_without_its_password_wherever_it_is(url, shown):
    assert search.redact(url) == shown


def test_a_resumed_study_is_counted_from_its_trials_so_far(mnist_folder, storage, tmp_path):
    """The bar over trials is told of the study's finished trials before any new one runs,
    so a resumed search does not show 0 of N while it waits for its first trial."""
    options = search.SearchOptions(
        data=mnist_folder,
        trials=1,
        epochs=1,
        storage=storage,
        device="cpu",
        final=False,
        cache=tmp_path / "cache",
        study_name="resumed",
    )
    search.run_search(options)
    seen: list[int] = []
    search.run_search(options, on_trial_done=lambda study: seen.append(len(study.trials)))
    assert seen and seen[0] == 1


def test_the_searched_model_records_its_test_score_as_the_app_reads_it(
    mnist_folder, storage, tmp_path, capsys
):
    from digitpad.model_file import load_model
    from training.cli import main as training_main

    out = tmp_path / "best.npz"
    args = common(mnist_folder, storage, tmp_path)
    code, lines, err = run_cli(
        capsys, *args, "--trials", "1", "--study-name", "r", "--out", str(out)
    )
    assert code == 0, err
    evaluate = ["evaluate", "--data", str(mnist_folder), "--model", str(out)]
    assert training_main([*evaluate, "--cache", str(tmp_path / "cache")]) == 0
    read = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line[:1] == "{"]
    assert load_model(out).test_accuracy == lines[-1]["test_accuracy"] == read[-1]["accuracy"]


def test_workers_that_start_together_draw_their_own_parameters_unless_given_a_seed():
    """Two workers joining a shared study at once used to try the same parameters."""
    import optuna

    from training.search.run import make_sampler

    def first(sampler) -> float:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(sampler=sampler)
        return study.ask().suggest_float("lr", 1e-4, 1e-1, log=True)

    assert first(make_sampler(None, 1)) != first(make_sampler(None, 1))
    assert first(make_sampler(7, 1)) == first(make_sampler(7, 1))  # --seed: repeatable
    assert first(make_sampler(7, 1)) != first(make_sampler(7, 2))  # and a resumed run moves on
