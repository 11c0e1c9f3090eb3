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


@functools.cache
def built_preset(name):
    """Build a preset's Keras model once per test session."""
    from resnet_core import get_spec
    from resnet_core.build import build_model

    return build_model(get_spec(name))


@pytest.fixture
def keras_preset():
    return built_preset


@pytest.fixture
def weights_offline(monkeypatch):
    """Keras's ImageNet weights neither cached nor downloadable: the child process that
    would fetch them (``pretrained.FETCH_COMMAND``) refuses, as it does offline."""
    import sys

    from resnet_core import pretrained

    said = (
        "the ImageNet weights of ResNet50 are not in Keras's cache (~/.keras/models) "
        "and could not be downloaded (URL fetch failure)."
    )
    monkeypatch.setattr(
        pretrained,
        "FETCH_COMMAND",
        [
            sys.executable,
            "-c",
            f"import sys; print({'error: ' + said!r}, file=sys.stderr); sys.exit(2)",
        ],
    )
    monkeypatch.setattr(pretrained, "_fetched", set())
    return said


@pytest.fixture(autouse=True)
def _no_training_worker_in_fast_tests(request, monkeypatch):
    """Pages start a training worker on load (ensure_worker). Outside the slow tests none
    is wanted: it would import TensorFlow and train the runs a test queued, in the
    background, for the rest of the suite. Slow tests keep the real one."""
    if request.node.get_closest_marker("slow") is not None:
        return
    # Both imported before either is patched: a module first imported while the worker's
    # function is patched would keep the stand-in as its own, past this test's undo.
    import resnet_core.training.worker as worker
    import ui.training_form as training_form

    monkeypatch.setattr(worker, "ensure_worker", lambda home=None: None)
    monkeypatch.setattr(training_form, "ensure_worker", lambda home=None: None)
