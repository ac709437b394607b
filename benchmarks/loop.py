"""The workloads as a script: `python benchmarks/loop.py` or `mprof run benchmarks/loop.py` runs
the classic loop, `--workload deep-chain` the deep chain.

It is also the child process the measurement engine starts for every variant, so what mprof
profiles and what the engine measures are the same loop.
"""

import argparse
import gc
import importlib.util
import json
import math
import os
import sys
import time
import tracemalloc

if not __package__:  # run as a file: make the repo root importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.measure.probes import THREAD_LIMITS  # the standard library alone, no numpy

# numpy's BLAS on one thread, as PyTorch runs here (engines/torch.py), unless the user set
# otherwise; before numpy is imported. No workload calls a BLAS routine, and at import
# OpenBLAS's threads spun for 0.1 s of CPU, taken from the pass beside this one
# (docs/measurement.md, "One variant, fresh processes"). The child's report says what it ran under.
os.environ.update({name: os.environ.get(name, "1") for name in THREAD_LIMITS})

from benchmarks import engines
from benchmarks import figures as F
from benchmarks.errors import HarnessError
from benchmarks.measure import argtypes
from benchmarks.measure.probes import (
    MIB,
    READY,
    GcRecorder,
    LiveProbe,
    Progress,
    current_rss_mib,
    kernel_peak_rss_mib,
)
from benchmarks.measure.settings import WORKLOAD as DEFAULTS
from benchmarks.workloads import build, classic
from benchmarks.workloads import variants as V


def make_parser():
    p = argparse.ArgumentParser(
        prog="python benchmarks/loop.py",
        description="1000 x y = square(square(square(Variable(randn(100000))))), measured; or"
        " with --workload deep-chain, 5 x a chain of 64 tanh and its backward.",
    )
    p.add_argument(
        "--variant",
        metavar="NAME",
        help="the variant to run, by its canonical name (weak-backprop, torch-no_grad, numpy,"
        " weak-backward-free); or choose it with --impl, --mode and --design",
    )
    p.add_argument(
        "--engine",
        metavar="FILE",
        help="an engine of your own: a file (my_engine.py) or package.module:NAME; its variants"
        " are NAME-backprop, NAME-backward... (docs/engines.md)",
    )
    p.add_argument(
        "--impl",
        help=f"whose loop: {', '.join(V.impls())}, or your engine's NAME (default weak)",
    )
    p.add_argument(
        "--mode",
        choices=V.MODES,
        help="backprop: record the graph; backward: also call y.backward(); "
        "no_grad: record nothing (default backprop; no_grad for numpy)",
    )
    p.add_argument(
        "--design",
        choices=V.DESIGNS,
        help="with --mode backward: free (backward(retain_graph=False)), checkpoint (every"
        " round(sqrt(depth)) ops, --workload deep-chain) or checkpoint-free (default: neither)",
    )
    p.add_argument("--retain-grad", action="store_true", help="backward(retain_grad=True)")
    argtypes.add_loop_options(p, DEFAULTS)
    p.add_argument("--no-gc", action="store_true", help="disable the cyclic garbage collector")
    p.add_argument(
        "--gc-threshold",
        type=argtypes.gc_threshold,
        metavar="N",
        help="gc threshold0: tracked-container allocations between collections",
    )
    p.add_argument(
        "--tracemalloc", action="store_true", help="also report the exact allocation peak"
    )
    p.add_argument(
        "--native",
        metavar="CAPTURE_FILE",
        help="run the loop under memray, which sees every allocator (C++ too), write its "
        "capture to CAPTURE_FILE and report its peak (pip install -e '.[native]')",
    )
    p.add_argument(
        "--no-peak-stacks",
        dest="peak_stacks",
        action="store_false",
        help="with --native: the peak alone, without the stacks alive at it (reading them back"
        " takes seconds for PyTorch)",
    )
    # Used by the measurement engine, not by people.
    p.add_argument("--progress-file", help=argparse.SUPPRESS)
    p.add_argument("--report-file", help=argparse.SUPPRESS)
    # The explanation pass: the traced pass again, up to checkpoint N (where the traced pass saw
    # the most alive), a tracemalloc snapshot there, then the cycle census. With
    # --explain-within I B instead, the snapshot is taken inside iteration I, at the first call
    # or return where B bytes are alive: where a peak inside an op is.
    p.add_argument(
        "--explain", type=argtypes.whole_number(0, 2**63 - 1), metavar="N", help=argparse.SUPPRESS
    )
    p.add_argument(
        "--explain-within",
        nargs=2,
        type=argtypes.whole_number(0, 2**63 - 1),
        metavar=("I", "B"),
        help=argparse.SUPPRESS,
    )
    # With --explain-within: if no bytecode of iteration I saw B bytes, the snapshot at the
    # first checkpoint after it with between LOW and HIGH bytes alive (the traced pass's most,
    # and what the trace function left beside it).
    p.add_argument(
        "--explain-else", nargs=2, type=argtypes.whole_number(0, 2**63 - 1),
        metavar=("LOW", "HIGH"), help=argparse.SUPPRESS,
    )  # fmt: skip
    # The untraced pass beside another one's set-up: set up, say so on the progress page, then
    # wait for a byte on stdin before the loop (benchmarks/measure/turns.py).
    p.add_argument("--wait-for-turn", action="store_true", help=argparse.SUPPRESS)
    return p


def parse_args(argv=None):
    parser = make_parser()
    args = argtypes.resolve_loop_options(parser.parse_args(argv))
    try:
        user = [engines.load(args.engine)] if args.engine else []
        args.variant = _variant(args, user)
    except (HarnessError, ValueError) as e:
        parser.error(str(e))
    refused = V.refused(args.variant, args.workload)
    if refused:
        parser.error(f"{args.variant.name}: {refused}")
    args.impl, args.mode = args.variant.impl, args.variant.mode
    missing = args.variant.missing()  # a peer that is not installed: say how to install it
    if missing:
        parser.exit(2, f"{parser.prog}: error: {missing}\n")
    if args.retain_grad and args.mode != "backward":
        parser.error(f"--retain-grad needs --mode backward (got --mode {args.mode})")
    if args.retain_grad and not args.variant.engine.accepts("retain_grad"):
        parser.error(f"--retain-grad: {args.variant.engine.name}'s backward takes no retain_grad")
    if args.no_gc and args.gc_threshold:
        parser.error("--no-gc and --gc-threshold contradict each other: choose one")
    if args.explain is not None and args.explain_within:
        parser.error("--explain and --explain-within contradict each other: choose one")
    if args.explain_else is not None and not args.explain_within:
        parser.error("--explain-else goes with --explain-within")
    args.explaining = args.explain is not None or bool(args.explain_within)
    if args.explaining:
        args.tracemalloc = True
    if not args.peak_stacks and not args.native:
        parser.error("--no-peak-stacks goes with --native")
    if args.native:
        if args.tracemalloc:
            parser.error(
                "--native runs without tracemalloc (memray would count its tables): "
                "drop --tracemalloc and --explain, or run them as another pass"
            )
        if os.path.exists(args.native):
            parser.error(f"--native {args.native}: the file exists; give a new capture file")
        if not os.path.isdir(os.path.dirname(args.native) or "."):
            parser.error(f"--native {args.native}: no such folder")
        if importlib.util.find_spec("memray") is None:
            parser.error(
                "--native needs memray, which is not installed: pip install -e '.[native]'"
            )
    return args


def _variant(args, user):
    """The variant the flags name: --variant, or --impl and --mode (the user's engine by
    default when one is given)."""
    if args.variant:
        if args.impl or args.mode or args.design:
            raise ValueError(
                "--variant names the implementation, the mode and the design: leave out --impl,"
                " --mode and --design"
            )
        return V.parse(args.variant, user)
    impl = args.impl or (user[0].prefix if user else "weak")
    if impl == "numpy" and args.mode not in (None, "no_grad"):
        raise ValueError(f"--impl numpy records no graph: --mode {args.mode} is not allowed")
    mode = args.mode or ("no_grad" if impl == "numpy" else "backprop")
    impls = V.impls() + [v.impl for e in user for v in V.of(e)]
    cannot = {**V.CANNOT, **{e.name: e.cannot for e in user}}.get(impl, {}).get(args.workload)
    if cannot:
        raise ValueError(f"--impl {impl} cannot run this loop: {cannot}")
    if impl not in impls:
        raise ValueError(f"--impl {impl!r}: expected one of {', '.join(dict.fromkeys(impls))}")
    allowed = list(dict.fromkeys(v.mode for v in V.known(user).values() if v.impl == impl))
    if mode not in allowed:
        raise ValueError(f"--impl {impl} supports --mode {', '.join(allowed)}, not {mode}")
    design = args.design or ""
    if design:
        designs = [v.design for v in V.known(user).values() if v.impl == impl and v.mode == mode]
        if design not in designs:
            has = ", ".join(d for d in designs if d) or "none"
            raise ValueError(f"--impl {impl} --mode {mode} has no design {design} (it has: {has})")
    return V.by_impl(impl, mode, user, design)


class EngineFailed(Exception):
    """An engine raised inside the loop; the message names it, its file and the iteration."""

    def __init__(self, variant, i, error):
        engine = variant.engine
        where = f" ({engine.source})" if engine.role == "user" else ""
        super().__init__(
            f"{variant.name}: engine {engine.name}{where} raised at iteration {i}: "
            f"{type(error).__name__}: {error}"
        )


def run(args):
    """Run the loop as `args` say; return the child-side figures."""
    keeps_freed = False
    if args.tracemalloc or args.native:  # exact: counts allocations, never reads RSS
        from benchmarks.measure.allocator import keep_freed_memory

        keeps_freed = keep_freed_memory()
    native = None
    if args.native:
        from benchmarks.measure.native import NativePass  # memray: only this pass imports it

        native = NativePass(args.native, args.peak_stacks)
    settings, step = build(args.variant, args.depth, args.retain_grad, args.workload)
    # Made before the baseline is read: the one drawn array it copies is set-up, not the loop.
    fresh_input = classic.fresh_input(args.size, args.seed, args.input)
    progress = Progress(args.progress_file)
    live = LiveProbe(args.iters, snapshot_at=args.explain)
    if args.gc_threshold:
        gc.set_threshold(args.gc_threshold, *gc.get_threshold()[1:])
    # Settings first, then the collection: setting a context variable allocates a number of
    # GC-tracked objects that depends on the variables' addresses, so a gen0 count started
    # before it would shift every collection of the strong graph from one process to the next.
    with settings():  # the engine set up (PyTorch imported and warmed up)
        if args.wait_for_turn:  # set up beside another child; the loop alone (turns.py)
            progress.set(READY)
            if not sys.stdin.buffer.read(1):
                raise HarnessError("the harness went away before this pass's turn came")
        gc.collect()  # a clean heap for the baseline, whatever set-up left behind
        if args.no_gc:
            gc.disable()
        baseline = current_rss_mib()
        recorder = GcRecorder(progress, live)
        if args.tracemalloc:
            tracemalloc.start()
        if native:
            native.start()
        # Last before the loop: its gen0 count starts at zero whatever the lines above did
        # (a text-mode read allocated one container more or less, depending on earlier calls,
        # and moved the strong graph's peak by 7 MiB; docs/measurement.md).
        gc.collect()
        gc.callbacks.append(recorder)
        watch_iter, watch = -1, None
        if args.explain_within:
            watch_iter, target = args.explain_within
            watch = live.watch(target)
        start = time.perf_counter()
        y = None
        done = 0
        for i in range(args.iters):
            progress.set(i)
            if i == watch_iter:
                sys.settrace(watch)
            try:
                y = step(fresh_input())
            except Exception as e:  # the engine's fault: say whose, and where in the loop
                raise EngineFailed(args.variant, i, e) from e
            if i == watch_iter:
                sys.settrace(None)
                if live.snapshot is None:  # no bytecode saw the peak: the next best place
                    live.snapshot_range = args.explain_else
            done = i + 1
            if live.iteration_end(i):
                break  # the explanation pass has its snapshot
        seconds = time.perf_counter() - start
        traced_peak = tracemalloc.get_traced_memory()[1] / MIB if args.tracemalloc else None
        tracemalloc.stop()
        if native:
            native.stop()
        gc.callbacks.remove(recorder)
        del y
        input_s = _input_seconds(fresh_input)
        explained = None
        if args.explaining:
            from benchmarks.measure import explain  # only this pass pays for the import

            explained = explain.after_loop(live, step, fresh_input)
    progress.set(args.iters)
    # The figures under their names in the figure table, which the runner copies by pass.
    return {
        "variant": args.variant.name,
        "python": ".".join(map(str, sys.version_info[:3])),  # the interpreter that ran the loop
        "iters_done": done,
        F.BASELINE.name: baseline,
        F.SECONDS.name: seconds,
        F.PER_ITER.name: seconds / args.iters,
        F.INPUT_DRAW.name: input_s,
        F.TRACED_PEAK.name: traced_peak,
        F.KERNEL_PEAK.name: kernel_peak_rss_mib(),
        "gc": recorder.summary(),
        "live": live.summary(done) if args.tracemalloc else None,
        "explain": explained,
        "engine_version": args.variant.engine.version(),
        "keeps_freed_memory": keeps_freed,  # measure/allocator.py
        "extra": {
            **args.variant.engine.facts(),
            **getattr(step, "facts", dict)(),
            "thread_limits": {name: os.environ.get(name) for name in THREAD_LIMITS},
        },
        **(native.figures() if native else {F.NATIVE_PEAK.name: None, "native": None}),
    }


def _input_seconds(fresh_input, times=5):
    """The least time making one input takes, as every iteration makes it: part of the loop's
    time per iteration, timed after the loop so the loop stays as it is."""
    best = math.inf
    for _ in range(times):
        start = time.perf_counter()
        fresh_input()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv=None):
    args = parse_args(argv)
    figures = run(args)
    value = {f: figures[f.name] for f in F.FIGURES if f.name in figures}
    line = (
        f"{figures['variant']}: {args.iters} iterations in {value[F.SECONDS]:.2f} s, "
        f"peak RSS {F.text(F.KERNEL_PEAK, value[F.KERNEL_PEAK])} "
        f"(baseline {F.text(F.BASELINE, value[F.BASELINE])})"
    )
    for figure in (F.TRACED_PEAK, F.NATIVE_PEAK):
        if value[figure] is not None:
            line += f", {figure.title} {F.text(figure, value[figure])}"
    print(line, flush=True)
    if args.report_file:
        with open(args.report_file, "w") as f:
            json.dump(figures, f)


if __name__ == "__main__":
    main()
    # Everything is written: the report file closed, the progress page shared, stdout flushed.
    # Leave without tearing the interpreter down: that measures nothing, and it took a child
    # that had imported PyTorch 0.4 s, in every pass the harness waits for.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
