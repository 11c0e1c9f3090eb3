"""Gradient flow: per-layer gradient norms of a ResNet and its plain twin, measured now.

The measurement needs Keras, so it runs in a child process (``python -m resnet_core
gradients NAME --both --json``, residual and plain in one process, through
:func:`resnet_core.child.run_cli`): the server
never imports TensorFlow, a slow run is cut off by a timeout, and ``st.cache_data``
keeps a repeated setting instant.
"""

import json

import plotly.graph_objects as go
import streamlit as st

from resnet_core.child import ChildError, run_cli
from resnet_core.gradients import (
    FLOW_DEPTHS,
    GradientReport,
    flow_spec,
    norms_range,
    spread_sentence,
    what_it_shows,
)
from ui import charts, presentation, router
from ui.common import escape_md

router.ensure_router()

TIMEOUT_S = 240


@st.cache_data(show_spinner=False, max_entries=64)
def measure(name: str, steps: int, seed: int, lr: float) -> tuple[dict, dict]:
    """Residual and plain reports (as dicts) from one child process (one Keras start)."""
    try:
        out = run_cli(
            [
                "gradients",
                name,
                "--both",
                "--steps",
                str(steps),
                "--seed",
                str(seed),
                "--lr",
                str(lr),
                "--json",
            ],
            TIMEOUT_S,
        )
    except ChildError as exc:
        hint = "; choose a smaller depth or fewer steps" if "longer than" in str(exc) else ""
        raise RuntimeError(f"{exc}{hint}") from None
    residual, plain = json.loads(out.strip().splitlines()[-1])
    return residual, plain


def norms_chart(res: GradientReport, plain: GradientReport, index: int) -> go.Figure:
    """Main-path gradient norms against depth, log scale, residual and plain."""
    fig = go.Figure()
    for label, r in (("residual", res), ("plain", plain)):
        snap = r.snapshots[index]
        pts = [(l, g) for l, g in zip(r.layers, snap.grad_norms) if l.role == "main"]
        fig.add_scatter(
            x=[l.depth for l, _ in pts],
            y=[max(g, 1e-30) for _, g in pts],
            mode="lines+markers",
            name=f"{label}: {r.network}",
            line=dict(color=charts.COLOURS[label == "residual"]),
            marker=dict(size=5),
            hovertext=[f"{l.name}: {g:.3g}" for l, g in pts],
            hoverinfo="text",
        )
    step = res.snapshots[index].step
    fig.update_layout(
        title="At initialisation" if step == 0 else f"After {step} SGD steps",
        height=380,
        legend=dict(orientation="h", y=-0.25),
        margin=dict(l=10, r=10, b=10),
    )
    fig.update_xaxes(title="layer (main path, input → output)")
    lo, hi = norms_range(res, plain)
    # Ticks labelled in full (0.5, not Plotly's bare "5" between decades).
    fig.update_yaxes(
        title="‖∂loss/∂kernel‖₂", type="log", range=[lo, hi], **charts.log_ticks(lo, hi)
    )
    return fig


st.title("Gradient flow")
st.markdown(
    "How large is the gradient that reaches each layer? For one batch of 64 digits, a real "
    "forward and backward pass of the training loss gives, for every conv and dense "
    "layer, the **L2 norm of ∂loss/∂kernel** (mean cross-entropy; biases and BatchNorm "
    "parameters left out): for a ResNet and its **plain twin** (the same layers, no skip "
    "connections), at initialisation and after some SGD steps (momentum 0.9)."
)

with presentation.settings_container("Network and steps"):
    c = st.columns([1, 2, 1, 1])
    depth = c[0].selectbox("Depth", FLOW_DEPTHS, index=0, help="weighted layers on the main path")
    bn = c[1].radio(
        "Normalisation",
        ["with BatchNorm", "without BatchNorm"],
        horizontal=True,
        help="with: He et al.'s CIFAR ResNet (§4.2, 2 convs per block); "
        "without: the TensorFlow MNIST tutorial's biased bottleneck "
        "blocks (3 convs per block), no BatchNorm anywhere",
    )
    steps = c[2].select_slider("Training steps", [0, 5, 10, 20, 50, 100], value=20)
    lr = c[3].select_slider("Learning rate", [0.001, 0.01, 0.05, 0.1], value=0.01)
# Outside the settings (folded away in talk mode): one click gives the result.
go_clicked = st.button("Measure the gradients", type="primary")

spec = flow_spec(depth, bn == "with BatchNorm")
wanted = (spec.name, int(steps), 0, float(lr))
if go_clicked:
    st.session_state["gradients_request"] = wanted
request = st.session_state.get("gradients_request")
if request is None:
    st.info(
        "Choose a depth and press **Measure the gradients**: the default (depth 20, "
        "20 steps) takes 10 to 30 seconds on two CPU cores (most of it starting "
        "TensorFlow and compiling the training step); depth 110 a minute or more."
    )
    st.stop()

name, n_steps, seed, rate = request
try:
    with st.spinner(f"Training and measuring {name} and its plain twin…"):
        res_d, plain_d = measure(name, n_steps, seed, rate)
except RuntimeError as exc:
    st.error(escape_md(str(exc)))
    st.stop()
res, plain = GradientReport.from_dict(res_d), GradientReport.from_dict(plain_d)
if request != wanted:
    st.caption("Showing the last measurement; press the button to measure the new settings.")

st.markdown(
    f"**{escape_md(res.network)}** and **{escape_md(plain.network)}**: depth {res.depth}, "
    f"{'with' if res.batchnorm else 'without'} BatchNorm; {res.data}; "
    f"batch {res.batch_size}, seed {res.seed}, SGD learning rate {res.learning_rate}."
)
cols = st.columns(len(res.snapshots))
for i, col in enumerate(cols):
    with col:
        presentation.chart(norms_chart(res, plain, i), col, key=f"gradients_chart_{i}")
        step = res.snapshots[i].step
        st.markdown(
            ("**At initialisation**" if step == 0 else f"**After {step} steps**")
            + "\n"
            + what_it_shows(res, plain, i)
        )

st.subheader("What the numbers show")
first = 0
r0, p0 = res.first_last_ratio(res.snapshots[first]), plain.first_last_ratio(plain.snapshots[first])
summary = (
    f"At initialisation the first-over-last conv gradient ratio is **{r0:.3g}** for "
    f"the residual network and **{p0:.3g}** for the plain one."
)
if res.batchnorm:
    st.markdown(
        summary + " He et al. (2015, §4.1) trained their plain networks *with* BatchNorm, "
        "which keeps the forward signal's variance away from zero, and checked that the "
        "backward gradients have healthy norms: their deeper plain nets train worse not "
        "because gradients vanish but because they are harder to optimise (the "
        "*degradation* problem, which the Degradation page shows). "
        + (
            "Here too the plain net's gradients do not vanish."
            if p0 >= 0.1
            else "Here the plain net's gradient is smaller at the input; compare its size with "
            "the residual network's."
        )
        + (
            " At this depth they *grow* toward the input instead: a deep plain stack with "
            "BatchNorm amplifies gradients at initialisation (shown for fully connected "
            "networks by Yang et al. 2019, *A Mean Field Theory of Batch Normalization*). "
            if p0 > 10
            else " "
        )
        + spread_sentence(res, plain)
    )
else:
    st.markdown(
        summary + " Without normalisation, each ReLU layer scales the signal's variance by a "
        "fixed factor that depends on its initialisation (He et al. 2015b, *Delving Deep "
        "into Rectifiers*, §2.2; Keras's default Glorot initialisation roughly halves it "
        "per layer), so a deep plain stack loses both the forward signal and the gradient: "
        "a layer's kernel gradient is its input times the gradient arriving from above, "
        "so when both fade every layer's gradient is tiny. The skip connections carry the "
        "signal and the gradient past each block (He et al. 2015, §3.1–3.2), as in seed "
        "003's network. " + spread_sentence(res, plain)
    )
st.caption(
    "Every figure on this page is computed when you press the button: Keras builds "
    "both networks with the same seed, and the numbers come from TensorFlow's "
    "GradientTape. Command line: `python -m resnet_core gradients "
    f"{name} --both --steps {n_steps} --json`."
)
