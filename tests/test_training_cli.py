"""``python -m training``: a short real run writes a valid model; errors and stops are clean."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digitpad.model_file import load_model
from training.cli import main

FAST = ["--epochs", "2", "--hidden", "32", "--batch-size", "32", "--lr", "0.003"]


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_train_writes_a_valid_model_with_its_recipe(mnist_folder, tmp_path, capsys):
    out = tmp_path / "model.npz"
    code = main(
        [
            "train",
            "--data",
            str(mnist_folder),
            "--out",
            str(out),
            "--cache",
            str(tmp_path / "cache"),
            "--seed",
            "3",
            *FAST,
        ]
    )
    assert code == 0
    result = json_lines(capsys.readouterr().out)[-1]
    assert result["event"] == "done" and result["model"] == str(out)
    model = load_model(out)
    meta = model.meta
    assert meta["arch"] == "fcnn" and meta["sizes"] == {"hidden": 32}
    assert meta["normalization"] == {"mean": 0.5, "std": 0.5}
    assert meta["labels"] == list(range(10))
    assert meta["test_accuracy"] == pytest.approx(result["accuracy"])
    assert meta["recipe"]["seed"] == 3 and "--seed 3" in meta["recipe"]["command"]
    assert meta["recipe"]["config"]["epochs"] == 2
    assert {"digitpad", "torch", "numpy"} <= set(meta["versions"])
    assert "MNIST train" in meta["trained_on"] and meta["created"][:2] == "20"
    assert meta["deskew"] is True and model.deskew  # the default, and the app follows it


def test_a_data_folder_gone_while_training_loses_nothing(
    mnist_folder, tmp_path, capsys, monkeypatch
):
    """A drive unplugged once the data is read: the run ends and keeps its model."""
    import shutil

    from training import pipeline

    folder = tmp_path / "mnist"
    shutil.copytree(mnist_folder, folder)
    train = pipeline.train

    def unplugged(*args, **kwargs):
        shutil.rmtree(folder)
        return train(*args, **kwargs)

    monkeypatch.setattr(pipeline, "train", unplugged)
    out = tmp_path / "model.npz"
    code = main(["train", "--data", str(folder), "--out", str(out), *FAST])
    assert code == 0 and not folder.exists()
    result = json_lines(capsys.readouterr().out)[-1]
    assert result["event"] == "done" and 0 < result["test_accuracy_raw"] <= 1
    assert load_model(out).meta["test_accuracy"] == pytest.approx(result["accuracy"])


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_stop_during_the_download_lets_it_finish_its_files_then_cancels(
    mnist_folder, tmp_path, capsys, monkeypatch
):
    """MNIST's files are written in place: one cut short would be taken as there by every
    later run, and fail it."""
    import shutil

    from training import data

    folder = tmp_path / "mnist"

    def download(target):
        os.kill(os.getpid(), signal.SIGTERM)  # the user stops the run mid-download
        time.sleep(0.2)
        shutil.copytree(mnist_folder, target, dirs_exist_ok=True)

    monkeypatch.setattr(data, "download_mnist", download)
    out = tmp_path / "model.npz"
    code = main(["train", "--data", str(folder), "--download", "--out", str(out), *FAST])
    assert code == 128 + signal.SIGTERM
    assert json_lines(capsys.readouterr().out)[-1]["event"] == "cancelled"
    assert len(data.load_mnist(folder, "test")) == len(data.load_mnist(mnist_folder, "test"))
    assert not out.exists()


def test_no_deskew_is_recorded_and_a_deskewed_teacher_is_refused(mnist_folder, tmp_path, capsys):
    plain, upright = tmp_path / "plain.npz", tmp_path / "upright.npz"
    common = ["--data", str(mnist_folder), "--cache", str(tmp_path / "cache"), *FAST]
    assert main(["train", *common, "--out", str(plain), "--no-deskew"]) == 0
    assert load_model(plain).meta["deskew"] is False and not load_model(plain).deskew
    # A teacher trained on slanted digits can teach a deskewing student...
    assert main(["train", *common, "--out", str(upright), "--teacher", str(plain)]) == 0
    assert load_model(upright).deskew
    # Several teachers are averaged, whatever their architectures; the recipe names them all.
    cnn = tmp_path / "cnn.npz"
    assert (
        main(
            [
                "train",
                *common,
                "--out",
                str(cnn),
                "--no-deskew",
                "--arch",
                "cnn",
                "--channels",
                "4",
                "8",
            ]
        )
        == 0
    )
    pupil = tmp_path / "pupil.npz"
    assert main(["train", *common, "--out", str(pupil), "--teacher", str(plain), str(cnn)]) == 0
    assert load_model(pupil).meta["recipe"]["config"]["teachers"] == [str(plain), str(cnn)]
    capsys.readouterr()
    # ...but one trained on upright digits would see slanted input it never learned.
    student = tmp_path / "student.npz"
    assert (
        main(
            [
                "train",
                *common,
                "--out",
                str(student),
                "--no-deskew",
                "--teacher",
                str(plain),
                "--teacher",
                str(upright),
            ]
        )
        == 1
    )
    message = json_lines(capsys.readouterr().out)[-1]["message"]
    assert "deskew" in message and "upright.npz" in message
    assert not student.exists()


def test_jsonl_progress_has_start_epochs_and_done(mnist_folder, tmp_path, capsys):
    code = main(
        [
            "train",
            "--data",
            str(mnist_folder),
            "--out",
            str(tmp_path / "m.npz"),
            "--cache",
            str(tmp_path / "cache"),
            "--progress",
            "jsonl",
            "--arch",
            "cnn",
            "--channels",
            "4",
            "8",
            *FAST,
        ]
    )
    assert code == 0
    events = json_lines(capsys.readouterr().out)
    kinds = [e["event"] for e in events if e["event"] != "phase"]
    assert kinds[0] == "start" and kinds[-1] == "done"
    epochs = [e for e in events if e["event"] == "epoch"]
    assert [e["epoch"] for e in epochs] == [1, 2]
    assert all("train_loss" in e and "test_accuracy" in e for e in epochs)
    assert load_model(tmp_path / "m.npz").arch == "cnn"


def test_train_with_unipen_and_corrections(mnist_folder, unipen_file, tmp_path, capsys):
    corrections = tmp_path / "corrections"
    corrections.mkdir()
    from PIL import Image, ImageDraw

    image = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(image).line([(100, 20), (100, 180)], fill=0, width=14)
    image.save(corrections / "1_mine.png")
    out = tmp_path / "m.npz"
    code = main(
        [
            "train",
            "--data",
            str(mnist_folder),
            "--out",
            str(out),
            "--epochs",
            "1",
            "--unipen",
            str(unipen_file),
            "--unipen-renders",
            "1",
            "--held-out-orgs",
            "apa",
            "--corrections",
            str(corrections),
            "--cache",
            str(tmp_path / "cache"),
        ]
    )
    assert code == 0
    meta = load_model(out).meta
    assert "UniPen" in meta["trained_on"] and "1 corrections" in meta["trained_on"]
    assert meta["drawn_accuracy"]["orgs"] == ["apa"]


def test_held_out_organisations_missing_from_the_file_are_said_before_any_drawing(
    mnist_folder, unipen_file, tmp_path, capsys, monkeypatch
):
    """The file's organisations are named, and nothing was drawn first (47 s for the
    UniPen digits)."""
    from training import unipen

    drawn = []
    monkeypatch.setattr(unipen, "render", lambda *args, **kwargs: drawn.append(1))
    out = tmp_path / "m.npz"
    args = ["--unipen", str(unipen_file), "--held-out-orgs", "zzz", "--epochs", "1"]
    code = main(["train", "--data", str(mnist_folder), "--out", str(out), *args])
    message = json_lines(capsys.readouterr().out)[-1]["message"]
    assert code == 1 and "no records of organisations zzz; it holds aga, apa, syn" in message
    assert drawn == [] and not out.exists()


def test_evaluate_reports_accuracy_and_confusion(mnist_folder, tmp_path, capsys):
    out = tmp_path / "m.npz"
    assert (
        main(
            [
                "train",
                "--data",
                str(mnist_folder),
                "--out",
                str(out),
                "--cache",
                str(tmp_path / "cache"),
                *FAST,
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert (
        main(
            [
                "evaluate",
                "--data",
                str(mnist_folder),
                "--model",
                str(out),
                "--cache",
                str(tmp_path / "cache"),
            ]
        )
        == 0
    )
    result = json_lines(capsys.readouterr().out)[-1]
    assert 0 <= result["accuracy"] <= 1 and result["count"] == 100
    assert len(result["per_class_accuracy"]) == 10
    assert sum(map(sum, result["confusion"])) == 100


def test_missing_data_is_one_clear_line_and_exit_1(tmp_path, capsys):
    code = main(["train", "--data", str(tmp_path / "none"), "--out", str(tmp_path / "m.npz")])
    captured = capsys.readouterr()
    assert code == 1
    result = json_lines(captured.out)[-1]
    assert result["event"] == "error" and "does not exist" in result["message"]
    assert "Traceback" not in captured.err
    assert not (tmp_path / "m.npz").exists()


def test_bad_model_file_for_evaluate_is_an_error(mnist_folder, tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"nonsense")
    assert main(["evaluate", "--data", str(mnist_folder), "--model", str(bad)]) == 1
    assert "bad.npz" in json_lines(capsys.readouterr().out)[-1]["message"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_stops_training_without_writing_a_model(mnist_folder, tmp_path):
    out = tmp_path / "m.npz"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "training",
            "train",
            "--data",
            str(mnist_folder),
            "--out",
            str(out),
            "--cache",
            str(tmp_path / "cache"),
            "--epochs",
            "10000",
            "--progress",
            "jsonl",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    for line in proc.stdout:  # wait until training has really started
        if json.loads(line)["event"] == "progress":
            break
    proc.send_signal(signal.SIGTERM)
    rest, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGTERM
    assert json.loads(rest.splitlines()[-1])["event"] == "cancelled"
    assert "Traceback" not in err
    assert list(tmp_path.glob("*.npz")) == [] and list(tmp_path.glob("*.tmp")) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_stops_training_while_it_draws_the_pen_stroke_digits(mnist_folder, tmp_path):
    """Drawing a large UniPen file takes minutes, with no loop of the run's own to look at
    the stop flag between its steps: a signal must end it there too, at once."""
    from conftest import DIGIT_STROKES

    records = [
        {"label": label, "org": org, "writer": f"{org}{i}", "strokes": DIGIT_STROKES[label]}
        for org in ("syn", "apa", "aga", "imp")
        for i, label in enumerate(list(range(10)) * 50)
    ]
    unipen = tmp_path / "unipen.json.gz"
    unipen.write_bytes(gzip.compress(json.dumps(records).encode()))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    command = [sys.executable, "-m", "training", "train", "--data", str(mnist_folder)]
    command += ["--unipen", str(unipen), "--unipen-renders", "100", "--progress", "jsonl"]
    command += ["--out", str(tmp_path / "m.npz")]
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    for line in proc.stdout:  # 50,000 drawings: a minute or more of drawing
        if "drawing the pen-stroke digits" in json.loads(line).get("message", ""):
            break
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    try:
        rest, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM
    assert json.loads(rest.splitlines()[-1])["event"] == "cancelled"
    assert "Traceback" not in err
    assert not (tmp_path / "m.npz").exists()


def test_lower_priority_really_lowers_it():
    code = (
        "import os; from training.priority import lower_priority; before = os.nice(0); "
        "lower_priority(); print(before, os.nice(0))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    before, after = int(out[0]), int(out[1])
    assert after == min(before + 10, 19)


@pytest.mark.parametrize("command", ["train", "search"])
def test_background_option_lowers_the_childs_priority(command, tmp_path, monkeypatch, capsys):
    import training.cli
    import training.search

    calls = []
    monkeypatch.setattr(training.cli, "lower_priority", lambda: calls.append(command))
    monkeypatch.setattr(training.search, "lower_priority", lambda: calls.append(command))
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main([command, "--data", str(empty), "--cache", str(tmp_path / "c")]) == 1
    assert calls == []
    assert (
        main([command, "--data", str(empty), "--cache", str(tmp_path / "c"), "--background"]) == 1
    )
    assert calls == [command]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--lr", "inf"], "lr must be a finite number"),
        (["--augment", "nan"], "augment must be a finite number"),
        (["--augment", "-5"], "augment must not be negative"),
        (["--elastic", "nan"], "elastic must be a finite number"),
        (["--label-smoothing", "nan"], "label_smoothing must be a finite number"),
        (["--label-smoothing", "2"], "label_smoothing must be in"),
        (["--distill-temperature", "0"], "distill_temperature must be positive"),
        (["--styled", "1.5"], "styled must be in"),
        # Each of these trained to the end, then failed or saved a useless model; the first
        # filled the machine's memory.
        (["--arch", "cnn", "--convs", "1000"], "convs must be at most 8"),
        (["--arch", "cnn", "--channels", "2000", "64", "--batch-size", "4096"], "needs about"),
        (["--lr", "1e30"], "lr must be positive and at most"),
        (["--augment", "1e308"], "augment must be at most"),
        (["--elastic", "1e308"], "elastic must be at most"),
        (["--label-smoothing", "1"], "label_smoothing must be in [0, 1)"),
        (["--seed", "99999999999999999999999"], "seed must be in"),
    ],
)
def test_bad_arguments_are_refused_before_any_work(tmp_path, capsys, args, words):
    out = tmp_path / "model.npz"
    missing = tmp_path / "no-data-here"  # never read: the arguments fail first
    code = main(["train", "--data", str(missing), "--out", str(out), *args])
    assert code == 1
    assert words in json_lines(capsys.readouterr().out)[-1]["message"]
    assert not out.exists()


def test_an_output_that_is_a_folder_is_refused_before_training(tmp_path, capsys):
    folder = tmp_path / "a-folder.npz"
    folder.mkdir()
    code = main(["train", "--data", str(tmp_path / "none"), "--out", str(folder)])
    assert code == 1
    assert "not a regular file" in json_lines(capsys.readouterr().out)[-1]["message"]
    assert folder.is_dir() and not any(folder.iterdir())


def test_a_missing_unipen_file_is_said_before_any_data_is_read(mnist_folder, tmp_path, capsys):
    out = tmp_path / "m.npz"
    code = main(
        ["train", "--data", str(mnist_folder), "--unipen", "gone.json.gz", "--out", str(out)]
    )
    lines = json_lines(capsys.readouterr().out)
    assert code == 1 and lines[-1]["message"] == "UniPen file gone.json.gz does not exist"
    assert not any(line.get("phase") == "data" for line in lines)  # nothing was read


def test_a_batch_larger_than_this_machines_memory_is_refused_before_training(
    tmp_path, capsys, monkeypatch
):
    import training.config

    monkeypatch.setattr(training.config, "machine_memory", lambda: 2**30)  # a 1 GB machine
    out = tmp_path / "m.npz"
    args = ["--arch", "cnn", "--batch-size", "4096", "--out", str(out)]
    code = main(["train", "--data", str(tmp_path / "none"), *args])
    assert code == 1
    assert (
        "more than 1 GB (this machine's memory)"
        in json_lines(capsys.readouterr().out)[-1]["message"]
    )


@pytest.mark.skipif(sys.platform != "linux", reason="/proc and byte names are Linux's")
@pytest.mark.parametrize(
    ("out", "words"),
    [
        ("/proc/model.npz", "in /proc"),  # no permission, or (as root) cannot write
        ("/proc/new-folder/model.npz", "in /proc"),
        (os.fsdecode(b"/tmp/\xff\xfe.npz"), "not a name in UTF-8"),
    ],
)
def test_an_output_that_cannot_be_written_is_refused_before_training(tmp_path, capsys, out, words):
    """Both passed the permission check (as root, /proc is writable by its bits) and failed
    only at saving, after the whole run."""
    code = main(["train", "--data", str(tmp_path / "none"), "--out", out])
    assert code == 1
    assert words in json_lines(capsys.readouterr().out)[-1]["message"]


@pytest.mark.parametrize("command", ["train", "search"])
def test_an_empty_output_name_is_said_as_such(tmp_path, capsys, command):
    """Not as the current folder, ".", which is what an empty path reads as."""
    code = main([command, "--data", str(tmp_path / "none"), "--out", ""])
    assert code == 1
    said = capsys.readouterr()
    assert "--out is empty; choose a file name" in said.out + said.err


def test_training_does_not_import_torch_for_bad_arguments(tmp_path):
    code = (
        "import sys; from training.cli import main; "
        f"main(['train', '--data', {str(tmp_path)!r}, '--lr', 'nan']); "
        "print('torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "False"


def test_the_packaged_app_writes_its_cache_and_models_in_the_users_data_folder(
    tmp_path, monkeypatch
):
    """A bundle may be started from its own folder, read-only or not: nothing goes there."""
    from training.cli import build_parser, default_cache, default_out

    assert default_cache() == Path("data") / "cache"
    assert default_out("fcnn").parent == Path("runs")
    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(tmp_path / "mine"))
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert default_cache() == tmp_path / "mine" / "cache"
    assert default_out("cnn").parent == tmp_path / "mine" / "models"
    args = build_parser().parse_args(["search", "--data", "d"])
    assert Path(args.cache) == tmp_path / "mine" / "cache"
