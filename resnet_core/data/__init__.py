"""Data for training runs: embedded and generated sets, Keras's datasets, uploads."""

from .choice import DataChoice
from .datasets import DataError, Dataset, digits, shapes
from .prepare import PreparedData, load, prepare
from .sources import SOURCES, DataSource, get_source

__all__ = [
    "DataChoice",
    "DataError",
    "DataSource",
    "Dataset",
    "PreparedData",
    "SOURCES",
    "digits",
    "get_source",
    "load",
    "prepare",
    "shapes",
]
