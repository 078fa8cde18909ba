"""``python -m training``: see :mod:`training.cli`."""

import sys

from training.cli import exit_now, main

if __name__ == "__main__":
    exit_now(main(sys.argv[1:]))
