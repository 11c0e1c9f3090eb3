"""Compare: two architectures side by side. What differs, stage by stage, comes from
``resnet_core.compare`` (the block settings in the same words on both sides, every skip
connection's kind, parameter and MAC deltas); this page lays it out."""

import pandas as pd
import streamlit as st

from resnet_core import PRESETS, analyze, get_spec
from resnet_core.analysis import human
from resnet_core.compare import FORM_HELP, FORM_WORDS, compare, ratio, signed
from resnet_core.graph import SKIP_EDGES
from resnet_core.presets import RESIDUAL_TWINS, has_skips, plain_twin
from resnet_core.trace import fmt_shape
from ui import charts, common, presentation, router, state

router.ensure_router()

CURRENT = "(current network)"
CURRENT_PLAIN = "(current network without skips)"
# B starts as the natural partner of the current preset: a ResNet's plain twin, say.
TWINS = {**RESIDUAL_TWINS, **{p: r for r, p in RESIDUAL_TWINS.items()}, "resnet34": "resnet50"}


def cell(text: str | list[str]) -> str:
    """A table cell's markdown: the text escaped, a list one item a line."""
    items = [text] if isinstance(text, str) else text
    return "  \n".join(common.escape_md(t) for t in items)


def text_table(rows: dict[str, dict[str, str | list[str]]]) -> None:
    """Words in a static table, ``{row label: {column: text}}``: it wraps its cells (a
    grid cut them at 1024 px), each one escaped as text (st.table reads markdown)."""
    st.table(
        pd.DataFrame(
            [{k: cell(v) for k, v in r.items()} for r in rows.values()],
            index=[cell(k) for k in rows],
        )
    )


def figure(text: str) -> str:
    """``−125.24 M`` kept on one line in a narrow column."""
    return text.replace(" ", "\u00a0")


st.title("Compare")
current = state.current_analysis()

options = [CURRENT, CURRENT_PLAIN, *PRESETS]
preset = state.current_preset()
if preset in TWINS:
    default_b = TWINS[preset]
elif has_skips(current.spec):
    default_b = CURRENT_PLAIN
else:
    default_b = "resnet34"
with presentation.settings_container("Networks"):
    c = st.columns(2)
    left = c[0].selectbox("A", options, index=0)
    right = c[1].selectbox("B", options, index=options.index(default_b))


def pick(choice):
    if choice == CURRENT:
        return current
    if choice == CURRENT_PLAIN:
        return analyze(plain_twin(current.spec))
    return analyze(get_spec(choice))


a, b = pick(left), pick(right)
heads = st.columns(2)
for col, tag, x in zip(heads, "AB", (a, b)):
    with col:
        st.markdown(
            f"**{tag}: {common.escape_md(x.spec.name)}** — "
            f"{fmt_shape(x.spec.input_shape)} → {common.output_shape(x)}"
        )
        if not x.ok:
            st.error(common.escape_md(f"Cannot be built: {x.error}"))

diff = compare(a, b)
ta, tb = a.totals, b.totals
st.subheader("The difference that matters")
text_table({d.aspect: {"A": d.a, "B": d.b} for d in diff.summary})

st.subheader("Totals")
st.dataframe(
    pd.DataFrame(
        [
            {
                "": "parameters",
                "A": common.params(ta.total_params),
                "B": common.params(tb.total_params),
                "B − A": signed(tb.total_params - ta.total_params),
                "B / A": ratio(ta.total_params, tb.total_params),
            },
            {
                "": "trainable",
                "A": common.params(ta.trainable_params),
                "B": common.params(tb.trainable_params),
                "B − A": signed(tb.trainable_params - ta.trainable_params),
                "B / A": ratio(ta.trainable_params, tb.trainable_params),
            },
            {
                "": "MACs",
                "A": common.macs(ta.macs),
                "B": common.macs(tb.macs),
                "B − A": signed(tb.macs - ta.macs),
                "B / A": ratio(ta.macs, tb.macs),
            },
            {
                "": "depth",
                "A": str(ta.depth),
                "B": str(tb.depth),
                "B − A": f"{tb.depth - ta.depth:+d}",
                "B / A": ratio(ta.depth, tb.depth),
            },
        ]
    ),
    hide_index=True,
    width="stretch",
)

st.subheader("Stage by stage")
text_table(
    {
        p.part: {
            "A": p.items(p.a),
            "B": p.items(p.b),
            "Δ params": figure(signed(p.delta_params)),
            "Δ MACs": figure(signed(p.delta_macs)),
        }
        for p in diff.parts
    }
)
st.caption(
    "A and B name only what differs in a stage, in the same words. Δ = B − A, in "
    "k (thousand), M (million), G (billion); MACs are per image. Skip connections: "
    + "; ".join(f"**{FORM_WORDS[k]}**, {v}" for k, v in FORM_HELP.items())
    + f". The Graph page draws them as {SKIP_EDGES}."
)
st.dataframe(
    pd.DataFrame(
        [
            {
                "stage": p.part,
                "blocks A → B": f"{p.a.blocks if p.a else '—'} → {p.b.blocks if p.b else '—'}",
                "output A → B": f"{fmt_shape(p.a.output_shape) if p.a and p.a.output_shape else '—'} → "
                f"{fmt_shape(p.b.output_shape) if p.b and p.b.output_shape else '—'}",
                "params A / B": f"{human(p.a.params) if p.a else '—'} / {human(p.b.params) if p.b else '—'}",
                "MACs A / B": f"{human(p.a.macs) if p.a else '—'} / {human(p.b.macs) if p.b else '—'}",
            }
            for p in diff.parts
        ]
    ),
    hide_index=True,
    width="stretch",
)
cc = st.columns(2)
presentation.chart(charts.compare_stages(a, b, "params"), cc[0])
presentation.chart(charts.compare_stages(a, b, "macs"), cc[1])
