"""Degradation, measured: He et al.'s four-network experiment, run here in one click."""

import streamlit as st

from resnet_core import get_spec, verdict
from resnet_core.data import DataChoice, DataError
from resnet_core.limits import fmt_shape
from resnet_core.presets import DEGRADATION_SET
from resnet_core.training import TrainSettings
from resnet_core.training.estimate import estimate_run
from resnet_core.training.submit import submit_race
from ui import common, degradation, presentation, router, training_views
from ui.training_form import group_check, open_store, option_input, race_plans_cached, start

router.ensure_router()

store = open_store()
talk = presentation.talk_mode()
WATCH = "watch_degradation"
TALK_CHART = 360  # px: title, chart, sentence and progress fit a 1024×768 screen

st.title("Degradation: deeper plain networks train worse")
ids = [i for i in st.session_state.get(WATCH, []) if store.get(i)]
if not ids:  # a new visitor sees the last experiment run here
    last = next(
        (
            r
            for r in store.list()
            if r.group_id
            and r.name in DEGRADATION_SET
            and {g.name for g in store.group(r.group_id)} == set(DEGRADATION_SET)
        ),
        None,
    )
    ids = [g.id for g in store.group(last.group_id)] if last else []
# In a talk, an experiment on screen gets the screen: its chart, the sentence, one line of
# progress; the words and settings come after.
results_box = st.container()
if not (talk and ids):
    st.markdown(
        "He et al. (2015, §1 and Fig. 1) found that adding layers to a plain network made "
        "its **training** error higher, not only its test error: so it is not overfitting, "
        "it is harder to optimise. A deeper network could always copy the shallower one "
        "and make its extra layers identities — a residual block makes that identity the "
        "easy default (§3.1), and their residual networks got better with depth (Fig. 6, "
        "§4.2). Here the four networks of that experiment train together on the same "
        "batches."
    )

form = presentation.settings_container("Experiment settings")
c = form.columns(3)
epochs = option_input(c[0], "epochs", "Epochs", default=8, key="degradation_epochs")
batch = option_input(c[1], "batch_size", "Batch size", default=32, key="degradation_batch_size")
seed = option_input(c[2], "seed", "Seed", key="degradation_seed")
choice = DataChoice(source="digits", subset=0, seed=int(seed))
settings = TrainSettings(epochs=int(epochs), batch_size=int(batch), seed=int(seed))
specs = [get_spec(name) for name in DEGRADATION_SET]
try:
    plans = race_plans_cached(choice.to_dict(), *(s.to_json() for s in specs))
except DataError as exc:
    st.error(common.escape_md(str(exc)))
    st.stop()
n = len(plans[0].prepared.x_train)
# The four train in lockstep in one process: their compiles and steps add up.
estimate = estimate_run(
    [p.spec for p in plans], n, len(plans[0].prepared.x_val), settings.batch_size, settings.epochs
)
form.caption(
    f"{', '.join(DEGRADATION_SET)} on the {n:,} training images of the embedded "
    f"digits ({fmt_shape(plans[0].spec.input_shape)}), "
    f"{settings.epochs} epochs, batch {settings.batch_size}, "
    f"{settings.optimizer} {settings.learning_rate:g}; estimated: "
    f"{estimate.summary()} (the four networks together)."
)
problem = group_check(plans, settings, estimate, "The experiment", form)

runs = [store.get(i) for i in ids]
running = any(r.active for r in runs)
if (
    not running
    and not problem
    and st.button(
        "Run the experiment",
        type="primary",
        icon=":material/play_arrow:",
        width="stretch" if talk else "content",
    )
):
    start(store, lambda: submit_race(store, plans, settings.to_dict()), WATCH)

if ids:

    @st.fragment(run_every=1.0 if running else None)
    def results():
        now = [store.get(i) for i in ids]
        outcome = degradation.outcomes(store, now)
        # The chart first, then what it shows, then one line of progress for the group.
        presentation.chart(
            degradation.figure(store, outcome),
            key="degradation_chart",
            height=TALK_CHART if talk else None,
        )
        said = verdict.degradation([o.series for o in outcome])
        presentation.headline(said.text, said.detail, key="degradation")
        if any(r.active for r in now):
            fraction, text = training_views.group_progress(store, now)
            row = st.columns([5, 1], vertical_alignment="bottom")
            row[0].progress(fraction, text=common.escape_md(text))
            if row[1].button("Stop", key="stop_degradation", width="stretch"):
                for r in now:
                    store.request_stop(r.id)
        for r in now:
            training_views.run_message(r, named=True)
        if running and not any(r.active for r in now):
            st.rerun()

    with results_box:
        results()
