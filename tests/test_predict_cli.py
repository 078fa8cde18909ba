"""``digitpad predict``: one JSON line per image, errors per file, bundled models found."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

import numpy as np
import pytest
from PIL import Image

from digitpad.assets import bundled_model_path
from digitpad.model_file import load_model
from digitpad.selftest import DRAWINGS
from digitpad.strokes import render_strokes

# The self-test's drawings: strokes in a unit square, as a person draws them.
ONE, SEVEN, ZERO = DRAWINGS[1], DRAWINGS[7], DRAWINGS[0]


def run_predict(*args: str) -> tuple[int, list[dict]]:
    done = subprocess.run(
        [sys.executable, "-m", "digitpad", "predict", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines()]


@pytest.fixture
def drawings(tmp_path):
    paths = {}
    for digit, strokes, box in [
        (1, ONE, (0.2, 0.3, 0.3)),
        (7, SEVEN, (0.75, 0.7, 0.4)),
        (0, ZERO, (0.5, 0.5, 0.7)),
    ]:
        paths[digit] = tmp_path / f"{digit}.png"
        render_strokes(strokes, 280, box, 16).save(paths[digit])
    return paths


@pytest.mark.parametrize("arch", ["fcnn", "cnn"])
def test_bundled_models_are_installed_with_the_package(arch):
    packaged = resources.files("digitpad.resources") / "models" / f"{arch}.npz"
    assert packaged.is_file()
    assert bundled_model_path(arch).is_file()
    assert load_model(bundled_model_path(arch)).arch == arch


@pytest.mark.parametrize("arch", ["fcnn", "cnn"])
def test_predicts_digits_drawn_anywhere(drawings, arch):
    code, results = run_predict("--arch", arch, *map(str, drawings.values()))
    assert code == 0
    for (digit, path), result in zip(drawings.items(), results, strict=True):
        assert result["path"] == str(path)
        assert result["digit"] == digit
        assert len(result["probabilities"]) == 10
        assert sum(result["probabilities"]) == pytest.approx(1.0, abs=1e-4)
        assert result["confidence"] == max(result["probabilities"])


def test_bad_files_get_an_error_line_and_the_rest_still_run(drawings, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    blank = tmp_path / "blank.png"
    Image.new("L", (200, 200), 255).save(blank)
    code, results = run_predict(
        str(text), str(drawings[7]), str(tmp_path / "missing.png"), str(blank), str(tmp_path)
    )
    assert code == 1
    assert [("error" in r) for r in results] == [True, False, True, False, True]
    assert "not a picture" in results[0]["error"]
    assert results[1]["digit"] == 7
    assert results[3]["digit"] is None and results[3]["reason"] == "nothing drawn"


def test_broken_model_file_is_reported(drawings, tmp_path):
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"\x00" * 100)
    code, results = run_predict("--model", str(broken), str(drawings[1]))
    assert code == 2
    assert "not a DigitPad model file" in results[0]["error"]


def test_predicting_never_imports_torch(drawings):
    script = (
        "import sys, digitpad.cli as c; "
        f"c.predict_main([{str(drawings[1])!r}]); "
        "sys.exit(3 if 'torch' in sys.modules else 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr


def test_huge_image_is_refused_without_loading_it(tmp_path):
    huge = tmp_path / "huge.png"
    Image.new("1", (20000, 20000), 1).save(huge)  # small on disk, 400 megapixels decoded
    code, results = run_predict(str(huge))
    assert code == 1
    assert "too large" in results[0]["error"]


@pytest.mark.parametrize("mode", ["CMYK", "P", "LA", "I;16", "1"])
def test_other_image_modes_are_recognised(tmp_path, mode):
    image = render_strokes(SEVEN, 280, (0.5, 0.5, 0.6), 18)
    path = tmp_path / f"seven.{'jpg' if mode == 'CMYK' else 'png'}"
    image.convert(mode).save(path)
    code, results = run_predict(str(path))
    assert code == 0 and results[0]["digit"] == 7


def test_animated_gif_uses_its_first_frame(tmp_path):
    frames = [render_strokes(SEVEN), render_strokes(ONE)]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    code, results = run_predict(str(path))
    assert code == 0 and results[0]["digit"] == 7
    assert np.isclose(sum(results[0]["probabilities"]), 1.0, atol=1e-4)


@pytest.mark.parametrize("side", [280, 2000])
def test_large_16_bit_pictures_keep_their_ink(tmp_path, side):
    """White paper, a 7 in light grey ink, 16 bits: as readable reduced as at full size."""
    seven = np.asarray(render_strokes(SEVEN, side, (0.5, 0.5, 0.6), side * 0.06), np.float64)
    paper = 65535 - (255 - seven) / 255 * 0.25 * 65535  # ink at 75% of the paper's level
    path = tmp_path / "seven16.png"
    Image.fromarray(paper.astype(np.uint16)).save(path)
    code, results = run_predict(str(path))
    assert code == 0 and results[0]["digit"] == 7


@pytest.mark.parametrize(("orientation", "turn"), [(3, 180), (6, 270), (8, 90)])
def test_photos_stored_turned_are_read_upright(tmp_path, orientation, turn):
    """A camera stores the sensor's pixels and says in EXIF how to turn them to view."""
    upright = render_strokes(SEVEN, 280, (0.5, 0.5, 0.6), 18).convert("RGB")
    stored = upright.rotate(-turn, expand=True)  # what the camera wrote
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"photo{orientation}.jpg"
    stored.save(path, exif=exif.tobytes(), quality=95)
    code, results = run_predict(str(path))
    assert code == 0 and results[0]["digit"] == 7


def test_a_fifo_is_refused_at_once(tmp_path):
    import os

    fifo = tmp_path / "fake.png"
    os.mkfifo(fifo)
    code, results = run_predict(str(fifo))  # would block forever if opened
    assert code == 1 and "not a regular file" in results[0]["error"]


def test_a_model_path_that_cannot_be_looked_up_is_an_error_line(drawings, tmp_path):
    too_long = tmp_path / ("m" * 300 + ".npz")  # stat raises "File name too long"
    code, results = run_predict("--model", str(too_long), str(drawings[1]))
    assert code == 2
    assert "File name too long" in results[0]["error"]


def test_a_picture_path_that_cannot_be_looked_up_is_an_error_line(drawings, tmp_path):
    code, results = run_predict(str(tmp_path / ("p" * 300 + ".png")), str(drawings[7]))
    assert code == 1
    assert results[0]["error"].startswith("cannot read")  # the loader's error, named as such
    assert "File name too long" in results[0]["error"] and results[1]["digit"] == 7


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes")
def test_a_reader_that_stops_reading_ends_predict_quietly(drawings):
    """``predict a.png a.png a.png | head -c 10``: no traceback, the code a shell gives SIGPIPE."""
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line is written
    try:
        done = subprocess.run(
            [sys.executable, "-m", "digitpad", "predict", *[str(drawings[1])] * 3],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.stderr == ""
    assert done.returncode == 141


@pytest.mark.skipif(sys.platform != "linux", reason="file names are bytes on Linux")
def test_a_file_name_that_is_not_utf8_gives_strict_json(drawings, tmp_path):
    import os

    name = os.fsencode(tmp_path) + b"/caf\xe9.png"  # Latin-1: not UTF-8
    os.link(drawings[7], name)
    gone = os.fsencode(tmp_path) + b"/gone\xff.png"  # its error message names it too
    done = subprocess.run(
        [sys.executable, "-m", "digitpad", "predict", name, gone],
        capture_output=True,
        timeout=60,
        check=False,
    )
    lines = done.stdout.decode("utf-8").splitlines()  # strict: no lone surrogates
    results = [json.loads(line) for line in lines]
    assert "\\ud" not in done.stdout.decode()
    assert results[0]["path"].endswith("caf\ufffd.png") and results[0]["digit"] == 7
    assert "gone\ufffd.png does not exist" in results[1]["error"]
    for result in results:  # what a strict parser gets: every string is valid Unicode
        assert json.dumps(result, ensure_ascii=False).encode("utf-8")


def test_a_photo_of_squared_paper_is_read_without_its_grid(tmp_path):
    from training.pages import page_photo

    path = tmp_path / "squared.png"
    Image.fromarray(page_photo(ONE, "squared", np.random.default_rng(2))).save(path)
    code, results = run_predict(str(path))
    assert code == 0 and results[0]["digit"] == 1
