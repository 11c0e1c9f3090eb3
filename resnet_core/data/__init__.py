"""Data for training runs: embedded and generated sets, Keras's datasets, uploads."""

from .choice import MAX_SUBSET, VAL_SPLITS, DataChoice
from .datasets import DataError, Dataset, digits, shapes
from .prepare import PreparedData, load, prepare
from .sources import SOURCES, DataSource, get_source

__all__ = [
    "DataChoice",
    "DataError",
    "DataSource",
    "MAX_SUBSET",
    "Dataset",
    "PreparedData",
    "SOURCES",
    "VAL_SPLITS",
    "digits",
    "get_source",
    "load",
    "prepare",
    "shapes",
]
