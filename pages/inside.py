"""Inside the networks: lesion study, loss landscape and what each block adds, for a
trained run or a race's two networks.

The figures are computed by the command line in a child process (a
:class:`resnet_core.child.Job`: the server never imports TensorFlow), kept in each run's
folder, and drawn from there; a computation shows its progress and can be stopped.
"""

import streamlit as st

from resnet_core import get_spec
from resnet_core.child import Job
from resnet_core.data import MAX_SUBSET, DataChoice, DataError
from resnet_core.experiments import (
    EXPERIMENTS,
    cached,
    describe,
    estimate_seconds,
    finished_pairs,
    key_for,
)
from resnet_core.experiments import landscape as landscape_core
from resnet_core.experiments import lesion as lesion_core
from resnet_core.experiments import responses as responses_core
from resnet_core.experiments.runs import validation_images, why_not_usable
from resnet_core.training import TrainSettings
from resnet_core.training.estimate import duration
from resnet_core.training.submit import submit_race
from ui import common, presentation, router
from ui import experiments as figures
from ui.training_form import open_store, race_plans_cached, start, watched_panels

router.ensure_router()

WATCH = "watch_race"  # a pair trained here is a race: the Race page shows it too
SMALL_PAIR = ("cifar_resnet20", "cifar_plain20")
SMALL_EPOCHS = 5

store = open_store()
talk = presentation.talk_mode()
st.title("Inside the networks")
if not talk:
    st.markdown(
        "Three experiments that showed *why* skip connections work, run on networks you "
        "trained: delete blocks at test time (Veit et al. 2016), walk the loss around the "
        "trained weights (Li et al. 2018), and measure what each block adds (He et al. "
        "2015). A race gives a residual network and its plain twin; any other run works "
        "on its own."
    )


def label(runs) -> str:
    names = "  vs  ".join(r.name for r in runs)
    return f"{names} · {runs[0].id}"


pairs = finished_pairs(store)
singles = [
    [r]
    for r in store.list()
    if not why_not_usable(store, r) and not any(r.id == p.id for pair in pairs for p in pair)
]
choices = {tuple(r.id for r in group): group for group in pairs + singles}


def offer_small_pair() -> None:
    """The button that trains a residual network and its plain twin here: the lesion's
    and the landscape's contrast needs a pair, and a page with none offers one."""
    busy = watched_panels(store, WATCH)
    st.info(
        ("No trained network to look inside yet. " if not choices else "No finished pair yet. ")
        + f"Train a small pair here: {SMALL_PAIR[0]} and its plain twin on the digits, "
        f"{SMALL_EPOCHS} epochs (a few minutes on two CPU cores); the experiments open "
        "when it has finished."
    )
    if not busy and st.button("Train a small pair", type="primary", icon=":material/sprint:"):
        spec, partner = (get_spec(n) for n in SMALL_PAIR)
        settings = TrainSettings(epochs=SMALL_EPOCHS, batch_size=32, log_every=5)
        try:
            plans = race_plans_cached(
                DataChoice(source="digits").to_dict(), spec.to_json(), partner.to_json()
            )
        except DataError as exc:
            st.error(common.escape_md(str(exc)))
            st.stop()
        start(store, lambda: submit_race(store, plans, settings.to_dict()), WATCH)


if not choices:
    offer_small_pair()
    st.stop()

wanted = tuple(st.session_state.get("inside_runs") or ())
keys = list(choices)
if wanted and wanted not in choices:  # one run of a pair asked for: the pair
    keys_with = [k for k in keys if set(wanted) <= set(k)]
    wanted = keys_with[0] if keys_with else ()
# In a talk the experiment's collapsed settings share the choice's row (the networks' box
# keeps a whole row: its run names are long): the sentence and the charts get the room.
TALK_CHART_PX = 290  # two charts side by side under the sentence, on a 720 px screen
chart_px = TALK_CHART_PX if talk else None
with presentation.settings_container("Networks"):
    pick = st.selectbox(
        "Trained networks",
        keys,
        index=keys.index(wanted) if wanted else 0,
        format_func=lambda k: label(choices[k]),
        help="A race's two networks (residual first), or one run. Runs "
        "that are still training, or have no checkpoint, are not "
        "listed.",
    )
st.session_state["inside_runs"] = list(pick)
runs = choices[pick]
ids = [r.id for r in runs]
if not pairs and not talk:
    with st.expander("Compare with a plain twin: train a small pair"):
        offer_small_pair()

# The validation images every run here holds (known when its data named a subset): the
# image index is bounded by it, and the boxes say it.
sizes = [n for n in (validation_images(r) for r in runs) if n is not None]
n_val = min(sizes) if len(sizes) == len(runs) else None
held_out = f" (these runs hold {n_val:,})" if n_val else ""
last_image = n_val - 1 if n_val else MAX_SUBSET - 1  # a whole source: the core checks it

names = {
    "lesion": "Lesion study",
    "landscape": "Loss landscape",
    "responses": "What each block adds",
}
row = st.columns([7, 4], vertical_alignment="center") if talk else [st, None]
boxes = [None, row[1]]  # where the experiment's settings go
which = (
    row[0].segmented_control(
        "Experiment",
        list(names),
        format_func=names.get,
        default="lesion",
        key="inside_experiment",
        label_visibility="collapsed",
    )
    or "lesion"
)


def job_for(name: str, params: dict) -> Job:
    return Job(store.run_dir(ids[0]) / "experiments" / f"job-{key_for(name, params)}-{len(ids)}")


def cli_args(name: str, params: dict) -> list[str]:
    flags = [a for k, v in params.items() for a in (f"--{k}", str(v))]
    return [name, *ids, *flags, "--json"]


def about(name: str, params: dict) -> str:
    """``About 40 s on two CPU cores``: the core's estimate for these runs and settings."""
    return f"About {duration(estimate_seconds(name, runs, params))} on two CPU cores"


def run_or_watch(name: str, params: dict, estimate: str) -> list[dict] | None:
    """The results when kept; otherwise the button that computes them, or the running
    computation's progress and Stop."""
    results = cached(store, name, ids, params)
    if results is not None:
        return results
    job = job_for(name, params)
    state = job.state()
    if state.status == "running":

        @st.fragment(run_every=1.0)
        def watch():
            now = job.state()
            if now.status != "running":
                st.rerun()  # done, failed or stopped: the page draws what there is
            st.progress(
                now.fraction,
                text=common.escape_md(now.text or "starting TensorFlow and loading the networks…"),
            )
            if st.button("Stop", key=f"stop_{name}", icon=":material/stop_circle:"):
                job.stop()
                st.rerun()

        watch()
        return None
    if state.status == "failed":
        st.error(common.escape_md(state.error))
    elif state.status == "stopped":
        st.info("Stopped. Nothing is kept of a stopped computation; run it again when you like.")
    elif state.status == "done":  # finished, but the results went (a run trained on)
        st.warning(
            "The last computation's results are gone (the run was trained on or "
            "deleted); run it again."
        )
    if st.button(
        f"Run the {names[name].lower()}",
        type="primary",
        key=f"run_{name}",
        icon=":material/play_arrow:",
        width="stretch" if talk else "content",
    ):
        job.start(cli_args(name, params))
        st.rerun()
    st.caption(estimate)
    return None


def verdict(out: dict) -> None:
    """The result in one sentence, as the race states its own (presentation.headline)."""
    presentation.headline(out["sentence"], key=f"inside_{out['experiment']}")


def words(out: dict, params: dict) -> None:
    st.markdown(out["explanation"])
    st.caption(
        f"{common.escape_md(out['citation'])}. Command line: `python -m resnet_core "
        f"{' '.join(cli_args(out['experiment'], params))}`"
    )


if which == "lesion":
    with presentation.settings_container("Lesion settings", boxes[1]):
        c = st.columns(2)
        samples = c[0].number_input(
            "Random sets per k",
            1,
            lesion_core.MAX_SAMPLES,
            EXPERIMENTS["lesion"].defaults["samples"],
            help="how many random sets of k deleted blocks are averaged, for each k",
        )
        images = c[1].number_input(
            "Validation images",
            1,
            lesion_core.MAX_IMAGES,
            EXPERIMENTS["lesion"].defaults["images"],
            step=100,
            help="at most this many of the run's validation images" + held_out,
        )
    params = {"samples": int(samples), "images": int(images)}
    results = run_or_watch("lesion", params, about("lesion", params) + ".")
    if results:
        out = describe("lesion", results)
        verdict(out)
        c = st.columns(2)
        presentation.chart(
            figures.lesion_single(results), c[0], key="lesion_single", height=chart_px
        )
        presentation.chart(
            figures.lesion_random(results), c[1], key="lesion_random", height=chart_px
        )
        words(out, params)
elif which == "landscape":
    with presentation.settings_container("Landscape settings", boxes[1]):
        c = st.columns(2)
        lo, hi = landscape_core.GRID_LIMITS
        grid = c[0].select_slider(
            "Grid (points a side)",
            list(range(lo, hi + 1, 2)),
            EXPERIMENTS["landscape"].defaults["grid"],
            help="the loss is measured at grid × grid points around "
            "the trained weights, from −1 to 1 step",
        )
        images = c[1].select_slider(
            "Training images",
            [n for n in (64, 128, 256, 512, 1024, 2048) if n <= landscape_core.MAX_IMAGES],
            EXPERIMENTS["landscape"].defaults["images"],
        )
    params = {"grid": int(grid), "images": int(images)}
    results = run_or_watch(
        "landscape",
        params,
        about("landscape", params) + f" ({grid * grid:,} forward passes of at most "
        f"{images} images per network).",
    )
    if results:
        out = describe("landscape", results)
        verdict(out)
        presentation.chart(figures.landscape_slices(results), key="landscape_slices")
        presentation.chart(figures.landscape_contours(results), key="landscape_contours")
        if not talk:
            presentation.chart(figures.landscape_surfaces(results), key="landscape_surfaces")
        words(out, params)
else:
    with presentation.settings_container("Response settings", boxes[1]):
        c = st.columns(2)
        image = c[0].number_input(
            "Image (for the feature maps)",
            0,
            last_image,
            min(EXPERIMENTS["responses"].defaults["image"], last_image),
            help="which validation image the feature maps show" + held_out,
        )
        images = c[1].number_input(
            "Validation images (for the ratios and std)",
            1,
            responses_core.MAX_IMAGES,
            EXPERIMENTS["responses"].defaults["images"],
        )
    params = {"image": int(image), "images": int(images)}
    results = run_or_watch("responses", params, about("responses", params) + ".")
    if results:
        out = describe("responses", results)
        verdict(out)
        for r in results:
            st.markdown(
                f"**{'Residual' if r['residual'] else 'Plain'}: "
                f"{common.escape_md(r['network'])}**, image {r['image']} "
                f"(label {common.escape_md(str(r['label']))}): the strongest feature "
                "maps of each stage"
            )
            cols = st.columns(len(r["stages"]))
            for col, stage in zip(cols, r["stages"]):
                col.image(
                    figures.feature_map_images(stage),
                    width=72,
                    caption=[f"{stage['stage']} ch {m['channel']}" for m in stage["maps"]],
                )
        c = st.columns(2)
        presentation.chart(figures.block_ratios(results), c[0], key="block_ratios", height=chart_px)
        presentation.chart(figures.response_std(results), c[1], key="response_std", height=chart_px)
        words(out, params)
