"""Where a run trains: the Keras backend, the device and its ``tf.distribute`` strategy,
and the warm-up that starts the runtime before a run is asked for.

Asked of TensorFlow (or JAX) itself, in the process that trains; the server finds GPUs
without TensorFlow (:mod:`resnet_core.devices`).
"""

from __future__ import annotations

from .settings import SettingsError, TrainSettings

_strategy_cache: dict = {}


def keras_backend() -> str:
    import keras

    return keras.backend.backend()


def warm_up() -> None:
    """Import TensorFlow and Keras and start the runtime, so a run starts fast.

    (A whole warm-up fit was tried: it saved little and delayed a run clicked meanwhile.)
    """
    import keras

    keras.ops.convert_to_numpy(keras.ops.ones((2, 2)) @ keras.ops.ones((2, 2)))


def select_strategy(cpu_devices: int = 0):
    """``(strategy, description)``: one GPU, several (MirroredStrategy), or the CPU.

    ``strategy`` is ``None`` off TensorFlow (the JAX backend, say): one device.
    ``cpu_devices > 1`` splits the CPU into that many logical devices and mirrors over
    them, which tests the multi-device path without GPUs (only before TensorFlow has
    started in this process).
    """
    key = ("strategy", cpu_devices)
    if key in _strategy_cache:
        return _strategy_cache[key]
    if keras_backend() != "tensorflow":
        result = (None, _other_backend_device())
        _strategy_cache[key] = result
        return result
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        for g in gpus:
            try:
                tf.config.experimental.set_memory_growth(g, True)
            except RuntimeError:  # TensorFlow already started: keep its settings
                pass
        names = [
            tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus
        ]
        if len(gpus) > 1:
            result = (
                tf.distribute.MirroredStrategy(),
                f"{len(gpus)} GPUs ({names[0]}), MirroredStrategy",
            )
        else:
            result = (tf.distribute.get_strategy(), f"GPU: {names[0]}")
    elif cpu_devices > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        try:
            tf.config.set_logical_device_configuration(
                cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(cpu_devices)]
            )
        except RuntimeError:
            pass  # already configured, or TensorFlow already started
        devices = [d.name for d in tf.config.list_logical_devices("CPU")]
        if len(devices) > 1:
            result = (
                tf.distribute.MirroredStrategy(devices),
                f"CPU split into {len(devices)} devices, MirroredStrategy",
            )
        else:
            result = (tf.distribute.get_strategy(), "CPU")
    else:
        result = (tf.distribute.get_strategy(), "CPU")
    _strategy_cache[key] = result
    return result


def _other_backend_device() -> str:
    if keras_backend() == "jax":
        import jax

        d = jax.devices()[0]
        kind = getattr(d, "device_kind", d.platform)
        return f"GPU: {kind} (JAX)" if d.platform == "gpu" else f"CPU (JAX, {kind})"
    if keras_backend() == "torch":
        import torch

        # Keras on torch trains on the first CUDA device when there is one
        if torch.cuda.is_available():
            return f"GPU: {torch.cuda.get_device_name(0)} (torch)"
    return f"CPU ({keras_backend()})"


def device_modes(settings: TrainSettings, device: str, multi_worker: bool) -> tuple[bool, bool]:
    """``(mixed precision, jit)`` of a run on ``device`` (a description from
    :func:`select_strategy`), its "auto" settings resolved: both on a GPU, whichever
    backend found it."""
    on_gpu = "GPU" in device
    backend = keras_backend()
    mixed = settings.mixed_precision == "on" or (settings.mixed_precision == "auto" and on_gpu)
    # auto: XLA on a GPU; always on JAX, whose only other mode runs op by op. Not on
    # torch, where Keras's jit_compile means torch.compile, not XLA (its default is eager).
    # Not in the multi-worker step: its all-reduce cannot sit inside an XLA cluster.
    auto_jit = backend == "jax" or (on_gpu and backend != "torch")
    jit = not multi_worker and (settings.xla == "on" or (settings.xla == "auto" and auto_jit))
    return mixed, jit


def strategy_for(settings: TrainSettings):
    """``(strategy, device, cluster)``: the multi-worker strategy when this process is one
    of the ``TF_CONFIG`` cluster the run was started on, else :func:`select_strategy`'s."""
    if settings.workers > 1:
        from .distributed import cluster_from_env, multi_worker_strategy

        # A resume trains on in one process (the app's worker, or train --resume), even
        # where a TF_CONFIG was left in the environment: no peers would join it.
        cluster = None if settings.resume else cluster_from_env()
        if cluster is not None:
            if cluster.size != settings.workers:
                raise SettingsError(
                    f"this run is for {settings.workers} workers but TF_CONFIG names {cluster.size}"
                )
            return (*multi_worker_strategy(cluster), cluster)
        # e.g. the Runs page resumed a distributed run: it goes on in one process
        strategy, device = select_strategy(settings.cpu_devices)
        return (
            strategy,
            f"{device} (one process; the run began on {settings.workers} workers)",
            None,
        )
    return (*select_strategy(settings.cpu_devices), None)
