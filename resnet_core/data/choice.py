"""What data a run trains on: a source's name, that source's own settings, and the split.

A :class:`DataChoice` is plain JSON-able data, stored with every run, so a run can be
repeated and a worker process can load exactly what the page previewed. It knows no
source: the registry (:mod:`resnet_core.data.sources`) says which settings a source has,
their defaults and limits, and checks ``options`` against them when the data is loaded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

# The registry's first source (sources.SOURCES holds it there); a choice made with no
# source names it.
DEFAULT_SOURCE = "digits"
# What the pages offer (inclusive): images to use (0: all), and the validation share
# (narrower than prepare's check, 0 < share < 0.9: a share a person would choose).
MAX_SUBSET = 100_000
VAL_SPLITS = (0.05, 0.5)


@dataclass(frozen=True)
class DataChoice:
    source: str = DEFAULT_SOURCE
    subset: int = 0  # 0: all
    val_split: float = 0.2
    fit: str = "adapt"  # "adapt": the model takes the data's shape; "resize": the reverse
    augment: bool = False
    seed: int = 0
    # The source's own settings by name ({"classes": 4} for shapes, {"path": ...} for an
    # upload); one left out takes the source's default.
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A copy: the caller's dict changing later must not change a frozen choice.
        object.__setattr__(self, "options", dict(self.options))

    def __hash__(self) -> int:  # the options are a dict: hashed as their JSON
        return hash(json.dumps(self.to_dict(), sort_keys=True, default=repr))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> DataChoice:
        """From stored JSON; keys of another version (no longer fields) are ignored.

        Before ``options``, a source's settings were fields named ``<source>_<option>``
        (``shapes_classes``, ``upload_path``): stored runs and remembered settings hold
        them, and they are read as the chosen source's options."""
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        if not isinstance(known.get("options"), Mapping):
            prefix = f"{known.get('source', DEFAULT_SOURCE)}_"
            known["options"] = {
                k.removeprefix(prefix): v
                for k, v in d.items()
                if isinstance(k, str) and k.startswith(prefix) and k not in cls.__dataclass_fields__
            }
        return cls(**known)
