"""The training defaults the app's Retrain dialog offers, without importing ``training/``.

The app never imports ``training`` (see ``tests/test_architecture.py``), so the
dialog cannot read :class:`training.config.TrainConfig` directly. These values
are copied from it, and ``tests/test_corrections.py`` fails if the two ever
disagree: change ``training/config.py`` first, then these.
"""

from __future__ import annotations

EPOCHS = 40
LR = 0.001065741156220378
BATCH_SIZE = 128
SEED = 0
