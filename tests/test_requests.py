"""The dialogs' requests as data: checked, turned into command lines, remembered safely."""

from __future__ import annotations

import math

import pytest

from digitpad import training_defaults as defaults
from digitpad.requests import (
    PASSWORD_ENV,
    SearchRequest,
    TrainRequest,
    password_in,
    read_rate,
    storage_problem,
    without_password,
)


def _option(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


@pytest.mark.parametrize(
    ("typed", "rate"),
    [
        ("0.001", 0.001),
        ("1e-3", 0.001),
        (" 5E-4 ", 0.0005),
        ("0,01", 0.01),
        ("\u0660\u066b\u0660\u0661", 0.01),
        ("\uff10\uff0e\uff10\uff11", 0.01),
        ("1,000.5", None),  # a thousands separator is no rate
        ("1e-", None),
        ("abc", None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_a_rate_is_read_as_people_type_it(typed, rate):
    assert read_rate(typed) == (None if rate is None else pytest.approx(rate))


def test_a_train_request_builds_the_childs_command_line(tmp_path):
    request = TrainRequest(
        folder=str(tmp_path), arch="cnn", epochs=3, lr=0.002, batch_size=64, tuned={"hidden": 256}
    )
    argv = request.argv(tmp_path / "out.npz", tmp_path / "dl", tmp_path / "cache", tmp_path / "c")
    assert argv[0] == "train" and "--download" not in argv
    assert _option(argv, "--data") == str(tmp_path)
    assert (_option(argv, "--arch"), _option(argv, "--epochs")) == ("cnn", "3")
    assert float(_option(argv, "--lr")) == 0.002 and _option(argv, "--batch-size") == "64"
    assert _option(argv, "--hidden") == "256" and _option(argv, "--corrections") == str(
        tmp_path / "c"
    )
    assert _option(argv, "--out") == str(tmp_path / "out.npz")


def test_download_and_no_corrections(tmp_path):
    request = TrainRequest(download=True, corrections=False)
    argv = request.argv(tmp_path / "o.npz", tmp_path / "dl", tmp_path / "cache", tmp_path / "c")
    assert _option(argv, "--data") == str(tmp_path / "dl") and "--download" in argv
    assert "--corrections" not in argv
    none_saved = TrainRequest(download=True).argv(tmp_path / "o", tmp_path, tmp_path, None)
    assert "--corrections" not in none_saved


def test_problems_are_words_before_any_process(tmp_path):
    assert "Choose the folder" in TrainRequest().problem()
    assert "There is no folder" in TrainRequest(folder=str(tmp_path / "nope")).problem()
    assert TrainRequest(folder=str(tmp_path)).problem() is None
    assert TrainRequest(download=True).problem() is None


@pytest.mark.parametrize(
    ("stored", "field", "expected"),
    [
        ({"epochs": 10**12}, "epochs", 500),
        ({"epochs": -3}, "epochs", 1),
        ({"epochs": True}, "epochs", defaults.EPOCHS),
        ({"lr": "nan"}, "lr", defaults.LR),
        ({"lr": math.inf}, "lr", defaults.LR),
        ({"lr": [1]}, "lr", defaults.LR),
        ({"batch_size": 2**40}, "batch_size", 65536),
        ({"arch": "resnet"}, "arch", "fcnn"),
        ({"folder": 5}, "folder", ""),
        ({"tuned": {"hidden": 64, "evil": "rm -rf"}}, "tuned", {"hidden": 64}),
        ({"tuned": "x"}, "tuned", {}),
        ({"download": "yes"}, "download", False),
    ],
)
def test_remembered_values_are_clamped_or_dropped(stored, field, expected):
    assert getattr(TrainRequest.from_dict(stored), field) == expected


@pytest.mark.parametrize("stored", [None, [], "text", 3])
def test_a_remembered_request_of_the_wrong_shape_is_the_default(stored):
    assert TrainRequest.from_dict(stored) == TrainRequest()
    assert SearchRequest.from_dict(stored) == SearchRequest()


def test_a_request_survives_its_round_trip():
    request = TrainRequest(folder="/data/mnist", arch="cnn", epochs=12, tuned={"dropout": 0.25})
    assert TrainRequest.from_dict(request.to_dict()) == request


def test_a_searchs_parameters_fill_a_request():
    params = {"arch": "cnn", "epochs": 9, "lr": 0.003, "batch_size": 256, "weight_decay": 1e-5}
    request = TrainRequest(folder="/d").with_params(params)
    assert (request.arch, request.epochs, request.lr, request.batch_size) == ("cnn", 9, 0.003, 256)
    assert request.tuned == {"weight_decay": 1e-5} and request.folder == "/d"


def test_a_search_request_keeps_the_password_off_the_command_line_and_the_settings(tmp_path):
    url = "postgresql://ann:s3cret@db.example.org:5433/digitpad"
    request = SearchRequest(folder=str(tmp_path), arch="cnn", trials=5, epochs=2, storage=url)
    argv = request.argv(tmp_path / "cache")
    assert _option(argv, "--storage") == "postgresql://ann@db.example.org:5433/digitpad"
    assert "s3cret" not in " ".join(argv)
    assert request.environment() == {PASSWORD_ENV: "s3cret"}
    assert "s3cret" not in str(request.to_dict())
    assert SearchRequest.from_dict(request.to_dict()).storage == without_password(url)
    assert request.problem() is None
    local = SearchRequest(folder=str(tmp_path))
    assert "--storage" not in local.argv(tmp_path) and local.environment() == {}


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://db.example.org/x", "starts with postgresql://"),
        ("postgresql:///digitpad", "needs a host"),
        ("db.example.org", "starts with postgresql://"),
    ],
)
def test_a_bad_database_address_is_one_clear_sentence(tmp_path, url, words):
    assert words in storage_problem(url)
    assert words in SearchRequest(folder=str(tmp_path), storage=url).problem()
    assert SearchRequest.from_dict({"storage": url}).storage == ""


def test_without_password_leaves_other_urls_alone():
    assert without_password("postgresql://ann@h/db") == "postgresql://ann@h/db"
    assert without_password("postgresql://:pw@h/db") == "postgresql://h/db"


def test_a_typed_password_joins_the_address_only_in_memory(tmp_path):
    from digitpad.requests import with_password

    url = with_password("postgresql://ann@[::1]:5432/db", "p@ss:/word")
    assert without_password(url) == "postgresql://ann@[::1]:5432/db"
    request = SearchRequest(folder=str(tmp_path), storage=url)
    assert request.environment() == {PASSWORD_ENV: "p@ss:/word"}
    assert "p@ss" not in " ".join(request.argv(tmp_path)) and request.problem() is None
    assert with_password("postgresql://ann:old@h/db", "") == "postgresql://ann:old@h/db"


@pytest.mark.parametrize(
    ("url", "password", "shown"),
    [
        # A password typed into the address with characters a URL ends its host part at.
        ("postgresql://ann:pa/ss@h/db", "pa/ss", "postgresql://ann@h/db"),
        ("postgresql://ann:pa?ss@h/db", "pa?ss", "postgresql://ann@h/db"),
        ("postgresql://ann:pa#ss@h:5432/db", "pa#ss", "postgresql://ann@h:5432/db"),
        # libpq also takes the password as a parameter of the address.
        ("postgresql://ann@h/db?password=s3cret", "s3cret", "postgresql://ann@h/db"),
        (
            "postgresql://ann@h/db?sslmode=require&password=s3cret",
            "s3cret",
            "postgresql://ann@h/db?sslmode=require",
        ),
    ],
)
def test_a_password_anywhere_in_the_address_is_never_shown_or_remembered(
    tmp_path, url, password, shown
):
    request = SearchRequest(folder=str(tmp_path), storage=url)
    assert request.problem() is None
    assert without_password(url) == shown
    assert _option(request.argv(tmp_path), "--storage") == shown
    assert request.environment() == {PASSWORD_ENV: password}
    assert password not in str(request.to_dict())
    assert password not in str(SearchRequest.from_dict(request.to_dict()))


@pytest.mark.parametrize("url", ["sqlite:///C:/data@x/study.db", "sqlite:////home/a:b@c/study.db"])
def test_a_file_path_with_a_colon_and_an_at_is_kept_whole(tmp_path, url):
    """A path is no user info: nothing of it is taken out as a password."""
    request = SearchRequest(folder=str(tmp_path), storage=url)
    assert password_in(url) is None and without_password(url) == url
    assert _option(request.argv(tmp_path), "--storage") == url
    assert request.environment() == {}
