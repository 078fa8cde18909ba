"""The desktop entry: quoted for any path, written where the menu looks, removable."""

from __future__ import annotations

import os
import shlex
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


XDG = pytest.mark.skipif(
    not sys.platform.startswith(desktop_entry.XDG_PLATFORMS), reason="XDG menus only"
)


def exec_words(text: str) -> list[str]:
    """The Exec line's command, unquoted as a menu would (the paths here need no escapes)."""
    line = next(line for line in text.splitlines() if line.startswith("Exec="))
    return shlex.split(line[len("Exec=") :])


@XDG
def test_install_writes_an_entry_that_starts_this_copy_and_remove_takes_it_out(
    tmp_path: Path,
) -> None:
    done = run("--install-desktop-entry", data_home=tmp_path)
    entry = tmp_path / "applications" / "digitpad.desktop"
    assert done.returncode == 0 and done.stdout.strip() == f"installed {entry}"
    text = entry.read_text(encoding="utf-8")
    # The menu starts it from the home folder, with none of this shell's settings.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    started = subprocess.run(
        [*exec_words(text), "--version"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert started.returncode == 0 and started.stdout.startswith("DigitPad "), started.stderr
    icon = next(line for line in text.splitlines() if line.startswith("Icon="))[5:]
    assert Path(icon).is_file()
    # Run again (after moving a bundle): the entry is replaced, not duplicated.
    assert run("--install-desktop-entry", data_home=tmp_path).returncode == 0
    assert os.listdir(tmp_path / "applications") == ["digitpad.desktop"]

    gone = run("--remove-desktop-entry", data_home=tmp_path)
    assert gone.returncode == 0 and not entry.exists()
    again = run("--remove-desktop-entry", data_home=tmp_path)
    assert again.returncode == 0 and "no entry" in again.stdout


@XDG
def test_an_applications_folder_that_cannot_be_made_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    done = run("--install-desktop-entry", data_home=blocker)
    assert done.returncode == 1
    assert done.stderr.startswith("digitpad: could not write ") and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1


def test_other_systems_and_stray_words_are_refused_in_one_line(monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    assert desktop_entry.main(["--install-desktop-entry"]) == 2
    assert "Linux" in capsys.readouterr().err
    monkeypatch.setattr(sys, "platform", "linux")
    assert desktop_entry.main(["--install-desktop-entry", "now"]) == 2
    assert "unexpected 'now' with --install-desktop-entry" in capsys.readouterr().err


@XDG
def test_install_and_remove_together_are_refused_and_change_nothing(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert desktop_entry.main(["--install-desktop-entry"]) == 0
    entry = tmp_path / "applications" / "digitpad.desktop"
    capsys.readouterr()
    for args in (
        ["--install-desktop-entry", "--remove-desktop-entry"],
        ["--remove-desktop-entry", "--install-desktop-entry"],
    ):
        assert desktop_entry.main(args) == 2
        out, err = capsys.readouterr()
        assert out == "" and "choose one" in err and err.count("\n") == 1
        assert entry.is_file()  # not silently removed


@XDG
@pytest.mark.parametrize(("folder", "warned"), [("100% mine", True), ("Mes Apps", False)])
def test_a_percent_in_the_programs_path_is_warned_of(
    tmp_path: Path, monkeypatch, capsys, folder: str, warned: bool
) -> None:
    # GLib's menus look for the program "…/100%%/DigitPad" (gio launch: "Unable to load
    # application information"), so the entry would be written and never shown.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    program = str(tmp_path / folder / "DigitPad")
    monkeypatch.setattr(desktop_entry, "this_program", lambda: [program])
    assert desktop_entry.main(["--install-desktop-entry"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("installed ")
    assert ("'%'" in err and "warning" in err) is warned
    assert (tmp_path / "data" / "applications" / "digitpad.desktop").is_file()
