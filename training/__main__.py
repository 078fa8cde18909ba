"""``python -m training``: see :mod:`training.cli`."""

import sys
from typing import NoReturn

# What a Ctrl-C while the libraries load prints: the event a cancelled command ends with.
CANCELLED_WHILE_STARTING = (
    '{"event": "cancelled", "message": "interrupted while starting; nothing written"}\n'
)


def run() -> NoReturn:
    """Load the command line and run it; a Ctrl-C before its own handler is in place (the
    imports take a second) ends with the ``cancelled`` line and 130, not a traceback."""
    try:
        from training.cli import exit_now, main
    except KeyboardInterrupt:
        sys.stdout.write(CANCELLED_WHILE_STARTING)
        sys.stdout.flush()
        sys.exit(130)
    exit_now(main(sys.argv[1:]))


if __name__ == "__main__":
    run()
