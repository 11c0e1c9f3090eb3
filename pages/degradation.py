"""Degradation, measured: He et al.'s four-network experiment, run here in one click."""

import streamlit as st

from resnet_core import get_spec
from resnet_core.data import DataChoice, DataError
from resnet_core.limits import fmt_shape
from resnet_core.presets import DEGRADATION_SET
from resnet_core.training import TrainSettings
from resnet_core.training.estimate import estimate_epoch_seconds
from resnet_core.training.submit import submit_race
from ui import common, degradation, presentation, router, training_views
from ui.training_form import open_store, race_plans_cached, start

router.ensure_router()

store = open_store()
talk = presentation.talk_mode()
WATCH = "watch_degradation"

st.title("Degradation: deeper plain networks train worse")
st.markdown(
    "He et al. (2015, §1 and Fig. 1) found that adding layers to a plain network made its "
    "**training** error higher, not only its test error: so it is not overfitting, it is "
    "harder to optimise. A deeper network could always copy the shallower one and make "
    "its extra layers identities — a residual block makes that identity the easy default "
    "(§3.1), and their residual networks got better with depth (Fig. 6, §4.2). Here the "
    "four networks of that experiment train together on the same batches.")

form = presentation.settings_container("Experiment settings")
c = form.columns(3)
epochs = c[0].number_input("Epochs", 1, 100, 8)
batch = c[1].number_input("Batch size", 4, 512, 32)
seed = c[2].number_input("Seed", 0, 2**31 - 1, 0)
choice = DataChoice(source="digits", subset=0, seed=int(seed))
settings = TrainSettings(epochs=int(epochs), batch_size=int(batch), seed=int(seed))
specs = [get_spec(name) for name in DEGRADATION_SET]
try:
    plans = race_plans_cached(choice.to_dict(), *(s.to_json() for s in specs))
except DataError as exc:
    st.error(common.escape_md(str(exc)))
    st.stop()
n = len(plans[0].prepared.x_train)
steps_time = sum(estimate_epoch_seconds(p.spec, n, settings.batch_size).seconds
                 for p in plans) * settings.epochs
form.caption(f"{', '.join(DEGRADATION_SET)} on the {n:,} training images of the embedded "
             f"digits ({fmt_shape(plans[0].spec.input_shape)}); estimated "
             f"{training_views.duration(steps_time)} of training, plus about a minute to "
             "compile the four networks.")

ids = [i for i in st.session_state.get(WATCH, []) if store.get(i)]
if not ids:  # a new visitor sees the last experiment run here
    last = next((r for r in store.list() if r.group_id and r.name in DEGRADATION_SET
                 and {g.name for g in store.group(r.group_id)} == set(DEGRADATION_SET)),
                None)
    ids = [g.id for g in store.group(last.group_id)] if last else []
runs = [store.get(i) for i in ids]
running = any(r.active for r in runs)
if not running and st.button("Run the experiment", type="primary",
                             icon=":material/play_arrow:",
                             width="stretch" if talk else "content"):
    start(store, lambda: submit_race(store, plans, settings.to_dict()), WATCH)

if ids:

    @st.fragment(run_every=1.0 if running else None)
    def results():
        now = [store.get(i) for i in ids]
        stopped = [r for r in now if r.status == "stopped"]
        if stopped and not any(r.active for r in now):
            st.info(f"Stopped in epoch {training_views.epoch_text(store, stopped[0])}: the "
                    "curves show what the networks learned until then. Run the experiment "
                    "again for the whole comparison.", icon=":material/stop_circle:")
        for r in now:
            if not r.active and not r.error:
                continue  # finished or stopped: the chart (and the note above) say it
            fraction, text = training_views.progress(store, r)
            st.progress(fraction, text=f"**{common.escape_md(r.name)}** · "
                                       f"{common.escape_md(text)}")
            if r.error:
                st.error(common.escape_md(f"{r.name}: {r.error}"))
        if any(r.active for r in now) and st.button("Stop", key="stop_degradation"):
            for r in now:
                store.request_stop(r.id)
        outcome = degradation.outcomes(store, now)
        presentation.chart(degradation.figure(store, outcome), key="degradation_chart")
        text = degradation.verdict(outcome)
        if text:
            st.markdown(common.escape_md(text))
        if running and not any(r.active for r in now):
            st.rerun()

    results()
