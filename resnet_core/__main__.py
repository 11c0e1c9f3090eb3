"""``python -m resnet_core``: see :mod:`resnet_core.cli`."""

import os
import sys

# TensorFlow's start-up notices (CUDA probes, oneDNN) are not the command's output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
