"""``python -m training adapt``: learns the user's own way of writing a digit, in seconds,
without forgetting the others; bad input is one clear error and writes nothing."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitpad.assets import bundled_model_path, replay_path
from digitpad.model_file import load_model
from digitpad.preprocess import prepare
from digitpad.strokes import render_strokes
from training.adapt import load_replay
from training.cli import main
from training.data import DataError
from training.evaluate import predict_labels

# The user's 3 looks like a W (a 3 lying on its back); the bundled model reads it otherwise.
W = [(0.05, 0.2), (0.28, 0.85), (0.5, 0.35), (0.72, 0.85), (0.95, 0.2)]


def my_threes(count: int, seed: int) -> list[Image.Image]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        stroke = [(x + rng.uniform(-0.05, 0.05), y + rng.uniform(-0.05, 0.05)) for x, y in W]
        box = (rng.uniform(0.35, 0.65), rng.uniform(0.35, 0.65), rng.uniform(0.4, 0.6))
        out.append(render_strokes([stroke], 280, box, rng.uniform(12, 24)))
    return out


def reads(model, pictures) -> np.ndarray:
    return predict_labels(model, np.stack([prepare(np.asarray(p)).image for p in pictures]))


def events(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.fixture
def corrections(tmp_path: Path) -> Path:
    folder = tmp_path / "corrections"
    folder.mkdir()
    for i, picture in enumerate(my_threes(20, seed=1)):
        picture.save(folder / f"3_{i}.png")
    return folder


def test_adapt_learns_a_new_way_of_writing_and_keeps_the_rest(corrections, tmp_path, capsys):
    base = load_model(bundled_model_path("fcnn"))
    fresh = my_threes(30, seed=2)  # never among the corrections
    assert (reads(base, fresh) == 3).mean() < 0.3
    replay = load_replay(replay_path())
    before = (predict_labels(base, replay.images[-1000:]) == replay.labels[-1000:]).mean()

    out = tmp_path / "mine.npz"
    start = time.perf_counter()
    code = main(
        [
            "adapt",
            "--model",
            "fcnn",
            "--corrections",
            str(corrections),
            "--out",
            str(out),
            "--progress",
            "jsonl",
        ]
    )
    seconds = time.perf_counter() - start
    assert code == 0
    lines = events(capsys.readouterr().out)
    assert lines[0]["event"] == "start" and lines[0]["corrections"] == 20
    assert any(e["event"] == "progress" for e in lines) or seconds < 1
    done = lines[-1]
    assert done["event"] == "done" and done["model"] == str(out) and done["corrections"] == 20

    adapted = load_model(out)
    assert adapted.meta["adapted"]["corrections"] == 20
    assert adapted.meta["adapted"]["from"].endswith("fcnn.npz")
    assert adapted.deskew == base.deskew and "test_accuracy" not in adapted.meta
    assert "adapted to your handwriting (20 corrections)" in adapted.summary
    assert (reads(adapted, fresh) == 3).mean() >= 0.9
    after = (predict_labels(adapted, replay.images[-1000:]) == replay.labels[-1000:]).mean()
    assert after >= before - 0.01  # ordinary digits are still read


def plain_ones(count: int, seed: int) -> list[Image.Image]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        x, lean = rng.uniform(0.45, 0.55), rng.uniform(-0.08, 0.08)
        box = (rng.uniform(0.35, 0.65), rng.uniform(0.35, 0.65), rng.uniform(0.4, 0.8))
        out.append(render_strokes([[(x + lean, 0.1), (x - lean, 0.9)]], 280, box, 16))
    return out


def test_one_slip_does_not_teach_the_model_to_misread_a_whole_digit(tmp_path):
    """A plain 1 saved as a 7 by a stray key, then learned from: fresh plain 1s still read 1.
    Twenty drawings saying the same thing do teach it (the test above)."""
    base = load_model(bundled_model_path("fcnn"))
    folder = tmp_path / "corrections"
    folder.mkdir()
    plain_ones(1, seed=1)[0].save(folder / "7_slip.png")
    fresh = plain_ones(50, seed=2)
    assert (reads(base, fresh) == 1).mean() >= 0.95
    out = tmp_path / "mine.npz"
    args = ["adapt", "--model", "fcnn", "--corrections", str(folder), "--out", str(out)]
    assert main([*args, "--progress", "jsonl"]) == 0
    assert (reads(load_model(out), fresh) == 1).mean() >= 0.95


def test_adapt_measures_on_mnist_when_given(corrections, tmp_path, mnist_folder, capsys):
    out = tmp_path / "mine.npz"
    code = main(
        [
            "adapt",
            "--model",
            "fcnn",
            "--corrections",
            str(corrections),
            "--out",
            str(out),
            "--data",
            str(mnist_folder),
            "--steps",
            "20",
            "--cache",
            str(tmp_path / "c"),
        ]
    )
    assert code == 0
    done = events(capsys.readouterr().out)[-1]
    assert 0 <= done["test_accuracy"] <= 1
    assert load_model(out).meta["test_accuracy"] == done["test_accuracy"]


def test_a_damaged_correction_is_left_out_and_named(corrections, tmp_path, capsys):
    (corrections / "5_damaged.png").write_bytes(b"\x89PNG\r\n\x1a\n cut short")
    out = tmp_path / "mine.npz"
    args = ["adapt", "--model", "fcnn", "--corrections", str(corrections), "--out", str(out)]
    assert main([*args, "--steps", "5", "--progress", "jsonl"]) == 0
    done = events(capsys.readouterr().out)[-1]
    assert done["corrections"] == 20 and load_model(out).meta["adapted"]["corrections"] == 20
    assert len(done["skipped"]) == 1 and "5_damaged.png" in done["skipped"][0]


@pytest.mark.parametrize(
    "problem", ["no corrections", "no such folder", "missing model", "bad replay", "steps"]
)
def test_bad_input_is_one_clear_error_and_writes_nothing(problem, corrections, tmp_path, capsys):
    out = tmp_path / "mine.npz"
    args = ["adapt", "--model", "fcnn", "--corrections", str(corrections), "--out", str(out)]
    said = ""
    if problem == "no corrections":
        empty = tmp_path / "empty"
        empty.mkdir()
        args[4] = str(empty)
        said = "corrections folder"
    elif problem == "no such folder":
        args[4] = str(tmp_path / "nowhere")
        said = f"corrections folder {tmp_path / 'nowhere'} does not exist"
    elif problem == "missing model":
        args[2] = str(tmp_path / "gone.npz")
    elif problem == "bad replay":
        bad = tmp_path / "replay.npz"
        bad.write_bytes(b"not an archive")
        args += ["--replay", str(bad)]
    else:
        args += ["--steps", "0"]
    assert main(args) == 1
    error = events(capsys.readouterr().out)[-1]
    assert error["event"] == "error" and "Traceback" not in error["message"]
    assert said in error["message"]
    assert not out.exists()


def test_replay_sample_is_checked(tmp_path):
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, images=np.zeros((3, 14, 14), np.uint8), labels=np.zeros(3, np.uint8))
    with pytest.raises(DataError, match="not a replay sample"):
        load_replay(wrong)
    labels = tmp_path / "labels.npz"
    np.savez(labels, images=np.zeros((3, 28, 28), np.uint8), labels=np.array([0, 12, 1]))
    with pytest.raises(DataError, match="no usable labels"):
        load_replay(labels)


def test_bundled_replay_sample_is_balanced_prepared_digits():
    replay = load_replay(replay_path())
    assert len(replay) == 3000 and replay.images.shape[1:] == (28, 28)
    assert np.bincount(replay.labels, minlength=10).min() >= 250
    assert replay.images.min() >= 0 and replay.images.max() <= 1


def test_replay_command_writes_a_sample(mnist_folder, tmp_path, capsys):
    out = tmp_path / "replay.npz"
    assert main(["replay", "--data", str(mnist_folder), "--count", "50", "--out", str(out)]) == 0
    sample = load_replay(out)
    assert len(sample) == 50 and set(sample.labels.tolist()) == set(range(10))
