"""Compose: pick a preset, edit input, stem, stages and head; totals update on every edit."""

import pandas as pd
import streamlit as st

from resnet_core import PRESETS, SpecError, analyze
from resnet_core.blocks import BLOCK_KINDS
from resnet_core.spec import (
    CLASSIFIERS,
    HEAD_POOL_KINDS,
    HEAD_POOLS,
    KERNEL_INITS,
    PADDINGS,
    SHORTCUTS,
    STRIDE_BLOCKS,
    STRIDE_CONVS,
)
from resnet_core.stem_kinds import STEM_KINDS
from ui import common, preset_cards, router, spec_form, state, terms
from ui.spec_form import block_kinds_reading_text, stem_kinds_reading_text

router.ensure_router()

CUSTOM = "custom (edited)"
# Set when the first edit of a preset renamed the network: the Name box shows the new
# name on the next run. The editors keep their keys (their identity): a redraw would drop
# an edit made while it happened.
RENAMED = "compose_renamed"

spec = state.current_spec()
preset = state.current_preset()
v = state.editor_version()

st.title("Compose")
top = st.container()

c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
# An edited or loaded network is "custom": the box never names a preset it no longer is.
edited = not preset or spec != PRESETS[preset].spec()
names = [CUSTOM, *PRESETS] if edited else list(PRESETS)
# Names only: a description in the box would be cut off; it is the caption instead.
choice = c1.selectbox(
    "Preset",
    names,
    index=0 if edited else names.index(preset),
    key=f"preset_{v}_{'custom' if edited else 'preset'}",
)
if choice != (CUSTOM if edited else preset):
    state.load_preset(choice)
    st.rerun()
reset_slot = c2.empty()  # drawn once the edit below is applied, so it knows
if not preset:
    st.caption("A network loaded from a file or a link, not from a preset.")
elif edited:  # the glossary's terms explained on hover (the rest escaped)
    st.caption(
        terms.with_hovers(f"Edited from {preset} ({preset_cards.describe(preset)})"),
        unsafe_allow_html=True,
    )
else:
    st.caption(terms.with_hovers(preset_cards.describe(preset)), unsafe_allow_html=True)

# What a row added to a table starts as (its other cells: the columns' defaults below).
NEW_STEM_KIND, NEW_STAGE_KIND = "conv", "basic"


def base_frame(what, make):
    """The table an editor starts from: fixed until a preset load or reset redraws it."""
    key = f"{what}_base"
    version, frame = st.session_state.get(key, (None, None))
    if version != v:
        frame = make(spec)
        st.session_state[key] = (v, frame)
    return frame


# ---------------------------------------------------------------- input and options
st.subheader("Input")
cols = st.columns([2, 1, 1, 1, 1])
name_key = f"name_{v}"
if name_key not in st.session_state or st.session_state.pop(RENAMED, None) == v:
    st.session_state[name_key] = spec.name
name = cols[0].text_input("Name", key=name_key)
# No min_value: the widget would refuse 0 with a red border and no words, and keep the
# old value; the spec refuses it with a sentence under the row ("Height must be at least 1").
shape = [
    cols[1].number_input("Height", value=spec.input_shape[0], step=1, key=f"h_{v}"),
    cols[2].number_input("Width", value=spec.input_shape[1], step=1, key=f"w_{v}"),
    cols[3].number_input("Channels", value=spec.input_shape[2], step=1, key=f"c_{v}"),
]
classes = cols[4].number_input("Classes", value=spec.head.classes, step=1, key=f"cls_{v}")
conv_bias = st.checkbox(
    "Conv bias",
    spec.conv_bias,
    key=f"bias_{v}",
    help="Biases in the blocks' convolutions (stem layers set their own)",
)
input_box = st.container()
ls = spec.layer_settings
with st.expander(
    f"BatchNorm and initialisers: momentum {common.plain_number(ls.bn_momentum)}, "
    f"epsilon {common.plain_number(ls.bn_epsilon)}, "
    f"{'with' if ls.bn_scale else 'no'} scale"
):
    lc = st.columns(4) + st.columns([2, 1, 1])  # the initialiser names are long
    layer_settings = {
        "bn_momentum": lc[0].number_input(
            "BN momentum",
            value=float(ls.bn_momentum),
            step=0.001,
            format="%g",
            key=f"bnm_{v}",
            help=terms.help_for(
                "BN momentum",
                lead="The source's moving-average momentum (Keras 0.99, "
                "TF-Slim 0.999). A short run may use another: a setting of the Train page.",
            ),
        ),
        "bn_epsilon": lc[1].number_input(
            "BN epsilon",
            value=float(ls.bn_epsilon),
            format="%g",
            step=1e-5,
            key=f"bne_{v}",
            help=terms.help_for("BN epsilon"),
        ),
        "bn_scale": lc[2].checkbox(
            "BN scale (γ)",
            ls.bn_scale,
            key=f"bns_{v}",
            help=terms.help_for("BN scale", lead="TF-Slim's batch_norm has none."),
        ),
        "l2": lc[3].number_input(
            "L2 on kernels",
            value=float(ls.l2),
            format="%g",
            step=1e-4,
            key=f"l2_{v}",
            help=terms.help_for(
                "L2 penalty",
                lead="The source's L2 on every conv and dense "
                "kernel, as Keras's L2: l2 · Σw² (TF-Slim's VGG-16: 2.5e-4, "
                "slim's 5e-4 on Σw²/2). The Train page's weight "
                "decay is the optimizer's, decoupled: a training setting.",
            ),
        ),
        "kernel_init": lc[4].selectbox(
            "Kernel initialiser", KERNEL_INITS, KERNEL_INITS.index(ls.kernel_init), key=f"ki_{v}"
        ),
        "init_stddev": lc[5].number_input(
            "Its σ (truncated normal)",
            value=float(ls.init_stddev),
            format="%g",
            step=0.01,
            key=f"isd_{v}",
        ),
        "bias_init": lc[6].number_input(
            "Initial biases", value=float(ls.bias_init), format="%g", step=0.1, key=f"bi_{v}"
        ),
    }
    layers_box = st.container()

# ---------------------------------------------------------------- stem
# Number cells are text cells (spec_form reads them): a grid number cell would read "3x3"
# as 33 and undo a value under its minimum without a word; here each refusal is a sentence.
st.subheader("Stem")
stem_df = st.data_editor(
    base_frame("stem", spec_form.stem_frame),
    key=f"stem_{v}",
    num_rows="dynamic",
    width="stretch",
    placeholder="",
    # Widths in proportion to what each needs in talk mode's type, their sum within the
    # page beside the sidebar at 1024 px: stretched, they fit there and in talk mode.
    column_config={
        "kind": st.column_config.SelectboxColumn(
            # Each kind and its one line, from the registry (stem_kinds.STEM_KINDS).
            "kind",
            options=list(STEM_KINDS),
            required=True,
            default=NEW_STEM_KIND,
            width=100,
            help=spec_form.stem_kind_help(),
        ),
        # Each help names the kinds that read the column, from the registry.
        "filters": st.column_config.TextColumn(
            "filters", width=80, default="64", help=f"{stem_kinds_reading_text('filters')} only"
        ),
        "kernel_size": st.column_config.TextColumn(
            "kernel",
            default="3",
            width=80,
            help=f"{stem_kinds_reading_text('kernel_size')} only: k×k",
        ),
        "pool_size": st.column_config.TextColumn(
            "pool", width=70, help=f"{stem_kinds_reading_text('pool_size')}: the window"
        ),
        "pad": st.column_config.TextColumn(
            "pad",
            width=63,
            help=f"{stem_kinds_reading_text('pad')} only: pixels added on each side",
        ),
        "stride": st.column_config.TextColumn(
            "stride", default="1", width=77, help=stem_kinds_reading_text("stride")
        ),
        "padding": st.column_config.SelectboxColumn(
            "padding",
            options=PADDINGS,
            width=91,
            default="same",
            help=stem_kinds_reading_text("padding"),
        ),
        "use_bias": st.column_config.CheckboxColumn(
            "bias", default=False, width=63, help=f"{stem_kinds_reading_text('use_bias')} only"
        ),
    },
)
stem_box = st.container()
settingless = spec_form.stem_kinds_without_settings_text()
st.caption(
    "A cell a layer's kind does not use is empty"
    + (f" ({settingless} use none of them)" if settingless else "")
    + "; a value typed into one is refused, not ignored."
)

# ---------------------------------------------------------------- stages
st.subheader("Stages")
st.caption(
    "Filters are each block's output channels (six path widths for inception). "
    "One block of a stage carries its stride (the first unless 'strided block' says "
    "last); expansion is the bottleneck ratio. A cell the block kind does not use "
    "is empty. Add or delete rows in the table; move a stage with the buttons below."
)

# The columns are the Stage fields; those without a tailored column get a plain one.
stage_columns = {
    "kind": st.column_config.SelectboxColumn(
        # As wide as the longest kind's name ("reduced_bottleneck"): never cut off.
        "block",
        options=list(BLOCK_KINDS),
        required=True,
        default=NEW_STAGE_KIND,
        width=max(map(len, BLOCK_KINDS)) * 8 + 50,
        help=terms.help_for(
            "basic block",
            "bottleneck",
            "pre-activation",
            lead="The kind of block; each is listed under the table.",
        ),
    ),
    "num_blocks": st.column_config.TextColumn(
        "blocks", default="2", help="How many blocks the stage has"
    ),
    "filters": st.column_config.TextColumn("filters", default="128"),
    "stride": st.column_config.TextColumn(
        "stride",
        default="2",
        help=terms.help_for(
            "stride", lead="The stage's stride, taken by one block (see strided block)"
        ),
    ),
    "kernel_size": st.column_config.TextColumn(
        "kernel", default="3", help=terms.help_for("kernel size")
    ),
    "shortcut": st.column_config.SelectboxColumn(
        "shortcut",
        options=SHORTCUTS,
        default="projection",
        help=terms.help_for(
            "identity",
            "projection",
            "zero-pad",
            "subsample",
            lead="The skip path where a block changes the shape (elsewhere "
            "it is the identity). conv: the 1×1 conv without its "
            "BatchNorm; none: no skip (a plain block).",
        ),
    ),
    "expansion": st.column_config.TextColumn(
        "expansion",
        help=terms.help_for("expansion", lead=f"{block_kinds_reading_text('expansion')} only"),
    ),
    "groups": st.column_config.TextColumn(
        "groups",
        help=terms.help_for(
            "groups", lead=f"{block_kinds_reading_text('groups')}: groups of the k×k conv (ResNeXt)"
        ),
    ),
    "width": st.column_config.TextColumn(
        "width",
        help=terms.help_for(
            "bottleneck width",
            lead=f"{block_kinds_reading_text('width')}: the k×k conv's channels; "
            "0 = filters ÷ expansion",
        ),
    ),
    "se_ratio": st.column_config.TextColumn(
        "SE",
        help=terms.help_for(
            "squeeze-and-excitation",
            lead=f"{block_kinds_reading_text('se_ratio')}: the squeeze-and-excitation ratio; 0 = none",
        ),
    ),
    "preact": st.column_config.CheckboxColumn(
        "pre-act", help=terms.help_for("pre-activation", lead=block_kinds_reading_text("preact"))
    ),
    "stride_block": st.column_config.SelectboxColumn(
        "strided block",
        options=STRIDE_BLOCKS,
        help="the block that strides: first, or last (Keras's ResNetV2)",
    ),
    "stride_conv": st.column_config.SelectboxColumn(
        "strided conv",
        options=STRIDE_CONVS,
        help=terms.help_for(
            "strided conv",
            lead=f"{block_kinds_reading_text('stride_conv')}: the conv that strides "
            "(3x3: torchvision's)",
        ),
    ),
}
stage_df = st.data_editor(
    base_frame("stages", spec_form.stage_frame),
    key=f"stages_{v}",
    num_rows="dynamic",
    width="stretch",
    placeholder="",
    column_config={
        c: stage_columns.get(
            c,
            st.column_config.TextColumn(c)
            if c in spec_form.STAGE_NUMBERS
            else st.column_config.Column(c),
        )
        for c in spec_form.STAGE_COLUMNS
    },
)
stage_box = st.container()
with st.container(key="block_kinds"):
    used = list(dict.fromkeys(b for b in stage_df["kind"] if b in BLOCK_KINDS))
    # Each term of the summaries explained on hover, from the one glossary.
    kinds_md = "<br>".join(
        f"<b>{k}</b> — {terms.with_hovers(BLOCK_KINDS[k].summary)}" for k in used
    )
    st.caption(kinds_md, unsafe_allow_html=True)
    with st.expander("Every block kind"):
        st.markdown(
            "\n".join(
                f"- **{k.name}**: {k.summary} Uses: {', '.join(k.fields)}."
                for k in BLOCK_KINDS.values()
            )
        )
mc = st.columns([1, 2], vertical_alignment="bottom")
move_row = mc[1].container(horizontal=True)  # buttons as wide as their labels
# A choice, not a number box: a box would refuse a stage that is not there without a word.
move_index = mc[0].selectbox("Stage to move", range(1, max(len(stage_df), 1) + 1), key=f"move_{v}")

# ---------------------------------------------------------------- head
st.subheader("Head")
h = spec.head
hc = st.columns(3) + st.columns(3)  # two rows: six would cut off the selected values
pool = hc[0].selectbox(
    "Pooling",
    HEAD_POOLS,
    HEAD_POOLS.index(h.pool),
    key=f"pool_{v}",
    help=terms.help_for(
        "global average pooling",
        "flatten",
        lead="How the last feature maps become the classifier's input",
    ),
)
# A window and padding only for avg / max pooling before flatten: global pooling and
# flatten ignore them, so they are not shown (the spec keeps their values).
windowed = HEAD_POOL_KINDS[pool].windowed
head = {
    "pool": pool,
    # No bounds on these boxes (as on Height): the spec refuses a value with a sentence.
    "pool_size": hc[1].number_input(
        "Pool size",
        value=h.pool_size,
        step=1,
        key=f"ps_{v}",
        help="the pooling window, before flatten",
    )
    if windowed
    else h.pool_size,
    "pool_padding": hc[2].selectbox(
        "Pool padding", PADDINGS, PADDINGS.index(h.pool_padding), key=f"pp_{v}"
    )
    if windowed
    else h.pool_padding,
    "hidden": hc[3].text_input(
        "Hidden dense layers", ", ".join(map(str, h.hidden)), key=f"hid_{v}", help="e.g. 4096, 4096"
    ),
    "dropout": hc[4].number_input("Dropout", value=float(h.dropout), step=0.1, key=f"drop_{v}"),
    "classifier": hc[5].selectbox(
        "Classifier", CLASSIFIERS, CLASSIFIERS.index(h.classifier), key=f"clf_{v}"
    ),
}
head_box = st.container()

# ---------------------------------------------------------------- apply the edit
# A row switched to another kind drops what only the old kind used; the tables are then
# redrawn so those cells show empty.
stem_rows, stem_switched = spec_form.clear_unused(
    pd.DataFrame(stem_df),
    base_frame("stem", spec_form.stem_frame),
    spec_form.stem_columns_read,
    NEW_STEM_KIND,
)
stage_rows, stages_switched = spec_form.clear_unused(
    pd.DataFrame(stage_df),
    base_frame("stages", spec_form.stage_frame),
    spec_form.stage_columns_read,
    NEW_STAGE_KIND,
)
try:
    candidate = spec_form.spec_from_form(
        spec,
        name=name,
        input_shape=shape,
        classes=classes,
        conv_bias=conv_bias,
        stem=stem_rows,
        stages=stage_rows,
        head=head,
        layer_settings=layer_settings,
    )
except SpecError as exc:
    candidate = None
    problems = spec_form.group_problems(exc)
    boxes = {
        "input": input_box,
        "stem": stem_box,
        "stages": stage_box,
        "head": head_box,
        "general": input_box,
        "layers": layers_box,
    }
    for section, texts in problems.items():
        for text in texts:  # the messages quote what was typed: shown as typed
            boxes[section].error(common.escape_md(text), icon="⚠️")
    n = sum(map(len, problems.values()))
    top.warning(
        f"Fix the {n} marked value{'s' * (n > 1)}; the figures below are for the "
        "last valid network."
    )
else:
    if candidate != spec:
        # The first edit of a preset renames it, so that its exports do not claim to be
        # the preset; the Name box shows it from the next run, the editors stay as they
        # are. A row switched to another kind redraws the tables (its unused cells empty).
        described = spec_form.describe_edit(candidate, preset)
        redraw = stem_switched or stages_switched
        try:
            state.set_spec(described, reset_editor=redraw)
        except SpecError as exc:
            top.error(common.escape_md(f"This network cannot be kept: {exc}"))
        else:
            if described.name != candidate.name and not redraw:
                st.session_state[RENAMED] = v
                st.rerun()
            if redraw:
                st.rerun()
            spec = described

if (
    preset
    and spec != PRESETS[preset].spec()
    and reset_slot.button(
        "Reset to preset",
        width="stretch",
        help="Throw away the edits and start again from the preset",
    )
):
    state.load_preset(preset)
    st.rerun()


def move_stage(i: int, j: int) -> None:
    """Swap stages i and j, redraw the editors from the result."""
    stages = list(spec.stages)
    stages[i], stages[j] = stages[j], stages[i]
    state.set_spec(spec.replace(stages=tuple(stages)), reset_editor=True)
    st.rerun()


i = move_index - 1
if move_row.button("Move up", disabled=candidate is None or i < 1):
    move_stage(i, i - 1)
if move_row.button("Move down", disabled=candidate is None or i >= len(spec.stages) - 1):
    move_stage(i, i + 1)

# ---------------------------------------------------------------- figures
a = analyze(spec)
with top:
    common.headline(a)
    if not a.ok:
        st.error(common.escape_md(f"This network cannot be built: {a.error}"), icon="🚫")

st.subheader("Stages at a glance")
common.stage_table(a)
if not a.ok:
    st.caption(f"Traced up to layer `{a.layers[-1].name}`; the rest cannot be built.")
