"""Keras layers of our own, for the operations Keras has no layer for.

Both are registered as serializable, so saved models load in Keras's safe mode. The
code export copies this file's classes into the scripts it writes.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="resnet_core")
class ChannelBias(keras.layers.Layer):
    """Adds a learnable bias per channel (seed 003 adds one after each residual sum)."""

    def build(self, input_shape):
        self.bias = self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="bias")

    def call(self, x):
        return x + ops.cast(self.bias, x.dtype)


@keras.saving.register_keras_serializable(package="resnet_core")
class ChannelScale(keras.layers.Layer):
    """`[x, gate]` → x times the per-channel gate (squeeze-and-excitation's rescaling)."""

    def call(self, inputs):
        x, gate = inputs
        return x * ops.cast(gate, x.dtype)[:, None, None, :]

    def compute_output_shape(self, input_shape):
        return input_shape[0]


@keras.saving.register_keras_serializable(package="resnet_core")
class ZeroPadShortcut(keras.layers.Layer):
    """He et al.'s option A shortcut: subsample by `stride`, zero-pad to `channels`."""

    def __init__(self, channels, stride=1, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.stride = stride

    def build(self, input_shape):
        if input_shape[-1] > self.channels:
            raise ValueError(
                f"cannot zero-pad {input_shape[-1]} channels down to "
                f"{self.channels}; use a projection shortcut"
            )

    def call(self, x):
        if self.stride > 1:
            x = ops.max_pool(x, pool_size=1, strides=self.stride, padding="same")
        extra = self.channels - x.shape[-1]
        return ops.pad(x, [[0, 0], [0, 0], [0, 0], [extra // 2, extra - extra // 2]])

    def compute_output_shape(self, input_shape):
        n, h, w, _ = input_shape
        s = self.stride
        return (
            n,
            None if h is None else -(-h // s),
            None if w is None else -(-w // s),
            self.channels,
        )

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "stride": self.stride}
