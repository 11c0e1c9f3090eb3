"""Shared test set-up: quiet TensorFlow, a cache of built Keras models."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# Runs, uploads and workers of the tests live in a scratch folder, never in ~.
if "RESNET_EXPLORER_HOME" not in os.environ:
    import tempfile

    os.environ["RESNET_EXPLORER_HOME"] = tempfile.mkdtemp(prefix="resnet-explorer-tests-")
os.environ.setdefault("RESNET_EXPLORER_WORKER_IDLE", "20")

import functools  # noqa: E402

import pytest  # noqa: E402


@functools.lru_cache(maxsize=None)
def built_preset(name):
    """Build a preset's Keras model once per test session."""
    from resnet_core import get_spec
    from resnet_core.build import build_model

    return build_model(get_spec(name))


@pytest.fixture
def keras_preset():
    return built_preset
