"""Model → My models: the user's kept models listed by name, date and accuracy; use, rename,
delete."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

pytest_plugins = ["ui_helpers"]

from ui_helpers import random_model, started_window  # noqa: E402

from digitpad.model_file import load_model  # noqa: E402
from digitpad.userdata import ENV_VAR, UserData  # noqa: E402


@pytest.fixture
def userdata(tmp_path, monkeypatch) -> UserData:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "userdata"))
    data = UserData(tmp_path / "userdata")
    data.models.mkdir(parents=True)
    older = random_model(data.models / "fcnn-retrained-1.npz", seed=1, accuracy=0.9512)
    os.utime(older, (1_699_963_200, 1_699_963_200))
    random_model(data.models / "fcnn-retrained-2.npz", seed=2, accuracy=0.9734)
    (data.models / "broken.npz").write_bytes(b"not a model")
    return data


def entries(window) -> list[str]:
    """The menu's models (or that there are none), without its closing hint."""
    window.training.refresh_models()
    actions = window.training.models_menu.actions()
    return [a.text() for a in actions if a.menu() is not None or a.text().startswith("None")]


def submenu(window, name: str):
    window.training.refresh_models()
    action = next(a for a in window.training.models_menu.actions() if a.text().startswith(name))
    return {a.text(): a for a in action.menu().actions()}


def test_the_kept_models_are_listed_newest_first_with_accuracy_and_date(userdata, window):
    listed = entries(window)
    assert len(listed) == 3
    assert listed[-1].startswith("fcnn-retrained-1 — 95.12%, 14 Nov")
    assert any(t.startswith("fcnn-retrained-2 — 97.34%") for t in listed)
    assert any(t.startswith("broken — unreadable") for t in listed)
    assert not submenu(window, "broken")["Use"].isEnabled()  # but it can be deleted


def test_a_model_without_a_recorded_accuracy_is_listed_as_such_and_can_be_used(
    userdata, window, qtbot
):
    random_model(userdata.models / "mine-adapted.npz", seed=3, accuracy=None)
    assert any(t.startswith("mine-adapted — accuracy not measured, ") for t in entries(window))
    use = submenu(window, "mine-adapted")["Use"]
    assert use.isEnabled()
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=5000):
        use.trigger()
    assert window.recognition.model_source == str(userdata.models / "mine-adapted.npz")


def test_a_model_learned_here_is_your_model_in_the_list_as_in_the_status_bar(
    userdata, window, qtbot
):
    learned = random_model(userdata.models / "fcnn-adapted-20261207-033518.npz", accuracy=None)
    adapted(learned, 18)
    made = dt.datetime(2026, 12, 7, 3, 35, 18).timestamp()
    os.utime(learned, (made + 30 * 24 * 3600, made + 30 * 24 * 3600))  # the newest
    assert entries(window)[0].startswith("Your model — learned from 18 corrections, ")
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=5000):
        submenu(window, "Your model")["Use"].trigger()
    assert window.recognition.model_source == str(learned)
    # Two learned in the same minute: the seconds tell them apart.
    again = random_model(userdata.models / "fcnn-adapted-20261207-033542.npz", accuracy=None)
    adapted(again, 18)
    os.utime(again, (made + 30 * 24 * 3600 + 24, made + 30 * 24 * 3600 + 24))
    listed = entries(window)[:2]
    assert listed[0].startswith("Your model — learned from 18 corrections, ")
    assert listed[0].endswith(":42") and listed[1].split(" — in use")[0].endswith(":18")


def adapted(path, count: int) -> None:
    """Record in a model file that it learned from ``count`` corrections."""
    from digitpad.model_file import save_model

    model = load_model(path)
    save_model(path, model.arch, model.params, {**model.meta, "adapted": {"corrections": count}})


def test_use_rename_and_delete(userdata, window, qtbot):
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=5000):
        submenu(window, "fcnn-retrained-2")["Use"].trigger()
    assert window.recognition.model_source == str(userdata.models / "fcnn-retrained-2.npz")
    assert "In use" in submenu(window, "fcnn-retrained-2")

    # Renaming the model in use keeps it in use under its new name (and remembers that),
    # and a notice that it is in use stays true.
    in_use = str(userdata.models / "fcnn-retrained-2.npz")
    window.banner.show_message("DigitPad now uses your own model.", "info", about=in_use)
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=5000):
        renamed = window.training.rename_model(userdata.models / "fcnn-retrained-2.npz", "Mine")
    assert renamed == userdata.models / "Mine.npz" and renamed.is_file()
    assert window.recognition.model_source == str(renamed)
    assert window.banner.isVisible() and window.banner.about() == str(renamed)
    window.banner.dismiss()
    assert window.settings.model == str(renamed)
    assert any(t.startswith("Mine — 97.34%") for t in entries(window))

    # A name that is not a plain file name, or taken, is refused in words, in the prompt,
    # which asks again with what was typed: a typo is not an error of the app's.
    assert window.training.rename_model(renamed, "../escape") is None
    prompt = window.training.rename_dialog
    assert "A model name is" in prompt.labelText() and prompt.textValue() == "../escape"
    assert prompt.isVisible() and not window.banner.isVisible()
    assert window.training.rename_model(renamed, "fcnn-retrained-1") is None
    assert "already a model called" in window.training.rename_dialog.labelText()
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=5000):
        window.training.rename_dialog.setTextValue("Mine too")  # a good name this time
        window.training.rename_dialog.accept()
    renamed = userdata.models / "Mine too.npz"
    assert renamed.is_file() and not window.banner.isVisible()
    assert any(
        t.startswith("Mine too — 97.34%, ") and t.endswith(" — in use") for t in entries(window)
    )

    # Deleting the model in use says so first, and goes back to the bundled one.
    window.training._confirm_delete_model(renamed)
    box = window.training.delete_box
    assert "It is the model in use" in box.text()
    assert box.defaultButton() is box.button(box.StandardButton.Cancel)  # Enter keeps it
    assert box.button(box.StandardButton.Yes).text() == "Delete"
    box.close()
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=5000):
        assert window.training.delete_model(renamed)
    assert not renamed.exists() and window.recognition.model_source == "fcnn"
    assert len(entries(window)) == 2


def test_the_delete_item_asks_first(userdata, window, qtbot):
    path = userdata.models / "broken.npz"
    submenu(window, "broken")["Delete…"].trigger()
    box = window.training.delete_box
    assert box.isVisible() and "broken" in box.text()
    next(b for b in box.buttons() if "Cancel" in b.text()).click()
    assert path.exists()
    submenu(window, "broken")["Delete…"].trigger()
    next(b for b in window.training.delete_box.buttons() if b.text() == "Delete").click()
    assert not path.exists()


def test_without_models_the_menu_says_how_to_get_one(tmp_path, monkeypatch, window):
    assert entries(window) == ["None yet: Retrain… or Learn my handwriting"]


def test_a_name_is_at_most_the_60_characters_the_prompt_promises(userdata, window):
    first = userdata.models / "fcnn-retrained-1.npz"
    assert window.training.rename_model(first, "n" * 61) is None
    prompt = window.training.rename_dialog
    assert "up to 60" in prompt.labelText() and prompt.textValue() == "n" * 61
    assert first.is_file()
    assert window.training.rename_model(first, "n" * 60) == userdata.models / f"{'n' * 60}.npz"


def test_messages_name_an_unnamed_model_of_yours_as_the_menu_does(userdata, window):
    """The menu says "Your model" for what Learn my handwriting made: so do the questions
    and messages, with the time it was made, rather than a file name never shown."""
    path = random_model(userdata.models / "fcnn-adapted-20260101-120000.npz", accuracy=None)
    made = dt.datetime(2026, 3, 4, 5, 6).timestamp()
    os.utime(path, (made, made))
    assert any(t.startswith("Your model — ") for t in entries(window))
    window.training._confirm_delete_model(path)
    assert window.training.delete_box.text().startswith("Delete Your model of 04 Mar 05:06?")
    window.training.delete_box.close()
    assert window.training.delete_model(path)
    assert window.statusBar().currentMessage() == "Deleted Your model of 04 Mar 05:06"


def test_the_model_in_use_deleted_by_another_window_can_be_kept_again(userdata, window, qtbot):
    path = random_model(userdata.models / "My sevens.npz", seed=3)
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=5000):
        window.choose_model(str(path))
    loaded = window.recognition.model.params["fc1.weight"].copy()
    path.unlink()  # another DigitPad window deleted it under My models
    # The window says so at once, and how to keep it.
    qtbot.waitUntil(lambda: "My sevens.npz, has gone" in window.banner.text(), timeout=5000)
    assert "My models → Keep the model in use again saves it back." in window.banner.text()
    window.training.refresh_models()
    first = window.training.models_menu.actions()[0]
    assert first.text() == "Keep the model in use again (its file My sevens.npz was deleted)"
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=5000):
        first.trigger()
    assert window.banner.text() == ""  # no longer true
    assert path.is_file() and window.recognition.model_source == str(path)
    assert (load_model(path).params["fc1.weight"] == loaded).all()
    assert window.statusBar().currentMessage() == "Kept My sevens again"
    window.training.refresh_models()
    texts = [a.text() for a in window.training.models_menu.actions()]
    assert not any(t.startswith("Keep the model") for t in texts)


def test_a_model_loaded_from_elsewhere_whose_file_goes_is_kept_among_the_users(
    userdata, window, qtbot, tmp_path
):
    path = random_model(tmp_path / "downloaded.npz", seed=3)
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=5000):
        window.choose_model(str(path))
    path.unlink()
    qtbot.waitUntil(lambda: "downloaded.npz, has gone" in window.banner.text(), timeout=5000)
    assert "Keep the model in use again keeps it among your models." in window.banner.text()
    window.training.refresh_models()
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=5000):
        window.training.models_menu.actions()[0].trigger()
    assert window.recognition.model_source == str(userdata.models / "downloaded.npz")
    assert not path.exists()


def test_the_model_in_use_renamed_or_deleted_here_is_not_said_to_be_gone(userdata, window, qtbot):
    from digitpad.ui.model_watch import SETTLE_MS

    path = random_model(userdata.models / "My sevens.npz", seed=3)
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=5000):
        window.choose_model(str(path))
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=5000):
        renamed = window.training.rename_model(path, "My crossed sevens")
    qtbot.wait(2 * SETTLE_MS)
    assert window.banner.text() == ""
    # The renamed file is the one followed now: another program moving it away is said.
    renamed.rename(renamed.with_name("elsewhere.npz"))
    qtbot.waitUntil(lambda: "My crossed sevens.npz, has gone" in window.banner.text(), timeout=5000)
    window.banner.dismiss()
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=5000):
        window.training.keep_lost()
    kept = window.recognition.model_source
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=5000):
        assert window.training.delete_model(Path(kept))
    qtbot.wait(2 * SETTLE_MS)
    assert window.banner.text() == "" and window.recognition.model_source == "fcnn"


def test_the_model_a_window_starts_with_is_followed_too(userdata, settings, qtbot):
    path = random_model(userdata.models / "My sevens.npz", seed=3)
    settings.model = str(path)
    win = started_window(qtbot, settings)
    qtbot.waitUntil(lambda: win.recognition.model_source == str(path), timeout=5000)
    path.unlink()
    qtbot.waitUntil(lambda: "My sevens.npz, has gone" in win.banner.text(), timeout=5000)
    win.close()


def test_the_model_in_use_whose_file_is_replaced_is_said_and_can_be_kept(userdata, window, qtbot):
    path = random_model(userdata.models / "My sevens.npz", seed=3)
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=5000):
        window.choose_model(str(path))
    loaded = window.recognition.model.params["fc1.weight"].copy()
    path.write_bytes(b"another program wrote over it")
    qtbot.waitUntil(lambda: "My sevens.npz, was replaced" in window.banner.text(), timeout=5000)
    window.training.refresh_models()
    first = window.training.models_menu.actions()[0]
    assert first.text() == "Keep the model in use again (its file My sevens.npz was replaced)"
    with qtbot.waitSignal(window.recognition.modelChanged, timeout=5000):
        first.trigger()
    kept = Path(window.recognition.model_source)
    assert kept != path and kept.parent == path.parent  # a new name: the other file stays
    assert path.read_bytes() == b"another program wrote over it"
    assert (load_model(kept).params["fc1.weight"] == loaded).all()
    assert window.banner.text() == ""
