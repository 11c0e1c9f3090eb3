"""Validation, the workers' validation and the curve's first point read a forward pass
one way: Keras's cross-entropy, plus the network's own losses (its L2 penalty)."""

import numpy as np


def test_loss_and_accuracy_is_kerass_crossentropy_plus_the_models_penalty():
    import keras

    from resnet_core.training.forward_metrics import loss_and_accuracy

    inputs = keras.Input((3,))
    dense = keras.layers.Dense(
        2, activation="softmax", kernel_regularizer=keras.regularizers.L2(0.1)
    )
    model = keras.Model(inputs, dense(inputs))
    x = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    y = np.array([0, 1, 1, 0, 1])
    probs = keras.ops.convert_to_numpy(model(x))
    per_image = keras.losses.sparse_categorical_crossentropy(y, probs)
    expected = float(keras.ops.convert_to_numpy(per_image).mean())
    penalty = 0.1 * float(np.sum(keras.ops.convert_to_numpy(dense.kernel) ** 2))
    got = loss_and_accuracy(model, probs, y)
    assert np.isclose(got["loss"], expected + penalty, rtol=1e-5)
    assert got["accuracy"] == np.mean(probs.argmax(axis=1) == y)
    # A zero probability for the true class: Keras's clip, a finite loss.
    sure = np.array([[0.0, 1.0]] * 5)
    assert np.isfinite(loss_and_accuracy(model, sure, y)["loss"])
