"""`python -m benchmarks [run|speed|report|compare|sweep]`: with no subcommand, measure the
default matrix (the classic loop, then the deep chain into a results file of its own), sweep gc
threshold0, time the side-by-side ratios and render the report (the main job); `speed` also
times the pytest-benchmark suite."""

import argparse
import contextlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import HarnessError, Interrupted, stop_on_signals
from .files import folders, store
from .gates import cli as gates_cli
from .measure import argtypes

DEFAULT_JOBS = max(1, min(2, os.cpu_count() or 1))


def _add_workload_options(p):
    """What `run` measures and how; `sweep` reads the same options."""
    from .measure.settings import Settings

    d = Settings()
    p.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="variants to run: names (weak-backprop), implementations (strong) or modes",
    )
    argtypes.add_loop_options(p, d)
    p.add_argument(
        "--repeat",
        type=argtypes.repeat,
        default=d.repeat,
        metavar="N",
        help=f"measure each variant N times; keep median, min and max (default {d.repeat})",
    )
    p.add_argument("--retain-grad", action="store_true", help="backward(retain_grad=True)")
    p.add_argument("--no-gc", action="store_true", help="disable the cyclic GC in every child")
    p.add_argument(
        "--gc-threshold",
        type=argtypes.gc_threshold,
        metavar="N",
        help="gc threshold0 in every child (default: the interpreter's own)",
    )
    p.add_argument(
        "--mem-limit",
        type=argtypes.positive_float,
        metavar="MIB",
        default=d.mem_limit_mib,
        help=f"kill a child whose RSS passes this (default half the RAM: {d.mem_limit_mib:.0f})",
    )
    p.add_argument(
        "--interval",
        type=argtypes.interval,
        metavar="SECONDS",
        default=d.interval_s,
        help=f"RSS sampling period (default {d.interval_s})",
    )
    p.add_argument(
        "--timeout",
        type=argtypes.positive_float,
        metavar="SECONDS",
        default=d.timeout_s,
        help=f"kill a child that runs longer than this (default {d.timeout_s:g})",
    )
    p.add_argument(
        "--engine",
        action="append",
        metavar="FILE",
        help="measure your own engine too: a file (my_engine.py) or package.module:NAME;"
        " repeat it for several (docs/engines.md)",
    )
    p.add_argument(
        "--no-peers",
        action="store_true",
        help=f"leave the peers ({_peer_names()}) out of the default matrix (and of the speed step)",
    )
    p.add_argument(
        "--native",
        action=argparse.BooleanOptionalAction,
        help="take the native pass too: each variant once more under memray, which sees every"
        " allocator, C++ included (default: where memray is installed; pip install -e"
        " '.[native]')",
    )
    p.add_argument(
        "--flamegraph",
        action="append",
        default=[],
        metavar="NAME",
        help="keep the stacks alive at this variant's native peak, for its flame graph (the"
        " strong graph's are always kept); repeat it for several",
    )


def _peer_names():
    from .workloads import variants as V

    return ", ".join(e.name for e in V.peers())


def _add_run_options(p):
    _add_workload_options(p)
    p.add_argument(
        "--python",
        action="append",
        metavar="SPEC",
        help="run every variant's children under this interpreter, in its own environment "
        "under .envs/: a version found through pyenv or PATH (3.12), or a path, optionally "
        "with pins (3.12:numpy==1.26.4); repeat it for several (default: this interpreter)",
    )
    p.add_argument(
        "--results-dir",
        default=folders.RESULTS_DIR,
        help=f"where the results files go (default {folders.RESULTS_DIR})",
    )
    p.add_argument(
        "--jobs",
        type=argtypes.positive_int,
        default=DEFAULT_JOBS,
        metavar="N",
        help="traced and native passes side by side (they count allocations, which nothing"
        " beside them moves); an untraced pass's loop runs alone whatever N, and with N of 2"
        " or more two untraced children set up side by side before their loops"
        f" (default {DEFAULT_JOBS}: the cores, at most 2)",
    )


def _add_reports_dir(p, what):
    p.add_argument(
        "--reports-dir", default=folders.REPORTS_DIR, help=f"{what} (default {folders.REPORTS_DIR})"
    )


def _add_speed_options(p):
    p.add_argument("--no-peers", action="store_true", help=f"leave the peers ({_peer_names()}) out")
    p.add_argument(
        "--engine",
        action="append",
        metavar="FILE",
        help="time your own engine too, against the same references (docs/engines.md)",
    )
    _add_reports_dir(p, "the speed files go into its speed/ and ratios/ folders")
    p.add_argument(
        "--ratios-only",
        action="store_true",
        help="time only the side-by-side ratios (about 30 s of CPU), not the pytest-benchmark"
        " suite",
    )
    p.add_argument(
        "--rounds",
        type=argtypes.rounds,
        metavar="N",
        help="ratios: at most N interleaved rounds per reference (default 11)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="ratios: tiny graphs and 2 rounds, to check the plumbing (figures mean little)",
    )


def _add_report_options(p):
    p.add_argument(
        "--results",
        nargs="+",
        metavar="FILE",
        help="results files or folders (default: the newest, with the files measured with it "
        "under other interpreters); several are pooled into the 'Across environments' table",
    )
    _add_reports_dir(p, "where the page and its plots go; its folders are read")
    p.add_argument(
        "--benchmark-json",
        metavar="FILE",
        help="pytest-benchmark JSON to show (default: the newest of those the speed step wrote "
        "into REPORTS_DIR/speed/ and those pytest autosaved under .benchmarks/)",
    )
    p.add_argument(
        "--ratios",
        metavar="FILE",
        help="ratios file to show (default: the newest in REPORTS_DIR/ratios/)",
    )
    p.add_argument(
        "--sweep",
        metavar="FILE",
        help="sweep file for the Scaling section (default: the newest sweep of each set of axes "
        "in REPORTS_DIR/sweeps/)",
    )


def _add_all_options(p):
    _add_run_options(p)
    _add_reports_dir(p, "where the speed files, the sweep and the report go")
    p.add_argument(
        "--no-speed",
        action="store_true",
        help="skip the side-by-side ratios (skipped too with --only: they time the whole table)",
    )
    p.add_argument(
        "--no-sweep",
        action="store_true",
        help="skip the default sweep of gc threshold0 (skipped too with --only or --no-gc)",
    )
    p.add_argument(
        "--no-deep-chain",
        action="store_true",
        help="skip the deep chain, measured after the classic loop into a results file of its"
        " own (skipped too with --only, which names the classic loop's variants)",
    )


def _add_sweep_options(p):
    from .sweep import cli

    _add_workload_options(p)
    cli.add_options(p)


def _add_compare_options(p):

    gates_cli.add_arguments(p)


def _interpreters(specs):
    """(interpreters, failures) for the --python specs: each one found and its environment made,
    or a message; one missing interpreter never keeps the others from running."""
    from .measure import venvs

    if not specs:
        return [None], []  # no --python: the interpreter running the harness
    found, failures = [], []
    for text in dict.fromkeys(specs):
        try:
            found.append(venvs.resolve(text))
        except HarnessError as e:
            print(f"error: {e}", file=sys.stderr)
            failures.append(text)
    return found, failures


def _workload(args):
    """(variants, settings) the options choose. A user's engine that cannot be loaded is said
    on stderr and left out (`args.engine_failures`); the others are measured all the same."""
    from .measure.settings import Settings
    from .workloads import variants as V

    if args.no_gc and args.gc_threshold:
        args.parser.error("--no-gc and --gc-threshold contradict each other: choose one")
    argtypes.resolve_loop_options(args)
    if args.flamegraph and args.native is False:
        args.parser.error("--flamegraph draws the native pass's peak: leave out --no-native")
    user = _user_engines(args)
    mine = [v for e in user for v in V.of(e, args.workload)]
    try:
        if args.only:
            chosen = V.select(args.only, (*V.matrix(args.workload), *mine), args.workload)
        else:  # peers that are not installed are recorded as skipped, with the reason
            chosen = [*V.matrix(args.workload, peers=not args.no_peers), *mine]
    except ValueError as e:
        args.parser.error(str(e))
    names = [v.name for v in chosen]
    for name in args.flamegraph:
        if name not in names:
            args.parser.error(
                f"--flamegraph {name}: not measured here; choose among {', '.join(names)}"
            )
    settings = Settings(
        workload=args.workload,
        iters=args.iters,
        size=args.size,
        depth=args.depth,
        seed=args.seed,
        input=args.input,
        repeat=args.repeat,
        interval_s=args.interval,
        gc_enabled=not args.no_gc,
        gc_threshold=args.gc_threshold,
        mem_limit_mib=args.mem_limit,
        retain_grad=args.retain_grad,
        timeout_s=args.timeout,
        flamegraph=tuple(dict.fromkeys(args.flamegraph)),
    )
    return chosen, settings


def _user_engines(args):
    """The engines --engine names that load; each one that does not is said and kept in
    `args.engine_failures` ({spec: why}), so the command can fail after the others ran."""
    from . import engines

    if getattr(args, "engine_failures", None) is None:
        args.engine_failures = {}
    loaded = []
    for spec in dict.fromkeys(args.engine or []):
        try:
            loaded.append(engines.load(spec))
        except engines.EngineError as e:
            if spec not in args.engine_failures:
                print(f"error: {e}", file=sys.stderr)
            args.engine_failures[spec] = str(e)
    return loaded


def _measure(args, taken=None):
    """Run the matrix the options choose under each interpreter: ([(results file, its
    content)], the --python specs that named no usable interpreter). `taken`: a dict to fill
    with what the run under this interpreter measured, pass by pass (matrix.run)."""
    import dataclasses
    from datetime import UTC, datetime

    from .measure import matrix, runner

    chosen, settings = _workload(args)
    found, failures = _interpreters(args.python)
    # --native where memray is not installed is refused before anything is measured.
    native = [matrix.native_choice(args.native, i and i.executable) for i in found]
    # One id for the files of this command, so the report shows them together by default.
    batch = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") if len(found) > 1 else None
    written = []
    for interpreter, native_why in zip(found, native, strict=True):
        if interpreter is not None:
            facts = interpreter.facts
            print(
                f"python {interpreter.spec}: {facts['implementation']} {facts['python']}, "
                f"numpy {facts['packages'].get('numpy')} ({interpreter.environment})",
                flush=True,
            )
        path, data = matrix.run(
            chosen,
            dataclasses.replace(settings, python=interpreter and interpreter.executable),
            args.results_dir,
            spec=interpreter and interpreter.spec,
            batch=batch,
            engines=_engines_record(args, chosen),
            passes=(
                *runner.DEFAULT_PASSES,
                *([runner.NATIVE] if native_why is None else []),
            ),
            jobs=args.jobs,
            native_why=native_why,
            taken=taken if interpreter is None else None,
        )
        print(f"results: {path}")
        written.append((path, data))
    return written, failures


def _engines_record(args, chosen):
    """What a results file keeps of the users' engines: where each was declared, and those
    that could not be loaded, with why (reports/README.md)."""
    user = {v.engine.name: v.engine.source for v in chosen if v.engine.role == "user"}
    return {"user": user, "failed": dict(getattr(args, "engine_failures", None) or {})}


def _failed(failures, args=None):
    """The exit status for --python specs or --engine files that could not be used: 2, after
    the others ran."""
    if failures:
        print(f"error: no interpreter for --python {', '.join(failures)}", file=sys.stderr)
    engines = getattr(args, "engine_failures", None) or {}
    if engines:
        print(f"error: --engine {', '.join(engines)} could not be loaded", file=sys.stderr)
    return 2 if failures or engines else 0


def _all_failed(written):
    """True, with the reason on stderr, when an interpreter's run measured no variant: the
    command must not pass (`written`: the (path, data) of each results file)."""
    failed = False
    for path, data in written:
        statuses = [v["status"] for v in data["variants"]]
        if "ok" in statuses:
            continue
        counts = ", ".join(f"{statuses.count(s)} {s}" for s in dict.fromkeys(statuses))
        where = f" in {path}" if len(written) > 1 else ""
        print(f"error: no variant was measured{where} ({counts or 'none chosen'})", file=sys.stderr)
        failed = True
    return failed


def _render(results_path, reports_dir, benchmark_json=None, sweep=None, ratios=None):
    from .report import render

    index = render(
        results=results_path,
        reports_dir=reports_dir,
        benchmark_json=benchmark_json,
        sweep=sweep,
        ratios=ratios,
        jobs=DEFAULT_JOBS,  # its sections' plots, drawn side by side
    )
    print(f"report: {index}")


def _time_suite(reports_dir, peers, user=()):
    """The pytest-benchmark suite: (its JSON file or None, 0 when it ran clean else 1)."""
    from .suite import speed

    print("speed: pytest --benchmark-only, every group (a few minutes)", flush=True)
    path, code = speed.run(reports_dir, peers=peers, user=user)
    _tell("benchmark suite", "pytest", path, code, "some benchmarks failed")
    return path, 0 if code == 0 else 1


def _time_ratios(reports_dir, peers, rounds=None, quick=False, user=()):
    """The side-by-side ratios: (the ratios file or None, 0 when it ran clean else 1)."""
    from .suite import speed

    print(
        "speed: ours against the peers, side by side in one process"
        " (about 7 s; 25 s with the peers)",
        flush=True,
    )
    ratios, code = speed.run_ratios(reports_dir, peers, rounds, quick, user)
    _tell("ratio step", "its", ratios, code, "some comparisons failed")
    return ratios, 0 if code == 0 else 1


def _tell(step, who, path, code, failed):
    if path is None:
        print(f"error: the {step} wrote no results ({who} exit {code})", file=sys.stderr)
    elif code != 0:
        print(f"warning: {failed} ({who} exit {code}); {path} holds the rest", file=sys.stderr)
    else:
        print(f"speed: {path}")


def _check_writable(folder):
    try:
        store.check_writable(folder)
    except OSError as e:
        raise HarnessError(f"cannot write into {folder} ({e.strerror or e})") from None


def _cmd_run(args):
    written, failures = _measure(args)
    # A spec that named no interpreter: 2, after the others ran; a run that measured nothing: 1.
    return _failed(failures, args) or (1 if _all_failed(written) else 0)


def _cmd_speed(args):
    peers = not args.no_peers
    user = _user_engines(args)
    code = 0
    if not args.ratios_only:
        code = _time_suite(args.reports_dir, peers, user)[1]
    code |= _time_ratios(args.reports_dir, peers, args.rounds, args.quick, user)[1]
    return _failed([], args) or code


def _cmd_report(args):
    _render(args.results, args.reports_dir, args.benchmark_json, args.sweep, args.ratios)
    return 0


def _cmd_compare(args):

    return gates_cli.run(args)


def _cmd_sweep(args):
    from .sweep import cli

    return cli.run(args, _workload)


def _default_sweep(args, run):
    """The main job's threshold curve; 0, or 1 when a pass did not come back or none was
    measured. Its points at the threshold0 the run took are the run's passes (`run`:
    `_run_for_sweep`), not measured again."""
    from .sweep import cli

    _, settings = _workload(args)
    try:
        _, failed = cli.default_sweep(settings, folders.sweeps_dir(args.reports_dir), run)
    except HarnessError as e:  # the report still shows the run, and the newest earlier sweep
        print(f"error: the default sweep: {e}", file=sys.stderr)
        return 1
    return 1 if failed else 0


def _run_for_sweep(args, written, taken):
    """What the sweep may take of the classic run (`written`, `taken`: what `_measure` gave):
    (its settings with the threshold0 its children ran under made explicit, its results file,
    its passes, how many ran side by side), or None when it ran under other interpreters only
    or without the collector."""
    import dataclasses

    _, settings = _workload(args)
    mine = [
        (path, data) for path, data in written if data["environment"]["interpreter"]["spec"] is None
    ]
    if not taken or not mine or not settings.gc_enabled:
        return None
    path, data = mine[0]
    threshold0 = settings.gc_threshold or data["environment"]["gc_thresholds"][0]
    return dataclasses.replace(settings, gc_threshold=threshold0), path, taken, args.jobs


def _cmd_all(args):
    if args.workload not in (None, "classic"):
        args.parser.error(
            "the main job measures both workloads, the classic loop and the deep chain: leave"
            f" out --workload, or measure one with `run --workload {args.workload}`"
        )
    _check_writable(args.reports_dir)  # before minutes of measuring, not after
    clock = _Clock()
    taken = {}  # the run's passes under this interpreter, which the sweep takes as they are
    with clock.step("run"):
        written, failures = _measure(args, taken)
    if not written:
        return _failed(failures, args)
    run = _run_for_sweep(args, written, taken)
    shown = [str(path) for path, _ in written]  # the report's sections show the classic loop
    if not (args.only or args.no_deep_chain):
        with clock.step("deep chain"):
            deep, _ = _measure(_deep_chain(args))  # the same --python specs: counted once, above
        written += deep
    ratios, speed_code, sweep_code = None, 0, 0
    # The exact sweep first, the timed ratios after it: nothing else runs beside those.
    if not (args.no_sweep or args.only or args.no_gc):
        with clock.step("sweep"):
            sweep_code = _default_sweep(args, run)
    if not (args.no_speed or args.only):
        with clock.step("ratios"):
            ratios, speed_code = _time_ratios(
                args.reports_dir, not args.no_peers, user=_user_engines(args)
            )
    with clock.step("report"):
        # The benchmark suite's table: the newest file `speed` or pytest wrote, if any.
        _render(shown, args.reports_dir, ratios=ratios)
    print(clock.summary(), flush=True)
    # The report shows whatever was measured; an unusable --python spec (2), a failed ratio
    # step or sweep, or a run in which no variant was measured (1) still fails the command.
    failed = _all_failed(written) or speed_code != 0 or sweep_code != 0
    return _failed(failures, args) or (1 if failed else 0)


def _deep_chain(args):
    """The main job's options for its deep chain: those of its classic run, but the deep
    chain's own iterations and depth."""
    deep = argparse.Namespace(**vars(args))
    deep.workload, deep.iters, deep.depth = "deep-chain", None, None
    deep.flamegraph = []  # names of the classic matrix
    return deep


class _Clock:
    """The main job's wall time and CPU time (its own and its children's), step by step."""

    def __init__(self):
        self.steps = []  # (name, wall seconds, CPU seconds)
        self.start = os.times()

    @staticmethod
    def _cpu(times):
        return times.user + times.system + times.children_user + times.children_system

    @contextlib.contextmanager
    def step(self, name):
        before = os.times()
        try:
            yield
        finally:
            after = os.times()
            self.steps.append(
                (name, after.elapsed - before.elapsed, self._cpu(after) - self._cpu(before))
            )

    def summary(self):
        end = os.times()
        wall, cpu = end.elapsed - self.start.elapsed, self._cpu(end) - self._cpu(self.start)
        steps = ", ".join(f"{name} {w:.1f} s ({c:.1f} s)" for name, w, c in self.steps)
        return f"time: {wall:.1f} s, {cpu:.1f} s of CPU; by step, wall (CPU): {steps}"


def _add_docs_options(p):
    p.add_argument(
        "--run",
        dest="take_run",  # `run` holds the command's function
        action="store_true",
        help="first take a new reference run: the main job with the peers and without them and"
        " the plain test command, each timed (minutes; on a quiet machine), into docs/reference/",
    )
    p.add_argument(
        "--no-tests", action="store_true", help="with --run: keep the tests' time of the last run"
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 naming each figure the text quotes that the reference files"
        " do not give, or give otherwise",
    )


def _cmd_docs(args):
    from .report import reference

    root = Path(__file__).resolve().parent.parent
    folder = root / "docs" / "reference"
    if args.take_run:
        from .measure import reference_run

        _report_paths(root, reference_run.take_jobs(root, folder))
        if not args.no_tests:
            # The tests check the docs against the new files: rewrite them first.
            _report_paths(root, reference.rewrite(root, reference.load(folder)), "docs: rewrote")
            _report_paths(root, reference_run.time_tests(root, folder))
    files = reference.load(folder)
    if args.check:
        problems = reference.stale(root, files)
        for name, problem in problems:
            print(f"{name}: {problem}")
        return 1 if problems else 0
    _report_paths(root, reference.rewrite(root, files), "docs: rewrote")
    return 0


def _report_paths(root, paths, what="reference:"):
    for path in paths:
        print(f"{what} {Path(path).relative_to(root)}")


@dataclass(frozen=True)
class Command:
    help: str  # one line, in the list of commands
    add_options: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]  # the exit status
    description: str | None = None  # the command's own --help; `help` when None


COMMANDS = {
    "run": Command(
        "measure a matrix of variants into reports/results/",
        _add_run_options,
        _cmd_run,
        "Measure each variant (default: the default matrix and the peers; --only chooses) in "
        "fresh processes: an untraced pass (RSS every --interval, the kernel's peak, time, "
        "collections), a traced pass (tracemalloc's exact peak, live memory), an explanation "
        "pass (cycle census, GC model, the peak's attribution) and, where memray is installed, "
        "a native pass (every allocator's peak, C++ included), into one results file under "
        "--results-dir (one per --python). The traced and native passes run --jobs side by "
        "side, the untraced ones alone after them. `report` renders it.",
    ),
    "speed": Command(
        "time the pytest-benchmark suite into reports/speed/ and ours against the peers,"
        " side by side, into reports/ratios/",
        _add_speed_options,
        _cmd_speed,
    ),
    "report": Command(
        "render reports/index.html from a results file", _add_report_options, _cmd_report
    ),
    "compare": Command(
        "fail when a variant's peak grew, or with --ratios a speed ratio (see its --help)",
        _add_compare_options,
        _cmd_compare,
    ),
    "sweep": Command(
        "measure variants over a grid of settings into reports/sweeps/",
        _add_sweep_options,
        _cmd_sweep,
        "Measure the variants (as `run` chooses them: --only, --no-peers) at every point of a "
        "grid of settings, as `run` measures them, into one sweep file under --sweeps-dir; the "
        "report's Scaling section draws the newest sweep of each set of axes. The workload "
        "options set what the axes do not vary.",
    ),
    "docs": Command(
        "write the figures README.md and docs/ quote from the reference run in docs/reference/",
        _add_docs_options,
        _cmd_docs,
    ),
    "all": Command(
        "run (the classic loop, then the deep chain), the default sweep of gc threshold0, the"
        " side-by-side ratios, then report (what no subcommand does)",
        _add_all_options,
        _cmd_all,
    ),
}


def make_parser():
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    sub = p.add_subparsers(dest="command", metavar="{" + ",".join(COMMANDS) + "}")
    for name, command in COMMANDS.items():
        description = command.description or command.help[:1].upper() + command.help[1:] + "."
        parser = sub.add_parser(name, help=command.help, description=description)
        command.add_options(parser)
        parser.set_defaults(run=command.run, parser=parser)
    return p


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in (*COMMANDS, "-h", "--help"):
        argv.insert(0, "all")
    args = make_parser().parse_args(argv)
    try:
        with stop_on_signals():
            return args.run(args)
    except HarnessError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except Interrupted as e:
        print(f"error: {e}{'; ' + e.note if e.note else ''}", file=sys.stderr)
        return e.exit_code


if __name__ == "__main__":
    sys.exit(main())
