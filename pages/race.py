"""Race: a residual network and its plain twin, trained together on the same batches."""

import streamlit as st

from resnet_core import get_spec
from resnet_core.data import MAX_SUBSET, SOURCES, DataChoice, DataError
from resnet_core.experiments.runs import why_not_usable
from resnet_core.limits import fmt_shape
from resnet_core.presets import RESIDUAL_TWINS, has_skips, plain_twin
from resnet_core.training import TrainSettings
from resnet_core.training.estimate import estimate_run
from resnet_core.training.submit import submit_race
from ui import common, presentation, router, state, training_views
from ui.training_form import (
    choose_source,
    group_check,
    open_store,
    option_input,
    race_plans_cached,
    source_settings,
    start,
    watched_panels,
)

router.ensure_router()

store = open_store()
talk = presentation.talk_mode()

st.title("Residual vs plain: a race")
intro = st.empty()  # in a talk, the screen goes to the race once it runs
if "watch_race" not in st.session_state:  # a new visitor sees the last race run here
    last = next(
        (r for r in store.list() if r.group_id and len(group := store.group(r.group_id)) == 2), None
    )
    if last:
        st.session_state["watch_race"] = [g.id for g in group]
busy = watched_panels(store, "watch_race")
# In a talk, a race on screen (running or done) gets the screen; the words come back after.
quiet = talk and (busy or bool(st.session_state.get("watch_race")))
if not quiet:
    intro.markdown(
        "Two networks with the same layers, one **with** skip connections and one "
        "**without**, train at the same time on the same images, in the same order, with "
        "the same seed. He et al. (2015, §4.1) saw the deeper plain network reach a "
        "*higher* training error than the residual one — the degradation problem that "
        "skip connections solve."
    )

CURRENT = "(the current network and its plain twin)"
pairs = {f"{a}  vs  {b}": (a, b) for a, b in RESIDUAL_TWINS.items()}
current = state.current_spec()
if has_skips(current):
    pairs = {CURRENT: None, **pairs}

form = presentation.settings_container("Networks, data and settings")
c = form.columns([2, 1, 1])
default = list(pairs).index("cifar_resnet20  vs  cifar_plain20")
pick = c[0].selectbox(
    "Networks",
    list(pairs),
    index=default,
    help="The CIFAR pairs of He et al. §4.2, the ReLU→BN pair of seed 002, "
    "or whatever network you composed against its plain twin (the "
    "same layers, every skip connection taken away).",
)
epochs = option_input(c[1], "epochs", "Epochs", default=5, key="race_epochs")
batch = option_input(c[2], "batch_size", "Batch size", default=32, key="race_batch_size")
d = form.columns([2, 1, 1])
source = choose_source(d[0], "Data", [k for k, s in SOURCES.items() if s.quick])
subset = d[1].number_input("Images (0: all)", 0, MAX_SUBSET, 0, step=100)
seed = option_input(d[2], "seed", "Seed", key="race_seed")
own = source_settings(form, source, key="race_")

if pairs[pick] is None:
    spec, partner = current, plain_twin(current)
else:
    spec, partner = (get_spec(n) for n in pairs[pick])
choice = DataChoice(source=source.name, subset=int(subset), seed=int(seed), options=own)
settings = TrainSettings(epochs=int(epochs), batch_size=int(batch), seed=int(seed), log_every=5)
try:
    plans = race_plans_cached(choice.to_dict(), spec.to_json(), partner.to_json())
except DataError as exc:
    st.error(common.escape_md(str(exc)))
    st.stop()
n = len(plans[0].prepared.x_train)
estimate = estimate_run(
    [p.spec for p in plans], n, len(plans[0].prepared.x_val), settings.batch_size, settings.epochs
)
if not quiet:
    shape = fmt_shape(plans[0].spec.input_shape)
    st.markdown(
        f"**{common.escape_md(spec.name)}** (with skip connections) "
        f"against **{common.escape_md(partner.name)}** (without) · {n:,} "
        f"training images ({source.short}, as {shape}) · "
        f"{settings.epochs} epochs · batch {settings.batch_size} · "
        f"{settings.optimizer} {settings.learning_rate:g}"
    )
    st.caption(f"Estimated: {estimate.summary()} (both networks, in lockstep).")
for note in dict.fromkeys(p.note for p in plans if p.note):
    st.caption(common.escape_md(note))
problem = group_check(plans, settings, estimate, "This race", st)

if not problem and not (talk and busy):  # in a talk, one primary button: Stop while it runs
    if st.button(
        "Start the race",
        type="primary",
        icon=":material/sprint:",
        width="stretch" if talk else "content",
    ):
        start(store, lambda: submit_race(store, plans, settings.to_dict()), "watch_race")

last = st.session_state.get("watch_race")
runs = [r for i in last or [] if (r := store.get(i))]
if not busy and len(runs) == 2 and not any(why_not_usable(store, r) for r in runs):
    if st.button(
        "Look inside these two networks",
        icon=":material/biotech:",
        help="lesion study, loss landscape and what each block adds, for the two trained networks",
    ):
        st.session_state["inside_runs"] = [r.id for r in runs]
        st.switch_page("pages/inside.py")
if not busy and not talk:
    if len(runs) == 2:
        with st.expander("Replay this race (at its recorded pace, or faster)"):
            training_views.replay_panel(store, runs, key="race")
