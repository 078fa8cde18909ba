"""Entry point: ``digitpad`` opens the window; subcommands run without one.

``digitpad predict IMAGE...`` recognises image files. ``digitpad train|evaluate|search|adapt``
run the training process: the GUI starts its child processes through this same
entry point, which is what makes retraining work inside the packaged app, where
there is no separate Python. ``--self-test`` checks the bundled models.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import NoReturn

TRAINING_COMMANDS = ("train", "evaluate", "search", "adapt")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "predict":
        from digitpad.cli import predict_main

        return predict_main(args[1:])
    if args and args[0] in TRAINING_COMMANDS:
        from training.cli import main as training_main

        return training_main(args)
    if "--version" in args:
        from digitpad import __version__

        print(f"DigitPad {__version__}")  # noqa: T201
        return 0
    if "--self-test" in args:
        from digitpad.ui.selftest import self_test_main

        return self_test_main(args)
    return gui_main(args)


def gui_main(argv: Sequence[str] | None = None) -> int:
    from digitpad.ui.app import run

    return run(list(sys.argv[1:] if argv is None else argv))


def main_and_exit() -> NoReturn:
    """Run :func:`main` and end the process; a training command ends without tearing torch
    down (see :func:`training.cli.exit_now`), the window through Python's normal exit."""
    code = main()
    if sys.argv[1:2] and sys.argv[1] in TRAINING_COMMANDS:
        from training.cli import exit_now

        exit_now(code)
    sys.exit(code)


if __name__ == "__main__":
    import multiprocessing

    multiprocessing.freeze_support()
    main_and_exit()
