"""Hyperparameter search with Optuna: pruned, resumable, shareable between machines.

``python -m training search --data DIR`` samples learning rate, batch size, the
architecture's sizes, weight decay, augmentation strength and the rest of
:data:`training.config.SEARCH_SPACE` (the one place the search space lives, as
data), trains each trial with :func:`training.loop.train` on the training data
minus a held-out validation part, reports the validation accuracy after every
epoch (``trial.report``) and lets Optuna's pruner stop unpromising trials. The
test set is never looked at during the search: the best configuration is
retrained once on all the training data and scored once on the test set.

Studies live in an Optuna RDB storage: SQLite in the user's data folder by
default, or any URL given with ``--storage`` (PostgreSQL, MySQL...), which is how
several machines search one study together. ``--trials N`` is the number of
finished (complete or pruned) trials the *study* should reach, so running the
same command again after a stop resumes where it left off, and several workers
pointed at one study stop together once it has N.

Errors the user can fix (storage, study, data, arguments) are :class:`SearchError`,
whose ``kind`` the JSON ``error`` event carries; the CLI prints them in one line
and exits with status 1. SIGINT/SIGTERM stop the running trial (marked failed,
not counted) and keep every finished one; the exit status is then 128 + the
signal number, as for ``train``.

The modules, one concern each:

- :mod:`~training.search.places`: where studies live (user data folder, default storage)
- :mod:`~training.search.space`: the search space as Optuna sees it
- :mod:`~training.search.options`: :class:`SearchOptions` and the defaults
- :mod:`~training.search.data`: the fitting/validation split and the test set
- :mod:`~training.search.study`: storage, opening the study, races, heartbeats,
  surplus trials, the final claim, counts and the best trial
- :mod:`~training.search.trial`: one trial, asked, trained and told
- :mod:`~training.search.run`: :func:`run_search`, the loop over trials
- :mod:`~training.search.final`: retraining the best and saving it
- :mod:`~training.search.errors`: :class:`SearchError` and its kinds
- :mod:`~training.search.cli`: the ``search`` subcommand and ``--status``
"""

from __future__ import annotations

from training.priority import lower_priority
from training.search.cli import add_search_parser, main, options_from_args, search_main, show_status
from training.search.data import SplitData, load_split, split_indices
from training.search.errors import SearchError
from training.search.options import (
    DEFAULT_EPOCHS,
    DEFAULT_PRUNER,
    DEFAULT_TRIALS,
    DEFAULT_VAL_FRACTION,
    PRUNERS,
    SearchOptions,
)
from training.search.places import (
    STUDY_DB_NAME,
    default_storage,
    default_study_name,
    redact,
    user_data_dir,
)
from training.search.run import run_search
from training.search.space import (
    config_values,
    make_config,
    optuna_params,
    space_for,
    suggest,
    within,
)
from training.search.study import (
    SURPLUS,
    best_of,
    claim_final,
    counts,
    is_surplus,
    make_pruner,
    open_study,
    release_final,
)

__all__ = [
    "DEFAULT_EPOCHS",
    "DEFAULT_PRUNER",
    "DEFAULT_TRIALS",
    "DEFAULT_VAL_FRACTION",
    "PRUNERS",
    "STUDY_DB_NAME",
    "SURPLUS",
    "SearchError",
    "SearchOptions",
    "SplitData",
    "add_search_parser",
    "best_of",
    "claim_final",
    "config_values",
    "counts",
    "default_storage",
    "default_study_name",
    "is_surplus",
    "load_split",
    "lower_priority",
    "main",
    "make_config",
    "make_pruner",
    "open_study",
    "options_from_args",
    "optuna_params",
    "redact",
    "release_final",
    "run_search",
    "search_main",
    "show_status",
    "space_for",
    "split_indices",
    "suggest",
    "user_data_dir",
    "within",
]
