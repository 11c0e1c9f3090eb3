"""What a forward pass scored: cross-entropy and accuracy, read one way everywhere."""

from __future__ import annotations

import numpy as np


def loss_and_accuracy(model, probs: np.ndarray, y: np.ndarray) -> dict:
    """Cross-entropy and accuracy of class probabilities ``probs`` for labels ``y``, as
    Keras's loss computes them (probabilities clipped at its epsilon), plus the model's
    own losses (an L2 penalty on its kernels): the one reading of a forward pass that
    validation (one process or several workers) and the curve's first point share."""
    import keras

    probs = np.asarray(probs, dtype="float64")
    picked = np.clip(probs[np.arange(len(y)), y], keras.config.epsilon(), None)
    extra = sum(float(keras.ops.convert_to_numpy(v)) for v in model.losses)
    return {
        "loss": float(-np.mean(np.log(picked))) + extra,
        "accuracy": float(np.mean(probs.argmax(axis=1) == y)),
    }
