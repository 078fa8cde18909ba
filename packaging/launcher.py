"""The bundle's entry script: one launcher for the window and every subcommand.

PyInstaller runs this file as ``__main__``; it lives outside ``digitpad/`` so the
package's own modules are never importable as top-level names in the bundle.
``freeze_support`` must run first in a child process that ``multiprocessing``
starts (it re-enters here and must not open a window); nothing else imports
multiprocessing before the window (PyInstaller's hook for it runs on first
import, see ``lazy_rthooks.py``), so the window's start does not pay for it.
"""

import sys

# How multiprocessing starts its helpers and spawned children in a frozen app: the
# launcher with -c "from multiprocessing… import main" or --multiprocessing-fork.
MULTIPROCESSING_CHILD = ("-c", "--multiprocessing-fork")

if __name__ == "__main__":
    if any(arg in MULTIPROCESSING_CHILD for arg in sys.argv[1:]):
        import multiprocessing

        multiprocessing.freeze_support()
    from digitpad.__main__ import main_and_exit

    main_and_exit()
