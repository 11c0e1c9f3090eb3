"""Training runs: settings, the run store, the worker and the one training path.

Importing this package does not import TensorFlow; :mod:`engine` does, when it runs.
"""

from .settings import SettingsError, TrainSettings, check_feasible
from .store import RunStore, default_home

__all__ = ["RunStore", "SettingsError", "TrainSettings", "check_feasible", "default_home"]
