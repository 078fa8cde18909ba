"""The window and its dialogs with the keyboard alone: Tab follows the screen, Alt+letter
reaches each control, Enter and Escape do what the button rows say."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QScrollArea

pytest_plugins = ["ui_helpers"]
from ui_helpers import start_learning  # noqa: E402

ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def tab_stops(qtbot, top, count: int) -> list:
    """The widgets Tab visits from the one with focus now, in order."""
    seen = []
    for _ in range(count):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
    return seen


def active(qtbot, widget) -> None:
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow, timeout=3000)


def test_main_window_tab_order_follows_the_screen_and_focus_shows(qtbot, window, mouse):
    active(qtbot, window)
    window.canvas.setFocus()
    stops = tab_stops(qtbot, window, 5)
    assert stops == [
        window.why_check,
        window.live_check,
        window.predict_button,
        window.clear_button,
        window.canvas,
    ]
    # The canvas says it has the focus with its border, in the highlight colour.
    edge = (0, window.canvas.height() // 2)
    focused = window.canvas.grab().toImage().pixelColor(*edge)
    window.why_check.setFocus()
    unfocused = window.canvas.grab().toImage().pixelColor(*edge)
    assert focused != unfocused


def test_main_window_controls_have_keys(qtbot, window, mouse):
    active(qtbot, window)
    mnemonics = {
        window.why_check: Qt.Key.Key_W,
        window.live_check: Qt.Key.Key_L,
        window.predict_button: Qt.Key.Key_P,
        window.clear_button: Qt.Key.Key_C,
    }
    for button, key in mnemonics.items():
        assert f"&{QApplication.translate('', chr(key)).upper()}" in button.text().upper()
    before = window.why_check.isChecked()
    qtbot.keyClick(window, Qt.Key.Key_W, ALT)  # clicks it, as a mouse would, on a timer
    qtbot.waitUntil(lambda: window.why_check.isChecked() != before, timeout=3000)
    mouse.draw(window.canvas, mouse.SEVEN)
    qtbot.keyClick(window, Qt.Key.Key_C, ALT)
    qtbot.waitUntil(lambda: window.canvas.is_empty, timeout=3000)


def test_each_menus_entries_have_keys_of_their_own(window):
    """Two entries with one underlined letter make the key cycle between them instead."""
    import re

    menus = [action.menu() for action in window.menuBar().actions()]
    menus += [a.menu() for m in menus for a in m.actions() if a.menu() is not None]
    for menu in menus:
        texts = [a.text() for a in menu.actions() if not a.isSeparator() and a.isVisible()]
        keys = [found[1].lower() for t in texts if (found := re.search(r"&([^&])", t))]
        assert len(keys) == len(set(keys)), (menu.title(), texts)


def test_retrain_dialog_by_keyboard(qtbot, window, private_user_data):
    window.training.retrain_action.trigger()
    dialog = window.training.dialog
    active(qtbot, dialog)
    assert QApplication.focusWidget() is dialog.start_button  # Enter starts, as it says
    qtbot.keyClick(dialog, Qt.Key.Key_E, ALT)
    assert dialog.epochs_spin.hasFocus()
    qtbot.keyClick(dialog, Qt.Key.Key_Z, ALT)
    assert dialog.batch_spin.hasFocus()
    qtbot.keyClick(dialog, Qt.Key.Key_W, ALT)
    qtbot.waitUntil(dialog.download_radio.isChecked, timeout=3000)
    # Every Tab stop is a control that shows it has the focus, never the scrolling area.
    stops = tab_stops(qtbot, dialog, 20)
    assert not any(isinstance(w, QScrollArea) for w in stops)
    assert dialog.start_button in stops and dialog.close_button in stops
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert not dialog.isVisible() and window.isVisible()


def test_search_dialog_by_keyboard(qtbot, window, private_user_data):
    """Every field has a key of its own, as the Retrain dialog's do."""
    import re

    from PySide6.QtWidgets import QLabel

    dialog = window.search.open()
    active(qtbot, dialog)
    for key, field in (
        (Qt.Key.Key_F, dialog.data_edit),
        (Qt.Key.Key_A, dialog.arch_combo),
        (Qt.Key.Key_T, dialog.trials_spin),
        (Qt.Key.Key_E, dialog.epochs_spin),
        (Qt.Key.Key_Y, dialog.study_combo),
    ):
        qtbot.keyClick(dialog, key, ALT)
        assert field.hasFocus(), key
    qtbot.keyClick(dialog, Qt.Key.Key_D, ALT)
    qtbot.waitUntil(dialog.shared_radio.isChecked, timeout=3000)
    qtbot.waitUntil(dialog.storage_edit.hasFocus, timeout=3000)  # its address is typed next
    qtbot.keyClick(dialog, Qt.Key.Key_O, ALT)
    qtbot.waitUntil(dialog.local_radio.isChecked, timeout=3000)
    found_widgets = [*dialog.findChildren(QLabel), *dialog.findChildren(QAbstractButton)]
    texts = [w.text() for w in found_widgets if w.isVisible()]
    keys = [found[1].lower() for t in texts if (found := re.search(r"&([^&])", t))]
    assert len(keys) == len(set(keys)), texts
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_corrections_view_by_keyboard(qtbot, window, mouse):
    for digit in (1, 2):
        window.clear()
        mouse.draw(window.canvas, mouse.SEVEN)
        with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
            window.predict()
        window.training.correct(digit)
    view = window.training.show_corrections()
    qtbot.addWidget(view)
    active(qtbot, view)
    view.list.setFocus()
    qtbot.waitUntil(lambda: view.list.visualItemRect(view.list.item(1)).isValid(), timeout=3000)
    qtbot.keyClick(view.list, Qt.Key.Key_Space)  # the newest, current once the list has focus
    assert view.list.selectedItems()
    stops = tab_stops(qtbot, view, 4)
    assert stops[:3] == [view.relabel_button, view.label_combo, view.delete_button]
    assert isinstance(stops[3], QAbstractButton) and "Close" in stops[3].text()
    qtbot.keyClick(view, Qt.Key.Key_D, ALT)  # Delete
    qtbot.waitUntil(lambda: window.training.corrections.count() == 1, timeout=3000)
    # The drawing that took its place is current and selected: the keyboard carries on.
    assert view.list.currentRow() == 0 and view.list.selectedItems() == [view.list.item(0)]
    view.list.setFocus()
    qtbot.keyClick(view.list, Qt.Key.Key_3)
    assert [p.name[0] for p in window.training.corrections.paths()] == ["3"]
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert not view.isVisible()


def test_a_question_about_what_cannot_be_undone_has_no_bare_letter_key(qtbot, window, mouse):
    """A message box presses a button at its underlined letter alone, without Alt: a stray
    "d" deleted every correction."""
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        mouse.draw(window.canvas, mouse.SEVEN)
    assert window.training.correct(1) is not None
    window.training._confirm_delete()
    box = window.training.delete_box
    active(qtbot, box)
    for key in (Qt.Key.Key_D, Qt.Key.Key_Y, Qt.Key.Key_Return):
        qtbot.keyClick(box, key)
    assert window.training.corrections.count() == 1
    assert "&" not in box.button(box.StandardButton.Yes).text()


def test_quit_question_keys_never_stop_a_run_by_accident(qtbot, window, mouse):
    learner = start_learning(window, qtbot, mouse)
    window.close()
    box = window.quit_box
    active(qtbot, box)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert window.isVisible() and learner.busy
    window.close()  # asked again; the run ends behind the question
    box = window.quit_box
    learner.action.trigger()  # Stop learning my handwriting
    qtbot.waitUntil(lambda: not learner.busy, timeout=10_000)
    # It says so, and Quit no longer stops anything.
    qtbot.waitUntil(lambda: box.text() == "Nothing is running any more. Quit DigitPad?")
    quit_button = next(b for b in box.buttons() if b.text() == "Quit")
    quit_button.click()
    assert not window.isVisible()


def test_escape_clears_and_undo_brings_the_drawing_back(qtbot, window, mouse):
    """Escape is pressed to get out of things: the drawing it clears is one Ctrl+Z away,
    read again, until a new stroke starts another drawing."""
    mouse.draw(window.canvas, mouse.SEVEN)
    mouse.drag(window.canvas, [(120, 150), (190, 150)])  # the 7's crossbar
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        window.predict()
    answer = window.result_label.text()
    drawn = window.canvas.image()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Escape)
    assert window.canvas.is_empty and window.result_label.text() == "–"
    said = window.statusBar().currentMessage()
    assert said == "Nothing drawn: Ctrl+Z brings back the drawing cleared"
    assert window.undo_action.text() == "&Undo clear"  # as the Edit menu says it
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(window.canvas.strokes()) == 2 and window.undo_action.text() == "&Undo stroke"
    assert (window.canvas.image() == drawn).all()
    assert window.result_label.text() == answer
    # Another Ctrl+Z takes the last stroke, as before the Escape.
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(window.canvas.strokes()) == 1
    # Ctrl+Shift+Z (or Ctrl+Y) takes the undo back, as the Edit menu says.
    assert window.redo_action.isEnabled() and window.redo_action.text() == "&Redo stroke"
    with qtbot.waitSignal(window.recognition.predictionReady, timeout=5000):
        qtbot.keyClick(window.canvas, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert (window.canvas.image() == drawn).all() and window.result_label.text() == answer
    assert window.redo_action.text() == "&Redo clear"  # then the Clear undone before it
    assert window.redo_action.isEnabled()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Y, CTRL)  # as on Windows
    assert window.canvas.is_empty and not window.redo_action.isEnabled()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(window.canvas.strokes()) == 1
    # Once a new stroke is drawn on the cleared canvas, the old drawing is gone for good.
    qtbot.keyClick(window.canvas, Qt.Key.Key_Escape)
    mouse.drag(window.canvas, [(150, 60), (150, 240)])
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.canvas.is_empty


def test_redo_answers_ctrl_y_and_ctrl_shift_z_where_the_platform_names_one(
    qtbot, settings, models_dir, monkeypatch
):
    from PySide6.QtGui import QKeySequence

    from digitpad.ui.main_window import MainWindow

    # X11 without a desktop's theme names Ctrl+Shift+Z alone; Windows names Ctrl+Y.
    monkeypatch.setattr(QKeySequence, "keyBindings", lambda _key: [QKeySequence("Ctrl+Shift+Z")])
    win = MainWindow(settings)
    qtbot.addWidget(win)
    keys = {k.toString() for k in win.redo_action.shortcuts()}
    assert {"Ctrl+Y", "Ctrl+Shift+Z"} <= keys
