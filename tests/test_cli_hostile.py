"""Hostile inputs and interrupts given to the command lines: one clear line, nothing half done."""

from __future__ import annotations

import gzip
import json
import os
import signal
import stat
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from digitpad.atomic import atomic_write
from training import unipen
from training.adapt import load_replay
from training.cli import main
from training.data import DataError, read_idx
from training.progress import emit

STROKE = [[[0.5, 0.1], [0.5, 0.9]]]


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.fixture
def own_signals():
    """Give back SIGINT/SIGTERM's handlers after a test that runs ``main`` in this process."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def write_records(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("record", "words"),
    [
        ({"label": 10, "org": "a", "strokes": STROKE}, "label 10"),
        ({"label": -1, "org": "a", "strokes": STROKE}, "label -1"),
        ({"label": 3.7, "org": "a", "strokes": STROKE}, "label 3.7"),
        ({"label": "x", "org": "a", "strokes": STROKE}, "label 'x'"),
        ({"label": True, "org": "a", "strokes": STROKE}, "label True"),
        ({"label": None, "org": "a", "strokes": STROKE}, "label None"),
        ({"label": 1, "org": ["a"], "strokes": STROKE}, "org"),
        ({"label": 1, "org": 5, "strokes": STROKE}, "org"),
        ({"label": 1, "org": "a", "strokes": "abc"}, "strokes"),
        ({"label": 1, "org": "a", "strokes": 5}, "strokes"),
        ({"label": 1, "org": "a", "strokes": [[[0, 0, 0]]]}, "point"),
        ({"label": 1, "org": "a", "strokes": [[None]]}, "point"),
        ({"label": 1, "org": "a", "strokes": [[["a", "b"]]]}, "point"),
        ({"label": 1, "org": "a", "strokes": [[[0, 0], [1e9, 1e9]]]}, "point"),
        ({"label": 1, "org": "a", "strokes": [[[0.5, 0.5]] * 30_000]}, "points"),
        ({"label": 1, "org": "a", "strokes": [[[0, 10**400]]]}, "point"),
    ],
)
def test_unipen_records_that_cannot_be_drawn_are_refused_by_index(tmp_path, record, words):
    good = {"label": 2, "org": "a", "strokes": STROKE}
    path = write_records(tmp_path / "u.json", json.dumps([good, record]))
    with pytest.raises(DataError, match="record 1") as caught:
        unipen.load_records(path)
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[{"label": 1, "org": "a", "strokes": [[[NaN, 0], [0.5, 0.5]]]}]', "point"),
        ('[{"label": 1, "org": "a", "strokes": [[[0, Infinity]]]}]', "point"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_unipen_numbers_json_allows_and_deep_nesting_are_refused(tmp_path, text, words):
    with pytest.raises(DataError, match=words):
        unipen.load_records(write_records(tmp_path / "u.json", text))


def test_a_unipen_gzip_bomb_is_refused_before_it_is_inflated(tmp_path, monkeypatch):
    monkeypatch.setattr(unipen, "MAX_JSON_BYTES", 10_000)
    records = json.dumps([{"label": 1, "org": "a", "strokes": STROKE}]) + " " * 20_000
    path = tmp_path / "bomb.json.gz"
    path.write_bytes(gzip.compress(records.encode()))
    with pytest.raises(DataError, match="more than this reader accepts"):
        unipen.load_records(path)


def test_a_unipen_file_of_more_points_than_hours_of_drawing_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(unipen, "MAX_FILE_POINTS", 1_000)
    many = [{"label": 1, "org": "a", "strokes": [[[0.5, y / 500] for y in range(500)]]}] * 3
    with pytest.raises(DataError, match="1,500 points, more than 1,000"):
        unipen.load_records(write_records(tmp_path / "u.json", json.dumps(many)))
    assert unipen.load_records(write_records(tmp_path / "v.json", json.dumps(many[:2])))


def test_unipen_records_that_all_draw_blank_name_the_file(tmp_path):
    path = write_records(
        tmp_path / "blank.json", json.dumps([{"label": 1, "org": "a", "strokes": [[]]}])
    )
    with pytest.raises(DataError, match=r"blank\.json"):
        unipen.load_rendered(path, renders=1)


def test_an_idx_header_beyond_the_largest_mnist_is_refused_unread(tmp_path):
    # 100,000 digits: 78 MB, which loading would make 400 MB of floats.
    path = tmp_path / "train-images-idx3-ubyte"
    header = b"".join(v.to_bytes(4, "big") for v in (2051, 100_000, 28, 28))
    path.write_bytes(header)
    with pytest.raises(DataError, match="more than this reader accepts"):
        read_idx(path, 2051)


def npz_declaring(path: Path, shape: tuple[int, ...]) -> Path:
    """An .npz whose ``images`` header declares ``shape`` (uint8) and holds no data."""
    import io
    import zipfile

    header = {"descr": "|u1", "fortran_order": False, "shape": shape}
    with zipfile.ZipFile(path, "w") as archive:
        buffer = io.BytesIO()
        np.lib.format.write_array_header_1_0(buffer, header)
        archive.writestr("images.npy", buffer.getvalue())
        buffer = io.BytesIO()
        np.save(buffer, np.zeros(3, np.uint8))
        archive.writestr("labels.npy", buffer.getvalue())
    return path


def test_a_replay_sample_declaring_huge_arrays_is_refused_unread(tmp_path):
    path = npz_declaring(tmp_path / "huge.npz", (10**8, 28, 28))
    with pytest.raises(DataError, match="more than this reader accepts"):
        load_replay(path)


@pytest.mark.parametrize(
    ("images", "labels", "words"),
    [
        (np.full((3, 28, 28), np.nan, np.float32), np.array([1, 2, 3]), "pixels"),
        (np.full((3, 28, 28), 7.0, np.float32), np.array([1, 2, 3]), "pixels"),
        (np.zeros((3, 28, 28), np.uint8), np.array([1.5, 2, 3]), "whole numbers"),
        (np.zeros((3, 28, 28), np.uint8), np.zeros((3, 1), np.int64), "not a replay sample"),
    ],
)
def test_replay_samples_that_would_train_garbage_are_refused(tmp_path, images, labels, words):
    path = tmp_path / "replay.npz"
    np.savez(path, images=images, labels=labels)
    with pytest.raises(DataError, match=words):
        load_replay(path)


def test_a_replay_sample_that_is_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "replay.npz"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="not a regular file"):
        load_replay(fifo)


def test_an_atomic_write_never_replaces_a_fifo_or_a_folder(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    folder = tmp_path / "folder"
    folder.mkdir()
    for target in (fifo, folder):
        with pytest.raises(OSError, match="not a regular file"), atomic_write(target) as handle:
            handle.write(b"data")
    assert stat.S_ISFIFO(fifo.stat().st_mode) and folder.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "pipe"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--count", "0"], "--count must be at least 1"),
        (["--count", "-5"], "--count must be at least 1"),
        (["--seed", "-1"], "--seed must not be negative"),
    ],
)
def test_replay_arguments_that_make_no_usable_sample_are_refused(
    mnist_folder, tmp_path, capsys, args, words
):
    out = tmp_path / "replay.npz"
    assert main(["replay", "--data", str(mnist_folder), "--out", str(out), *args]) == 1
    assert words in json_lines(capsys.readouterr().out)[-1]["message"]
    assert not out.exists()


def test_replay_onto_a_fifo_is_refused_before_reading_data(tmp_path, capsys):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    missing = tmp_path / "no-data"
    assert main(["replay", "--data", str(missing), "--out", str(fifo)]) == 1
    assert "not a regular file" in json_lines(capsys.readouterr().out)[-1]["message"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--corrections-weight", "nan"], "--corrections-weight must be"),
        (["--corrections-weight", "-5"], "--corrections-weight must be"),
        (["--corrections-weight", "1e9"], "--corrections-weight must be at most"),
        (["--unipen", "u.json", "--unipen-renders", "-3"], "unipen_renders must be in"),
        (["--unipen", "u.json", "--unipen-renders", "1000000"], "unipen_renders must be in"),
        (["--hidden", "1000000000"], "hidden must be at most"),
        (["--hidden", "100000"], "more than a model file holds"),
        (["--arch", "cnn", "--channels", "0", "5"], "channels must be at least 1"),
        (["--out", ""], "--out is empty; choose a file name"),
    ],
)
def test_train_arguments_that_would_fail_late_are_refused_first(tmp_path, capsys, args, words):
    missing = tmp_path / "no-data"
    argv = ["train", "--data", str(missing), "--out", str(tmp_path / "m.npz"), *args]
    assert main(argv) == 1
    event = json_lines(capsys.readouterr().out)[-1]
    assert event["event"] == "error" and words in event["message"]
    assert event["kind"] == "input"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--timeout", "nan"], "--timeout must be a positive number"),
        (["--timeout", "-1"], "--timeout must be a positive number"),
        (["--final-epochs", "0"], "--final-epochs must be at least 1"),
    ],
)
def test_search_budgets_that_would_waste_the_trials_are_refused_first(
    tmp_path, capsys, args, words
):
    missing = tmp_path / "no-data"
    storage = f"sqlite:///{tmp_path / 's.db'}"
    argv = ["search", "--data", str(missing), "--storage", storage, "--progress", "jsonl", *args]
    assert main(argv) == 1
    event = json_lines(capsys.readouterr().out)[-1]
    assert event["event"] == "error" and words in event["message"]
    assert not (tmp_path / "s.db").exists()


def test_an_empty_storage_url_is_the_default_storage(monkeypatch, tmp_path):
    from training.search import options_from_args
    from training.search.places import default_storage

    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(tmp_path))
    args = types.SimpleNamespace(
        data=None,
        arch="fcnn",
        trials=1,
        epochs=1,
        final_epochs=None,
        timeout=None,
        storage="",
        study_name="",
        pruner="median",
        val_fraction=0.2,
        seed=0,
        device="cpu",
        final=False,
        out=None,
        cache=None,
    )
    options = options_from_args(args)
    assert options.storage is None and options.storage_url == default_storage()
    assert options.name == "digitpad-fcnn"


def test_a_signal_during_evaluate_stops_it_with_the_cancelled_line(
    mnist_folder, tmp_path, capsys, monkeypatch, own_signals
):
    import training.evaluate

    def interrupted(*_args, **_kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        raise AssertionError("evaluate went on after Ctrl-C")

    monkeypatch.setattr(training.evaluate, "evaluate", interrupted)
    code = main(["evaluate", "--data", str(mnist_folder), "--cache", str(tmp_path / "c")])
    assert code == 130
    events = json_lines(capsys.readouterr().out)
    assert [e["event"] for e in events] == ["cancelled"]


def test_a_signal_during_replay_writes_no_sample(
    mnist_folder, tmp_path, capsys, monkeypatch, own_signals
):
    import training.adapt

    real = training.adapt.make_replay

    def terminated(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        return real(*args, **kwargs)

    monkeypatch.setattr(training.adapt, "make_replay", terminated)
    out = tmp_path / "replay.npz"
    code = main(["replay", "--data", str(mnist_folder), "--count", "20", "--out", str(out)])
    assert code == 128 + signal.SIGTERM
    assert json_lines(capsys.readouterr().out)[-1]["event"] == "cancelled"
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_while_the_training_libraries_load_is_the_cancelled_line(monkeypatch, capsys):
    import training.__main__ as entry

    loading = types.ModuleType("training.cli")

    def interrupt(name: str):
        raise KeyboardInterrupt

    loading.__getattr__ = interrupt  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "training.cli", loading)
    with pytest.raises(SystemExit) as ended:
        entry.run()
    assert ended.value.code == 130
    assert json_lines(capsys.readouterr().out) == [
        {"event": "cancelled", "message": "interrupted while starting; nothing written"}
    ]


def test_ctrl_c_during_predict_is_a_short_message_and_130(tmp_path, capsys, monkeypatch):
    import digitpad.recognizer
    from digitpad.cli import predict_main
    from digitpad.strokes import render_strokes

    picture = tmp_path / "one.png"
    render_strokes(STROKE).save(picture)

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(digitpad.recognizer, "predict", interrupted)
    assert predict_main([str(picture)]) == 130
    assert capsys.readouterr().err.strip() == "digitpad predict: interrupted"


def test_events_naming_undecodable_files_are_strict_json(capsys):
    emit("done", skipped=["cannot read 2_\udcff.png"], nested={"k\udcfe": ["\ud800"]})
    line = capsys.readouterr().out
    assert "\\ud" not in line
    assert json.loads(line)["skipped"] == ["cannot read 2_\ufffd.png"]
