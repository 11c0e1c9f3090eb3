"""Compare: two architectures side by side: skip connections, blocks per stage, totals
and per-stage differences in human units."""

import pandas as pd
import streamlit as st

from resnet_core import PRESETS, analyze, get_spec
from resnet_core.analysis import Analysis, human
from resnet_core.graph import SKIP_EDGES
from resnet_core.presets import RESIDUAL_TWINS, has_skips, plain_twin
from resnet_core.trace import fmt_shape
from ui import charts, common, presentation, router, spec_form, state

router.ensure_router()

CURRENT = "(current network)"
CURRENT_PLAIN = "(current network without skips)"
# B starts as the natural partner of the current preset: a ResNet's plain twin, say.
TWINS = {**RESIDUAL_TWINS, **{p: r for r, p in RESIDUAL_TWINS.items()},
         "resnet34": "resnet50"}


def signed(n: float) -> str:
    """A difference in human units: ``+3.66 G``, ``−120.00 k``, ``+0``."""
    return ("−" if n < 0 else "+") + human(abs(n))


def ratio(x, y) -> str:
    return f"{y / x:.2f}×" if x else "—"


def skip_kind(a: Analysis, add) -> str:
    """How an ``add`` layer's skip input is made: identity, projection or zero-pad."""
    source = next(l for l in a.layers if l.name == add.inputs[1])
    if source.role != "shortcut":
        return "identity"
    return {"pad_shortcut": "zero-pad", "batchnorm": "projection"}.get(source.kind, "1×1 conv")


def skips_by_stage(a: Analysis) -> dict[str, dict[str, int]]:
    """``{stage: {skip kind: count}}`` over the network's skip connections."""
    out: dict[str, dict[str, int]] = {}
    for layer in a.layers:
        if layer.kind == "add" and len(layer.inputs) == 2:
            kinds = out.setdefault(layer.stage, {})
            k = skip_kind(a, layer)
            kinds[k] = kinds.get(k, 0) + 1
    return out


def describe_skips(a: Analysis) -> str:
    by_stage = skips_by_stage(a)
    total = sum(sum(k.values()) for k in by_stage.values())
    if not total:
        return "no skip connections"
    kinds: dict[str, int] = {}
    for k in by_stage.values():
        for name, n in k.items():
            kinds[name] = kinds.get(name, 0) + n
    how = ", ".join(f"{n} {k}" for k, n in kinds.items())
    where = ", ".join(f"{s}: {sum(k.values())}" for s, k in by_stage.items())
    return f"{total} skip connections ({how}); per stage: {where}"


def blocks_per_stage(a: Analysis) -> str:
    return "–".join(str(s.num_blocks) for s in a.spec.stages)


def stage_changes(a: Analysis, b: Analysis, i: int | None) -> str:
    """What the specs say differs in stage ``i`` of ``spec.stages`` (kind, blocks,
    filters, stride, shortcut); nothing for the stem and head (``i`` None)."""
    if i is None:
        return ""
    sa = a.spec.stages[i] if i < len(a.spec.stages) else None
    sb = b.spec.stages[i] if i < len(b.spec.stages) else None
    if sa is None or sb is None:
        return "only in A" if sb is None else "only in B"
    out = []
    for field in ("kind", "num_blocks", "filters", "stride", "shortcut", "kernel_size"):
        word = spec_form.STAGE_TITLES.get(field, field)  # as Compose's table heads it
        va, vb = getattr(sa, field), getattr(sb, field)
        if va != vb:
            show = (lambda v: "/".join(map(str, v)) if isinstance(v, tuple) else str(v))
            out.append(f"{word} {show(va)} → {show(vb)}")
    return "; ".join(out) or "same"


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
        st.markdown(f"**{tag}: {common.escape_md(x.spec.name)}** — "
                    f"{fmt_shape(x.spec.input_shape)} → {common.output_shape(x)}")
        if not x.ok:
            st.error(common.escape_md(f"Cannot be built: {x.error}"))

ta, tb = a.totals, b.totals
st.subheader("The difference that matters")
# A static table (a few lines of text); the interactive tables follow.
st.table(pd.DataFrame({
    "A": [describe_skips(a), blocks_per_stage(a),
          ", ".join(dict.fromkeys(s.kind for s in a.spec.stages)), str(ta.depth)],
    "B": [describe_skips(b), blocks_per_stage(b),
          ", ".join(dict.fromkeys(s.kind for s in b.spec.stages)), str(tb.depth)],
}, index=["skip connections", "blocks per stage", "block kinds", "depth"]))

st.subheader("Totals")
st.dataframe(pd.DataFrame([
    {"": "parameters", "A": common.params(ta.total_params), "B": common.params(tb.total_params),
     "B − A": signed(tb.total_params - ta.total_params),
     "B / A": ratio(ta.total_params, tb.total_params)},
    {"": "trainable", "A": common.params(ta.trainable_params),
     "B": common.params(tb.trainable_params),
     "B − A": signed(tb.trainable_params - ta.trainable_params),
     "B / A": ratio(ta.trainable_params, tb.trainable_params)},
    {"": "MACs", "A": common.macs(ta.macs), "B": common.macs(tb.macs),
     "B − A": signed(tb.macs - ta.macs), "B / A": ratio(ta.macs, tb.macs)},
    {"": "depth", "A": str(ta.depth), "B": str(tb.depth), "B − A": f"{tb.depth - ta.depth:+d}",
     "B / A": ratio(ta.depth, tb.depth)},
]), hide_index=True, width="stretch")

st.subheader("Per stage")
sa = {s.stage: s for s in a.stages()}
sb = {s.stage: s for s in b.stages()}
ka, kb = skips_by_stage(a), skips_by_stage(b)
rows = []
for stage in dict.fromkeys([*sa, *sb]):
    x, y = sa.get(stage), sb.get(stage)
    index = (x or y).stage_index
    blocks = index is not None
    rows.append({
        "stage": stage,
        "what differs": stage_changes(a, b, index),
        "blocks A → B": (f"{x.num_blocks if x else '—'} → {y.num_blocks if y else '—'}"
                         if blocks else "—"),
        "skips A → B": f"{sum(ka.get(stage, {}).values())} → "
                       f"{sum(kb.get(stage, {}).values())}",
        "Δ params": signed((y.params if y else 0) - (x.params if x else 0)),
        "Δ MACs": signed((y.macs if y else 0) - (x.macs if x else 0)),
        "output A → B": f"{fmt_shape(x.output_shape) if x else '—'} → "
                        f"{fmt_shape(y.output_shape) if y else '—'}",
        "params A / B": f"{human(x.params) if x else '—'} / {human(y.params) if y else '—'}",
        "MACs A / B": f"{human(x.macs) if x else '—'} / {human(y.macs) if y else '—'}",
    })
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
st.caption("Δ = B − A, in k (thousand), M (million), G (billion). MACs are per image. "
           f"The Graph page draws skip connections as {SKIP_EDGES}.")
cc = st.columns(2)
presentation.chart(charts.compare_stages(a, b, "params"), cc[0])
presentation.chart(charts.compare_stages(a, b, "macs"), cc[1])
