"""What each block adds (He, Zhang, Ren & Sun 2015, "Deep residual learning for image
recognition", §4.2 and Fig. 7).

Three figures of one trained network:

- the strongest feature maps of each stage (the stem's output and each stage's last
  block's) for one image of the run's data;
- per block, the norm of the residual branch over the norm of the block's input: how much
  a block changes what passes through it (and, for any block whose shapes agree, the
  norm of output − input over the input's);
- per layer, the standard deviation of the responses (each main-path conv's output after
  its BatchNorm, before the ReLU or the sum, as Fig. 7), on validation images.
"""

from __future__ import annotations

import math

import numpy as np

from ..child import Progress
from ..limits import fmt_shape
from ..trace import trace_spec
from .runs import FORWARD_MACS_PER_SECOND, ExperimentError, TrainedRun

CITATION = (
    "He, Zhang, Ren & Sun (2015), Deep residual learning for image recognition, "
    "§4.2 and Fig. 7 (standard deviations of layer responses)"
)
MAX_IMAGES = 2000
MAPS_PER_STAGE = 4
MAP_SIDE = 32  # feature maps larger than this are pooled down to it (JSON stays small)


def estimate_seconds(spec, images: int, macs_per_second: float = FORWARD_MACS_PER_SECOND) -> float:
    """A rough time on this 2-core CPU: the network traced layer by layer once for the
    image, once for ``images`` (2.5 s a network for 256 images of cifar_resnet20 at 8×8)."""
    from ..analysis import analyze

    return 2.0 + 2 * images * analyze(spec).totals.macs / macs_per_second


def response_layers(spec) -> list[tuple[str, str]]:
    """``(conv, response layer)`` for each main-path conv inside a block, in order: the
    layer whose output is the response (the BatchNorm reading the conv, else the conv)."""
    layers = trace_spec(spec).layers
    readers: dict[str, list] = {}
    for l in layers:
        for src in l.inputs:
            readers.setdefault(src, []).append(l)
    out = []
    for l in layers:
        if l.kind == "conv" and l.role == "main" and l.block_name:
            bn = next((r for r in readers.get(l.name, []) if r.kind == "batchnorm"), None)
            out.append((l.name, bn.name if bn else l.name))
    return out


def strongest_maps(activation: np.ndarray, count: int = MAPS_PER_STAGE) -> list[dict]:
    """The ``count`` channels of one image's ``activation`` (H, W, C) with the largest
    mean, each scaled to 0..1 (and pooled down to at most MAP_SIDE pixels a side)."""
    a = np.asarray(activation, np.float64)
    means = a.mean(axis=(0, 1))
    order = np.argsort(-means, kind="stable")[:count]
    maps = []
    for ch in order:
        m = a[..., ch]
        step = max(1, math.ceil(max(m.shape) / MAP_SIDE))
        if step > 1:
            h, w = m.shape[0] // step * step, m.shape[1] // step * step
            m = m[:h, :w].reshape(h // step, step, w // step, step).mean(axis=(1, 3))
        lo, hi = float(m.min()), float(m.max())
        scaled = (m - lo) / (hi - lo) if hi > lo else np.zeros_like(m)
        maps.append(
            {"channel": int(ch), "mean": float(means[ch]), "map": np.round(scaled, 3).tolist()}
        )
    return maps


def _norms(t) -> np.ndarray:
    """Each image's L2 norm of ``t`` (batch first)."""
    a = np.asarray(t, np.float64).reshape(len(t), -1)
    return np.sqrt(np.sum(a * a, axis=1))


def ratios(numerator, denominator) -> np.ndarray:
    """Each image's ‖numerator‖ / ‖denominator‖ (NaN where the denominator is zero)."""
    d = _norms(denominator)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d > 0, _norms(numerator) / d, np.nan)


def ratio(numerator, denominator) -> float:
    """The mean over images of ‖numerator‖ / ‖denominator‖ (NaN where it is zero)."""
    return _mean([ratios(numerator, denominator)])


def _mean(parts: list[np.ndarray]) -> float | None:
    """The mean of the finite values of ``parts``; None when there are none (JSON)."""
    if not parts:
        return None
    v = np.concatenate(parts)
    v = v[np.isfinite(v)]
    return float(v.mean()) if len(v) else None


def _std(moment: np.ndarray) -> float:
    n, total, squares = moment
    mean = total / n
    return float(math.sqrt(max(0.0, squares / n - mean * mean)))


def responses(
    trained: TrainedRun, image: int = 0, images: int = 256, progress: Progress | None = None
) -> dict:
    """The three figures for one trained network, as JSON-able data."""
    import keras

    from .blocks import block_shapes
    from .walk import Watch, batch_size_for, run_spec

    if not 1 <= images <= MAX_IMAGES:
        raise ExperimentError(f"images must be 1 to {MAX_IMAGES:,}, got {images}")
    if not 0 <= image < len(trained.x_val):
        raise ExperimentError(f"image must be 0 to {len(trained.x_val) - 1}, got {image}")
    spec = trained.spec
    pairs = response_layers(spec)
    stem_out = next((l.name for l in reversed(trace_spec(spec).layers) if l.stage == "stem"), None)
    np_ = keras.ops.convert_to_numpy
    if progress:
        progress(0.1, f"{trained.run.name}: one image through the network")
    # One image: the feature maps.
    watch = Watch(blocks=True, layers=frozenset([stem_out] if stem_out else []))
    run_spec(spec, trained.layers, trained.x_val[image : image + 1], watch=watch)
    stages = []
    if stem_out:
        stages.append(
            {
                "stage": "stem",
                "shape": list(watch.outputs[stem_out].shape[1:]),
                "maps": strongest_maps(np_(watch.outputs[stem_out])[0]),
            }
        )
    last: dict[str, object] = {}
    for rec in watch.block_records:
        last[rec.name.split("_")[0]] = rec.output
    for stage, out in last.items():
        a = np_(out)[0]
        if a.ndim == 3:
            stages.append({"stage": stage, "shape": list(a.shape), "maps": strongest_maps(a)})
    if progress:
        progress(
            0.4, f"{trained.run.name}: {min(images, len(trained.x_val))} images through the network"
        )
    # Many images, a batch at a time (a large network's activations stay bounded):
    # block ratios (means over images) and response deviations (from running sums).
    x = trained.x_val[:images]
    step = batch_size_for(spec)
    names = [b.name for b in block_shapes(spec)]
    branch = {n: [] for n in names}
    change = {n: [] for n in names}
    moments = {r: np.zeros(3) for _, r in pairs}  # count, sum, sum of squares
    for start in range(0, len(x), step):
        watch = Watch(blocks=True, layers=frozenset(r for _, r in pairs))
        run_spec(spec, trained.layers, x[start : start + step], watch=watch)
        for rec in watch.block_records:
            inp = np_(rec.input)
            if rec.branch is not None:
                branch[rec.name].append(ratios(np_(rec.branch), inp))
            if tuple(rec.input.shape) == tuple(rec.output.shape):
                change[rec.name].append(ratios(np_(rec.output) - inp, inp))
        for resp, m in moments.items():
            a = np_(watch.outputs[resp]).astype(np.float64)
            m += (a.size, a.sum(), np.square(a).sum())
        if progress:
            progress(
                0.4 + 0.6 * min(len(x), start + step) / len(x),
                f"{trained.run.name}: {min(len(x), start + step)} of {len(x)} images",
            )
    blocks = [
        {"block": n, "branch_ratio": _mean(branch[n]), "change_ratio": _mean(change[n])}
        for n in names
    ]
    layers = [{"conv": conv, "response": resp, "std": _std(moments[resp])} for conv, resp in pairs]
    if progress:
        progress(1.0, f"{trained.run.name}: done")
    return {
        "experiment": "responses",
        "run_id": trained.run.id,
        "network": spec.name,
        "residual": trained.residual,
        "image": image,
        "label": trained.class_names[int(trained.y_val[image])]
        if int(trained.y_val[image]) < len(trained.class_names)
        else str(trained.y_val[image]),
        "images": int(len(x)),
        "stages": stages,
        "blocks": blocks,
        "layers": layers,
    }


def _clean(values) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def mean_branch_ratio(result: dict) -> float:
    v = _clean(b["branch_ratio"] for b in result["blocks"])
    return float(np.mean(v)) if v else math.nan


def mean_change(result: dict) -> float:
    """The mean over blocks whose shapes agree of ‖output − input‖ / ‖input‖."""
    v = _clean(b["change_ratio"] for b in result["blocks"])
    return float(np.mean(v)) if v else math.nan


def mean_std(result: dict) -> float:
    v = _clean(l["std"] for l in result["layers"])
    return float(np.mean(v)) if v else math.nan


def sentence(results: list[dict]) -> str:
    parts = []
    for r in results:
        change = mean_change(r)
        amount = f"{100 * change:.0f} %" if math.isfinite(change) else "an unknown share"
        parts.append(
            f"a {'residual' if r['residual'] else 'plain'} block changes its "
            f"input by {amount} of its norm"
        )
    return "On average " + " and ".join(parts) + " (‖output − input‖ / ‖input‖)."


def explanation(results: list[dict]) -> str:
    text = (
        "He et al. (2015, §4.2, Fig. 7) measured the standard deviation of each 3×3 "
        "layer's responses (after BatchNorm, before the ReLU or the sum) and found them "
        "smaller in residual networks than in their plain counterparts: the residual "
        "functions stay close to zero, so each block makes a small change to the "
        "signal that passes through it, as their reformulation intended (if the "
        "identity is nearly right, the branch need only learn a small correction). The "
        "branch-to-input ratio shows the same per block; the feature maps show what "
        "each stage responds to in one image (as ConvNetJS and CNN Explainer show "
        "activations)."
    )
    for r in results:
        kind = "residual" if r["residual"] else "plain"
        text += f" Here the {kind} network's mean response std is {mean_std(r):.3g}"
        if r["residual"] and math.isfinite(mean_branch_ratio(r)):
            text += (
                f" and its branches add {100 * mean_branch_ratio(r):.0f} % of their input's norm"
            )
        text += "."
    if len(results) == 2:
        res, plain = results
        text += (
            f" A residual block changes its input by {100 * mean_change(res):.0f} % of "
            f"its norm on average, a plain one by {100 * mean_change(plain):.0f} %. "
            "(After a short training BatchNorm's scales are still near 1, so the "
            "deviations stay near 1 in both.)"
        )
    return text


def format_text(result: dict) -> str:
    lines = [
        f"{result['network']} ({'residual' if result['residual'] else 'plain'}): "
        f"{result['images']} validation images; image {result['image']} "
        f"({result['label']}) for the feature maps"
    ]
    for s in result["stages"]:
        chans = ", ".join(f"{m['channel']} ({m['mean']:.3g})" for m in s["maps"])
        lines.append(f"  {s['stage']:<8} {fmt_shape(s['shape']):<10} strongest channels: {chans}")
    lines.append(f"{'block':<18}{'branch/input':>14}{'change/input':>14}")
    for b in result["blocks"]:
        lines.append(f"{b['block']:<18}{_num(b['branch_ratio']):>14}{_num(b['change_ratio']):>14}")
    lines.append(f"{'layer response':<30}{'std':>10}")
    for l in result["layers"]:
        lines.append(f"{l['response']:<30}{l['std']:>10.4g}")
    return "\n".join(lines)


def _num(v) -> str:
    return "—" if v is None or not math.isfinite(v) else f"{v:.3g}"
