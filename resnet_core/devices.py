"""Which device a training run would use, and what suits it, found without TensorFlow.

The Streamlit server never imports TensorFlow, so GPUs are found with ``nvidia-smi``.
Every function takes the GPU list as an argument (default: the real one), so tests can
fake a machine.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Gpu:
    name: str
    memory_total: int  # bytes
    memory_free: int  # bytes, when asked


@dataclass(frozen=True)
class TrainingDefaults:
    """What the Train page proposes: small and quick on a CPU, fuller on a GPU."""

    images: int  # 0: all
    batch_size: int
    epochs: int
    note: str


def _query_gpus() -> tuple[Gpu, ...]:
    exe = shutil.which("nvidia-smi")
    if not exe:
        return ()
    try:
        out = subprocess.run(
            [exe, "--query-gpu=name,memory.total,memory.free", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return ()
    gpus = []
    for line in out.stdout.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 3 and parts[0]:
            try:
                total, free = (int(float(v)) << 20 for v in parts[1:])  # MiB
            except ValueError:
                total = free = 0
            gpus.append(Gpu(parts[0], total, free))
    return tuple(gpus)


@lru_cache(maxsize=1)
def gpus() -> tuple[Gpu, ...]:
    """The NVIDIA GPUs ``nvidia-smi`` sees (free memory as at the first call)."""
    return _query_gpus()


def describe_device(found: tuple[Gpu, ...] | None = None) -> str:
    """``CPU (no GPU found)`` or e.g. ``GPU: NVIDIA H100 80GB HBM3, 80 GiB (×2)``."""
    found = gpus() if found is None else found
    if not found:
        return "CPU (no GPU found)"
    first = found[0]
    memory = f", {first.memory_total / 2**30:.0f} GiB" if first.memory_total else ""
    return f"GPU: {first.name}{memory}" + (f" (×{len(found)})" if len(found) > 1 else "")


def training_defaults(found: tuple[Gpu, ...] | None = None) -> TrainingDefaults:
    """CPU: a few hundred images, batch 32, 5 epochs (seconds per epoch). GPU: all the
    images, batch 128 per GPU, 10 epochs; mixed precision and XLA (``auto``) are on."""
    found = gpus() if found is None else found
    if not found:
        return TrainingDefaults(
            600,
            32,
            5,
            "No GPU here: training runs on the CPU, so the "
            "defaults are small (a few hundred images, a few epochs).",
        )
    return TrainingDefaults(
        0,
        128 * len(found),
        10,
        f"On {found[0].name} (×{len(found)}): all the images, batch "
        f"{128 * len(found)}, mixed precision and XLA on (auto).",
    )


def training_memory_bytes(found: tuple[Gpu, ...] | None = None) -> int:
    """What a run may use: the free memory of the (smallest) GPU, else the host's."""
    found = _query_gpus() if found is None else found  # free memory now, not at start
    if found and all(g.memory_free for g in found):
        return min(g.memory_free for g in found)
    return host_memory_bytes()


def host_memory_bytes() -> int:
    """MemAvailable from /proc/meminfo (Linux), else a generous 8 GiB."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 8 << 30
