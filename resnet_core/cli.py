"""The command line: ``python -m resnet_core COMMAND``, the commands being
``presets|summary|export|compare|train|race|gradients|runs|lesion|landscape|responses``.

Errors print one clear line on stderr and exit with status 2; never a traceback.
TensorFlow's native log lines are kept out of stderr (:func:`quiet_native_logs`).
``train`` and ``race`` train in this process (recorded in the app's run store);
``train --workers N`` starts N of them on loopback, one cluster (``TF_CONFIG``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import stat
import sys
from dataclasses import replace
from pathlib import Path

from .analysis import analyze, human, summary_dict
from .data.sources import DEFAULT_SOURCE, SOURCES
from .experiments import ExperimentError
from .experiments.command import add_parsers as add_experiments
from .faults import named
from .limits import MAX_SPEC_BYTES
from .presets import PRESETS, get_spec
from .spec import ArchitectureSpec, SpecError
from .trace import fmt_shape

DATA_DEFAULTS = {"dataset": DEFAULT_SOURCE, "limit": 0, "fit": "adapt", "augment": False}


class UsageError(Exception):
    """A mistake of the user's, reported as one line."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its complaints on one line (no usage block) and exit status 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")


def one_line(text: str) -> str:
    """``text`` with control characters (a newline in an argument, say) and unpaired
    surrogates escaped, so a message stays one line and can always be printed."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _int_at_least(low: int):
    """An argparse type: an integer of at least ``low`` (argparse says what is wrong)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value

    return parse


def _option_type(option):
    """An argparse type for a training option: its kind, then its bounds."""

    def parse(text: str):
        try:
            value = option.kind(text)
        except ValueError:
            kind = "an integer" if option.kind is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {kind}, got {text!r}") from None
        problem = option.problem(value)
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return value

    return parse


def _option(field: str):
    """The training option ``field`` (``training.settings.OPTIONS``: its bounds)."""
    from .training.settings import OPTIONS

    return next(o for o in OPTIONS if o.field == field)


def _add_training_options(group, skip=()) -> None:
    """One flag per option of ``training.settings.OPTIONS`` (its home: bounds, choices,
    help and default); an option not given is absent from the parsed arguments."""
    from .training.settings import OPTIONS

    for o in OPTIONS:
        if o.field in skip:
            continue
        kw = {
            "dest": o.field,
            "default": argparse.SUPPRESS,
            "help": f"{o.help} (default: {o.default})",
        }
        if o.choices:
            kw["choices"] = o.choices
        else:
            kw.update(type=_option_type(o), metavar="N" if o.kind is int else "X")
        group.add_argument(f"--{o.field.replace('_', '-')}", *o.aliases, **kw)


def load_spec(source: str) -> ArchitectureSpec:
    """A preset name, or the path of a spec JSON file."""
    if source in PRESETS:
        return get_spec(source)
    path = Path(source)
    if path.suffix.lower() == ".json" or path.exists():
        text = read_spec_file(source)
        try:
            return ArchitectureSpec.from_json(text)
        except SpecError as exc:
            raise UsageError(f"{source}: invalid spec: {exc}") from None
        except (ValueError, RecursionError) as exc:  # JSON beyond Python's limits
            raise UsageError(
                f"{source}: not a spec this tool can read ({type(exc).__name__}: {str(exc)[:120]})"
            ) from None
    raise UsageError(
        f"{source!r} is neither a preset nor a spec file; presets: {', '.join(PRESETS)}"
    )


def read_spec_file(source: str, limit: int = MAX_SPEC_BYTES) -> str:
    """The text of the spec file ``source``. A folder, a device or a pipe is refused, and
    so is a file over ``limit`` bytes, before anything is read; at most ``limit`` + 1
    bytes are ever read (a file that grows meanwhile is refused too)."""
    try:  # non-blocking: opening a named pipe with no writer must not hang
        fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise UsageError(f"cannot read {source}: {_os_problem(exc)}") from None
    too_big = (
        f"{source} is over {limit:,} bytes; a spec file is at most "
        f"{limit / 2**20:g} MB. Is it the right file?"
    )
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UsageError(f"{source} is a folder; give the path of a spec .json file")
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(
                f"{source} is not a regular file (a device, pipe or socket); "
                "give the path of a spec .json file"
            )
        if info.st_size > limit:
            raise UsageError(too_big)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 16, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise UsageError(f"cannot read {source}: {_os_problem(exc)}") from None
    finally:
        os.close(fd)
    if size > limit:
        raise UsageError(too_big)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{source} is not UTF-8 text (byte {exc.start + 1}); a spec file is JSON"
        ) from None


def write_output(target: str, text: str) -> None:
    """Write ``text`` to the file ``target``; a folder, a missing folder or a refused
    write is the user's to fix, said in one line. A file this write created and could
    not finish (a full disk) is removed."""
    path = Path(target)
    if path.is_dir():
        raise UsageError(
            f"cannot write {target}: it is a folder; give a file name, for "
            f"example {path / 'net.json'}"
        )
    if not path.parent.is_dir():
        raise UsageError(
            f"cannot write {target}: the folder {path.parent} does not exist; create it first"
        )
    existed = path.exists()
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        if not existed and path.is_file():
            path.unlink(missing_ok=True)
        raise UsageError(f"cannot write {target}: {_os_problem(exc)}") from None


def _os_problem(exc: OSError) -> str:
    """What an OSError says, without its errno and path (the message names the path)."""
    return (exc.strerror or str(exc)).lower() if isinstance(exc, OSError) else str(exc)


def _override(spec: ArchitectureSpec, input_shape: str | None, classes: int | None):
    changes = {}
    if input_shape:
        try:
            shape = tuple(int(v) for v in input_shape.split(","))
        except ValueError:
            raise UsageError(
                f"--input-shape must be H,W,C (three integers), got {input_shape!r}"
            ) from None
        changes["input_shape"] = shape
    if classes is not None:
        changes["head"] = replace(spec.head, classes=classes)
    try:
        return replace(spec, **changes) if changes else spec
    except SpecError as exc:
        raise UsageError(f"invalid option: {exc}") from None


def cmd_presets(args) -> int:
    width = max(map(len, PRESETS))
    for name, preset in PRESETS.items():
        print(f"{name:<{width}}  {preset.description}")
    return 0


def cmd_summary(args) -> int:
    spec = _override(load_spec(args.spec), args.input_shape, args.classes)
    a = analyze(spec)
    if args.json:
        print(json.dumps(summary_dict(a, args.batch_size)))
        return 0 if a.ok else 1
    t = a.totals
    print(
        f"{spec.name}: {fmt_shape(spec.input_shape)} → "
        f"{fmt_shape(t.output_shape) if a.ok else '(cannot be built)'}"
    )
    print(f"{'stage':<10}{'blocks':>7}{'params':>14}{'MACs':>12}  output      RF")
    for s in a.stages():
        print(
            f"{s.stage:<10}{s.num_blocks:>7}{s.params:>14,}{human(s.macs):>12}  "
            f"{fmt_shape(s.output_shape):<11} {s.receptive_field}"
        )
    print(
        f"total params {t.total_params:,} (trainable {t.trainable_params:,}, "
        f"non-trainable {t.non_trainable_params:,}); MACs {human(t.macs)}; "
        f"depth {t.depth}"
    )
    if not a.ok:
        print(f"error: {a.error}", file=sys.stderr)
        return 1
    return 0


def cmd_export(args) -> int:
    spec = _override(load_spec(args.spec), args.input_shape, args.classes)
    if args.format == "json":
        text = spec.to_json() + "\n"
    else:
        from .codegen import to_python

        try:
            text = to_python(spec)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if args.output:
        write_output(args.output, text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_compare(args) -> int:
    """Two networks side by side, as the Compare page shows them."""
    from .compare import compare, to_text

    specs = []
    for tag, source in (("A", args.a), ("B", args.b)):
        try:
            specs.append(load_spec(source))
        except UsageError as exc:
            raise UsageError(f"{tag}: {exc}") from None
    a, b = analyze(specs[0]), analyze(specs[1])
    c = compare(a, b)
    print(json.dumps(c.to_dict()) if args.json else to_text(c))
    for tag, x in (("A", a), ("B", b)):
        if not x.ok:
            print(
                f"error: {tag} ({x.spec.name}) cannot be built: {one_line(x.error)}",
                file=sys.stderr,
            )
    return 0 if a.ok and b.ok else 1


def _new_run_settings(args) -> dict:
    """The training settings of the command line: each option given, else its default."""
    from .training.settings import OPTIONS

    return {o.field: getattr(args, o.field, o.default) for o in OPTIONS}


def _data_choice(args):
    from .data import DataChoice

    for s, o in _source_settings(args):
        if s.name != args.dataset:
            raise UsageError(
                f"--{s.key(o).replace('_', '-')} is a setting of --dataset "
                f"{s.name}, not of {args.dataset}; drop it or choose that dataset"
            )
    options = {o.name: getattr(args, s.key(o)) for s, o in _source_settings(args)}
    return DataChoice(
        source=args.dataset,
        subset=args.limit,
        fit=args.fit,
        augment=args.augment,
        seed=getattr(args, "seed", 0),
        options=SOURCES[args.dataset].settings(options),
    )


def _source_settings(args) -> list:
    """The data sources' own settings given on the command line, as (source, option)."""
    return [
        (s, o)
        for s in SOURCES.values()
        for o in s.options
        if getattr(args, s.key(o), None) is not None
    ]


ENDED_BADLY = ("failed", "diverged")  # a run that ends so makes a non-zero exit


def exit_status(summaries: list[dict]) -> int:
    """1 when any run of the command ended badly (in a race, its partner still trained
    to the end: a script sees that one went wrong), else 0."""
    return 1 if any(s["status"] in ENDED_BADLY for s in summaries) else 0


def _figure(value, fmt: str) -> str:
    """A stored figure as text; one that is missing (None: not finite) as "—"."""
    return "—" if value is None else format(value, fmt)


def _print_summary(summary: dict, as_json: bool) -> None:
    if as_json:
        return
    for h in summary.get("history", []):
        val = (
            ""
            if h["val_loss"] is None
            else f" val_loss {_figure(h['val_loss'], '.4f')} "
            f"val_acc {_figure(h['val_accuracy'], '.4f')}"
        )
        print(
            f"epoch {h['epoch'] + 1}: loss {_figure(h['loss'], '.4f')} "
            f"acc {_figure(h['accuracy'], '.4f')}{val} "
            f"({h['images_per_second'] or 0:.0f} img/s)"
        )
    compiled = summary.get("compile_seconds")
    print(
        f"run {summary['run_id']} ({summary.get('name')}): {summary['status']} on "
        f"{summary.get('device')}"
        + (f" (compiling and the first step: {compiled:.1f} s)" if compiled else "")
    )
    if summary["status"] in ENDED_BADLY:
        error = summary.get("error") or ""
        print(error if error.startswith(summary["status"]) else f"error: {error}", file=sys.stderr)


def _note(args, text: str) -> None:
    """A line for the person at the terminal (stderr under --json: stdout is the JSON)."""
    print(text, file=sys.stderr if args.json else sys.stdout, flush=True)


def _plan(args, settings: dict):
    """The checked plan of a new run (network, data and settings), or a UsageError."""
    from .data import DataError
    from .training import SettingsError, TrainSettings
    from .training.submit import check_plan, plan_run

    spec = load_spec(args.spec)
    try:
        train = TrainSettings.from_dict(settings)
        plan = plan_run(spec, _data_choice(args), initial_weights=train.initial_weights)
        check_plan(plan, train, fetch=True)
    except (DataError, SettingsError) as exc:
        raise UsageError(str(exc)) from None
    return plan, train


def _estimate_note(args, plans, train) -> None:
    """The run's estimated time before it starts (compiling included), and a plain
    warning when it will take many minutes on this machine."""
    from .training.estimate import estimate_run

    prepared = plans[0].prepared
    e = estimate_run(
        [p.spec for p in plans],
        len(prepared.x_train),
        len(prepared.x_val),
        train.batch_size,
        train.epochs,
        train.steps,
    )
    _note(args, e.warning() or f"estimated: {e.summary()}.")


TRAINS_HERE = (
    "trains in this process, now, not through the app's one-at-a-time queue: "
    "the run is stored and shown in the app like any other, and Stop there "
    "(or Ctrl-C here) stops it after the current step, keeping a checkpoint"
)


def cmd_train(args) -> int:
    from .training import RunStore
    from .training.distributed import (
        ClusterError,
        check_batch,
        cluster_from_env,
        launch,
        scratch_home,
    )

    try:
        cluster = cluster_from_env()
    except ClusterError as exc:
        raise UsageError(str(exc)) from None
    workers = getattr(args, "workers", None)
    if cluster and workers not in (None, cluster.size):
        raise UsageError(
            f"--workers {workers} but TF_CONFIG names {cluster.size} workers; "
            "drop --workers or make them agree"
        )
    if args.resume:
        if cluster or (workers or 1) > 1:
            raise UsageError(
                "a run is resumed by one process; drop --workers (and "
                "TF_CONFIG): its checkpoint trains on like any other"
            )
        return _resume(args)
    if args.spec is None:
        raise UsageError(
            "name the network to train (a preset or a spec .json file), or --resume RUN_ID"
        )
    if hasattr(args, "steps") and hasattr(args, "epochs"):
        raise UsageError("give --epochs or --steps, not both")
    settings = _new_run_settings(args)
    settings["workers"] = cluster.size if cluster else (workers or 1)
    plan, train = _plan(args, settings)
    try:
        check_batch(train.batch_size, train.workers)
    except ClusterError as exc:
        raise UsageError(str(exc)) from None
    if cluster is None and train.workers > 1:  # N local processes, each one of a cluster
        return launch(args.argv, train.workers, note=lambda text: _note(args, text))
    from .training.submit import submit_run

    chief = cluster is None or cluster.chief
    scratch = None if chief else scratch_home()  # the others keep nothing
    store = RunStore(scratch)
    try:
        run_id = submit_run(store, plan, train.to_dict())
        if not store.claim(run_id, os.getpid()):  # the app's worker took it first
            _note(args, f"run {run_id} was taken by the app's worker; follow it there")
            return 0
        if plan.note:
            _note(args, plan.note)
        if cluster is not None:
            _note(
                args,
                f"{cluster.task_type} {cluster.task_index} of a cluster of "
                f"{cluster.size} (TF_CONFIG): "
                + ("the chief" if chief else "the chief records the run"),
            )
        if chief:
            _note(args, f"run {run_id}: {TRAINS_HERE}.")
            _estimate_note(args, [plan], train)
            _busy_note(args, store)
        return _train_here(args, store, run_id)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _resume(args) -> int:
    from .training import RunStore, SettingsError, TrainSettings

    for flag, given in (
        ("a network", args.spec is not None),
        ("--dataset, --limit, --fit, --augment and the dataset's settings", _data_given(args)),
    ):
        if given:
            raise UsageError(
                f"--resume continues the stored run on its own network and data; drop {flag}"
            )
    store = RunStore()
    try:
        run = store.get(args.resume)
    except ValueError:  # not a run id at all
        run = None
    if run is None:
        raise UsageError(
            f"no run {args.resume!r} in {store.home} (`python -m resnet_core runs` lists them)"
        )
    if run.active:
        raise UsageError(
            f"run {run.id} is {run.status}; stop it (or let it end) before resuming it"
        )
    changes = {k: v for k, v in _new_run_settings(args).items() if hasattr(args, k)}
    changes["workers"] = 1
    try:
        TrainSettings.from_dict({**run.settings, **changes}).check()
    except SettingsError as exc:
        raise UsageError(str(exc)) from None
    store.requeue(run.id, **changes)
    if not store.claim(run.id, os.getpid()):
        _note(args, f"run {run.id} was taken by the app's worker; follow it there")
        return 0
    _note(args, f"resuming run {run.id} ({run.name}) from its checkpoint: {TRAINS_HERE}.")
    _busy_note(args, store)
    return _train_here(args, store, run.id)


def _data_given(args) -> bool:
    return any(getattr(args, k) != v for k, v in DATA_DEFAULTS.items()) or bool(
        _source_settings(args)
    )


def _busy_note(args, store) -> None:
    """Say so when the app's worker trains at the same time (both will be slower)."""
    store.reap()  # a run whose worker died is not training
    others = [r for r in store.list() if r.status == "running" and r.worker_pid != os.getpid()]
    if others:
        _note(
            args,
            f"note: run {others[0].id} ({others[0].name}) is training at the same "
            "time, so both share this machine",
        )


def _train_here(args, store, run_id: str) -> int:
    """Train ``run_id`` in this process; Ctrl-C asks it to stop (twice: abort)."""
    from .training.engine import execute

    def interrupted(*_):
        signal.signal(signal.SIGINT, signal.default_int_handler)
        store.request_stop(run_id)
        print(
            "stopping after the current step (Ctrl-C again to abort)", file=sys.stderr, flush=True
        )

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        summary = execute(store, run_id)
    finally:
        signal.signal(signal.SIGINT, previous)
    if args.json:
        print(json.dumps(summary))
    _print_summary(summary, args.json)
    return exit_status([summary])


def cmd_race(args) -> int:
    from .data import DataError
    from .presets import plain_twin
    from .training import RunStore, SettingsError
    from .training.submit import race_plans, submit_race

    spec = load_spec(args.spec)
    partner = load_spec(args.against) if args.against else plain_twin(spec)
    if partner == spec:
        raise UsageError(
            f"{spec.name} has no skip connections to take away; name a "
            "network to race it against with --against"
        )
    store = RunStore()
    try:
        plans = race_plans([spec, partner], _data_choice(args))
        run_ids = submit_race(store, plans, _new_run_settings(args))
    except (DataError, SettingsError) as exc:
        raise UsageError(str(exc)) from None
    if not store.claim(run_ids, os.getpid()):  # the app's worker took them first
        _note(args, f"runs {', '.join(run_ids)} were taken by the app's worker; follow them there")
        return 0
    _note(args, f"runs {', '.join(run_ids)}: the race {TRAINS_HERE}.")
    from .training import TrainSettings

    _estimate_note(args, plans, TrainSettings.from_dict(_new_run_settings(args)))
    _busy_note(args, store)
    from .training.engine import execute_group

    summaries = execute_group(store, run_ids)
    if args.json:
        print(json.dumps(summaries))
    for summary in summaries:
        _print_summary(summary, args.json)
    return exit_status(summaries)


def cmd_runs(args) -> int:
    from .training import RunStore

    store = RunStore()
    store.reap()
    runs = store.list()
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "run_id": r.id,
                        "name": r.name,
                        "status": r.status,
                        "created": r.created,
                        "epochs_done": r.epochs_done,
                        "epochs": r.settings.get("epochs"),
                        "device": r.device,
                        "workers": r.settings.get("workers", 1),
                        "dataset": r.data.get("source"),
                        "val_accuracy": r.summary.get("val_accuracy"),
                        "error": r.error,
                    }
                    for r in runs
                ]
            )
        )
        return 0
    if not runs:
        print(f"no runs in {store.home}")
    for r in runs:
        acc = r.summary.get("val_accuracy")
        print(
            f"{r.id}  {r.status:<9} {r.name:<20} {r.data.get('source', ''):<8} "
            f"epochs {r.epochs_done}/{r.settings.get('epochs')}"
            + (f"  val_acc {acc:.3f}" if acc is not None else "")
        )
    return 0


def cmd_gradients(args) -> int:
    """Per-layer kernel-gradient norms on one batch of digits, at init and after N steps."""
    from . import gradients as g
    from .data import DataError
    from .presets import has_skips

    def number(text, what, kind=int):
        try:
            return kind(text)
        except ValueError:
            raise UsageError(f"--{what} must be a number, got {text!r}") from None

    try:
        spec = g.resolve(args.spec) or load_spec(args.spec)
        if (args.plain or args.both) and not has_skips(spec):
            raise UsageError(f"{spec.name} has no skip connections; drop --plain/--both")
        reports = [
            g.measure(
                spec,
                number(args.steps, "steps"),
                number(args.batch_size, "batch-size"),
                number(args.seed, "seed"),
                number(args.lr, "lr", float),
                plain=plain,
            )
            for plain in ((False, True) if args.both else (args.plain,))
        ]
    except (g.GradientError, DataError) as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        out = [r.to_dict() for r in reports]
        print(json.dumps(out if args.both else out[0]))
    else:
        print("\n\n".join(g.format_table(r) for r in reports))
    return 0


def _dataset_help() -> str:
    """The images ``--dataset`` offers, from the registry (files are the app's uploads)."""
    named = [
        f"{k} = {s.short}" + (f", {s.origin}" if s.origin else "")
        for k, s in SOURCES.items()
        if not s.file
    ]
    return (
        f"the images (default: {DATA_DEFAULTS['dataset']}): {'; '.join(named)}. Keras's "
        "are downloaded once into its cache, then read offline"
    )


def _add_source_settings(group) -> None:
    """A flag for each data source's own setting (``--shapes-classes N``), from the
    registry."""
    for s in SOURCES.values():
        for o in s.options:
            group.add_argument(
                "--" + s.key(o).replace("_", "-"),
                type=_int_at_least(o.lo),
                metavar="N",
                help=f"with --dataset {s.name}: {o.label.lower()}, "
                f"{o.lo:,} to {o.hi:,} (default: {o.default:,})",
            )


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m resnet_core", description="Residual and inception networks as data."
    )
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("presets", help="list the preset names").set_defaults(fn=cmd_presets)

    def with_spec(name, help_text):
        sp = sub.add_parser(name, help=help_text)
        sp.add_argument("spec", help="a preset name or a spec .json file")
        sp.add_argument("--input-shape", help="override the input shape: H,W,C")
        sp.add_argument("--classes", type=int, help="override the number of classes")
        return sp

    s = with_spec("summary", "per-stage figures and totals")
    s.add_argument("--json", action="store_true", help="one JSON object on stdout")
    s.add_argument(
        "--batch-size",
        type=_option_type(_option("batch_size")),
        default=32,
        metavar="N",
        help="for the memory estimate (default: 32)",
    )
    s.set_defaults(fn=cmd_summary)
    e = with_spec("export", "write the spec as JSON or as a standalone Keras script")
    e.add_argument("--format", choices=("json", "python"), default="json")
    e.add_argument("--output", "-o", help="write to this file instead of stdout")
    e.set_defaults(fn=cmd_export)
    c = sub.add_parser(
        "compare",
        help="two networks side by side: what differs stage by "
        "stage (blocks, widths, groups, skips), parameters and MACs",
    )
    c.add_argument("a", help="A: a preset name or a spec .json file")
    c.add_argument("b", help="B: a preset name or a spec .json file")
    c.add_argument("--json", action="store_true", help="one JSON object on stdout")
    c.set_defaults(fn=cmd_compare)

    def with_training(name, help_text, workers: bool):
        t = sub.add_parser(name, help=help_text, description=help_text)
        data = t.add_argument_group("data")
        data.add_argument(
            "--dataset",
            choices=[k for k, s in SOURCES.items() if not s.file],
            metavar="NAME",
            help=_dataset_help(),
        )
        data.add_argument(
            "--limit",
            type=_int_at_least(0),
            metavar="N",
            help="use only this many images (default: 0, all)",
        )
        data.add_argument(
            "--fit",
            choices=("adapt", "resize"),
            help="adapt the model's input to the data, or resize the data "
            "(the other is taken, with a note, when only it works; "
            "default: adapt)",
        )
        data.add_argument(
            "--augment",
            action="store_true",
            help="random shifts (and flips of colour images) while training",
        )
        _add_source_settings(data)
        t.set_defaults(**DATA_DEFAULTS)
        _add_training_options(
            t.add_argument_group("training (as on the Train page)"),
            skip=() if workers else ("workers",),
        )
        t.add_argument("--json", action="store_true", help="print a JSON summary")
        return t

    tr = with_training("train", f"train a network; {TRAINS_HERE}", workers=True)
    tr.add_argument("spec", nargs="?", help="a preset name or a spec .json file")
    tr.add_argument(
        "--resume",
        metavar="RUN_ID",
        help="train a stored run on from its "
        "checkpoint (with more --epochs or --steps, and any option given)",
    )
    tr.set_defaults(fn=cmd_train)
    race = with_training(
        "race",
        "train a network and its plain twin together, step by "
        f"step on the same batches; the race {TRAINS_HERE}",
        workers=False,
    )
    race.add_argument("spec", help="a preset name or a spec .json file")
    race.add_argument(
        "--against", help="race against this preset or spec file instead of the plain twin"
    )
    race.set_defaults(fn=cmd_race)
    r = sub.add_parser("runs", help="list the stored runs ($RESNET_EXPLORER_HOME)")
    r.add_argument("--json", action="store_true")
    r.set_defaults(fn=cmd_runs)
    gr = sub.add_parser("gradients", help="per-layer gradient norms on one batch (Keras)")
    gr.add_argument("spec", help="a preset, a spec .json file, cifar_resnetD or nobn_resnetD")
    gr.add_argument("--plain", action="store_true", help="measure the plain twin instead")
    gr.add_argument(
        "--both", action="store_true", help="the network and its plain twin (a JSON list of two)"
    )
    gr.add_argument("--steps", default="0", help="SGD steps before the second measurement")
    gr.add_argument("--batch-size", default="64")
    gr.add_argument("--seed", default="0")
    gr.add_argument("--lr", default="0.01", help="SGD learning rate (momentum 0.9)")
    gr.add_argument("--json", action="store_true", help="one JSON object on stdout")
    gr.set_defaults(fn=cmd_gradients)

    add_experiments(sub, _int_at_least)  # lesion, landscape, responses
    return p


# TensorFlow's native start-up lines (oneDNN notices, CUDA probes): absl's prefix
# "I0000 00:00:1795797065.078976    8340 port.cc:153] ...", and absl's own preamble. They
# come before TF_CPP_MIN_LOG_LEVEL is read, so only the stream itself can drop them.
NATIVE_LOG_LINE = re.compile(
    rb"^(?:[IWE]\d{4} [\d:.]+ +\d+ [\w.-]+:\d+\] |WARNING: All log "
    rb"messages before absl::InitializeLog\(\) is called)"
)


def quiet_native_logs() -> None:
    """Route this process's stderr (file descriptor 2, which native code writes to)
    through a thread that drops TensorFlow's native log lines and passes on the rest;
    fatal ("F") lines and Python's own messages go through."""
    import atexit
    import threading

    real = os.dup(2)
    read, write = os.pipe()
    os.dup2(write, 2)
    os.close(write)

    def pump():
        with os.fdopen(read, "rb") as src, os.fdopen(os.dup(real), "wb", 0) as dst:
            for line in src:
                if not NATIVE_LOG_LINE.match(line):
                    dst.write(line)

    thread = threading.Thread(target=pump, name="stderr-filter", daemon=True)
    thread.start()

    def restore():
        sys.stderr.flush()
        os.dup2(real, 2)  # the pipe's last writer closes: the pump drains and ends
        thread.join(timeout=5)

    atexit.register(restore)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)
    args.argv = argv  # ``train --workers N`` hands it to each worker process
    try:
        return args.fn(args)
    except UsageError as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except ExperimentError as exc:  # a run an experiment cannot use: the user's to fix
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `... | head`
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug of ours: one line, details on request
        from .training.store import default_home

        fault = named(exc, default_home())  # a full disk, a busy store: the user's to fix
        if fault is not None:
            print(f"error: {one_line(str(fault))}", file=sys.stderr)
            return 2
        if os.environ.get("RESNET_EXPLORER_DEBUG"):
            raise
        print(
            f"error: unexpected {type(exc).__name__}: {one_line(str(exc))} (set "
            "RESNET_EXPLORER_DEBUG=1 "
            "for the details, and please report it)",
            file=sys.stderr,
        )
        return 1
