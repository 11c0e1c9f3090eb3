"""The experiments' commands: ``python -m resnet_core lesion|landscape|responses RUN_ID``.

Given one run of a race, the command takes its twin too (``--alone`` does not); the
figures go to stdout as text or, with ``--json``, as the one JSON object a page draws.
Progress goes to the file a :class:`~resnet_core.child.Job` names, else to stderr when it
is a terminal.
"""

from __future__ import annotations

import json
import sys

from ..child import progress_reporter
from ..training.store import RunStore
from . import EXPERIMENTS, compute, landscape, lesion, pair_of, responses
from .runs import get_run

FORMATTERS = {
    "lesion": lesion.format_text,
    "landscape": landscape.format_text,
    "responses": responses.format_text,
}
HELP = {
    "lesion": "delete blocks of a trained run at test time (Veit et al. 2016)",
    "landscape": "the loss around a trained run's weights (Li et al. 2018)",
    "responses": "what each block adds: feature maps, branch norms, response std "
    "(He et al. 2015, Fig. 7)",
}


def add_parsers(sub, int_type) -> None:
    """The three subcommands, on ``sub`` (the CLI's subparsers); ``int_type(low)`` is the
    CLI's checked integer type."""
    for name in EXPERIMENTS:
        p = sub.add_parser(
            name,
            help=HELP[name],
            description=f"{HELP[name]}. Given one run of a race, its twin is measured too.",
        )
        p.add_argument(
            "run_ids",
            nargs="+",
            metavar="RUN_ID",
            help="a stored run (`python -m resnet_core runs`), or two",
        )
        p.add_argument(
            "--alone", action="store_true", help="only the run given, not its race's twin"
        )
        p.add_argument(
            "--fresh",
            action="store_true",
            help="compute again, not from the result kept in the run's folder",
        )
        p.add_argument("--json", action="store_true", help="one JSON object on stdout")
        defaults = EXPERIMENTS[name].defaults
        if name == "landscape":
            p.add_argument(
                "--grid",
                type=int_type(3),
                default=defaults["grid"],
                metavar="N",
                help=f"N×N points, N odd, {landscape.GRID_LIMITS[0]} to "
                f"{landscape.GRID_LIMITS[1]} (default: {defaults['grid']})",
            )
        if name == "responses":
            p.add_argument(
                "--image",
                type=int_type(0),
                default=defaults["image"],
                metavar="I",
                help="which validation image the feature maps show (default: 0)",
            )
        if name == "lesion":
            p.add_argument(
                "--samples",
                type=int_type(1),
                default=defaults["samples"],
                metavar="N",
                help=f"random sets of k deleted blocks per k (default: {defaults['samples']})",
            )
        p.add_argument(
            "--images",
            type=int_type(1),
            default=defaults["images"],
            metavar="N",
            help=f"images used (default: {defaults['images']})",
        )
        p.set_defaults(fn=run_command, experiment=name)


def _terminal_progress(fraction: float, text: str) -> None:
    print(f"\r{100 * fraction:5.1f} %  {text[:70]:<70}", end="", file=sys.stderr, flush=True)


def run_command(args) -> int:
    name = args.experiment
    params = {k: getattr(args, k) for k in EXPERIMENTS[name].defaults}
    store = RunStore()
    progress = progress_reporter() or (_terminal_progress if sys.stderr.isatty() else None)
    try:
        ids = list(args.run_ids)
        if len(ids) == 1 and not args.alone:
            ids = [r.id for r in pair_of(store, get_run(store, ids[0]))]
        out = compute(store, name, ids, params, progress=progress, fresh=args.fresh)
    finally:
        if progress is _terminal_progress:
            print(file=sys.stderr)
    if args.json:
        print(json.dumps(out))
        return 0
    print("\n\n".join(FORMATTERS[name](r) for r in out["runs"]))
    print(f"\n{out['sentence']}\n\n{out['explanation']}\n({out['citation']})")
    return 0
