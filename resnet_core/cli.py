"""The command line: ``python -m resnet_core presets|summary|export|train|race|runs``.

Errors print one clear line on stderr and exit with status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from .analysis import analyze, human, summary_dict
from .presets import PRESETS, get_spec
from .spec import ArchitectureSpec, SpecError
from .trace import fmt_shape


class UsageError(Exception):
    """A mistake of the user's, reported as one line."""


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


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value


def load_spec(source: str) -> ArchitectureSpec:
    """A preset name, or the path of a spec JSON file."""
    if source in PRESETS:
        return get_spec(source)
    path = Path(source)
    if path.suffix.lower() == ".json" or path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {source}: {exc}") from None
        try:
            return ArchitectureSpec.from_json(text)
        except SpecError as exc:
            raise UsageError(f"{source}: invalid spec: {exc}") from None
    raise UsageError(f"{source!r} is neither a preset nor a spec file; presets: "
                     f"{', '.join(PRESETS)}")


def _override(spec: ArchitectureSpec, input_shape: str | None, classes: int | None):
    changes = {}
    if input_shape:
        try:
            shape = tuple(int(v) for v in input_shape.split(","))
        except ValueError:
            raise UsageError(f"--input-shape must be H,W,C (three integers), got "
                             f"{input_shape!r}") from None
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
    print(f"{spec.name}: {fmt_shape(spec.input_shape)} → "
          f"{fmt_shape(t.output_shape) if a.ok else '(cannot be built)'}")
    print(f"{'stage':<10}{'blocks':>7}{'params':>14}{'MACs':>12}  output      RF")
    for s in a.stages():
        print(f"{s.stage:<10}{s.blocks:>7}{s.params:>14,}{human(s.macs):>12}  "
              f"{fmt_shape(s.output_shape):<11} {s.receptive_field}")
    print(f"total params {t.total_params:,} (trainable {t.trainable_params:,}, "
          f"non-trainable {t.non_trainable_params:,}); MACs {human(t.macs)}; "
          f"depth {t.depth}")
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
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _data_and_settings(args) -> tuple:
    from .data import DataChoice

    choice = DataChoice(source=args.dataset, subset=args.limit or 0, fit=args.fit,
                        seed=args.seed)
    settings = {"epochs": args.epochs, "batch_size": args.batch_size,
                "optimizer": args.optimizer, "learning_rate": args.lr,
                "schedule": args.schedule, "seed": args.seed,
                "cpu_devices": args.cpu_devices}
    return choice, settings


def _print_summary(summary: dict, as_json: bool) -> None:
    if as_json:
        return
    for h in summary.get("history", []):
        print(f"epoch {h['epoch'] + 1}: loss {h['loss']:.4f} acc {h['accuracy']:.4f} "
              f"val_loss {h['val_loss']:.4f} val_acc {h['val_accuracy']:.4f} "
              f"({h['images_per_second'] or 0:.0f} img/s)")
    print(f"run {summary['run_id']} ({summary.get('name')}): {summary['status']} on "
          f"{summary.get('device')}")
    if summary["status"] == "failed":
        print(f"error: {summary.get('error')}", file=sys.stderr)


def cmd_train(args) -> int:
    from .data import DataError
    from .training import RunStore, SettingsError
    from .training.submit import plan_run, submit_run

    spec = load_spec(args.spec)
    store = RunStore()
    choice, settings = _data_and_settings(args)
    try:
        plan = plan_run(spec, choice)
        run_id = submit_run(store, plan, settings)
    except (DataError, SettingsError) as exc:
        raise UsageError(str(exc)) from None
    if plan.note and not args.json:
        print(plan.note)
    from .training.engine import execute

    summary = execute(store, run_id)
    if args.json:
        print(json.dumps(summary))
    _print_summary(summary, args.json)
    return 1 if summary["status"] == "failed" else 0


def cmd_race(args) -> int:
    from .data import DataError
    from .presets import plain_twin
    from .training import RunStore, SettingsError
    from .training.submit import race_plans, submit_race

    spec = load_spec(args.spec)
    partner = load_spec(args.against) if args.against else plain_twin(spec)
    if partner == spec:
        raise UsageError(f"{spec.name} has no skip connections to take away; name a "
                         "network to race it against with --against")
    store = RunStore()
    choice, settings = _data_and_settings(args)
    try:
        plans = race_plans([spec, partner], choice)
        run_ids = submit_race(store, plans, settings)
    except (DataError, SettingsError) as exc:
        raise UsageError(str(exc)) from None
    from .training.engine import execute_group

    summaries = execute_group(store, run_ids)
    if args.json:
        print(json.dumps(summaries))
    for summary in summaries:
        _print_summary(summary, args.json)
    return 1 if all(s["status"] == "failed" for s in summaries) else 0


def cmd_runs(args) -> int:
    from .training import RunStore

    store = RunStore()
    store.reap()
    runs = store.list()
    if args.json:
        print(json.dumps([{"run_id": r.id, "name": r.name, "status": r.status,
                           "created": r.created, "epochs_done": r.epochs_done,
                           "epochs": r.settings.get("epochs"), "device": r.device,
                           "dataset": r.data.get("source"),
                           "val_accuracy": r.summary.get("val_accuracy"),
                           "error": r.error} for r in runs]))
        return 0
    if not runs:
        print(f"no runs in {store.home}")
    for r in runs:
        acc = r.summary.get("val_accuracy")
        print(f"{r.id}  {r.status:<9} {r.name:<20} {r.data.get('source', ''):<8} "
              f"epochs {r.epochs_done}/{r.settings.get('epochs')}"
              + (f"  val_acc {acc:.3f}" if acc is not None else ""))
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
        reports = [g.measure(spec, number(args.steps, "steps"),
                             number(args.batch_size, "batch-size"), number(args.seed, "seed"),
                             number(args.lr, "lr", float), plain=plain)
                   for plain in ((False, True) if args.both else (args.plain,))]
    except (g.GradientError, DataError) as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        out = [r.to_dict() for r in reports]
        print(json.dumps(out if args.both else out[0]))
    else:
        print("\n\n".join(g.format_table(r) for r in reports))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m resnet_core",
                                description="Residual and inception networks as data.")
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
    s.add_argument("--batch-size", type=int, default=32, help="for the memory estimate")
    s.set_defaults(fn=cmd_summary)
    e = with_spec("export", "write the spec as JSON or as a standalone Keras script")
    e.add_argument("--format", choices=("json", "python"), default="json")
    e.add_argument("--output", "-o", help="write to this file instead of stdout")
    e.set_defaults(fn=cmd_export)

    def with_training(name, help_text):
        t = sub.add_parser(name, help=help_text)
        t.add_argument("spec", help="a preset name or a spec .json file")
        t.add_argument("--dataset", default="digits", help="digits, shapes, mnist, "
                       "fashion_mnist, cifar10 or cifar100")
        t.add_argument("--epochs", type=_int_at_least(1), default=3)
        t.add_argument("--batch-size", type=_int_at_least(1), default=64)
        t.add_argument("--limit", type=_int_at_least(0), default=0,
                       help="use only this many images (0: all)")
        t.add_argument("--fit", choices=("adapt", "resize"), default="adapt",
                       help="adapt the model's input to the data, or resize the data "
                            "(the other is taken, with a note, when only it works)")
        t.add_argument("--optimizer", choices=("sgd", "adam", "adamw"), default="adam")
        t.add_argument("--lr", type=_positive_float, default=1e-3)
        t.add_argument("--schedule", choices=("constant", "cosine", "one_cycle"),
                       default="constant")
        t.add_argument("--seed", type=_int_at_least(0), default=0)
        t.add_argument("--cpu-devices", type=_int_at_least(0), default=0,
                       help="split the CPU into N devices (tests the multi-device path)")
        t.add_argument("--json", action="store_true", help="print a JSON summary")
        return t

    with_training("train", "train a network (same path as the app's runs)"
                  ).set_defaults(fn=cmd_train)
    race = with_training("race", "train a network and its plain twin together, step by "
                                 "step on the same batches")
    race.add_argument("--against", help="race against this preset or spec file instead "
                                        "of the plain twin")
    race.set_defaults(fn=cmd_race)
    r = sub.add_parser("runs", help="list the stored runs ($RESNET_EXPLORER_HOME)")
    r.add_argument("--json", action="store_true")
    r.set_defaults(fn=cmd_runs)
    gr = sub.add_parser("gradients", help="per-layer gradient norms on one batch (Keras)")
    gr.add_argument("spec", help="a preset, a spec .json file, cifar_resnetD or nobn_resnetD")
    gr.add_argument("--plain", action="store_true", help="measure the plain twin instead")
    gr.add_argument("--both", action="store_true", help="the network and its plain twin "
                    "(a JSON list of two)")
    gr.add_argument("--steps", default="0", help="SGD steps before the second measurement")
    gr.add_argument("--batch-size", default="64")
    gr.add_argument("--seed", default="0")
    gr.add_argument("--lr", default="0.01", help="SGD learning rate (momentum 0.9)")
    gr.add_argument("--json", action="store_true", help="one JSON object on stdout")
    gr.set_defaults(fn=cmd_gradients)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.fn(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `... | head`
        return 0
