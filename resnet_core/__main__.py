"""``python -m resnet_core``: see :mod:`resnet_core.cli`."""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .cli import main, quiet_native_logs  # noqa: E402

if __name__ == "__main__":
    quiet_native_logs()  # before TensorFlow loads: its notices are not the command's output
    sys.exit(main())
