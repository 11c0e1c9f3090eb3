"""One network's step, evaluation and prediction in one process: Keras's own.

The peer of :class:`~resnet_core.training.distributed.StepRunner` (a run spread over
workers); :class:`~resnet_core.training.chunks.StepByStep` calls either.
"""

from __future__ import annotations

import numpy as np

from .forward_metrics import loss_and_accuracy
from .strategy import keras_backend


class KerasSteps:
    """One process: Keras's own compiled step, evaluation and prediction.

    On TensorFlow, validation and predictions go through one traced forward pass per
    model (any batch size), made once and reused every epoch: Keras's ``evaluate`` and
    ``predict`` would trace two functions per model, again for a smaller last batch, and
    TensorFlow warns of retracing once a worker has trained a few networks."""

    synchronised = False  # a stop is acted on at once
    chief = True  # writes the store, checkpoints and predictions

    def __init__(self, model):
        self.model = model
        self._forward = None

    def train(self, x, y, stop: bool = False) -> dict:
        return self.model.train_on_batch(x, y, return_dict=True)

    def evaluate(self, x, y, batch_size: int) -> dict:
        if keras_backend() != "tensorflow":
            return self.model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
        return loss_and_accuracy(self.model, self.predict(x, batch_size), y)

    def predict(self, x, batch_size: int = 256) -> np.ndarray:
        if keras_backend() != "tensorflow":
            return np.asarray(
                self.model.predict(x, batch_size=batch_size, verbose=0), dtype=np.float32
            )
        if self._forward is None:
            import tensorflow as tf

            model = self.model
            self._forward = tf.function(
                lambda images: model(images, training=False),
                input_signature=[tf.TensorSpec((None, *model.inputs[0].shape[1:]), tf.float32)],
            )
        out = [self._forward(x[i : i + batch_size]).numpy() for i in range(0, len(x), batch_size)]
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, 0), "float32")
