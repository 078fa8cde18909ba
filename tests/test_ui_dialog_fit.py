"""The Retrain and Search dialogs on a small screen (say 1280×800 at 150 %): they open
within it, and however small they are made their buttons stay in reach."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QPushButton

pytest_plugins = ["ui_helpers"]

from digitpad.ui import dialog_fit, retrain_dialog  # noqa: E402
from digitpad.ui.dialog_fit import fitted_position, fitted_size  # noqa: E402

# A 1280×800 screen at 150 % less a 32 px panel, in Qt's (scaled) pixels.
SMALL_SCREEN = QRect(0, 0, 853, 501)


@pytest.mark.parametrize(
    ("wanted", "minimum", "available", "frame", "size"),
    [
        ((520, 640), (300, 200), (853, 501), (0, 30), (520, 471)),  # too tall: the screen's
        ((760, 660), (300, 200), (853, 501), (4, 34), (760, 467)),
        ((520, 640), (300, 200), (1920, 1050), (0, 30), (520, 640)),  # room: as wanted
        ((200, 100), (300, 200), (1920, 1050), (0, 0), (300, 200)),  # at least the minimum
        ((520, 640), (900, 700), (853, 501), (0, 0), (853, 501)),  # never over the screen
    ],
)
def test_a_dialog_opens_as_wanted_but_never_larger_than_the_screen(
    wanted, minimum, available, frame, size
):
    got = fitted_size(QSize(*wanted), QSize(*minimum), QSize(*available), QSize(*frame))
    assert (got.width(), got.height()) == size


@pytest.mark.parametrize(
    ("frame", "place"),
    [
        (QRect(100, 50, 400, 300), QPoint(100, 50)),  # inside already: not moved
        (QRect(600, 300, 400, 300), QPoint(453, 201)),  # over the right and bottom edges
        (QRect(-40, -10, 400, 300), QPoint(0, 0)),
        (QRect(300, 300, 900, 600), QPoint(0, 0)),  # larger: its title bar on the screen
    ],
)
def test_a_dialog_is_moved_onto_the_screen_as_little_as_it_takes(frame, place):
    assert fitted_position(frame, SMALL_SCREEN) == place


def open_dialog(window, which: str) -> QDialog:
    if which == "retrain":
        window.training.retrain_action.trigger()
        return window.training.dialog
    window.search.action.trigger()
    return window.search.dialog


def buttons_of(dialog: QDialog) -> list[QPushButton]:
    if isinstance(dialog, retrain_dialog.RetrainDialog):
        row = [dialog.defaults_button, dialog.start_button, dialog.cancel_button]
        return [*row, dialog.close_button]
    close = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Close)
    return [dialog.start_button, dialog.cancel_button, dialog.retrain_button, close]


def assert_in_reach(dialog: QDialog) -> None:
    """Every button of the row shown, whole, inside the dialog."""
    inside = dialog.rect()
    for button in buttons_of(dialog):
        assert button.isVisible(), button.text()
        where = QRect(button.mapTo(dialog, QPoint(0, 0)), button.size())
        assert inside.contains(where), (button.text(), where, inside)


@pytest.mark.parametrize("screen", [SMALL_SCREEN, QRect(0, 0, 480, 400)])  # 720×600 at 150%
@pytest.mark.parametrize("which", ["retrain", "search"])
def test_each_dialog_opens_within_a_small_screen(
    window, qtbot, monkeypatch, tmp_path, which, screen
):
    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(tmp_path / "userdata"))
    # The test screen is 800×800 and cannot be changed: the screen the dialog asks about is.
    monkeypatch.setattr(dialog_fit, "available_geometry", lambda _dialog: screen)
    dialog = open_dialog(window, which)
    assert dialog.isVisible()
    assert screen.contains(dialog.frameGeometry()), dialog.frameGeometry()
    QApplication.processEvents()
    assert_in_reach(dialog)


@pytest.mark.parametrize("which", ["retrain", "search"])
def test_each_dialog_opens_within_its_screen(window, monkeypatch, tmp_path, which):
    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(tmp_path / "userdata"))
    dialog = open_dialog(window, which)
    assert dialog.screen().availableGeometry().contains(dialog.frameGeometry())
    assert_in_reach(dialog)


@pytest.mark.parametrize("which", ["retrain", "search"])
def test_made_small_each_dialog_keeps_its_buttons_in_reach(window, monkeypatch, tmp_path, which):
    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(tmp_path / "userdata"))
    dialog = open_dialog(window, which)
    dialog.resize(500, 350)
    QApplication.processEvents()
    # It can be made that small (the search's row of buttons is 512 px wide): its body scrolls.
    assert dialog.height() == 350 and dialog.width() <= 520
    assert_in_reach(dialog)
    assert dialog.scroll.verticalScrollBar().maximum() > 0


def test_the_corrections_view_opens_within_a_very_small_screen(window, monkeypatch, tmp_path):
    """800×600 at 150 %: 533×400 of Qt's pixels, less than the view's own 560×420."""
    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(tmp_path / "userdata"))
    tiny = QRect(0, 0, 533, 400)
    monkeypatch.setattr(dialog_fit, "available_geometry", lambda _dialog: tiny)
    view = window.training.show_corrections()
    assert view.isVisible()
    assert tiny.contains(view.frameGeometry()), view.frameGeometry()
    close = view.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Close)
    for button in (view.delete_button, close):
        where = QRect(button.mapTo(view, QPoint(0, 0)), button.size())
        assert view.rect().contains(where), (button.text(), where)
    view.close()
