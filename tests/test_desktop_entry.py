"""The desktop entry: quoted for any path, written where the menu looks, removable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from digitpad import desktop_entry


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("/opt/DigitPad/DigitPad", 'Exec="/opt/DigitPad/DigitPad"'),
        ("/home/zoë/Mes Apps/数字/DigitPad", 'Exec="/home/zoë/Mes Apps/数字/DigitPad"'),
        ('/a"b/$c`d/100%/e\\f/DigitPad', 'Exec="/a\\\\"b/\\\\$c\\\\`d/100%%/e\\\\\\\\f/DigitPad"'),
    ],
)
def test_exec_line_runs_the_program_wherever_it_is(path: str, line: str) -> None:
    text = desktop_entry.entry_text([Path(path)], Path("/icons/digitpad.png"))
    assert f"\n{line}\n" in text
    assert "\nIcon=/icons/digitpad.png\n" in text
    assert "%f" not in text and "MimeType" not in text  # the app opens no file given
    assert "{" not in text


def test_each_word_of_a_command_is_quoted_on_its_own() -> None:
    value = desktop_entry.exec_value(["/my env/bin/python", "-m", "digitpad"])
    assert value == '"/my env/bin/python" "-m" "digitpad"'


def test_the_menu_folder_follows_xdg_data_home(tmp_path: Path) -> None:
    assert desktop_entry.applications_dir({"XDG_DATA_HOME": str(tmp_path)}) == (
        tmp_path / "applications"
    )
    # The XDG rules ignore a relative path.
    fallback = Path.home() / ".local" / "share" / "applications"
    assert desktop_entry.applications_dir({"XDG_DATA_HOME": "rel"}) == fallback
    assert desktop_entry.applications_dir({}) == fallback


def run(*args: str, data_home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_DATA_HOME": str(data_home)}
    return subprocess.run(
        [sys.executable, "-m", "digitpad", *args], env=env, capture_output=True, text=True
    )


def test_install_writes_an_entry_that_starts_this_copy_and_remove_takes_it_out(
    tmp_path: Path,
) -> None:
    done = run("--install-desktop-entry", data_home=tmp_path)
    entry = tmp_path / "applications" / "digitpad.desktop"
    assert done.returncode == 0 and done.stdout.strip() == f"installed {entry}"
    text = entry.read_text(encoding="utf-8")
    python = str(Path(sys.executable).resolve())
    assert f'\nExec="{python}" "-m" "digitpad"\n' in text
    icon = next(line for line in text.splitlines() if line.startswith("Icon="))[5:]
    assert Path(icon).is_file()
    # Run again (after moving a bundle): the entry is replaced, not duplicated.
    assert run("--install-desktop-entry", data_home=tmp_path).returncode == 0
    assert os.listdir(tmp_path / "applications") == ["digitpad.desktop"]

    gone = run("--remove-desktop-entry", data_home=tmp_path)
    assert gone.returncode == 0 and not entry.exists()
    again = run("--remove-desktop-entry", data_home=tmp_path)
    assert again.returncode == 0 and "no entry" in again.stdout


def test_an_applications_folder_that_cannot_be_made_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    done = run("--install-desktop-entry", data_home=blocker)
    assert done.returncode == 1
    assert done.stderr.startswith("digitpad: could not write ") and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1
