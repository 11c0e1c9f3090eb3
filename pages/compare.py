"""Compare: two architectures side by side, totals and per-stage differences."""

import pandas as pd
import streamlit as st

from resnet_core import PRESETS, analyze, get_spec
from resnet_core.trace import fmt_shape
from ui import charts, common, router, state

router.ensure_router()

CURRENT = "(current network)"
st.title("Compare")
current = state.current_analysis()

options = [CURRENT, *PRESETS]
c = st.columns(2)
left = c[0].selectbox("A", options, index=0)
# B starts as the natural partner of the current preset: a ResNet's plain twin, say.
TWINS = {"seed_cifar_resnet": "seed_cifar_plain", "seed_cifar_plain": "seed_cifar_resnet",
         "resnet34": "resnet50", **{f"cifar_resnet{d}": f"cifar_plain{d}"
                                    for d in (20, 32, 44, 56, 110)}}
default_b = TWINS.get(state.current_preset(), "resnet34")
right = c[1].selectbox("B", options, index=options.index(default_b))


def pick(choice):
    return current if choice == CURRENT else analyze(get_spec(choice))


a, b = pick(left), pick(right)
for col, x in zip(c, (a, b)):
    with col:
        st.markdown(f"**{x.spec.name}** — {fmt_shape(x.spec.input_shape)} → "
                    f"{common.output_shape(x)}")
        if not x.ok:
            st.error(f"Cannot be built: {x.error}")

ta, tb = a.totals, b.totals


def ratio(x, y):
    return f"{y / x:.2f}×" if x else "—"


st.subheader("Totals")
st.dataframe(pd.DataFrame([
    {"": "parameters", "A": common.params(ta.total_params), "B": common.params(tb.total_params),
     "B − A": f"{tb.total_params - ta.total_params:+,}",
     "B / A": ratio(ta.total_params, tb.total_params)},
    {"": "trainable", "A": common.params(ta.trainable_params),
     "B": common.params(tb.trainable_params),
     "B − A": f"{tb.trainable_params - ta.trainable_params:+,}",
     "B / A": ratio(ta.trainable_params, tb.trainable_params)},
    {"": "MACs", "A": common.macs(ta.macs), "B": common.macs(tb.macs),
     "B − A": f"{tb.macs - ta.macs:+,}", "B / A": ratio(ta.macs, tb.macs)},
    {"": "depth", "A": str(ta.depth), "B": str(tb.depth), "B − A": f"{tb.depth - ta.depth:+d}",
     "B / A": ratio(ta.depth, tb.depth)},
]), hide_index=True, width="stretch")

st.subheader("Per stage")
sa = {s.stage: s for s in a.stages()}
sb = {s.stage: s for s in b.stages()}
rows = []
for stage in dict.fromkeys([*sa, *sb]):
    x, y = sa.get(stage), sb.get(stage)
    rows.append({
        "stage": stage,
        "A params": common.params(x.params) if x else "—",
        "B params": common.params(y.params) if y else "—",
        "Δ params": f"{(y.params if y else 0) - (x.params if x else 0):+,}",
        "A output": fmt_shape(x.output_shape) if x else "—",
        "B output": fmt_shape(y.output_shape) if y else "—",
        "A MACs": common.macs(x.macs) if x else "—",
        "B MACs": common.macs(y.macs) if y else "—",
    })
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
cc = st.columns(2)
cc[0].plotly_chart(charts.compare_stages(a, b, "params"), width="stretch")
cc[1].plotly_chart(charts.compare_stages(a, b, "macs"), width="stretch")
