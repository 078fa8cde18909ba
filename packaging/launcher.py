"""The bundle's entry script: one launcher for the window and every subcommand.

PyInstaller runs this file as ``__main__``; it lives outside ``digitpad/`` so the
package's own modules are never importable as top-level names in the bundle.
``freeze_support`` must run first: a frozen child process started by
``multiprocessing`` re-enters here and must not open a window.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from digitpad.__main__ import main

    sys.exit(main())
