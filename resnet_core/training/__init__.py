"""Training runs: settings, the run store, the worker and the one training path.

Importing this package does not import Keras or TensorFlow; the loop (:mod:`engine`) and
its parts (:mod:`strategy`, :mod:`training_model`, :mod:`steps`, loading a checkpoint) do,
when they run.
"""

from .settings import SettingsError, TrainSettings, check_feasible
from .store import RunStore, default_home

__all__ = ["RunStore", "SettingsError", "TrainSettings", "check_feasible", "default_home"]
