"""Wall time of a pruned N-trial search vs N unpruned trials, and what the search finds.

    python benchmarks/search_speed.py --data ../shared/data/mnist --trials 20 --epochs 5

Steps: (1) one full, unpruned trial of the default configuration at the same
epochs on the same fitting/validation split, timed: N of those is the estimate
of an unpruned search; (2) the search itself with each pruner asked for, in a
fresh SQLite study, including the final retrain of the best on all the training
data and its one test score. Prints a table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from training.config import TrainConfig
from training.search import PRUNERS, SearchOptions, load_split, run_search


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--arch", default="fcnn")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument(
        "--pruners", default="median", help=f"comma-separated, from {', '.join(PRUNERS)}"
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=Path("data") / "cache")
    args = parser.parse_args()

    from training.loop import resolve_device, train

    device = resolve_device(args.device)
    base = TrainConfig(arch=args.arch, epochs=args.epochs, seed=args.seed, device=args.device)
    data = load_split(args.data, base, 1 / 6, device, args.cache)
    start = time.perf_counter()
    full = train(base, data.x_train, data.y_train, data.x_val, data.y_val)
    one_trial = time.perf_counter() - start
    unpruned = one_trial * args.trials
    print(f"{data.description}")
    print(
        f"one unpruned trial (defaults, {args.epochs} epochs): {one_trial:.1f} s, "
        f"val acc {full.test_accuracy:.4f}; {args.trials} trials ≈ {unpruned:.0f} s"
    )

    results = {
        "arch": args.arch,
        "trials": args.trials,
        "epochs": args.epochs,
        "device": str(device),
        "one_trial_seconds": round(one_trial, 2),
        "unpruned_estimate_seconds": round(unpruned, 1),
        "pruners": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for pruner in args.pruners.split(","):
            epochs_run = 0

            def count(event: dict) -> None:
                nonlocal epochs_run
                epochs_run += event["event"] == "epoch"

            options = SearchOptions(
                data=args.data,
                arch=args.arch,
                trials=args.trials,
                epochs=args.epochs,
                storage=f"sqlite:///{Path(tmp) / (pruner + '.db')}",
                pruner=pruner,
                seed=args.seed,
                device=args.device,
                cache=args.cache,
            )
            start = time.perf_counter()
            result = run_search(options, emit=count)
            wall = time.perf_counter() - start
            figures = {
                "wall_seconds": round(wall, 1),
                "search_seconds": result["search_seconds"],
                "epochs_run": epochs_run,
                "epochs_unpruned": args.trials * args.epochs,
                "speedup_vs_unpruned": round(unpruned / result["search_seconds"], 2),
                "best_val_accuracy": result["best_val_accuracy"],
                "test_accuracy": result["test_accuracy"],
                "trials_completed": result["trials_completed"],
                "trials_pruned": result["trials_pruned"],
                "best_params": result["best_params"],
            }
            results["pruners"][pruner] = figures
            print(
                f"{pruner:>9}: search {result['search_seconds']:.0f} s "
                f"(x{figures['speedup_vs_unpruned']} faster than unpruned), "
                f"{epochs_run}/{args.trials * args.epochs} epochs run, "
                f"{result['trials_pruned']} pruned; best val {result['best_val_accuracy']:.4f}, "
                f"test of retrained best {result['test_accuracy']:.4f} "
                f"(total with retrain {wall:.0f} s)"
            )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
