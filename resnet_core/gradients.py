"""Per-layer gradient norms of a network on one real batch, residual against plain.

The figure is the L2 norm of the gradient of the batch's mean cross-entropy loss (the loss
training minimises) with respect to each conv and dense kernel, from a real backward pass
(``tf.GradientTape``) in training mode, on one batch of scikit-learn's digits fitted to
the network. It is measured at initialisation and again after ``steps`` SGD steps on
other batches, always on the same measurement batch.

The two families compared on the Gradient-flow page are defined here too: He et al.'s
CIFAR ResNets with BatchNorm (§4.2) and a BatchNorm-free twin built of seed 003's biased
bottleneck blocks, each with and without skip connections (:func:`~.presets.plain_twin`).

Keras is imported only inside the functions that measure, so the page can read the
specs and the JSON results without it.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field

from . import op_table
from .limits import fmt_shape
from .presets import PRESETS, cifar_resnet, get_spec, plain_twin
from .spec import ArchitectureSpec, Head, Stage, StemLayer
from .trace import trace_spec

NORM = (
    "L2 norm of the gradient of the batch's mean cross-entropy with respect to each "
    "conv/dense kernel (biases and BatchNorm parameters left out)"
)
WEIGHTED = op_table.WEIGHTED
# Depths 2 + 18k are 6n + 2 (two convs per block) and 9n + 2 (three convs per block) at
# once, so the networks with and without BatchNorm have the same depth.
FLOW_DEPTHS = (20, 38, 56, 74, 92, 110)
_FLOW_NAME = re.compile(r"^(cifar|nobn)_resnet(\d{1,3})$")


class GradientError(ValueError):
    """A request that cannot be measured (a network or setting we refuse)."""


# ------------------------------------------------------------------------ networks
def nobn_resnet(depth: int) -> ArchitectureSpec:
    """A CIFAR-style ResNet without BatchNorm, of seed 003's biased bottleneck blocks.

    Stem: 3×3 conv (16, biased) and ReLU; three stages of ``(depth − 2) / 9`` blocks with
    64/128/256 output channels (bottleneck widths 16/32/64), strides 1, 2, 2, a 1×1
    projection where the shape changes; global average pool and a dense classifier.
    """
    if depth < 11 or (depth - 2) % 9:
        raise GradientError(
            f"a BatchNorm-free ResNet has 9n + 2 layers (11, 20, 29, …), got {depth}"
        )
    n = (depth - 2) // 9
    return ArchitectureSpec(
        name=f"nobn_resnet{depth}",
        input_shape=(32, 32, 3),
        stem=(StemLayer("conv", filters=16, kernel_size=3, use_bias=True), StemLayer("relu")),
        stages=tuple(
            Stage("bias_bottleneck", n, f, s, shortcut="conv", expansion=4)
            for f, s in ((64, 1), (128, 2), (256, 2))
        ),
        head=Head(classes=10),
        conv_bias=True,
        description=(
            f"BatchNorm-free {depth}-layer ResNet: 3 stages of {n} biased "
            "bottleneck blocks (seed 003's block), 64/128/256 channels."
        ),
    )


def flow_spec(depth: int, batchnorm: bool = True) -> ArchitectureSpec:
    """The residual network of the Gradient-flow page: with or without BatchNorm."""
    if batchnorm:
        if depth < 8 or (depth - 2) % 6:
            raise GradientError(f"a CIFAR ResNet has 6n + 2 layers (8, 14, 20, …), got {depth}")
        return cifar_resnet(depth)
    return nobn_resnet(depth)


def resolve(name: str) -> ArchitectureSpec | None:
    """A preset, or a Gradient-flow network by name (``cifar_resnet38``, ``nobn_resnet56``);
    ``None`` when ``name`` is neither."""
    if name in PRESETS:
        return get_spec(name)
    m = _FLOW_NAME.match(name)
    if not m:
        return None
    depth = int(m.group(2))
    if depth > max(FLOW_DEPTHS):
        raise GradientError(f"depth at most {max(FLOW_DEPTHS)} here, got {depth}")
    return flow_spec(depth, batchnorm=m.group(1) == "cifar")


def has_batchnorm(spec: ArchitectureSpec) -> bool:
    return any(l.kind == "batchnorm" for l in trace_spec(spec).layers)


# ------------------------------------------------------------------------- results
@dataclass(frozen=True)
class LayerInfo:
    """One weighted layer: its deterministic name, kind, stage and main-path depth."""

    name: str
    kind: str
    stage: str
    role: str  # "main" or "shortcut"
    depth: int | None  # 1… along the main path; None on a skip path


@dataclass(frozen=True)
class Snapshot:
    """Kernel-gradient (and kernel) norms of every weighted layer at one training step."""

    step: int
    loss: float
    accuracy: float
    grad_norms: tuple[float, ...]
    weight_norms: tuple[float, ...]


@dataclass
class GradientReport:
    """Everything measured for one network; ``snapshots[0]`` is at initialisation."""

    network: str
    plain: bool
    batchnorm: bool
    depth: int
    data: str
    batch_size: int
    seed: int
    learning_rate: float
    layers: list[LayerInfo]
    snapshots: list[Snapshot] = field(default_factory=list)
    norm: str = NORM

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> GradientReport:
        d = dict(d)
        d["layers"] = [LayerInfo(**l) for l in d["layers"]]
        d["snapshots"] = [
            Snapshot(
                **{
                    **s,
                    "grad_norms": tuple(s["grad_norms"]),
                    "weight_norms": tuple(s["weight_norms"]),
                }
            )
            for s in d["snapshots"]
        ]
        return cls(**d)

    def main_path(self, snapshot: Snapshot) -> list[tuple[LayerInfo, float]]:
        """``(layer, gradient norm)`` of the main-path conv layers, input to output."""
        return [
            (l, g)
            for l, g in zip(self.layers, snapshot.grad_norms)
            if l.role == "main" and l.kind == "conv"
        ]

    def first_last_ratio(self, snapshot: Snapshot) -> float:
        """Gradient norm of the first conv over that of the last conv (main path).

        Far below 1: the gradient vanishes on its way to the input; far above: it explodes.
        """
        convs = self.main_path(snapshot)
        first, last = convs[0][1], convs[-1][1]
        if last == 0:
            return math.inf if first else math.nan
        return first / last

    def spread(self, snapshot: Snapshot) -> float:
        """Largest over smallest main-path conv gradient norm (orders of magnitude apart)."""
        norms = [g for _, g in self.main_path(snapshot)]
        lo = min(norms)
        return math.inf if lo == 0 else max(norms) / lo


def weighted_layers(spec: ArchitectureSpec) -> list[LayerInfo]:
    """The conv and dense layers in network order, with their main-path depth."""
    trace = trace_spec(spec)
    if not trace.ok:
        raise GradientError(f"{spec.name} cannot be built: {trace.error}")
    out, depth = [], 0
    for l in trace.layers:
        if l.kind in WEIGHTED:
            if l.role == "main":
                depth += 1
            out.append(
                LayerInfo(l.name, l.kind, l.stage, l.role, depth if l.role == "main" else None)
            )
    return out


# ------------------------------------------------------------------------ measuring
def kernel_gradient_norms(
    model, x, y, from_logits: bool = False
) -> tuple[float, float, dict[str, float]]:
    """``(loss, accuracy, {layer name: ‖∂loss/∂kernel‖₂})`` for one batch, training mode.

    The loss is Keras's sparse categorical cross-entropy of the model's softmax output
    (or of its logits, for a network that ends on them), averaged over the batch: what
    ``model.fit`` minimises.
    """
    import keras
    import tensorflow as tf

    kernels = [
        (layer.name, layer.kernel)
        for layer in model.layers
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))
    ]
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    with tf.GradientTape() as tape:
        probs = model(x, training=True)
        loss = loss_fn(y, probs)
    grads = tape.gradient(loss, [k.value for _, k in kernels])
    accuracy = float(
        tf.reduce_mean(tf.cast(tf.argmax(probs, -1) == tf.cast(y, tf.int64), tf.float32))
    )
    return (
        float(loss),
        accuracy,
        {name: float(tf.norm(g)) if g is not None else 0.0 for (name, _), g in zip(kernels, grads)},
    )


def _kernel_norms(model) -> dict[str, float]:
    import keras

    return {
        layer.name: float(keras.ops.norm(keras.ops.reshape(layer.kernel, (-1,))))
        for layer in model.layers
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))
    }


def _data(spec: ArchitectureSpec, seed: int):
    """Digits fitted to ``spec``: the network adapted to 8×8×1 when it can take it
    (fast), the images resized to its input otherwise."""
    from .data import DataChoice, DataError, digits, prepare

    ds = digits()
    try:
        prepared, how = prepare(ds, spec, DataChoice(fit="adapt", seed=seed)), "adapted"
    except DataError:
        prepared, how = prepare(ds, spec, DataChoice(fit="resize", seed=seed)), "resized"
    label = f"scikit-learn digits, {fmt_shape(prepared.spec.input_shape)}, " + (
        "the network's input adapted to them"
        if how == "adapted"
        else "resized to the network's input"
    )
    return prepared, label


def measure(
    spec: ArchitectureSpec,
    steps: int = 0,
    batch_size: int = 64,
    seed: int = 0,
    learning_rate: float = 0.01,
    plain: bool = False,
) -> GradientReport:
    """Gradient norms of ``spec`` (or its plain twin) at initialisation and after ``steps``.

    Training is plain SGD with momentum 0.9 on the digits' other batches; the same
    ``seed`` gives the same initial weights, batches and figures.
    """
    if not 0 <= steps <= 1000:
        raise GradientError(f"steps must be 0 to 1000, got {steps}")
    if not 2 <= batch_size <= 512:
        raise GradientError(f"batch size must be 2 to 512, got {batch_size}")
    if not 0 < learning_rate <= 10:
        raise GradientError(f"learning rate must be above 0 and at most 10, got {learning_rate}")
    net = plain_twin(spec) if plain else spec
    weighted_layers(net)  # refuses a spec that cannot be built, before Keras starts
    prepared, data_label = _data(net, seed)
    net = prepared.spec
    layers = weighted_layers(net)

    import keras
    import numpy as np

    from .build import build_model

    keras.utils.set_random_seed(seed)
    model = build_model(net)
    logits = net.head.output == "logits"
    x_all = prepared.x_train.astype("float32") / 255.0
    y_all = prepared.y_train
    if len(x_all) < batch_size:
        raise GradientError(f"batch size {batch_size} exceeds the {len(x_all)} images")
    x_batch, y_batch = x_all[:batch_size], y_all[:batch_size]

    def snapshot(step: int) -> Snapshot:
        loss, acc, grads = kernel_gradient_norms(model, x_batch, y_batch, logits)
        weights = _kernel_norms(model)
        return Snapshot(
            step,
            loss,
            acc,
            tuple(grads[l.name] for l in layers),
            tuple(weights[l.name] for l in layers),
        )

    report = GradientReport(
        net.name,
        net is not spec and plain,
        has_batchnorm(net),
        sum(1 for l in layers if l.role == "main"),
        data_label,
        batch_size,
        seed,
        learning_rate,
        layers,
        [snapshot(0)],
    )
    if steps:
        model.compile(
            optimizer=keras.optimizers.SGD(learning_rate, momentum=0.9),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=logits),
        )
        rng = np.random.default_rng(seed)
        order = rng.permutation(np.arange(batch_size, len(x_all)))
        for step in range(steps):
            idx = order[np.arange(step * batch_size, (step + 1) * batch_size) % len(order)]
            model.train_on_batch(x_all[idx], y_all[idx])
        report.snapshots.append(snapshot(steps))
    return report


def format_table(report: GradientReport) -> str:
    """The report as text: one line per weighted layer, a column per snapshot."""
    snaps = report.snapshots
    width = max(len(l.name) for l in report.layers)
    head = "".join(f"{'step ' + str(s.step):>14}" for s in snaps)
    lines = [
        f"{report.network}: depth {report.depth}, "
        f"{'BatchNorm' if report.batchnorm else 'no BatchNorm'}; {report.data}; "
        f"batch {report.batch_size}, seed {report.seed}",
        f"‖∂loss/∂kernel‖₂ per layer ({'skip path marked *'})",
        f"{'layer':<{width}}  depth{head}",
    ]
    for i, l in enumerate(report.layers):
        depth = "*" if l.depth is None else str(l.depth)
        lines.append(
            f"{l.name:<{width}}  {depth:>5}" + "".join(f"{s.grad_norms[i]:>14.4g}" for s in snaps)
        )
    lines.append(f"{'loss':<{width}}  {'':>5}" + "".join(f"{s.loss:>14.4f}" for s in snaps))
    lines.append(
        f"{'first/last conv':<{width}}  {'':>5}"
        + "".join(f"{report.first_last_ratio(s):>14.4g}" for s in snaps)
    )
    return "\n".join(lines)


# ------------------------------------------------------------------------- readings
# What the Gradient-flow page says about a residual report beside its plain twin's.


def norms_range(*reports: GradientReport) -> tuple[float, float]:
    """A log10 axis range that holds every snapshot of every report (zeros as 1e-30):
    charts side by side share it, so heights compare across them."""
    values = [max(v, 1e-30) for r in reports for s in r.snapshots for v in s.grad_norms]
    lo, hi = math.log10(min(values)), math.log10(max(values))
    pad = max(0.1, (hi - lo) * 0.05)
    return lo - pad, hi + pad


def _median(values) -> float:
    """The middle value (the upper of the two middle ones for an even count)."""
    v = sorted(values)
    return v[len(v) // 2]


def trend(ratio: float) -> str:
    """Words for a first/last-layer gradient ratio (:meth:`GradientReport.first_last_ratio`)."""
    if ratio != ratio:  # NaN: every norm is zero
        return "is zero everywhere"
    if ratio < 0.1:
        return f"shrinks toward the input (the first layer's is {1 / ratio:,.3g}× smaller)"
    if ratio > 10:
        return f"grows toward the input (the first layer's is {ratio:,.3g}× larger)"
    return f"stays within 10× from the last layer to the first (ratio {ratio:.2g})"


def what_it_shows(res: GradientReport, plain: GradientReport, index: int) -> str:
    """One Markdown list item per network at snapshot ``index``, read off the
    measurement; a third when every plain layer's gradient is 100× below the residual's."""
    sr, sp = res.snapshots[index], plain.snapshots[index]
    mr = _median(g for _, g in res.main_path(sr))
    mp = _median(g for _, g in plain.main_path(sp))
    lines = [
        f"- **Residual**: the gradient {trend(res.first_last_ratio(sr))}; "
        f"median norm {mr:.3g}, loss {sr.loss:.3f}.",
        f"- **Plain**: the gradient {trend(plain.first_last_ratio(sp))}; "
        f"median norm {mp:.3g}, loss {sp.loss:.3f}.",
    ]
    if mr > 0 and mp == 0:  # the ratio below would divide by zero
        lines.append("- The plain network's median gradient is zero.")
    elif mr > 0 and mp < mr / 100:
        lines.append(
            f"- Every plain layer's gradient is tiny: its median is "
            f"{mr / mp:,.3g}× below the residual network's."
        )
    return "\n".join(lines)


def spread_sentence(res: GradientReport, plain: GradientReport) -> str:
    """Which network's main-path norms lie closer together at initialisation."""
    a, b = res.spread(res.snapshots[0]), plain.spread(plain.snapshots[0])
    closer = "residual" if a < b else "plain"
    return (
        f"At initialisation the {closer} network's norms lie closer together (largest "
        f"over smallest: {a:,.3g} residual, {b:,.3g} plain)."
    )


__all__ = [
    "FLOW_DEPTHS",
    "GradientError",
    "GradientReport",
    "LayerInfo",
    "NORM",
    "Snapshot",
    "flow_spec",
    "format_table",
    "has_batchnorm",
    "kernel_gradient_norms",
    "measure",
    "nobn_resnet",
    "norms_range",
    "resolve",
    "spread_sentence",
    "trend",
    "weighted_layers",
    "what_it_shows",
]
