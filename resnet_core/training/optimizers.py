"""The optimizer a run's settings name, with its learning-rate schedule over the run."""

from __future__ import annotations

from .settings import TrainSettings


def make_schedule(settings: TrainSettings, total_steps: int):
    """The learning rate: constant, or a schedule spanning ``total_steps``."""
    import keras

    from .schedules import OneCycle

    lr = settings.learning_rate
    if settings.schedule == "cosine":
        return keras.optimizers.schedules.CosineDecay(lr, max(total_steps, 1))
    if settings.schedule == "one_cycle":
        return OneCycle(lr, max(total_steps, 1))
    return lr


def make_optimizer(settings: TrainSettings, total_steps: int):
    import keras

    lr = make_schedule(settings, total_steps)
    wd = settings.weight_decay or None
    if settings.optimizer == "sgd":
        return keras.optimizers.SGD(lr, momentum=0.9, nesterov=True, weight_decay=wd)
    if settings.optimizer == "adamw":
        return keras.optimizers.AdamW(lr, weight_decay=settings.weight_decay)
    return keras.optimizers.Adam(lr, weight_decay=wd)
