"""Home: what the app is, the device, and the presets by family."""

import streamlit as st

from resnet_core.devices import describe_device
from resnet_core.presets import FAMILIES, PRESETS
from ui import router

router.ensure_router()

st.title("ResNet Explorer")
st.markdown(
    "Compose residual and inception networks stage by stage and see every layer's output "
    "shape, parameters and cost the moment you change something. Draw the graph, compare "
    "two designs side by side, and export a Keras script that builds exactly that model.")
st.markdown(f"**Training device:** {describe_device()}")
# For a speaker: the race of a plain net against its residual twin, in large type.
with st.container(border=True, key="demo"):
    st.page_link("pages/race.py", label="Demo: the race, in talk mode",
                 icon=":material/slideshow:", query_params={"talk": "1"},
                 help="Large type and no sidebar, for a projector. Add ?talk=1 to any page.")

st.subheader("Why skip connections work: see it happen")
WHY = [("pages/race.py", "Race", ":material/sprint:",
        "A ResNet and its plain twin train side by side, live."),
       ("pages/learn_degradation.py", "Degradation", ":material/trending_down:",
        "He et al.'s experiment in one click: deeper plain nets train worse."),
       ("pages/learn_gradients.py", "Gradient flow", ":material/waterfall_chart:",
        "The gradient reaching each layer, with and without skips."),
       ("pages/learn_residual.py", "What a residual is", ":material/functions:",
        "Boosting, stage by stage: each stage fits what is left.")]
cols = st.columns(2)  # two by two: four across cut the labels at 1024 px
for i, (page, label, icon, line) in enumerate(WHY):
    with cols[i % 2].container(border=True):
        st.page_link(page, label=label, icon=icon)
        st.caption(line)

st.subheader("Start from a preset")
for family in FAMILIES:
    members = [p for p in PRESETS.values() if p.family == family]
    with st.container(border=True):
        st.markdown(f"**{family}**")
        cols = st.columns(3)
        for i, preset in enumerate(members):
            cols[i % 3].page_link("pages/compose.py", label=preset.name,
                                  query_params={"preset": preset.name},
                                  help=preset.description)
