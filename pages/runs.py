"""Runs: every stored run; overlay curves, inspect results, download, resume, delete."""

import time

import pandas as pd
import streamlit as st

from resnet_core.data.sources import short_name
from resnet_core.experiments import pair_of
from resnet_core.experiments.runs import why_not_usable
from resnet_core.training import RunStore, predictions
from resnet_core.training.checkpoints import CHECKPOINT
from resnet_core.training.settings import OPTION
from resnet_core.training.worker import ensure_worker
from ui import common, presentation, router, state, training_form, training_views

router.ensure_router()

store = RunStore()
store.reap()
runs = store.list()
st.title("Runs")
if notice := store.recent_notice():  # runs.db was rebuilt from the run folders
    st.info(common.escape_md(notice), icon=":material/build:")
st.caption(
    f"Stored in `{store.home}` (set RESNET_EXPLORER_HOME to move it). Each run keeps "
    "its network, data, settings, metrics, checkpoint and TensorBoard logs."
)
if not runs:
    st.info("No runs yet: start one on the Train page.")
    router.page_link("pages/train.py", "Train", icon=":material/model_training:")
    st.stop()


def _figure(value, fmt: str) -> str:
    """A summary figure as text: "—" for one a run has not got (running, stopped)."""
    return "—" if value is None else format(value, fmt)


by_id = {r.id: r for r in runs}
table = pd.DataFrame(
    [
        {
            "run": r.id,
            "network": r.name,
            "status": r.status,
            "data": short_name(r.data.get("source")),
            "epochs": f"{r.epochs_done}/{r.settings.get('epochs')}",
            "val accuracy": _figure(r.summary.get("val_accuracy"), ".3f"),
            "images/s": _figure(r.summary.get("images_per_second"), ",.0f"),
            "device": r.device,
            "started": time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created)),
        }
        for r in runs
    ]
)
# A heading above the table: its toolbar (shown on hover) sits over the heading's empty
# right side, not over the caption's last line.
st.subheader("All runs")
# In a talk the grid is drawn larger: the columns a room reads, all of them in view.
st.dataframe(
    table.style.map(training_views.status_style, subset=["status"]),
    hide_index=True,
    width="stretch",
    column_order=["network", "status", "data", "epochs", "val accuracy"]
    if presentation.talk_mode()
    else None,
)

st.subheader("Curves and replay")
first = by_id.get(st.session_state.get("selected_run")) or runs[0]
# A race is shown whole: the run and the others of its group.
default = [r.id for r in store.group(first.group_id)] or [first.id]
chosen = st.multiselect(
    "Runs to overlay (a race's runs are picked together)",
    list(by_id),
    default=default,
    format_func=lambda i: f"{by_id[i].name} · {i} · {by_id[i].status}",
)
if chosen:
    training_views.replay_panel(store, [by_id[i] for i in chosen], key="runs")

st.subheader("One run")
pick = st.selectbox(
    "Run",
    list(by_id),
    index=list(by_id).index(chosen[0]) if chosen else 0,
    format_func=lambda i: f"{by_id[i].name} · {i} · {by_id[i].status}",
)
run = by_id[pick]
run_dir = store.run_dir(run.id)
info = st.columns(4)
info[0].metric("Status", run.status)
info[1].metric("Epochs", f"{run.epochs_done} / {run.settings.get('epochs')}")
acc = run.summary.get("val_accuracy")
info[2].metric("Validation accuracy", f"{acc:.1%}" if acc is not None else "—")
info[3].metric("Device", run.device or "—")
training_views.run_message(run)
with st.expander("Settings and data"):
    st.json({"settings": run.settings, "data": run.data})
st.caption(f"TensorBoard logs: `{run_dir / 'logs'}` (tensorboard --logdir …)")

try:
    run.network()
    unreadable = ""
except ValueError as exc:  # stored by a version whose spec format this one cannot read
    unreadable = str(exc)
    st.warning(
        common.escape_md(
            f"This run's network cannot be read by this version ({unreadable}). Its "
            "figures and files are kept; it cannot be resumed or looked inside."
        )
    )

actions = st.columns(4)
checkpoint = run_dir / CHECKPOINT
if run.active:
    if actions[0].button("Stop", key="stop"):
        store.request_stop(run.id)
        st.rerun()
elif checkpoint.exists() and not unreadable:
    more = actions[0].number_input(
        "Epochs to reach",
        run.epochs_done + 1,
        int(OPTION["epochs"].high),
        max(run.epochs_done + 1, run.settings.get("epochs", 1)),
    )
    # A resume waits in the queue like a new run: it counts against the session's cap.
    if actions[1].button("Resume from checkpoint") and training_form.room_for_another(store):
        store.requeue(run.id, epochs=int(more))
        training_form.note_queued(store, [run.id])
        ensure_worker(store.home)
        st.session_state["watch_train"] = [run.id]
        # The Train page shows the resumed run's network, not the one open before.
        state.open_network(run.network())
        st.switch_page("pages/train.py", query_params=state.link_query("train"))
if checkpoint.exists():
    # read on click, not on every rerun: a model can be hundreds of megabytes
    actions[2].download_button(
        "Model (.keras)",
        checkpoint.read_bytes,
        file_name=f"{run.name}_{run.id}.keras",
        mime="application/octet-stream",
    )
csv = training_views.metrics_csv(store, run.id)
if csv:
    actions[3].download_button(
        "Metrics (CSV)", csv, file_name=f"{run.id}_metrics.csv", mime="text/csv"
    )

if not why_not_usable(store, run):
    twin = pair_of(store, run)
    if st.button(
        "Look inside" + (" these two networks" if len(twin) == 2 else " this network"),
        icon=":material/biotech:",
        key="look_inside",
        help="lesion study, loss landscape and what each block adds"
        + (" (with the plain twin it raced)" if len(twin) == 2 else ""),
    ):
        st.session_state["inside_runs"] = [r.id for r in twin]
        st.switch_page("pages/inside.py")

pred = predictions.load(run_dir)
if pred is not None:
    left, right = st.columns([1, 1])
    presentation.chart(
        training_views.confusion(pred.y_true, pred.y_pred, list(pred.class_names)), left
    )
    with right:
        st.markdown("**Validation predictions, wrong ones first**")
        st.image(
            [training_views.upscale(img) for img in pred.sample_images[:24]],
            caption=pred.sample_captions()[:24],
            width=64,
        )

if not run.active:
    with st.expander("Delete this run"):
        if st.checkbox(
            "Yes, delete its metrics, checkpoint and logs", key=f"del_{run.id}"
        ) and st.button("Delete", key="delete"):
            try:
                store.delete(run.id)
            except ValueError as exc:  # its checkpoint is being written
                st.warning(common.escape_md(str(exc)))
            else:
                st.session_state.pop("selected_run", None)
                st.rerun()
