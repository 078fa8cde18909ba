"""One list of architectures: the window's code never names a network itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytest_plugins = ["ui_helpers"]

from digitpad.networks import ARCHITECTURES, Architecture  # noqa: E402

UI = Path(__file__).resolve().parent.parent / "digitpad" / "ui"


def _string_constants(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


@pytest.mark.parametrize("path", sorted(UI.glob("*.py")), ids=lambda p: p.name)
def test_no_window_module_names_an_architecture(path):
    named = [(line, s) for line, s in _string_constants(path) if s in ARCHITECTURES]
    assert named == [], f"{path.name} names architectures; read digitpad.networks instead"


@pytest.fixture
def third_architecture(monkeypatch):
    fcnn = ARCHITECTURES["fcnn"]
    extra = Architecture(
        "wide", "Wide FCNN", "784-512-10", "test", {"hidden": 512}, fcnn.shapes, fcnn.forward
    )
    monkeypatch.setitem(ARCHITECTURES, "wide", extra)
    return extra


def test_a_new_architecture_appears_in_both_dialogs(window, third_architecture):
    window.training.retrain_action.trigger()
    window.search.action.trigger()
    for dialog in (window.training.dialog, window.search.dialog):
        combo = dialog.arch_combo
        names = [combo.itemData(i) for i in range(combo.count())]
        assert names == list(ARCHITECTURES)
        assert combo.itemText(names.index("wide")) == "Wide FCNN (784-512-10)"


def test_the_search_space_follows_each_architectures_sizes(third_architecture):
    from training.config import SEARCH_SPACE, sized

    assert sized("hidden") == ("fcnn", "cnn", "wide")
    assert sized("channels") == ("cnn",)
    assert SEARCH_SPACE["convs"].archs == ("cnn",)


def test_a_network_without_a_gradient_still_predicts_with_why_on(third_architecture):
    import numpy as np

    from digitpad.model_file import validate
    from digitpad.recognizer import predict

    rng = np.random.default_rng(0)
    params = {
        name: rng.normal(0, 0.05, shape).astype(np.float32)
        for name, shape in third_architecture.shapes({"hidden": 512}).items()
    }
    model = validate("wide", params, {"sizes": {"hidden": 512}})
    canvas = np.zeros((280, 280), np.uint8)
    canvas[60:220, 130:150] = 255
    answer = predict(model, canvas, explain=True)
    assert answer.digit is not None and answer.evidence is None
