"""What a residual is: boosting step by step (seed 004), and nested function classes
(seed 000), leading to the residual blocks of the gallery."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from resnet_core.boosting import SHAPES, fit_stages, make_data, sklearn_staged
from ui import presentation, router

router.ensure_router()

MAX_STAGES = 30
STAGE = "boosting_stage"


@st.cache_data(show_spinner=False, max_entries=32)
def boosting(shape: str, depth: int, rate: float, start: str):
    """The staged fit (trees included; cached, so stepping is instant)."""
    return fit_stages(make_data(shape=shape), MAX_STAGES, depth, rate, start)


def fit_chart(b, m: int) -> go.Figure:
    grid = np.linspace(-0.5, 0.5, 400).reshape(-1, 1)
    fig = go.Figure()
    fig.add_scatter(
        x=b.data.x[:, 0],
        y=b.data.y,
        mode="markers",
        name="data y",
        marker=dict(color="#7f7f7f", size=6),
    )
    if m:
        fig.add_scatter(
            x=grid[:, 0],
            y=b.predict(grid, m - 1),
            mode="lines",
            name=f"before: ŷ{m - 1}",
            line=dict(color="#1f77b4", dash="dot"),
        )
    fig.add_scatter(
        x=grid[:, 0],
        y=b.predict(grid, m),
        mode="lines",
        name=f"ŷ{m} = ŷ0 + {m} tree{'s' * (m != 1)}" if m else "ŷ0, the start",
        line=dict(color="#1f77b4", width=3),
    )
    fig.update_layout(
        title=f"The fit after {m} stage{'s' * (m != 1)}",
        height=380,
        legend=dict(orientation="h", y=-0.2),
        margin=dict(l=10, r=10, b=10),
    )
    fig.update_xaxes(title="x")
    fig.update_yaxes(title="y")
    return fig


def residual_chart(b, m: int) -> go.Figure:
    fig = go.Figure()
    if m == 0:
        residual = b.data.y - b.start
        fig.add_scatter(
            x=b.data.x[:, 0],
            y=residual,
            mode="markers",
            name="residual y − ŷ0",
            marker=dict(color="#d62728", size=6),
        )
        title = "The residual the first tree will fit"
    else:
        stage = b.stages[m - 1]
        grid = np.linspace(-0.5, 0.5, 400).reshape(-1, 1)
        fig.add_scatter(
            x=b.data.x[:, 0],
            y=stage.target,
            mode="markers",
            name=f"residual y − ŷ{m - 1}",
            marker=dict(color="#d62728", size=6),
        )
        fig.add_scatter(
            x=grid[:, 0],
            y=stage.tree.predict(grid),
            mode="lines",
            name=f"tree {m}, fitted to it",
            line=dict(color="#2ca02c", width=3),
        )
        title = f"Tree {m} fits the residual y − ŷ{m - 1}"
    fig.add_hline(y=0, line_color="#bbbbbb")
    fig.update_layout(
        title=title, height=380, legend=dict(orientation="h", y=-0.2), margin=dict(l=10, r=10, b=10)
    )
    fig.update_xaxes(title="x")
    fig.update_yaxes(title="residual")
    return fig


def function_classes_chart() -> go.Figure:
    """Seed 000's picture: growing function classes, not nested and nested, and f*."""
    fig = go.Figure()
    # Left: F3 comes closest to f*; the bigger F4 lies farther away again.
    target = {"left": (2.2, 0.0), "right": (0.75, 0.55)}
    circles = {
        "left": [(0.0, 0.0, 0.5), (0.8, 0.2, 0.7), (1.1, 0.9, 0.95), (0.2, 1.0, 1.15)],
        "right": [(0.0, 0.0, 0.45), (0.12, 0.08, 0.75), (0.3, 0.2, 1.05), (0.45, 0.3, 1.35)],
    }
    colors = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd")
    for side, dx in (("left", 0.0), ("right", 4.4)):
        for i, ((cx, cy, r), color) in enumerate(zip(circles[side], colors), start=1):
            fig.add_shape(
                type="circle",
                x0=dx + cx - r,
                x1=dx + cx + r,
                y0=cy - r,
                y1=cy + r,
                line=dict(color=color, width=2),
            )
            fig.add_annotation(
                x=dx + cx, y=cy + r, text=f"F{i}", showarrow=False, yshift=9, font=dict(color=color)
            )
        tx, ty = target[side]
        fig.add_scatter(
            x=[dx + tx],
            y=[ty],
            mode="markers+text",
            text=["f*"],
            textposition="top right",
            marker=dict(symbol="star", size=16, color="#d62728"),
            showlegend=False,
            hoverinfo="skip",
        )
    fig.add_annotation(
        x=0.6,
        y=-1.55,
        text="not nested: F4 is bigger than F3, yet farther from f*",
        showarrow=False,
    )
    fig.add_annotation(
        x=4.9, y=-1.55, text="nested F1 ⊆ F2 ⊆ …: a bigger class is never farther", showarrow=False
    )
    fig.update_xaxes(visible=False, range=[-1.3, 6.4], scaleanchor="y")
    fig.update_yaxes(visible=False, range=[-1.8, 2.5])
    fig.update_layout(height=330, margin=dict(l=10, r=10, b=10), showlegend=False)
    return fig


st.title("What a residual is")
st.markdown(
    "A **residual** is what is left to explain: the target minus the prediction so far. "
    "The TF-Slim residuals tutorial explains ResNets with gradient boosting, where each "
    "new tree is fitted to "
    "exactly that."
)

st.subheader("Boosting: each tree fits what the others left")
with presentation.settings_container("Data and trees"):
    c = st.columns(4)
    shape = c[0].selectbox("Data", SHAPES, help="quadratic is the tutorial's 3x² + noise")
    depth = c[1].select_slider("Tree depth", [1, 2, 3, 4], value=2)
    rate = c[2].select_slider(
        "Learning rate ν",
        [0.1, 0.3, 0.5, 1.0],
        value=1.0,
        help="each tree's output is scaled by ν before it is added",
    )
    start = c[3].radio(
        "ŷ0, the start",
        ["zero", "mean"],
        horizontal=True,
        help="zero: the tutorial's code; mean: scikit-learn's default",
    )
b = boosting(shape, depth, rate, start)

m = min(st.session_state.get(STAGE, 1), MAX_STAGES)
bc = st.columns([1, 1, 1, 4])
if bc[0].button("◀ Previous", disabled=m == 0, width="stretch"):
    m = max(0, m - 1)
if bc[1].button("Next stage ▶", type="primary", disabled=m == MAX_STAGES, width="stretch"):
    m = min(MAX_STAGES, m + 1)
if bc[2].button("Reset", width="stretch"):
    m = 0
st.session_state[STAGE] = m

before = b.start_mse if m <= 1 else b.stages[m - 2].mse
after = b.start_mse if m == 0 else b.stages[m - 1].mse
mc = bc[3].columns([2, 3, 3])  # labels on one line at 20 px on a 1024 px projector
mc[0].metric("Stage", f"{m} of {MAX_STAGES}")
mc[1].metric(
    "Squared residual",
    f"{after:.4f}",
    delta=None if m == 0 else f"{after - before:+.4f}",
    delta_color="inverse",
    help="the mean squared residual: what the trees so far leave unexplained",
)
mc[2].metric(
    "Residual left",
    f"{after / b.start_mse:.1%}",
    help="mean squared residual now, as a share of the one before any tree",
)

left, right = st.columns(2)
presentation.chart(fit_chart(b, m), left, key="boost_fit")
presentation.chart(residual_chart(b, m), right, key="boost_residual")
if m:
    theirs = sklearn_staged(b.data, m, depth, rate, start)[-1]
    gap = float(np.max(np.abs(theirs - b.stages[m - 1].prediction)))
    init = ", init='zero'" if start == "zero" else ""
    st.markdown(
        f"ŷ{m} = ŷ{m - 1} + ν·tree{m}(x), with tree {m} a `DecisionTreeRegressor("
        f"max_depth={depth})` fitted to y − ŷ{m - 1}. scikit-learn's "
        f"`GradientBoostingRegressor(n_estimators={m}, max_depth={depth}, learning_rate="
        f"{rate}{init})` predicts the same sum: "
        + (
            "exactly the same values."
            if gap == 0
            else "the same values to 9 decimal places."
            if gap < 1e-9
            else f"values that differ by at most {gap:.9f}."
        )
    )
else:
    st.markdown(
        f"ŷ0 = {b.start:.3f} ({'zero' if start == 'zero' else 'the mean of y'}). "
        "Press **Next stage** to fit the first tree to the residual y − ŷ0."
    )

st.subheader("A residual block does the same inside a network")
st.markdown(
    "A stack of layers that should compute H(x) is asked instead for the residual "
    "**F(x) = H(x) − x**, and the block outputs **F(x) + x**: the skip connection carries "
    "x, the layers supply only what is missing (He et al. 2015, §3.1). Like each tree "
    "above, each block corrects what the blocks before it left, and a block with nothing "
    "to add can output zero."
)

st.subheader("Why more blocks should not hurt: nested function classes")
presentation.chart(function_classes_chart(), key="function_classes")
st.markdown(
    "After *Dive into Deep Learning*, §8.6.1, as the Keras ResNet-50 tutorial tells it: a "
    "network of some size can "
    "represent a class of functions F; a bigger network a bigger class. If the classes are "
    "not nested, the bigger one can lie *farther* from the best function f*. If every "
    "bigger class contains the smaller ones, it can only get closer. A residual block "
    "makes the classes nested: with the weights of its layers at zero it is the identity "
    "f(x) = x, so adding it cannot remove any function the smaller network had (He et al. "
    "2015, §3.1: a solver can drive those weights toward zero when the identity is best; "
    "a plain stack of nonlinear layers has to learn the identity, which they found hard)."
)
router.page_link(
    "pages/blocks.py",
    "See every residual block of the app in the Block gallery",
    icon=":material/widgets:",
)
router.page_link(
    "pages/gradients.py",
    "Measure how the skip connections carry the gradient",
    icon=":material/waterfall_chart:",
)
