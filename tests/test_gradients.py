"""Per-layer gradient norms: a hand-computed tiny case, real networks, the command line."""

import dataclasses
import json
import math
import subprocess
import sys

import numpy as np
import pytest

from resnet_core import gradients as g
from resnet_core.presets import plain_twin
from resnet_core.trace import trace_spec


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_dense_kernel_gradient_norm_by_hand():
    import keras

    inp = keras.Input((3,))
    out = keras.layers.Activation("softmax")(keras.layers.Dense(2, name="fc")(inp))
    model = keras.Model(inp, out)
    k = np.array([[0.2, -0.4], [0.5, 0.1], [-0.3, 0.7]], np.float32)
    bias = np.array([0.05, -0.1], np.float32)
    model.get_layer("fc").set_weights([k, bias])
    x = np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 2.0]], np.float32)
    y = np.array([0, 1])

    p = _softmax(x @ k + bias)
    loss = -np.mean(np.log(p[np.arange(2), y]))
    dlogits = (p - np.eye(2)[y]) / 2  # d(mean cross-entropy)/d(logits)
    expected = np.linalg.norm(x.T @ dlogits)

    got_loss, acc, norms = g.kernel_gradient_norms(model, x, y)
    assert got_loss == pytest.approx(loss, rel=1e-5)
    assert norms == {"fc": pytest.approx(expected, rel=1e-5)}
    assert acc == np.mean(p.argmax(1) == y)


def test_conv_kernel_gradient_norm_by_hand():
    """A 1×1 conv (one weight k) → flatten → dense: ∂L/∂k = Σ x · ∂L/∂z."""
    import keras

    inp = keras.Input((2, 2, 1))
    z = keras.layers.Conv2D(1, 1, use_bias=False, name="c")(inp)
    out = keras.layers.Activation("softmax")(
        keras.layers.Dense(2, name="fc")(keras.layers.Flatten()(z))
    )
    model = keras.Model(inp, out)
    model.get_layer("c").set_weights([np.full((1, 1, 1, 1), 0.8, np.float32)])
    w = np.array([[0.3, -0.2], [0.1, 0.4], [-0.5, 0.2], [0.6, -0.1]], np.float32)
    model.get_layer("fc").set_weights([w, np.zeros(2, np.float32)])
    x = np.arange(12, dtype=np.float32).reshape(3, 2, 2, 1) / 10 - 0.4
    y = np.array([1, 0, 1])

    flat = x.reshape(3, 4)
    p = _softmax((0.8 * flat) @ w)
    dlogits = (p - np.eye(2)[y]) / 3
    dz = dlogits @ w.T
    expected_k = abs(np.sum(flat * dz))
    expected_fc = np.linalg.norm((0.8 * flat).T @ dlogits)

    _, _, norms = g.kernel_gradient_norms(model, x, y)
    assert norms["c"] == pytest.approx(expected_k, rel=1e-5)
    assert norms["fc"] == pytest.approx(expected_fc, rel=1e-5)


@pytest.fixture(scope="module")
def nobn20():
    spec = g.flow_spec(20, batchnorm=False)
    return (
        g.measure(spec, steps=3, batch_size=32),
        g.measure(spec, steps=3, batch_size=32, plain=True),
    )


def test_report_names_every_weighted_layer_in_network_order(nobn20):
    res, plain = nobn20
    res_spec = g.flow_spec(20, False)
    names = [l.name for l in trace_spec(res_spec).layers if l.kind in ("conv", "dense")]
    assert [l.name for l in res.layers] == names
    assert res.layers[0].name == "stem_conv1" and res.layers[-1].name == "head_predictions"
    assert [l.depth for l in res.layers if l.role == "main"] == list(range(1, 21))
    assert {l.name for l in res.layers if l.role == "shortcut"} == {
        "stage1_block1_shortcut_conv",
        "stage2_block1_shortcut_conv",
        "stage3_block1_shortcut_conv",
    }
    assert res.depth == plain.depth == 20 and not res.batchnorm
    assert plain.plain and plain.network == plain_twin(res_spec).name
    assert all(l.role == "main" for l in plain.layers)
    assert [s.step for s in res.snapshots] == [0, 3]
    for r in nobn20:
        for s in r.snapshots:
            assert len(s.grad_norms) == len(r.layers)
            assert all(math.isfinite(v) and v >= 0 for v in s.grad_norms)
    assert g.GradientReport.from_dict(json.loads(json.dumps(res.to_dict()))) == res


def test_without_batchnorm_the_plain_twins_gradients_vanish(nobn20):
    res, plain = nobn20
    med = [np.median([v for _, v in r.main_path(r.snapshots[0])]) for r in nobn20]
    assert med[1] < med[0] / 100  # every plain layer's gradient is tiny
    assert 0.1 < res.first_last_ratio(res.snapshots[0]) < 10
    # First over last: norms that grow towards the output give a ratio below 1.
    growing = dataclasses.replace(
        res.snapshots[0],
        grad_norms=type(res.snapshots[0].grad_norms)(float(i + 1) for i in range(len(res.layers))),
    )
    main = [v for _, v in res.main_path(growing)]
    assert res.first_last_ratio(growing) == main[0] / main[-1] < 0.1


def test_flow_networks_and_names():
    assert g.flow_spec(56).name == "cifar_resnet56"
    spec = g.flow_spec(56, batchnorm=False)
    assert spec.name == "nobn_resnet56" and not g.has_batchnorm(spec)
    assert (
        sum(1 for l in trace_spec(spec).layers if l.kind in ("conv", "dense") and l.role == "main")
        == 56
    )
    for depth in g.FLOW_DEPTHS:  # both families exist at every offered depth
        g.flow_spec(depth, True), g.flow_spec(depth, False)
    assert g.resolve("nobn_resnet38").name == "nobn_resnet38"
    assert g.resolve("cifar_resnet38").name == "cifar_resnet38"
    assert g.resolve("resnet18").name == "resnet18" and g.resolve("foo") is None
    for bad in ("nobn_resnet21", "cifar_resnet21", "nobn_resnet999"):
        with pytest.raises(g.GradientError):
            g.resolve(bad)


def cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "resnet_core", "gradients", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_cli_json_gives_per_layer_names_and_norms():
    out = cli("cifar_resnet20", "--both", "--steps", "2", "--batch-size", "16", "--json")
    assert out.returncode == 0, out.stderr[-2000:]
    res, plain = json.loads(out.stdout)
    assert res["network"] == "cifar_resnet20" and plain["network"] == "cifar_plain20"
    assert res["batchnorm"] and [s["step"] for s in res["snapshots"]] == [0, 2]
    assert res["layers"][1]["name"] == "stage1_block1_conv1"
    assert len(res["snapshots"][1]["grad_norms"]) == len(res["layers"])


@pytest.mark.parametrize(
    "args,words",
    [
        (("no_such_net",), "neither a preset"),
        (("cifar_resnet20", "--steps", "many"), "--steps must be a number"),
        (("cifar_resnet20", "--steps", "-1"), "steps must be 0 to 1000"),
        (("nobn_resnet21",), "9n + 2"),
        (("vgg16", "--plain"), "no skip connections"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(args, words):
    out = cli(*args)
    assert out.returncode == 2
    lines = [l for l in out.stderr.splitlines() if l.startswith("error:")]
    assert len(lines) == 1 and words in lines[0], out.stderr
    assert "Traceback" not in out.stderr


def _report(name: str, plain: bool, *snapshots: tuple[float, ...]) -> g.GradientReport:
    """A report of three main-path convs and a shortcut, one snapshot per norms tuple."""
    layers = [
        g.LayerInfo("conv1", "conv", "stem", "main", 1),
        g.LayerInfo("conv2", "conv", "stage1", "main", 2),
        g.LayerInfo("proj", "conv", "stage1", "shortcut", None),
        g.LayerInfo("conv3", "conv", "stage1", "main", 3),
    ]
    snaps = [
        g.Snapshot(step=5 * i, loss=2.0 - i, accuracy=0.1, grad_norms=n, weight_norms=(1.0,) * 4)
        for i, n in enumerate(snapshots)
    ]
    return g.GradientReport(name, plain, True, 3, "digits", 64, 0, 0.01, layers, snaps)


def test_the_readings_of_a_residual_and_a_plain_report():
    """The Gradient-flow page's sentences and shared axis, computed in the core."""
    res = _report("res", False, (1.0, 2.0, 9.0, 4.0), (0.5, 0.5, 9.0, 0.5))
    plain = _report("plain", True, (1e-6, 1e-4, 9.0, 1e-2), (0.0, 0.0, 0.0, 0.0))
    assert g.trend(res.first_last_ratio(res.snapshots[0])) == (
        "stays within 10× from the last layer to the first (ratio 0.25)"
    )
    assert g.trend(1e-4).startswith("shrinks toward the input (the first layer's is 1e+04×")
    assert g.trend(20.0).startswith("grows toward the input (the first layer's is 20×")
    assert g.trend(math.nan) == "is zero everywhere"
    shown = g.what_it_shows(res, plain, 0).splitlines()
    # The shortcut's norm (9.0) is not on the main path: the medians are 2.0 and 1e-4.
    assert shown[0] == (
        "- **Residual**: the gradient stays within 10× from the last layer to the first "
        "(ratio 0.25); median norm 2, loss 2.000."
    )
    assert "median norm 0.0001, loss 2.000" in shown[1] and "1e+04× smaller" in shown[1]
    assert shown[2] == (
        "- Every plain layer's gradient is tiny: its median is 2e+04× below the residual network's."
    )
    assert len(g.what_it_shows(res, res, 1).splitlines()) == 2
    zero = g.what_it_shows(res, plain, 1).splitlines()  # the page divided by zero here
    assert (
        "zero everywhere" in zero[1] and zero[2] == "- The plain network's median gradient is zero."
    )
    assert g.spread_sentence(res, plain) == (
        "At initialisation the residual network's norms lie closer together (largest "
        "over smallest: 4 residual, 1e+04 plain)."
    )
    lo, hi = g.norms_range(res, plain)
    pad = (math.log10(9.0) + 30) * 0.05  # zeros count as 1e-30; the shortcut's 9 is kept
    assert (lo, hi) == pytest.approx((-30 - pad, math.log10(9.0) + pad))


def test_the_page_draws_the_cores_readings_of_a_measurement(monkeypatch):
    """The page only draws: the child's reports go through the core's readings."""
    from resnet_core import child
    from tests.apptest import app

    res = _report("cifar_resnet20", False, (1.0, 2.0, 9.0, 4.0), (0.5, 0.5, 9.0, 0.5))
    plain = _report("cifar_plain20", True, (1e-6, 1e-4, 9.0, 1e-2), (0.0, 0.0, 0.0, 0.0))
    out = json.dumps([res.to_dict(), plain.to_dict()])
    monkeypatch.setattr(child, "run_cli", lambda args, timeout: "starting\n" + out)
    at = app("pages/gradients.py")
    next(b for b in at.button if b.label == "Measure the gradients").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    shown = "\n".join(m.value for m in at.markdown)
    assert g.what_it_shows(res, plain, 0) in shown and g.what_it_shows(res, plain, 1) in shown
    assert g.spread_sentence(res, plain) in shown
