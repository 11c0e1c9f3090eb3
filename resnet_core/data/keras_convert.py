"""``python -m resnet_core.data.keras_convert NAME OUT``: a Keras dataset as plain arrays.

Run by :func:`resnet_core.data.datasets.keras_dataset` in a child process, so that only
this process imports Keras. A refusal is one ``error: ...`` line on stderr and exit code 2.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .datasets import DataError, convert_keras_dataset
from .sources import get_source, offline_names


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("error: usage: python -m resnet_core.data.keras_convert NAME OUT", file=sys.stderr)
        return 2
    try:
        kind = get_source(args[0]).keras
        if kind is None:
            raise DataError(f"{args[0]} is not one of Keras's datasets")
        convert_keras_dataset(args[0], kind, Path(args[1]), instead=offline_names())
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
