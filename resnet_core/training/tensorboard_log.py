"""A run's per-epoch scalars for TensorBoard, in its folder's ``logs/``."""

from __future__ import annotations


class TensorBoardLog:
    """Per-epoch scalars for TensorBoard, when TensorFlow is there (else nothing)."""

    def __init__(self, folder):
        try:
            import tensorflow as tf
        except ImportError:
            self.writer = None
            return
        self.tf = tf
        self.writer = tf.summary.create_file_writer(str(folder))

    def epoch(self, epoch: int, train: dict, val: dict) -> None:
        if self.writer is None:
            return
        with self.writer.as_default():
            for key, value in train.items():
                self.tf.summary.scalar(f"train/{key}", value, step=epoch + 1)
            for key, value in val.items():
                self.tf.summary.scalar(f"validation/{key}", value, step=epoch + 1)
        self.writer.flush()
