"""Which device a training run would use, found without importing TensorFlow."""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache


@lru_cache(maxsize=1)
def gpu_names() -> tuple[str, ...]:
    """Names of the NVIDIA GPUs ``nvidia-smi`` sees; empty when there are none."""
    exe = shutil.which("nvidia-smi")
    if not exe:
        return ()
    try:
        out = subprocess.run([exe, "--query-gpu=name", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=5, check=True)
    except (OSError, subprocess.SubprocessError):
        return ()
    return tuple(line.strip() for line in out.stdout.splitlines() if line.strip())


def describe_device() -> str:
    """``CPU`` or e.g. ``GPU: NVIDIA H100 80GB HBM3 (×2)``."""
    names = gpu_names()
    if not names:
        return "CPU (no GPU found)"
    first = names[0]
    return f"GPU: {first}" + (f" (×{len(names)})" if len(names) > 1 else "")
