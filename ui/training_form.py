"""What the Train and Race pages share: cached run plans and the panels of watched runs."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

from resnet_core import ArchitectureSpec
from resnet_core.data import SOURCES, DataChoice, DataError, DataSource
from resnet_core.faults import USER_FAULTS
from resnet_core.training import SettingsError
from resnet_core.training.queue import check_room, still_waiting
from resnet_core.training.settings import OPTION, remembered_value
from resnet_core.training.store import RunStore
from resnet_core.training.submit import RunPlan, check_plan, plan_run, race_plans
from resnet_core.training.worker import ensure_worker

from . import router, training_views
from .common import escape_md


@st.cache_resource(max_entries=8, show_spinner="Preparing the data…")
def plan_cached(choice: dict, spec_json: str, initial_weights: str = "none") -> RunPlan:
    """:func:`plan_run`, once per (data choice, network, initial weights): resized images
    can be large, so the plan is shared, not copied, between reruns."""
    return plan_run(
        ArchitectureSpec.from_json(spec_json),
        DataChoice.from_dict(choice),
        initial_weights=initial_weights,
    )


@st.cache_resource(max_entries=4, show_spinner="Preparing the data…")
def race_plans_cached(choice: dict, *spec_jsons: str) -> list[RunPlan]:
    return race_plans(
        [ArchitectureSpec.from_json(j) for j in spec_jsons], DataChoice.from_dict(choice)
    )


def open_store() -> RunStore:
    """The run store, with dead workers' runs marked failed and a worker started (warm:
    TensorFlow is loaded before a button is pressed)."""
    store = RunStore()
    if store.notice:  # runs.db was rebuilt from the run folders: say so once
        st.toast(escape_md(store.notice), icon=":material/build:")
    store.reap()
    ensure_worker(store.home)
    return store


QUEUED_JOBS = "queued_jobs"  # this session's submissions (run ids each), for the queue's cap


def room_for_another(store: RunStore) -> bool:
    """Whether this session may queue one more job (training.queue.check_room); when not,
    the refusal is shown and False returned."""
    try:
        check_room(store, st.session_state.get(QUEUED_JOBS, []))
    except SettingsError as exc:
        st.error(escape_md(str(exc)))
        return False
    return True


def note_queued(store: RunStore, ids: list[str]) -> None:
    """Count the job ``ids`` against this session's cap; jobs that have started drop out."""
    waiting = still_waiting(store, st.session_state.get(QUEUED_JOBS, []))
    st.session_state[QUEUED_JOBS] = [*waiting, ids]


def start(store: RunStore, submit: Callable[[], list[str]], watch_key: str) -> None:
    """Queue what ``submit`` queues (it returns the run ids), wake the worker, and watch
    the runs: the page redraws with their panel at the top. A refusal is shown as is,
    one for a session that already has the most jobs waiting that one may queue too."""
    if not room_for_another(store):
        return
    try:
        ids = submit()
    except (DataError, SettingsError, *USER_FAULTS) as exc:  # nothing was queued
        st.error(escape_md(str(exc)))
        return
    ensure_worker(store.home)
    note_queued(store, ids)
    st.session_state[watch_key] = ids
    st.rerun()


def watched_panels(store: RunStore, watch_key: str) -> bool:
    """Live panels for every active run (a race is one panel, both networks on one
    chart), whatever network is selected; with none active, the runs this session
    started last (``st.session_state[watch_key]``). Returns whether any run is active."""
    active = [r for r in reversed(store.list()) if r.active]
    groups: dict[str, list[str]] = {}
    for r in active:
        # A group in the order it was queued (a race: the residual network first), the
        # same order, hence the same colours, as once it has ended: runs created in the
        # same instant come from list() in no fixed order.
        groups.setdefault(r.group_id or r.id, [g.id for g in store.group(r.group_id)] or [r.id])
    for key, ids in groups.items():
        with st.container(border=True):
            training_views.live_panel(store, ids, key=key)
    if groups:
        return True
    watched = [i for i in st.session_state.get(watch_key, []) if store.get(i)]
    if watched:
        with st.container(border=True):
            training_views.live_panel(store, watched, key=f"done_{watched[0]}")
            st.session_state["selected_run"] = watched[0]
            router.page_link(
                "pages/runs.py",
                "Results, confusion matrix, replay and downloads: Runs",
                icon=":material/arrow_forward:",
            )
    return False


class RememberedForm:
    """The Train page's settings, kept in ``train_form.json`` under the explorer's home, so
    that a reload (during a run too) or a return to the page shows what was set last.

    Each widget gets its value through session state (:meth:`field` before the widget,
    no ``value=`` argument). A remembered value is checked when read: a training option
    against its entry in ``settings.OPTIONS``, any other against the choices or bounds
    given; one that does not fit any more is replaced by the default and said in
    :attr:`notes` (never shown as if the person had chosen it).

    The widgets are drawn with ``persist_state="session"``: when a widget is not drawn
    in a run (a page stopped early, another source's settings), Streamlit keeps its value
    and, when it is drawn again, sends that value to the browser. Without it the browser
    re-created the widget at its own default (a number input's minimum, a selectbox's
    first option) while the server kept the old value, and the next click sent the
    browser's defaults back as the person's choice (issue 18, item 1).
    """

    FILE = "train_form.json"
    PERSIST = {"persist_state": "session"}  # the keyword every remembered widget takes

    def __init__(self, home: Path):
        self.path = Path(home) / self.FILE
        self.keys: list[str] = []
        self.notes: list[str] = []
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            saved = {}
        self.saved = saved if isinstance(saved, dict) else {}

    def field(self, key: str, default: Any, options=None, lo=None, hi=None) -> str:
        """The widget key ``key``, its session value set from memory or ``default``."""
        self.keys.append(key)
        if key not in st.session_state:
            value, problem = default, ""
            if key in self.saved:
                value, problem = self.checked(key, self.saved[key], default, options, lo, hi)
            if problem:
                self.notes.append(problem)
            st.session_state[key] = value
        return key

    @staticmethod
    def checked(
        key: str, value: Any, default: Any, options=None, lo=None, hi=None
    ) -> tuple[Any, str]:
        """``(value, problem)``: ``value`` when it still fits, else ``default`` and why."""
        if key in OPTION:
            value, problem = remembered_value(key, value, default)
            if not problem and options is not None and value not in options:
                problem = f"{OPTION[key].label} {value!r} is not offered here"
            return (default, problem) if problem else (value, "")
        if isinstance(default, float) and type(value) is int:
            value = float(value)  # JSON writes 1.0 as 1
        fits = (
            type(value) is type(default)
            and (options is None or value in options)
            and (lo is None or value >= lo)
            and (hi is None or value <= hi)
        )
        return (
            (value, "")
            if fits
            else (default, f"{key.replace('_', ' ')} {value!r} is not offered here")
        )

    def note(self) -> str:
        """One line for the page when remembered values were set aside (else empty)."""
        if not self.notes:
            return ""
        return (
            "Some remembered settings no longer fit and were reset to their defaults: "
            + "; ".join(self.notes)
            + "."
        )

    def save(self) -> None:
        """Remember the current values (only when they changed)."""
        values = {k: st.session_state[k] for k in self.keys if k in st.session_state}
        if values == {k: self.saved.get(k) for k in values}:
            return
        merged = {**self.saved, **values}
        tmp = self.path.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(merged), encoding="utf-8")
            os.replace(tmp, self.path)  # never a half-written file
        except OSError:
            return  # a read-only home: the form still works, it just forgets
        self.saved = merged


def option_input(
    container,
    field: str,
    label: str,
    mem: RememberedForm | None = None,
    default: Any = None,
    key: str = "",
    **kwargs,
) -> Any:
    """The control of the training option ``field``: its choices or bounds are those of
    ``settings.OPTIONS`` (the one table the command line and the checks read too), so a
    page can offer nothing the run would refuse for being out of bounds (an excluded
    bound, as a learning rate of 0, is refused with the option's message).

    With ``mem`` the value is remembered under ``field``; without, it starts at
    ``default`` (the option's own when None) under the widget key ``key``.
    """
    o = OPTION[field]
    kwargs.setdefault("help", o.help[:1].upper() + o.help[1:] + ".")  # the --help text
    default = o.default if default is None else default
    if mem is not None:
        kwargs.update(key=mem.field(field, default, o.choices or None), **mem.PERSIST)
    else:
        kwargs.update(key=key or field)
        if o.choices:
            kwargs["index"] = o.choices.index(default)
        else:
            kwargs["value"] = o.kind(default)
    if o.choices:
        return container.selectbox(label, o.choices, **kwargs)
    return container.number_input(label, o.kind(o.low), o.kind(o.high), **kwargs)


def choose_source(container, label: str, names: list[str], **kwargs) -> DataSource:
    """A chooser of the registry's sources ``names``, labelled as the registry says."""
    return SOURCES[
        container.selectbox(label, names, format_func=lambda k: SOURCES[k].label, **kwargs)
    ]


def source_settings(
    form, source: DataSource, mem: RememberedForm | None = None, key: str = ""
) -> dict[str, int]:
    """A number input, in one row of ``form``, for each of ``source``'s own settings;
    returns their values by option name. With ``mem``, each is remembered under its
    key (``shapes_classes``); without, it starts at the source's default."""
    if not source.options:
        return {}
    cols = form.columns(max(3, len(source.options)))  # three or more: a shared width
    return {
        o.name: int(
            col.number_input(
                o.label,
                o.lo,
                o.hi,
                step=o.step,
                help=o.help,
                **(
                    {"key": mem.field(source.key(o), o.default, lo=o.lo, hi=o.hi), **mem.PERSIST}
                    if mem
                    else {"value": o.default, "key": f"{key}{source.key(o)}"}
                ),
            )
        )
        for o, col in zip(source.options, cols)
    }


def group_check(plans, settings, estimate, what: str, note_slot) -> str:
    """Check every plan of a race or the degradation group against ``settings``: the
    refusal (shown as a warning saying ``what`` cannot start) or "" with the long-run
    warning, if any, in ``note_slot``. One rule for both pages."""
    try:
        for plan in plans:
            check_plan(plan, settings)
    except SettingsError as exc:
        st.warning(escape_md(f"{what} cannot start: {exc}."), icon=":material/block:")
        return str(exc)
    if long := estimate.warning():
        note_slot.info(escape_md(long), icon=":material/schedule:")
    return ""
