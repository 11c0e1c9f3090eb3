"""Device-dependent defaults and memory limits, on faked machines."""

import pytest

from resnet_core import get_spec
from resnet_core.devices import Gpu, describe_device, training_defaults, training_memory_bytes
from resnet_core.training import SettingsError, TrainSettings, check_feasible

H100 = Gpu("NVIDIA H100 80GB HBM3", 80 << 30, 79 << 30)
SMALL = Gpu("NVIDIA T4", 16 << 30, 2 << 30)


def test_cpu_defaults_are_small():
    d = training_defaults(())
    assert (d.images, d.batch_size, d.epochs) == (600, 32, 5)
    assert describe_device(()) == "CPU (no GPU found)" and "CPU" in d.note


def test_gpu_defaults_use_all_the_data_and_a_batch_per_gpu():
    one, two = training_defaults((H100,)), training_defaults((H100, H100))
    assert (one.images, one.batch_size, one.epochs) == (0, 128, 10)
    assert two.batch_size == 256
    assert describe_device((H100, H100)) == "GPU: NVIDIA H100 80GB HBM3, 80 GiB (×2)"
    assert "mixed precision and XLA on" in one.note


def test_the_memory_guard_uses_the_smallest_gpus_free_memory():
    assert training_memory_bytes((H100, SMALL)) == 2 << 30
    assert training_memory_bytes(()) > 0  # the host's
    spec = get_spec("resnet50")
    limit = int(training_memory_bytes((SMALL,)) * 0.8)
    with pytest.raises(SettingsError, match="lower the batch size"):
        check_feasible(spec, TrainSettings(batch_size=64), 10_000, memory_limit=limit)
