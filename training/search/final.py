"""The end of a search: the best configuration retrained on all the training data, scored once
on the test set, and saved as a model file the app can load."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from training.search.data import SplitData
from training.search.errors import SearchError
from training.search.options import SearchOptions
from training.search.space import make_config
from training.search.trial import Emit, rounded


def retrain(
    options: SearchOptions, base: Any, data: SplitData, result: dict, emit: Emit, stop: Any
) -> tuple[Any, Any]:
    """Train ``result["best_params"]`` on all the training data and add its test score (and
    the final epochs and seconds) to ``result``; returns (model, config). A stop raises
    :class:`training.loop.Cancelled`."""
    from training.evaluate import evaluate
    from training.loop import train
    from training.models import as_app_model

    final_epochs = options.final_epochs or options.epochs
    config = make_config(base, result["best_params"], epochs=final_epochs)
    emit({"event": "final_started", "params": result["best_params"], "epochs": final_epochs})
    started = time.perf_counter()
    trained = train(config, data.x_full, data.y_full, should_stop=stop.is_set)
    seconds = time.perf_counter() - started
    # Scored as the app reads the model it saves; the trials' validation figures, which only
    # rank configurations, are the network's alone (cheaper, and the same for every trial).
    images, labels = data.x_test[:, 0].cpu().numpy(), data.y_test.cpu().numpy()
    app_model = as_app_model(trained.model, config)
    test = evaluate(app_model, images, labels, upright=base.deskew)  # deskewed as loaded
    result["test_accuracy"] = rounded(test.accuracy)
    result["final_epochs"] = final_epochs
    result["final_seconds"] = round(seconds, 3)
    return trained.model, config


def save_final(
    trained: tuple[Any, Any], data: SplitData, result: dict, options: SearchOptions
) -> Path:
    """Write the retrained best model as a model file the app can load."""
    from digitpad.model_file import save_model
    from training.models import export
    from training.pipeline import build_meta

    model, config = trained
    figures = {
        "test_accuracy": result["test_accuracy"],
        "search": {"study": options.name, "best_val_accuracy": result["best_val_accuracy"]},
    }
    meta = build_meta(
        config,
        data.full,
        options.command or "python -m training search",
        figures,
        result.get("final_seconds", 0.0),
    )
    path = Path(options.out)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_model(path, config.arch, export(model, config, meta), meta)
    except OSError as exc:
        raise SearchError(f"cannot write {path}: {exc}", kind="disk") from None
    return path
