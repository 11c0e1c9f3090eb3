"""Where a run trains on the other Keras backends: the device's description and the
"auto" modes it decides (issue 21). torch is not installed here: a stand-in module."""

import sys
import types

import pytest

from resnet_core.training import strategy
from resnet_core.training.settings import TrainSettings


def fake_torch(monkeypatch, gpu: str | None):
    cuda = types.SimpleNamespace(
        is_available=lambda: gpu is not None, get_device_name=lambda i=0: gpu
    )
    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(cuda=cuda))
    monkeypatch.setattr(strategy, "keras_backend", lambda: "torch")


@pytest.mark.parametrize(
    ("gpu", "label"),
    [("NVIDIA H100 80GB HBM3", "GPU: NVIDIA H100 80GB HBM3 (torch)"), (None, "CPU (torch)")],
)
def test_torch_names_its_gpu_and_says_cpu_without_one(monkeypatch, gpu, label):
    fake_torch(monkeypatch, gpu)
    assert strategy._other_backend_device() == label


def test_a_torch_gpu_trains_in_mixed_precision_and_eagerly_by_default(monkeypatch):
    fake_torch(monkeypatch, "NVIDIA H100")
    device = strategy._other_backend_device()
    auto = TrainSettings()
    assert strategy.device_modes(auto, device, multi_worker=False) == (True, False)
    assert strategy.device_modes(auto, "CPU (torch)", multi_worker=False) == (False, False)
    on = TrainSettings(xla="on", mixed_precision="off")
    assert strategy.device_modes(on, device, multi_worker=False) == (False, True)


@pytest.mark.parametrize(
    ("backend", "device", "modes"),
    [
        ("tensorflow", "GPU: NVIDIA H100", (True, True)),
        ("tensorflow", "CPU", (False, False)),
        ("jax", "CPU (JAX, cpu)", (False, True)),
        ("jax", "GPU: H100 (JAX)", (True, True)),
    ],
)
def test_auto_modes_per_backend_and_device(monkeypatch, backend, device, modes):
    monkeypatch.setattr(strategy, "keras_backend", lambda: backend)
    assert strategy.device_modes(TrainSettings(), device, multi_worker=False) == modes
    assert strategy.device_modes(TrainSettings(), device, multi_worker=True)[1] is False
