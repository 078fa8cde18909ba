"""The search's best parameters: kept as plain JSON, cleaned, turned into train options."""

from __future__ import annotations

import json

from digitpad import best_params


def test_round_trip_keeps_known_options_only(tmp_path):
    params = {
        "lr": 0.002,
        "batch_size": 256,
        "weight_decay": 1e-5,
        "channels": [32, 64],
        "schedule": "cosine",
        "unknown": 3,
        "dropout": float("nan"),
    }
    path = best_params.save(tmp_path, "cnn", params, study="s", test_accuracy=0.99)
    assert path == tmp_path / best_params.FILE_NAME
    kept = best_params.load(tmp_path)
    assert kept["arch"] == "cnn" and kept["study"] == "s" and kept["test_accuracy"] == 0.99
    assert kept["params"] == {
        "lr": 0.002,
        "batch_size": 256,
        "weight_decay": 1e-5,
        "channels": [32, 64],
        "schedule": "cosine",
    }
    assert not list(tmp_path.glob("*.tmp"))


def test_missing_or_broken_files_mean_no_search_yet(tmp_path):
    assert best_params.load(tmp_path) is None
    path = tmp_path / best_params.FILE_NAME
    for text in (
        "{not json",
        "[1, 2]",
        json.dumps({"params": "lr"}),
        json.dumps({"params": {"lr": "fast", "batch_size": -1}}),
    ):
        path.write_text(text)
        assert best_params.load(tmp_path) is None, text


def test_values_of_the_wrong_type_never_reach_training():
    cleaned = best_params.clean(
        {
            "lr": True,
            "hidden": "many",
            "schedule": "--evil x",
            "channels": [16],
            "augment": -1.0,
            "batch_size": 64.0,
        }
    )
    assert cleaned == {"batch_size": 64}


def test_train_arguments():
    args = best_params.train_arguments(
        {
            "weight_decay": 1e-05,
            "channels": [16, 32],
            "hidden": 256,
            "schedule": "onecycle",
            "lr": 0.01,
            "convs": 2,
        }
    )
    assert args == [
        "--lr",
        "0.01",
        "--weight-decay",
        "1e-05",
        "--schedule",
        "onecycle",
        "--hidden",
        "256",
        "--channels",
        "16",
        "32",
        "--convs",
        "2",
    ]


def test_values_are_shown_the_same_way_in_both_dialogs():
    from digitpad.best_params import format_value
    from digitpad.ui.search_dialog import format_params

    assert format_value([32, 64]) == "32/64" and format_value(0.001065741156220378) == "0.00107"
    shown = format_params({"channels": [32, 64], "lr": 0.003})
    assert shown == "channels 32/64, learning rate 0.003"
