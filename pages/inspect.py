"""Inspect: the per-layer table, per-stage charts, receptive fields and memory."""

import pandas as pd
import streamlit as st

from resnet_core.analysis import human
from resnet_core.trace import fmt_shape
from resnet_core.training.settings import OPTION
from ui import charts, common, presentation, router, state

router.ensure_router()

a = state.current_analysis()
st.title("Inspect")
common.headline(a)
if not a.ok:
    st.error(
        common.escape_md(
            f"This network cannot be built: {a.error}. The figures stop at the failing layer."
        ),
        icon="🚫",
    )

rows = a.rows()
table = pd.DataFrame(rows)
table["output_shape"] = [fmt_shape(r["output_shape"]) for r in rows]
st.subheader("Layers")
fc = presentation.settings_container("Filter the layers").columns(4)
stages = fc[0].multiselect("Stages", list(dict.fromkeys(table["stage"])), placeholder="all")
kinds = fc[1].multiselect("Kinds", sorted(set(table["kind"])), placeholder="all")
skip_only = fc[2].checkbox("Skip-path layers only")
more = fc[3].checkbox(
    "More columns",
    help="stage, block, trainable and non-trainable "
    "parameters, skip path (the CSV always has them all)",
)
shown = table
if stages:
    shown = shown[shown["stage"].isin(stages)]
if kinds:
    shown = shown[shown["kind"].isin(kinds)]
if skip_only:
    shown = shown[shown["skip_path"]]
# Six columns by default: eleven did not fit 1024 px and clipped the counts ("9,").
order = [
    "name",
    "kind",
    *(["stage", "block_name"] if more else []),
    "output_shape",
    "params",
    *(["trainable", "non_trainable"] if more else []),
    "macs",
    "receptive_field",
    *(["skip_path"] if more else []),
]
st.dataframe(
    shown,
    hide_index=True,
    width="stretch",
    height=380,
    column_order=order,
    column_config={
        "name": st.column_config.TextColumn("name", width="medium"),
        "kind": st.column_config.TextColumn("kind", width="small"),
        "block_name": st.column_config.TextColumn("block", width="small"),
        "output_shape": st.column_config.TextColumn("output", width="small"),
        **{
            column: common.count_column(table[column], label)
            for column, label in (
                ("params", "params"),
                ("trainable", "trainable"),
                ("non_trainable", "non-trainable"),
            )
        },
        "macs": common.small_column("MACs", common.MACS_HELP, "compact"),
        "receptive_field": common.small_column("RF (px)", common.RF_HELP),
        "skip_path": st.column_config.CheckboxColumn("skip path", width="small"),
    },
)
st.caption(f"{len(shown)} of {len(table)} layers. Click a column header to sort.")
st.download_button(
    "Download CSV",
    shown.to_csv(index=False).encode(),
    file_name=f"{common.file_stem(a.spec.name)}_layers.csv",
    mime="text/csv",
)

st.subheader("Stages")
presentation.chart(charts.stage_bars(a))
# One under the other: side by side, at 1024 px, their ticks and legends crowd.
presentation.chart(charts.output_size(a))
presentation.chart(charts.receptive_field(a))
common.stage_table(a, full=True)

st.subheader("Memory for training")
batch_option = OPTION["batch_size"]
batch = st.number_input(
    "Batch size",
    min_value=int(batch_option.low),
    max_value=int(batch_option.high),
    value=32,
    step=1,
)
m = a.memory(int(batch))
mc = st.columns(5)
mc[0].metric("Weights", human(m.weights, "B"))
mc[1].metric("Gradients", human(m.gradients, "B"))
mc[2].metric("Adam slots", human(m.optimizer, "B"))
mc[3].metric("Activations", human(m.activations, "B"))
mc[4].metric("Total", human(m.total, "B"))
st.caption(
    "float32; activations are every layer's output kept for back-propagation, an "
    "upper bound (frameworks free or fuse some)."
)
