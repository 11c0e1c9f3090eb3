"""``python -m resnet_core``: see :mod:`resnet_core.cli`."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
