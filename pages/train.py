"""Train: the live run at the top, then data and settings, and one Train button."""

import streamlit as st

from resnet_core.analysis import human
from resnet_core.limits import fmt_shape
from resnet_core.data import SOURCES, DataChoice, DataError
from resnet_core.data.uploads import stage_upload
from resnet_core.devices import describe_device, training_defaults
from resnet_core.pretrained import INITIAL_WEIGHTS, keras_twin
from resnet_core.training import SettingsError, TrainSettings
from resnet_core.training.estimate import estimate_epoch_seconds
from resnet_core.training.settings import (BATCHNORM_MODES, OPTIMIZERS, SCHEDULES,
                                           SHORT_RUN_MOMENTUM)
from resnet_core.training.submit import check_plan, submit_run
from ui import common, presentation, router, state, training_views
from ui.training_form import (RememberedForm, choose_source, open_store, plan_cached,
                              source_settings, start, watched_panels)

router.ensure_router()

spec = state.current_spec()
store = open_store()
device = describe_device()
defaults = training_defaults()
talk = presentation.talk_mode()
# Settings survive a reload and a page switch (the values last set, from the store's home).
mem = RememberedForm(store.home)

st.title("Train")
busy = watched_panels(store, "watch_train")

# The action bar: what will train, how long an epoch takes, and the Train button. It is
# filled once the data and settings below are read.
bar = st.container(border=not talk)

# ------------------------------------------------------------------------- data
form = presentation.settings_container("Data and settings")
form.subheader("Data")
c = form.columns([2, 1, 1, 1])
names = list(SOURCES)
source = choose_source(c[0], "Dataset", names, key=mem.field("data_source", names[0], names))
subset = c[1].number_input("Images to use (0: all)", 0, 100_000, step=100,
                           key=mem.field("subset", defaults.images, lo=0, hi=100_000))
val_split = c[2].slider("Validation share", 0.05, 0.5, step=0.05,
                        key=mem.field("val_split", 0.2, lo=0.05, hi=0.5))
seed = c[3].number_input("Seed", 0, 2**31 - 1, key=mem.field("seed", 0, lo=0, hi=2**31 - 1))
# ImageNet weights (chosen below: read on the rerun it causes, or from memory) were
# learnt at the network's own input: the data is resized to it.
chosen = st.session_state.get("initial_weights", mem.saved.get("initial_weights", "none"))
pretrained = chosen != "none" and bool(keras_twin(spec))
if pretrained:
    st.session_state["fit"] = "resize"
FIT_LABELS = {"adapt": "adapt the network's input to the data",
              "resize": "resize the data to the network's input"}
fit_key = mem.field("fit", "adapt", ("adapt", "resize"))
fit = st.session_state[fit_key]  # the person's choice; the radio is drawn once the plan
fit_slot = form.empty()  # says which fit works for this data and network (fit_radio)


def fit_radio(used: str | None = None, why: str = "") -> None:
    """The fit radio in its place: the person's choice, or, when that fit cannot work
    here, the fit used, fixed, with why (the choice itself is kept for other data)."""
    if used in (None, fit):
        fit_slot.radio("When the data and the network's input differ", list(FIT_LABELS),
                       horizontal=True, disabled=pretrained, format_func=FIT_LABELS.get,
                       help="ImageNet weights need the network's own input." if pretrained
                       else None, key=fit_key)
        return
    fit_slot.radio("When the data and the network's input differ", list(FIT_LABELS),
                   index=list(FIT_LABELS).index(used), horizontal=True, disabled=True,
                   format_func=lambda f: FIT_LABELS[f] + (" (not possible here)"
                                                          if f != used else ""),
                   help=why, key="fit_used")


augment = form.checkbox("Light augmentation (shifts; flips for colour images)",
                        key=mem.field("augment", False))
extra = source_settings(form, source, mem)
mem.save()  # now: an upload's page may stop below, before the settings
if source.file:
    up = form.file_uploader(source.file.label, type=list(source.file.types))
    if up is None:
        fit_radio()
        st.info("Choose a file to train on your own data.")
        st.stop()
    try:  # checked, then kept as plain arrays with class names: what the worker reads
        path = stage_upload(up.getvalue(), up.name, store.home / "uploads")
    except DataError as exc:
        fit_radio()
        st.error(common.escape_md(str(exc)))
        st.stop()
    extra[source.file.option] = str(path)

choice = DataChoice(source=source.name, subset=int(subset), val_split=float(val_split),
                    fit=fit, augment=augment, seed=int(seed), options=extra)
try:
    plan = plan_cached(choice.to_dict(), spec.to_json())
except DataError as exc:
    fit_radio()
    st.error(common.escape_md(str(exc)))
    st.stop()
fit_radio(plan.choice.fit, plan.note)

prepared = plan.prepared
form.caption(f"{len(prepared.x_train):,} training and {len(prepared.x_val):,} validation "
             f"images, {len(prepared.class_names)} classes; the network takes "
             f"{fmt_shape(plan.spec.input_shape)}.")
if not talk:
    form.image([training_views.upscale(img) for img in prepared.x_train[:16]], width=64,
               caption=[str(prepared.class_names[y]) for y in prepared.y_train[:16]])

# ------------------------------------------------------------------------- settings
form.subheader("Settings")
s = form.columns(4)
optimizer = s[0].selectbox("Optimizer", OPTIMIZERS,
                           format_func={"sgd": "SGD + momentum", "adam": "Adam",
                                        "adamw": "AdamW"}.get,
                           key=mem.field("optimizer", OPTIMIZERS[1], OPTIMIZERS))
lr = s[1].number_input("Learning rate", 1e-6, 10.0, format="%.5f", step=1e-4,
                       key=mem.field("learning_rate", 1e-3, lo=1e-6, hi=10.0))
schedule = s[2].selectbox("Schedule", SCHEDULES,
                          format_func={"constant": "constant", "cosine": "cosine",
                                       "one_cycle": "one-cycle"}.get,
                          key=mem.field("schedule", SCHEDULES[0], SCHEDULES))
batch = s[3].number_input("Batch size", 1, 4096,
                          key=mem.field("batch_size", defaults.batch_size, lo=1, hi=4096))
s2 = form.columns(4)
epochs = s2[0].number_input("Epochs", 1, 1000,
                            key=mem.field("epochs", defaults.epochs, lo=1, hi=1000))
weight_decay = s2[1].number_input("Weight decay", 0.0, 0.5, format="%.5f", step=1e-4,
                                  key=mem.field("weight_decay", 0.0, lo=0.0, hi=0.5))
mixed = s2[2].selectbox("Mixed precision", ["auto", "on", "off"],
                        help="float16 compute with float32 weights: faster on a GPU, "
                             "slower on a CPU. auto: on where there is a GPU.",
                        key=mem.field("mixed_precision", "auto", ("auto", "on", "off")))
xla = s2[3].selectbox("XLA", ["auto", "on", "off"],
                      help="XLA compilation fuses the step's operations: faster on a GPU "
                           "after a longer first step. auto: on where there is a GPU.",
                      key=mem.field("xla", "auto", ("auto", "on", "off")))
batchnorm = form.columns(2)[0].selectbox(
    "BatchNorm momentum", BATCHNORM_MODES,
    format_func={"short_run": f"{SHORT_RUN_MOMENTUM} (short runs)",
                 "network": f"the network's own ({spec.layer_settings.bn_momentum:g})"}.get,
    help="How fast BatchNorm's moving statistics follow the batches. The sources' "
         "0.99 or 0.999 needs thousands of steps to settle; a short run validates better "
         "with 0.9. A training setting, recorded with the run: the network is unchanged.",
    key=mem.field("batchnorm", BATCHNORM_MODES[0], BATCHNORM_MODES))
initial_weights = "none"
if twin := keras_twin(spec):  # only where Keras Applications has this network's weights
    initial_weights = form.columns(2)[0].selectbox(
        "Start from", INITIAL_WEIGHTS,
        format_func={"none": "random weights", "imagenet": "ImageNet, all layers train",
                     "imagenet_frozen": "ImageNet, classifier only"}.get,
        help="Fine-tuning: the body keeps what it learnt on ImageNet. Training every "
             "layer wants a small learning rate (about 1e-4); training only the "
             "classifier is faster (no gradients through the body) and cannot spoil it.",
        key=mem.field("initial_weights", INITIAL_WEIGHTS[0], INITIAL_WEIGHTS))
    form.caption(f"ImageNet weights: {twin}'s from Keras Applications with a new classifier "
                 "for these classes, on images resized to its input. Keras downloads them "
                 "once (~/.keras/models) when you click Train; offline, the run is refused.")
mem.save()
settings = TrainSettings(optimizer=optimizer, learning_rate=float(lr), schedule=schedule,
                         batch_size=int(batch), epochs=int(epochs),
                         weight_decay=float(weight_decay), seed=int(seed),
                         mixed_precision=mixed, xla=xla,
                         batchnorm=batchnorm, initial_weights=initial_weights)

estimate = estimate_epoch_seconds(plan.spec, len(prepared.x_train), settings.batch_size)
form.caption(f"Training memory for a batch of {settings.batch_size}: about "
             f"{human(estimate.memory_bytes, 'B')} (runs that would not fit are refused "
             "before they start).")

problem = None
try:
    check_plan(plan, settings)
except SettingsError as exc:
    problem = str(exc)

with bar:
    info, timing, action = st.columns([3, 1, 1], vertical_alignment="center")
    shape = fmt_shape(plan.spec.input_shape)
    info.markdown(f"**{common.escape_md(spec.name)}** · {len(prepared.x_train):,} "
                  f"training images ({source.short}, as {shape}) · "
                  f"{settings.epochs} epochs"
                  + (" · from ImageNet weights" if initial_weights != "none" else "")
                  + f" · {device}")
    if plan.note:
        info.caption(common.escape_md(plan.note))
    timing.metric("Per epoch", training_views.duration(estimate.seconds),
                  help=f"Estimated before starting ({estimate.basis}); the first epoch "
                       "also compiles the network. While a run trains, its time left "
                       "comes from its measured speed."
                       + ("" if device.startswith("CPU") else " On a GPU this estimate is "
                          "rough: its constants were fitted on a CPU."))
    if problem:
        st.warning(common.escape_md(f"This run cannot start: {problem}."),
                   icon=":material/block:")
    elif not (talk and busy):  # in a talk, one primary button: Stop while a run trains
        if action.button("Train", type="primary", width="stretch",
                         icon=":material/play_arrow:"):
            start(store, lambda: [submit_run(store, plan, settings.to_dict())],
                  "watch_train")
if not talk:
    form.caption(defaults.note)
