"""Train: pick data and settings, start a run in the worker, watch it live, stop it."""

import hashlib
import time

import numpy as np
import streamlit as st

from resnet_core import ArchitectureSpec, analyze
from resnet_core.analysis import human
from resnet_core.data import SOURCES, DataChoice, DataError, load, prepare
from resnet_core.data.uploads import load_npz, load_zip
from resnet_core.devices import describe_device
from resnet_core.training import RunStore, SettingsError, TrainSettings
from resnet_core.training.settings import (OPTIMIZERS, SCHEDULES, estimate_epoch_seconds,
                                           measure_cpu_flops)
from resnet_core.training.submit import submit_run
from resnet_core.training.worker import ensure_worker
from ui import router, state, training_views

router.ensure_router()

spec = state.current_spec()
store = RunStore()
store.reap()
ensure_worker(store.home)  # warm: TensorFlow is loaded before Train is pressed
device = describe_device()

st.title("Train")
st.markdown(f"**Network:** `{spec.name}` · **Device:** {device}")
if device.startswith("CPU"):
    st.caption("No GPU here: training runs on the CPU, so the defaults are small (a few "
               "hundred images, a few epochs). On a GPU, mixed precision and XLA are used.")

LABELS = {"digits": "Handwritten digits (embedded, 8×8)", "shapes": "Generated shapes",
          "mnist": "MNIST (Keras)", "fashion_mnist": "Fashion-MNIST (Keras)",
          "cifar10": "CIFAR-10 (Keras)", "cifar100": "CIFAR-100 (Keras)",
          "upload": "Upload (.npz or .zip)"}

# ------------------------------------------------------------------------- data
st.subheader("Data")
c = st.columns(4)
source = c[0].selectbox("Dataset", SOURCES, format_func=LABELS.get)
subset = c[1].number_input("Images to use (0: all)", 0, 100_000, 600, step=100)
val_split = c[2].slider("Validation share", 0.05, 0.5, 0.2, 0.05)
seed = c[3].number_input("Seed", 0, 2**31 - 1, 0)
fit = st.radio("When the data and the network's input differ",
               ["adapt", "resize"], horizontal=True,
               format_func={"adapt": "adapt the network's input to the data",
                            "resize": "resize the data to the network's input"}.get)
augment = st.checkbox("Light augmentation (shifts; flips for colour images)")
extra = {}
if source == "shapes":
    s = st.columns(3)
    extra = {"shapes_classes": s[0].number_input("Classes", 2, 8, 4),
             "shapes_size": s[1].number_input("Image side", 8, 128, 32),
             "shapes_count": s[2].number_input("Images", 50, 20_000, 1000, step=50)}
if source == "upload":
    up = st.file_uploader("An .npz with arrays x (N, H, W[, C]) and y (N,), or a .zip with "
                          "one folder of images per class", type=["npz", "zip"])
    if up is None:
        st.info("Choose a file to train on your own data.")
        st.stop()
    raw = up.getvalue()
    digest = hashlib.sha256(raw).hexdigest()[:16]
    path = store.home / "uploads" / f"{digest}.npz"
    if not path.exists():
        try:
            ds = load_npz(raw, up.name) if up.name.lower().endswith(".npz") \
                else load_zip(raw, up.name)
        except DataError as exc:
            st.error(str(exc))
            st.stop()
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, x=ds.x, y=ds.y)  # checked, plain arrays: what the worker reads
    extra = {"upload_path": str(path)}

choice = DataChoice(source=source, subset=int(subset), val_split=float(val_split), fit=fit,
                    augment=augment, seed=int(seed), **extra)


@st.cache_data(max_entries=8, show_spinner="Loading data…")
def load_cached(choice_dict):
    return load(DataChoice.from_dict(choice_dict))


@st.cache_data(max_entries=8, show_spinner="Preparing data…")
def prepare_cached(choice_dict, spec_json):
    return prepare(load_cached(choice_dict), ArchitectureSpec.from_json(spec_json),
                   DataChoice.from_dict(choice_dict))


try:
    dataset = load_cached(choice.to_dict())
    prepared = prepare_cached(choice.to_dict(), spec.to_json())
except DataError as exc:
    st.error(str(exc))
    st.stop()

st.caption(f"{len(prepared.x_train):,} training and {len(prepared.x_val):,} validation "
           f"images of {dataset.image_shape[0]}×{dataset.image_shape[1]}×"
           f"{dataset.image_shape[2]}, {dataset.num_classes} classes; the network takes "
           f"{'×'.join(map(str, prepared.spec.input_shape))}.")
sample = prepared.x_train[:16]
st.image([training_views.upscale(img) for img in sample], width=64,
         caption=[dataset.class_names[y] for y in prepared.y_train[:16]])

# ------------------------------------------------------------------------- settings
st.subheader("Settings")
s = st.columns(4)
optimizer = s[0].selectbox("Optimizer", OPTIMIZERS, index=1,
                           format_func={"sgd": "SGD + momentum", "adam": "Adam",
                                        "adamw": "AdamW"}.get)
lr = s[1].number_input("Learning rate", 1e-6, 10.0, 1e-3, format="%.5f", step=1e-4)
schedule = s[2].selectbox("Schedule", SCHEDULES,
                          format_func={"constant": "constant", "cosine": "cosine",
                                       "one_cycle": "one-cycle"}.get)
batch = s[3].number_input("Batch size", 1, 4096, 32)
s2 = st.columns(4)
epochs = s2[0].number_input("Epochs", 1, 1000, 5)
weight_decay = s2[1].number_input("Weight decay", 0.0, 0.5, 0.0, format="%.5f", step=1e-4)
settings = TrainSettings(optimizer=optimizer, learning_rate=float(lr), schedule=schedule,
                         batch_size=int(batch), epochs=int(epochs),
                         weight_decay=float(weight_decay), seed=int(seed))


@st.cache_resource
def cpu_flops():
    return measure_cpu_flops()


analysis = analyze(prepared.spec)
per_epoch = estimate_epoch_seconds(analysis.totals.macs, len(prepared.x_train), cpu_flops())
s2[2].metric("Estimated time per epoch", f"≈ {per_epoch:.0f} s" if per_epoch >= 1
             else "< 1 s", help="rough: from the network's MACs and this CPU's measured "
                                "speed; the first epoch also compiles the model")
st.caption(f"Training memory for a batch of {settings.batch_size}: about "
           f"{human(analysis.memory(settings.batch_size).total, 'B')} "
           "(runs that would not fit are refused before they start).")

if s2[3].button("Train", type="primary", width="stretch"):
    try:
        run_id = submit_run(store, prepared.spec.replace(name=spec.name), choice.to_dict(),
                            settings.to_dict())
    except (DataError, SettingsError) as exc:
        st.error(str(exc))
    else:
        st.session_state["watch_run"] = run_id
        st.session_state["watch_started"] = time.time()

# ------------------------------------------------------------------------- watch
run_id = st.session_state.get("watch_run")
if run_id is None:
    active = [r for r in store.list() if r.active]
    run_id = active[0].id if active else None
if run_id and store.get(run_id):
    run = store.get(run_id)

    @st.fragment(run_every=1.0 if run.active else None)
    def watch():
        r = store.get(run_id)
        if r is None:
            return
        st.subheader(f"Run {r.id} · {r.name}")
        pos = store.queue_position(r.id)
        status = r.status + (f" (waiting: {pos} ahead)" if r.status == "queued" and pos
                             else "")
        done = store.metrics(r.id, "batch")
        total = max(r.total_steps, 1)
        step = done[-1]["step"] if done else 0
        ips = next((m["images_per_second"] for m in reversed(done)
                    if m["images_per_second"]), None)
        cols = st.columns([3, 1, 1, 1])
        eta = ""
        if r.active and done and ips:
            remaining = (total - step) * r.settings.get("batch_size", 1) / ips
            eta = f" · about {remaining:.0f} s left"
        cols[0].progress(min(step / total, 1.0),
                         text=f"{status} · step {step} of {r.total_steps or '?'}{eta}")
        cols[1].metric("Images / s", f"{ips:,.0f}" if ips else "—")
        cols[2].metric("Epochs", f"{r.epochs_done} / {r.settings.get('epochs')}")
        if r.active and cols[3].button("Stop", key=f"stop_{r.id}", width="stretch"):
            store.request_stop(r.id)
            st.toast("Stopping after this batch; what was learned is kept.")
        if r.error:
            st.error(r.error)
        st.plotly_chart(training_views.curves(store, [r]), width="stretch",
                        key=f"curves_{r.id}")
        if not r.active and run.active:
            st.rerun()  # the run ended: redraw the page once, without polling

    watch()
    if not run.active:
        st.session_state["selected_run"] = run_id
        st.page_link("pages/runs.py", label="Results, confusion matrix and downloads: Runs",
                     icon=":material/arrow_forward:")
