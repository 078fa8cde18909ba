"""``digitpad`` with words it does not know, asked for help, or without a display: a clear
line and an exit code, never a window that cannot open or Qt's core dump."""

from __future__ import annotations

import subprocess
import sys

import pytest

from digitpad import __main__ as entry


@pytest.fixture
def gui(monkeypatch):
    """Records whether the window would have been opened."""
    opened: list[list[str]] = []
    monkeypatch.setattr(entry, "gui_main", lambda args: opened.append(list(args)) or 0)
    return opened


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_prints_the_commands_and_opens_nothing(flag, gui, capsys):
    assert entry.main([flag]) == 0
    out = capsys.readouterr().out
    assert "digitpad predict" in out and "--self-test" in out
    assert gui == []


def test_an_unknown_command_is_named_and_opens_nothing(gui, capsys):
    assert entry.main(["prdict", "x.png"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'prdict'" in err and "usage:" in err
    assert entry.main(["-platform", "offscreen", "typo"]) == 2
    assert "unknown command 'typo'" in capsys.readouterr().err
    assert gui == []


def test_no_display_on_linux_is_said_instead_of_a_qt_abort(gui, capsys, monkeypatch):
    monkeypatch.setattr(entry.sys, "platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert entry.main([]) == 1
    err = capsys.readouterr().err
    assert "no display" in err and "digitpad predict" in err
    assert gui == []


@pytest.mark.parametrize(
    ("env", "args"),
    [
        ({"DISPLAY": ":0"}, []),
        ({"WAYLAND_DISPLAY": "wayland-0"}, []),
        ({"QT_QPA_PLATFORM": "offscreen"}, []),
        ({}, ["-platform", "offscreen"]),
    ],
)
def test_the_window_opens_with_a_display_or_a_chosen_platform(env, args, gui, monkeypatch):
    monkeypatch.setattr(entry.sys, "platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert entry.main(args) == 0
    assert gui == [args]


def test_starting_from_source_loads_no_multiprocessing():
    """Only a frozen child needs ``freeze_support``; the bundle's launcher calls it, and a
    start from source would otherwise pay for multiprocessing before the window."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "digitpad", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    assert "digitpad" in imported
    assert "multiprocessing" not in imported


@pytest.mark.parametrize("word", ["--bogus", "--sefl-test", "-x", "--predict"])
def test_an_unknown_option_is_named_and_opens_nothing(word, gui, capsys):
    assert entry.main(["-platform", "offscreen", word]) == 2
    err = capsys.readouterr().err
    assert f"unknown option {word!r}" in err and "usage:" in err
    assert gui == []


@pytest.mark.parametrize(
    "args",
    [
        ["-platform", "offscreen", "-reverse"],
        ["--platform", "offscreen", "--style=Fusion"],
        ["-platform", "offscreen", "-qwindowtitle", "Pad", "-nograb"],
        ["-platform", "offscreen", "-psn_0_12345"],
    ],
)
def test_qt_options_pass_through_to_the_window(args, gui, monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert entry.main(args) == 0
    assert gui == [args]


def test_a_word_after_a_qt_option_given_with_its_value_is_a_command(gui, capsys):
    assert entry.main(["--style=Fusion", "typo"]) == 2
    assert "unknown command 'typo'" in capsys.readouterr().err


@pytest.mark.parametrize("word", ["-platform=offscreen", "-reverse=yes", "-ncols=8"])
def test_a_qt_option_in_a_form_qt_does_not_read_is_refused(word, gui, capsys):
    assert entry.main(["-platform", "offscreen", word]) == 2
    assert f"unknown option {word!r}" in capsys.readouterr().err
    assert gui == []


def test_a_platform_given_with_two_dashes_opens_without_a_display(gui, monkeypatch):
    monkeypatch.setattr(entry.sys, "platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert entry.main(["--platform", "offscreen"]) == 0
    assert gui == [["--platform", "offscreen"]]
