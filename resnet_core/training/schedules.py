"""Learning-rate schedules Keras does not ship: one-cycle (warm-up, then cosine down)."""

import math

import keras


@keras.saving.register_keras_serializable(package="resnet_core")
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up from ``peak / 25`` to ``peak`` over 30 % of the steps, then cosine
    annealing to ``peak / 10⁴`` (Smith's one-cycle policy)."""

    def __init__(self, peak, total_steps, warmup_fraction=0.3):
        self.peak = float(peak)
        self.total_steps = int(total_steps)
        self.warmup_fraction = float(warmup_fraction)

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        warm = max(1.0, self.total_steps * self.warmup_fraction)
        start, end = self.peak / 25, self.peak / 1e4
        up = start + (self.peak - start) * step / warm
        progress = keras.ops.clip((step - warm) / max(1.0, self.total_steps - warm), 0, 1)
        down = end + (self.peak - end) * 0.5 * (1 + keras.ops.cos(math.pi * progress))
        return keras.ops.where(step < warm, up, down)

    def get_config(self):
        return {
            "peak": self.peak,
            "total_steps": self.total_steps,
            "warmup_fraction": self.warmup_fraction,
        }
