"""Data for training runs: embedded and generated sets, Keras's datasets, uploads."""

from .datasets import DataError, Dataset, digits, keras_dataset, shapes
from .prepare import SOURCE_LABELS, SOURCE_NAMES, SOURCES, DataChoice, PreparedData, load, prepare

__all__ = ["DataChoice", "DataError", "Dataset", "PreparedData", "SOURCE_LABELS", "SOURCE_NAMES",
           "SOURCES",
           "digits", "keras_dataset", "load", "prepare", "shapes"]
