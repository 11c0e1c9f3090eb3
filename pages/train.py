"""Train: the live run at the top, then data and settings, and one Train button."""

import streamlit as st

from resnet_core.analysis import human
from resnet_core.data import MAX_SUBSET, SOURCES, VAL_SPLITS, DataChoice, DataError
from resnet_core.data.uploads import stage_upload
from resnet_core.devices import describe_device, training_defaults
from resnet_core.limits import fmt_shape
from resnet_core.pretrained import keras_twin, required_fit
from resnet_core.training import SettingsError, TrainSettings
from resnet_core.training.estimate import estimate_run
from resnet_core.training.settings import SHORT_RUN_MOMENTUM
from resnet_core.training.submit import check_plan, submit_run
from ui import common, presentation, router, state, training_views
from ui.training_form import (
    RememberedForm,
    choose_source,
    open_store,
    option_input,
    plan_cached,
    source_settings,
    start,
    watched_panels,
)

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

# The action bar: what will train, how long it takes, and the Train button. It is filled
# once the data and settings below are read.
bar = st.container(border=not talk)

# Every setting is drawn on every run, whatever the data source and whether its data is
# there yet (an upload not chosen, a file refused): the form's layout never changes with
# the source, and no widget is left out of a run, so none can come back showing a value
# other than the one the run will use.
form = presentation.settings_container("Data and settings")
form.subheader("Data")
c = form.columns([2, 1, 1, 1])
names = list(SOURCES)
source = choose_source(
    c[0], "Dataset", names, key=mem.field("data_source", names[0], names), **mem.PERSIST
)
subset = c[1].number_input(
    "Images to use (0: all)",
    0,
    MAX_SUBSET,
    step=100,
    **mem.PERSIST,
    key=mem.field("subset", defaults.images, lo=0, hi=MAX_SUBSET),
)
val_split = c[2].slider(
    "Validation share",
    *VAL_SPLITS,
    step=0.05,
    **mem.PERSIST,
    key=mem.field("val_split", DataChoice.val_split, lo=VAL_SPLITS[0], hi=VAL_SPLITS[1]),
)
seed = option_input(c[3], "seed", "Seed", mem)
FIT_LABELS = {
    "adapt": "adapt the network's input to the data",
    "resize": "resize the data to the network's input",
}
fit_key = mem.field("fit", "adapt", ("adapt", "resize"))
fit = st.session_state[fit_key]  # the person's choice; the radio is drawn once the plan
fit_slot = form.empty()  # says which fit works for this data and network (fit_radio)
augment = form.checkbox(
    "Light augmentation (shifts; flips for colour images)",
    key=mem.field("augment", False),
    **mem.PERSIST,
)
extra = source_settings(form, source, mem)
data_slot = form.container()  # the upload, then what the data is (or why it is not)

form.subheader("Settings")
s = form.columns(4)
optimizer = option_input(
    s[0],
    "optimizer",
    "Optimizer",
    mem,
    format_func={"sgd": "SGD + momentum", "adam": "Adam", "adamw": "AdamW"}.get,
)
lr = option_input(s[1], "learning_rate", "Learning rate", mem, format="%.5f", step=1e-4)
schedule = option_input(
    s[2],
    "schedule",
    "Schedule",
    mem,
    format_func={"constant": "constant", "cosine": "cosine", "one_cycle": "one-cycle"}.get,
)
batch = option_input(s[3], "batch_size", "Batch size", mem, default=defaults.batch_size)
s2 = form.columns(4)
epochs = option_input(s2[0], "epochs", "Epochs", mem, default=defaults.epochs)
weight_decay = option_input(s2[1], "weight_decay", "Weight decay", mem, format="%.5f", step=1e-4)
if spec.layer_settings.l2:  # the source's regulariser is the network's, not this form's
    form.caption(
        f"This network also adds an L2 penalty of {spec.layer_settings.l2:g} on "
        "its kernels to the loss: a layer setting of the network (Compose), apart "
        "from the optimizer's decoupled weight decay above."
    )
mixed = option_input(
    s2[2],
    "mixed_precision",
    "Mixed precision",
    mem,
    help="float16 compute with float32 weights: faster on a GPU, slower "
    "on a CPU. auto: on where there is a GPU.",
)
xla = option_input(
    s2[3],
    "xla",
    "XLA",
    mem,
    help="XLA compilation fuses the step's operations: faster on a GPU "
    "after a longer first step. auto: on where there is a GPU.",
)
s3 = form.columns(2)
batchnorm = option_input(
    s3[0],
    "batchnorm",
    "BatchNorm momentum",
    mem,
    format_func={
        "short_run": f"{SHORT_RUN_MOMENTUM} (short runs)",
        "network": f"the network's own ({spec.layer_settings.bn_momentum:g})",
    }.get,
    help="How fast BatchNorm's moving statistics follow the batches. The sources' "
    "0.99 or 0.999 needs thousands of steps to settle; a short run validates better "
    "with 0.9. A training setting, recorded with the run: the network is unchanged.",
)
initial_weights = "none"
if twin := keras_twin(spec):  # only where Keras Applications has this network's weights
    initial_weights = option_input(
        s3[1],
        "initial_weights",
        "Start from",
        mem,
        format_func={
            "none": "random weights",
            "imagenet": "ImageNet, all layers train",
            "imagenet_frozen": "ImageNet, classifier only",
        }.get,
        help="Fine-tuning: the body keeps what it learnt on ImageNet. Training every "
        "layer wants a small learning rate (about 1e-4); training only the "
        "classifier is faster (no gradients through the body) and cannot spoil it.",
    )
    form.caption(
        f"ImageNet weights: {twin}'s from Keras Applications with a new classifier "
        "for these classes, on images resized to its input. Keras downloads them "
        "once (~/.keras/models) when you click Train; offline, the run is refused."
    )
memory_slot = form.empty()
mem.save()
if note := mem.note():
    form.info(common.escape_md(note), icon=":material/history:")
# The run's settings: the one value the boxes, the action bar, the memory line and the
# estimate read, and the one that is queued.
settings = TrainSettings(
    optimizer=optimizer,
    learning_rate=float(lr),
    schedule=schedule,
    batch_size=int(batch),
    epochs=int(epochs),
    weight_decay=float(weight_decay),
    seed=int(seed),
    mixed_precision=mixed,
    xla=xla,
    batchnorm=batchnorm,
    initial_weights=initial_weights,
)

# ------------------------------------------------------------------------- the data
plan, waiting, data_error = None, "", ""
if source.file:
    up = data_slot.file_uploader(source.file.label, type=list(source.file.types))
    if up is None:
        waiting = "Choose a file to train on your own data."
    else:
        try:  # checked, then kept as plain arrays with class names: what the worker reads
            extra[source.file.option] = str(
                stage_upload(up.getvalue(), up.name, store.home / "uploads")
            )
        except DataError as exc:
            data_error = str(exc)
if not (waiting or data_error):
    choice = DataChoice(
        source=source.name,
        subset=int(subset),
        val_split=float(val_split),
        fit=fit,
        augment=augment,
        seed=int(seed),
        options=extra,
    )
    try:
        plan = plan_cached(choice.to_dict(), spec.to_json(), initial_weights)
    except DataError as exc:
        data_error = str(exc)

# The fit radio: the person's choice, or, when that fit cannot work here (or the initial
# weights need the other), the fit used, fixed, with why (the choice is kept for later).
used = plan.choice.fit if plan else fit
if used == fit:
    forced = required_fit(spec, initial_weights)
    fit_slot.radio(
        "When the data and the network's input differ",
        list(FIT_LABELS),
        horizontal=True,
        disabled=bool(forced),
        format_func=FIT_LABELS.get,
        help=plan.note if plan and forced else None,
        key=fit_key,
        **mem.PERSIST,
    )
else:
    fit_slot.radio(
        "When the data and the network's input differ",
        list(FIT_LABELS),
        index=list(FIT_LABELS).index(used),
        horizontal=True,
        disabled=True,
        format_func=lambda f: FIT_LABELS[f] + (" (not possible here)" if f != used else ""),
        help=plan.note,
        key="fit_used",
    )

estimate = problem = None
if plan is not None:
    prepared = plan.prepared
    data_slot.caption(
        f"{len(prepared.x_train):,} training and {len(prepared.x_val):,} "
        f"validation images, {len(prepared.class_names)} classes; the network "
        f"takes {fmt_shape(plan.spec.input_shape)}."
    )
    if not talk:
        data_slot.image(
            [training_views.upscale(img) for img in prepared.x_train[:16]],
            width=64,
            caption=[str(prepared.class_names[y]) for y in prepared.y_train[:16]],
        )
    estimate = estimate_run(
        [plan.spec],
        len(prepared.x_train),
        len(prepared.x_val),
        settings.batch_size,
        settings.epochs,
        settings.steps,
    )
    memory_slot.caption(
        f"Training memory for a batch of {settings.batch_size}: about "
        f"{human(estimate.memory_bytes, 'B')} (runs that would not fit are "
        "refused before they start)."
    )
    try:
        check_plan(plan, settings)
    except SettingsError as exc:
        problem = str(exc)
else:
    memory_slot.caption(
        f"Training memory for a batch of {settings.batch_size}: shown once "
        "the data is chosen (the network's input follows it)."
    )

with bar:
    info, per_epoch, total, action = st.columns([3, 1, 1, 1], vertical_alignment="center")
    shown = plan.spec if plan else spec
    data_words = (
        f"{len(plan.prepared.x_train):,} training images ({source.short}, as "
        f"{fmt_shape(shown.input_shape)})"
        if plan
        else f"{source.short}: no data yet"
    )
    info.markdown(
        f"**{common.escape_md(spec.name)}** · {data_words} · "
        f"{settings.epochs} epochs · batch {settings.batch_size}"
        + (" · from ImageNet weights" if initial_weights != "none" else "")
        + f" · {device}"
    )
    if plan and plan.note:
        info.caption(common.escape_md(plan.note))
    rough = (
        ""
        if device.startswith("CPU")
        else (" On a GPU this estimate is rough: its constants were fitted on a CPU.")
    )
    if estimate:
        dur = training_views.duration
        per_epoch.metric(
            "Per epoch",
            dur(estimate.epoch_seconds + estimate.validation_seconds),
            help=f"Estimated before starting ({estimate.basis}): training "
            "steps and validation. While a run trains, its time left "
            "comes from its measured speed." + rough,
        )
        total.metric(
            "In all",
            dur(estimate.total_seconds),
            help=f"{estimate.summary().capitalize()}. The first step compiles "
            "the network (traces the step and its gradients): seconds for a "
            "small network, tens of seconds for a large one." + rough,
        )
    if waiting:
        st.info(waiting, icon=":material/upload_file:")
    elif data_error:
        st.error(common.escape_md(data_error))
    elif problem:
        st.warning(common.escape_md(f"This run cannot start: {problem}."), icon=":material/block:")
    else:
        if long := estimate.warning("CPU" if device.startswith("CPU") else "device"):
            st.info(common.escape_md(long), icon=":material/schedule:")
        if not (talk and busy):  # in a talk, one primary button: Stop while a run trains
            if action.button(
                "Train", type="primary", width="stretch", icon=":material/play_arrow:"
            ):
                start(store, lambda: [submit_run(store, plan, settings.to_dict())], "watch_train")
if not talk:
    form.caption(defaults.note)
