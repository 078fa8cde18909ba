"""The first frame needs Qt, the canvas and the window: nothing that can wait is imported."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

# Loaded after the window is on screen: by the worker thread (NumPy, Pillow, the model)
# or when the menus' parts are added once the first model is ready.
LATER = (
    "numpy",
    "PIL",
    "digitpad.model_file",
    "digitpad.preprocess",
    "digitpad.corrections",
    "digitpad.ui.training_actions",
    "digitpad.ui.retrain_dialog",
    "digitpad.ui.search_dialog",
    "digitpad.ui.charts",
)

SCRIPT = textwrap.dedent(
    """
    import json, os, sys, tempfile
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["DIGITPAD_DATA_DIR"] = tempfile.mkdtemp()
    from PySide6.QtCore import QSettings
    from PySide6.QtTest import QTest
    from digitpad.ui.app import create_application
    from digitpad.ui.main_window import MainWindow
    from digitpad.ui.settings import Settings

    app = create_application([])
    window = MainWindow(Settings(QSettings(os.environ["DIGITPAD_DATA_DIR"] + "/s.ini",
                                           QSettings.Format.IniFormat)))
    window.show()
    assert QTest.qWaitForWindowExposed(window)
    shown = sorted(sys.modules)
    window.start()
    for _ in range(2000):
        if window.training is not None:
            break
        QTest.qWait(10)
    ready = window.training is not None
    print(json.dumps({"shown": shown, "ready": ready,
                      "menu": [a.text() for a in window.model_menu.actions()]}))
    window.close()
    """
)


def test_the_first_frame_waits_for_nothing_that_can_come_later():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    early = [m for m in report["shown"] if m in LATER or m.split(".")[0] in LATER]
    assert early == [], f"imported before the window was shown: {early}"
    # ...and they do arrive: the Model menu gets its training entries once the model is in.
    assert report["ready"]
    assert "&Retrain…" in report["menu"] and "Search &hyperparameters…" in report["menu"]
