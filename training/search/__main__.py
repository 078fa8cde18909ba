"""``python -m training.search``: the same as ``python -m training search``."""

import sys

from training.search.cli import main

if __name__ == "__main__":
    sys.exit(main())
