"""`python -m benchmarks sweep AXIS=V1,V2 ...`, and the main job's small default sweep."""

import shlex
import sys
from pathlib import Path

from ..errors import HarnessError, Interrupted
from ..files import folders, store
from ..measure import matrix, runner
from ..measure.argtypes import positive_int
from ..workloads import variants as V
from . import axes as A
from . import executors, files
from . import schedule as engine

OWN_OPTIONS = ("axes", "traced_only", "jobs", "jobs_rss", "scheduler", "resume", "sweeps_dir")
# The main job's sweep: the threshold curve of our two graphs, exact peaks only (a few seconds).
DEFAULT_AXES = [{"name": "gc_threshold", "values": [100, 350, 700, 1400, 2800]}]
DEFAULT_VARIANTS = ("strong-backprop", "weak-backprop")
DEFAULT_JOBS = 2


def add_options(p):
    """The sweep's own options; `run`'s workload options (--only, --iters...) come beside them."""
    p.add_argument(
        "axes",
        nargs="*",
        metavar="AXIS=V1,V2",
        help=f"what to vary, such as {A.EXAMPLE}; allowed axes: {', '.join(A.AXES)}."
        " Several axes make a grid",
    )
    p.add_argument(
        "--traced-only",
        action="store_true",
        help="take only the traced pass (the exact tracemalloc peak): no RSS, kernel peak or time",
    )
    p.add_argument(
        "--jobs",
        type=positive_int,
        default=1,
        metavar="N",
        help="traced passes side by side (tracemalloc is exact whatever runs beside it; default 1)",
    )
    p.add_argument(
        "--jobs-rss",
        type=positive_int,
        default=1,
        metavar="N",
        help="untraced passes side by side (default 1: neighbours disturb RSS and time)",
    )
    p.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="run the passes on this Dask cluster (pip install -e '.[cluster]')",
    )
    p.add_argument(
        "--resume",
        metavar="FILE",
        help="measure only what FILE, an interrupted sweep, misses (its grid and settings stand)",
    )
    p.add_argument(
        "--sweeps-dir",
        default=folders.SWEEPS_DIR,
        help=f"where the sweep file goes (default {folders.SWEEPS_DIR})",
    )


def run(args, workload):
    """The `sweep` command. `workload(args)` reads `run`'s options: (variants, settings)."""
    given = _given(args)
    if args.resume:
        if args.axes or given or args.traced_only:
            named = [*args.axes, *(f"--{d.replace('_', '-')}" for d in given)]
            named += ["--traced-only"] if args.traced_only else []
            raise HarnessError(
                f"--resume continues {args.resume} with its own grid, variants and settings:"
                f" leave out {' '.join(named)}"
            )
        path = Path(args.resume)
        data = files.load(path)
        data.pop("interrupted", None)  # what stopped it last time is over
        data["environment"].setdefault("resumed", []).append(
            {"command": _command(), "started": engine.now()}
        )
    else:
        axes = A.parse_all(args.axes)
        for axis in axes:
            if axis["name"] in given:
                option = A.AXES[axis["name"]].option
                raise HarnessError(
                    f"{axis['name']} is an axis of this sweep: leave out {option}, which sets"
                    " one value for every point"
                )
        if args.no_gc and any(a["name"] == "gc_threshold" for a in axes):
            raise HarnessError("a gc_threshold axis needs the GC: leave out --no-gc")
        for axis in axes:  # an interpreter that cannot be found fails before any pass runs
            if axis["name"] == "python":
                for spec in axis["values"]:
                    A.interpreter(spec)
        variants, settings = workload(args)
        passes = (runner.TRACED,) if args.traced_only else runner.DEFAULT_PASSES
        # A pass like the others, default where memray is installed; --traced-only means
        # the traced pass alone, unless --native asks for this one too.
        wanted = False if args.traced_only and args.native is None else args.native
        why = matrix.native_choice(wanted, settings.python)
        if why is None:
            passes = (*passes, runner.NATIVE)
        elif args.traced_only and args.native is None:
            why = "left out (--traced-only)"
        native = {"enabled": why is None, "why": why}
        data = engine.start(axes, variants, settings, passes, _command(), native)
        path = None  # taken once the executor is up: a refused scheduler leaves no file
    _, failed = sweep(data, path, args.jobs, args.jobs_rss, args.scheduler, folder=args.sweeps_dir)
    return 1 if failed else 0


def default_sweep(settings, sweeps_dir, run=None):
    """The main job's sweep: (path, whether it failed). `run` (settings, results file, its
    passes, how many side by side: what the main job's run measured under this interpreter)
    gives the points that run measured already, its own threshold0 among them."""
    variants = [V.parse(name) for name in DEFAULT_VARIANTS]
    command = f"{_command()} (its default sweep)"
    native = {"enabled": False, "why": "left out (the main job's sweep takes the traced pass)"}
    data = engine.start(DEFAULT_AXES, variants, settings, (runner.TRACED,), command, native)
    if run is not None:
        measured, source, taken, side_by_side = run
        engine.reuse(data, taken, measured, source, side_by_side)
    return sweep(data, None, jobs=DEFAULT_JOBS, folder=sweeps_dir)


def sweep(data, path, jobs=1, jobs_rss=1, scheduler=None, stream=None, folder=None):
    """Measure what `data` misses into `path`, or into a new file in `folder` when `path` is
    None: (path, whether it failed: a pass did not come back, or no point holds a figure).
    Interrupted, its note says how `--resume` measures the rest."""
    stream = stream or sys.stderr
    todo = engine.missing(data)
    points = len(A.grid(data["axes"])) * len(data["variants"])
    try:
        with executors.make(max(jobs, jobs_rss), scheduler) as (executor, where):
            # The file exists from the start, as a run's does.
            if path is None:
                path = store.reserve(folder, data, "--sweeps-dir")
            else:
                store.write_atomic(path, data)
            print(
                f"sweep: {points} point(s) x variant(s), {len(todo)} pass(es) to measure into"
                f" {path}",
                file=stream,
                flush=True,
            )
            lost = engine.run(data, path, executor, where, jobs, jobs_rss, stream)
    except Interrupted as stop:
        if path is not None:  # the passes measured before are in the file, each as it landed
            stop.note = (
                f"the passes measured so far are in {path}: {engine.resume(path)} measures the rest"
            )
            try:
                store.mark_stopped(path, stop.name)
            except (OSError, ValueError) as e:
                stop.note += f" (not marked as interrupted: {getattr(e, 'strerror', None) or e})"
        raise
    if lost:
        print(
            f"error: {len(lost)} pass(es) did not come back ({'; '.join(lost)});"
            f" {engine.resume(path)} measures them",
            file=sys.stderr,
        )
    print(f"sweep: {path}")
    return path, bool(lost) or _nothing_measured(data)


def _nothing_measured(data):
    """True, with the reason on stderr, when no point of the sweep holds a measured record:
    a sweep whose every pass failed must not pass."""
    statuses = [p["record"]["status"] for p in data["points"]]
    if "ok" in statuses:
        return False
    counts = ", ".join(f"{statuses.count(s)} {s}" for s in dict.fromkeys(statuses))
    print(f"error: no point of the sweep was measured ({counts or 'none'})", file=sys.stderr)
    return True


def _given(args):
    """`run`'s options given with other values than their defaults."""
    defaults = vars(args.parser.parse_args([]))
    return [
        dest
        for dest, value in vars(args).items()
        if dest not in (*OWN_OPTIONS, "run", "parser", "command") and defaults.get(dest) != value
    ]


def _command():
    return shlex.join(["python", "-m", "benchmarks", *sys.argv[1:]])
