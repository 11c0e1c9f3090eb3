"""Home: what the app is, the device, and the presets by family."""

import streamlit as st

from resnet_core import DEFAULT_PRESET
from resnet_core.analysis import human
from resnet_core.devices import describe_device
from resnet_core.presets import RESIDUAL_TWINS
from ui import preset_cards, router, terms

router.ensure_router()

TWINS = {*RESIDUAL_TWINS, *RESIDUAL_TWINS.values()}

st.title("ResNet Explorer")
st.markdown(
    "Compose residual and inception networks stage by stage and see every layer's output "
    "shape, parameters and cost the moment you change something. Draw the graph, compare "
    "two designs side by side, and export a Keras script that builds exactly that model."
)

# A newcomer's start: three steps on one small classic network.
st.subheader("Start here")
FIRST = preset_cards.card(DEFAULT_PRESET)
STEPS = [
    (
        "1 · Look at a network",
        f"{FIRST.title}: {FIRST.params:,} parameters. See each layer's output and the "
        "graph, skip connections drawn as dashed orange edges.",
        [
            ("pages/inspect.py", "Inspect", ":material/table_view:"),
            ("pages/graph.py", "Graph", ":material/account_tree:"),
        ],
    ),
    (
        "2 · Change it",
        "Add a stage, switch the block kind, take the skip connections away: the figures "
        "follow as you type.",
        [("pages/compose.py", "Compose", ":material/construction:")],
    ),
    (
        "3 · Train it",
        "On handwritten digits, in seconds on this machine, or in a race against its plain twin.",
        [
            ("pages/train.py", "Train", ":material/model_training:"),
            ("pages/race.py", "Race", ":material/sprint:"),
        ],
    ),
]
for col, (step, line, links) in zip(st.columns(3), STEPS):
    with col.container(border=True, height="stretch", key=f"step_{step[0]}"):
        st.markdown(f"**{step}**")
        st.caption(line)
        row = st.container(horizontal=True)
        for page, label, icon in links:
            row.page_link(page, label=label, icon=icon, query_params={"preset": DEFAULT_PRESET})

st.markdown(f"**Training device:** {describe_device()}")
# For a speaker: the race of a plain net against its residual twin, in large type.
with st.container(border=True, key="demo"):
    router.page_link(
        "pages/race.py",
        "Demo: the race, in talk mode",
        icon=":material/slideshow:",
        talk=True,
        help="Large type and no sidebar, for a projector. Add ?talk=1 to any page.",
    )

st.subheader("Why skip connections work: see it happen")
WHY = [
    (
        "pages/race.py",
        "Race",
        ":material/sprint:",
        "A ResNet and its plain twin train side by side, live.",
    ),
    (
        "pages/degradation.py",
        "Degradation",
        ":material/trending_down:",
        "He et al.'s experiment in one click: deeper plain nets train worse.",
    ),
    (
        "pages/gradients.py",
        "Gradient flow",
        ":material/waterfall_chart:",
        "The gradient reaching each layer, with and without skips.",
    ),
    (
        "pages/residual.py",
        "What a residual is",
        ":material/functions:",
        "Boosting, stage by stage: each stage fits what is left.",
    ),
]
cols = st.columns(2)  # two by two: four across cut the labels at 1024 px
for i, (page, label, icon, line) in enumerate(WHY):
    with cols[i % 2].container(border=True):
        router.page_link(page, label, icon=icon)
        st.caption(line)

st.subheader("Start from a network")
st.caption("Open one in Compose to see and change it layer by layer, or train it straight away.")
for family, members in preset_cards.cards().items():
    st.markdown(f"**{family}**")
    # Three across (the card's two links still fit at 1024 px); a ResNet and its plain
    # twin side by side in one row. A row of columns per row of cards, each card as tall
    # as the row's tallest: neighbours line up.
    for row in preset_cards.rows(members):
        n = 2 if len(row) == 2 and all(c.name in TWINS for c in row) else 3
        cols = st.columns(n)
        for col, card in zip(cols, row):
            with col.container(border=True, key=f"card_{card.name}", height="stretch"):
                st.markdown(f"**{card.title}**")
                # Every term with its one line from the glossary, on hover.
                st.caption(terms.with_hovers(card.line), unsafe_allow_html=True)
                st.caption(
                    f"{human(card.params)} parameters · input {card.input} · {card.classes} classes"
                )
                links = st.container(horizontal=True)
                router.page_link(
                    "pages/compose.py",
                    "Compose",
                    where=links,
                    icon=":material/construction:",
                    preset=card.name,
                    help=f"Preset {card.name}",
                )
                router.page_link(
                    "pages/train.py",
                    "Train",
                    where=links,
                    icon=":material/model_training:",
                    preset=card.name,
                )
