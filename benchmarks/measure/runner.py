"""The runner: every variant in its own fresh child process, sampled from outside.

A variant is measured in up to three passes, each a new `benchmarks/loop.py` process: an
untraced pass (RSS timeline sampled with psutil, the kernel's peak from `os.wait4`, GC activity,
wall time), a traced pass (the exact tracemalloc peak and the bytes alive at every iteration and
collection, which would slow the first pass down) and, where memray is installed, a native pass
(the peak of every allocator, C++ included: docs/measurement.md). The traced pass starts a
process that explains the peak: it reruns the traced pass up to where the most was alive, takes
a snapshot there, then counts one iteration's cyclic garbage; the GC model turns that census
into a predicted peak. Each pass copies the figures its child reports, as benchmarks/figures.py
names them. A caller may ask for one pass alone (the matrix and the sweep run the exact passes
side by side, the untraced ones alone) and `combine` the records into what all of them in a row
would have given.
"""

import contextlib
import copy
import json
import mmap
import os
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import psutil

from .. import figures as F
from ..files import folders, results
from ..workloads import DEFAULT as DEFAULT_WORKLOAD
from . import children, gcmodel, interpreters, probes
from .probes import MIB, READY
from .turns import Turn

LOOP = str(folders.PROJECT_ROOT / "benchmarks" / "loop.py")
REPEATED = tuple(f.name for f in F.FIGURES if f.repeated)
CHECK_S = 0.005  # how often the memory limit and the timeout are checked, whatever the interval
# Fewer RSS samples than this while the loop ran and the sampled peak means nothing: it may
# even fall below the RSS after imports. The kernel's peak, exact, is reported all the same.
MIN_LOOP_SAMPLES = 5


@dataclass
class Pass:
    """What one child process gave: its status, its own report and what the parent saw."""

    status: str = "ok"
    error: str | None = None
    report: dict | None = None
    kernel_peak_rss_mib: float | None = None
    iters_done: int = 0
    timeline: dict = field(default_factory=dict)


def loop_command(variant, settings, traced=False, native=None, peak_stacks=True):
    """The loop.py command line that runs `variant` as `settings` say: untraced, traced, or
    under memray writing to the capture file `native`, with the stacks alive at its peak
    summarised if `peak_stacks`."""
    cmd = [settings.python or sys.executable, LOOP, "--variant", variant.name]
    if variant.engine.role == "user":
        cmd += ["--engine", variant.engine.where]
    if settings.workload != DEFAULT_WORKLOAD:
        cmd += ["--workload", settings.workload]
    cmd += [
        "--iters",
        str(settings.iters),
        "--size",
        str(settings.size),
        "--depth",
        str(settings.depth),
        "--seed",
        str(settings.seed),
        "--input",
        settings.input,
    ]
    if retains_grad(variant, settings):
        cmd.append("--retain-grad")
    if not settings.gc_enabled:
        cmd.append("--no-gc")
    elif settings.gc_threshold:
        cmd += ["--gc-threshold", str(settings.gc_threshold)]
    if traced:
        cmd.append("--tracemalloc")
    if native:
        cmd += ["--native", native]
        if not peak_stacks:
            cmd.append("--no-peak-stacks")
    return cmd


def retains_grad(variant, settings):
    """Whether `variant` runs with retain_grad: asked for, and its engine's backward takes it."""
    return (
        settings.retain_grad
        and variant.mode == "backward"
        and variant.engine.accepts("retain_grad")
    )


def _tail(path, limit=2000):
    with open(path, errors="replace") as f:
        text = f.read()
    return text[-limit:].strip()


def run_pass(variant, settings, traced=False, on_progress=None, explain_at=None, native=False,
             peak_stacks=True, turns=None):  # fmt: skip
    """Run one child process and sample it until it ends; never raises for the child's faults.
    `explain_at` makes it the explanation pass: a checkpoint or ("within", iteration, bytes,
    the least and most bytes a later checkpoint may hold instead) (`_snapshot_at`); `native`
    the native pass, its capture in the pass's temporary folder; `turns` (turns.Turns) has the
    child set up beside others and run its loop alone, the time it waited for its turn left
    out of its timeline and its timeout.

    The child dies with this process (children.running), and is killed if anything, a signal
    included, stops the watching; its temporary folder goes with it."""
    with tempfile.TemporaryDirectory(prefix="agbench-") as tmp:
        progress_path = os.path.join(tmp, "progress")
        report_path = os.path.join(tmp, "report.json")
        stderr_path = os.path.join(tmp, "stderr")
        with open(progress_path, "wb") as f:
            f.write(struct.pack("q", -1))
        capture = os.path.join(tmp, f"{variant.name}.bin") if native else None
        cmd = loop_command(variant, settings, traced, capture, peak_stacks)
        if isinstance(explain_at, tuple):
            cmd += ["--explain-within", *map(str, explain_at[1:3])]
            cmd += ["--explain-else", *map(str, explain_at[3:5])]
        elif explain_at is not None:
            cmd += ["--explain", str(explain_at)]
        if turns is not None:
            cmd.append("--wait-for-turn")
        cmd += ["--progress-file", progress_path, "--report-file", report_path]
        # Only the untraced pass keeps its RSS timeline: the others sample it no more often
        # than the limits are checked, which leaves the CPU to the passes beside them.
        exact = traced or native or explain_at is not None
        interval_s = max(settings.interval_s, CHECK_S) if exact else settings.interval_s
        with open(progress_path, "r+b") as f, open(stderr_path, "wb") as err:
            shared = mmap.mmap(f.fileno(), 8)
            turn = None
            try:
                turn = Turn(turns) if turns is not None else None  # waits while a loop runs
                start_unix = time.time()
                stdin = subprocess.PIPE if turn else subprocess.DEVNULL
                quiet = {"stdin": stdin, "stdout": subprocess.DEVNULL, "stderr": err}
                with children.running(cmd, **quiet) as child:
                    result = _sample(child, shared, settings, on_progress, interval_s, turn)
                result.timeline["start_unix"] = round(start_unix, 3)  # for mprof-format files
                if turn:
                    result.timeline.update(turn.facts())
            finally:
                if turn:
                    turn.close()
                shared.close()
        if result.status == "ok" and child.returncode != 0:
            result.status = "error"
            result.error = _tail(stderr_path) or f"exit code {child.returncode}"
        elif result.status == "ok":
            with open(report_path) as f:
                result.report = json.load(f)
            result.iters_done = result.report["iters_done"]
            # The child's own high-water mark, read as it finished: exact, and its own alone.
            result.kernel_peak_rss_mib = result.report[F.KERNEL_PEAK.name]
            _check_the_limit_held(result, settings)
    return result


def _check_the_limit_held(result, settings):
    # Between two checks a child can pass the limit and finish: its own peak still tells.
    peak = result.kernel_peak_rss_mib
    if peak is not None and peak > settings.mem_limit_mib:
        result.status = "exceeded_limit"
        result.error = (
            f"peak RSS {peak:.1f} MiB passed the limit of {settings.mem_limit_mib:.0f} MiB "
            "between two checks; the process ended before it could be stopped"
        )


def _read_memory(proc):
    """(RSS, the child's own high-water mark or None) in MiB; None once the child is gone."""
    status = probes.memory_status_mib(proc.pid)
    if status is not None:
        return status
    try:
        return proc.memory_info().rss / MIB, None  # not Linux: no high-water mark to read
    except psutil.Error:  # exiting between wait4 and the read
        return None


def _sample(child, shared, settings, on_progress, interval_s, turn=None):
    """Sample the child's RSS every `interval_s` and its iteration until it exits; kill it past
    the memory limit or the timeout, checked every CHECK_S whatever the sampling interval, or
    when the harness stops its passes (children.stop_all). With a `turn` (turns.Turn), the child
    waits once set up until its loop's turn comes: that wait is in neither the timeline's
    times nor the timeout."""
    proc = psutil.Process(child.pid)
    t, rss, iters = [], [], []
    result = Pass(timeline={"interval_s": interval_s, "t": t, "rss_mib": rss, "iter": iters})
    start = time.perf_counter()
    next_sample, deadline = start, start + settings.timeout_s
    while True:
        if turn and turn.state == "setting up" and struct.unpack_from("q", shared)[0] == READY:
            waited = 0.0
            with contextlib.suppress(children.Stopped):  # seen below: the child is killed
                waited = turn.take(child)
            start, deadline = start + waited, deadline + waited
            next_sample = max(next_sample + waited, time.perf_counter())
        # wait4 rather than Popen.wait: it also gives the child's rusage (the kernel's peak).
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            child.returncode = os.waitstatus_to_exitcode(status)
            if result.kernel_peak_rss_mib is None:  # not Linux: ru_maxrss, see KERNEL_PEAK
                result.kernel_peak_rss_mib = usage.ru_maxrss / (
                    MIB if sys.platform == "darwin" else 1024
                )
            break
        now = time.perf_counter()
        memory = _read_memory(proc)
        i = max(struct.unpack_from("q", shared)[0], -1)  # READY is "not in its loop yet" too
        if result.status == "ok":  # once killed, it stays the iteration the error names
            result.iters_done = max(i, 0)
        mib = 0.0
        if memory is not None:
            mib, high_water = memory
            if high_water is not None:  # the last seen: a killed child reports nothing itself
                result.kernel_peak_rss_mib = high_water
        if now >= next_sample:
            if mib > 0:
                t.append(round(now - start, 6))
                rss.append(round(mib, 3))
                iters.append(i)
            if on_progress is not None:
                on_progress(i)
            next_sample = max(next_sample + interval_s, now)
        peak = max(mib, result.kernel_peak_rss_mib or 0.0)
        if peak > settings.mem_limit_mib and result.status == "ok":
            result.status = "exceeded_limit"
            result.error = (
                f"RSS {peak:.1f} MiB passed the limit of {settings.mem_limit_mib:.0f} MiB "
                f"at iteration {max(i, 0)}; the process was killed"
            )
            child.send_signal(signal.SIGKILL)
        elif now >= deadline and result.status == "ok":
            result.status = "error"
            result.error = f"timed out after {settings.timeout_s:g} s at iteration {max(i, 0)}"
            child.send_signal(signal.SIGKILL)
        elif children.stopping() and result.status == "ok":
            result.status = "error"
            result.error = f"stopped at iteration {max(i, 0)}: the harness is stopping"
            child.send_signal(signal.SIGKILL)
        wake = min(next_sample, now + CHECK_S, max(deadline, now))
        time.sleep(max(0.0, wake - time.perf_counter()))
    return result


def _loop_samples(timeline, iters):
    return sum(1 for i in timeline["iter"] if 0 <= i < iters)


def _record(variant, settings):
    record = results.new_record(
        variant.name,
        variant.impl,
        variant.mode,
        settings.iters,
        settings.size,
        settings.depth,
        variant.live_array_floor_mib(
            settings.size,
            settings.depth,
            settings.iters,
            retains_grad(variant, settings),
            settings.workload,
        ),
    )
    record["interpreter"] = interpreters.record_facts(settings.python)
    record["engine"] = variant.engine.name
    record["design"] = variant.design
    return record


def _copy_figures(record, pass_name, report):
    """The figures pass `pass_name` produces, from its child's report (benchmarks/figures.py)."""
    for figure in F.of_pass(pass_name):
        record[figure.name] = report.get(figure.name)


def _untraced_pass(record, variant, settings, on_progress, turns=None):
    untraced = run_pass(variant, settings, on_progress=on_progress, turns=turns)
    record["timeline"] = untraced.timeline
    record["iters_done"] = untraced.iters_done
    # What the parent saw: a killed child reports nothing itself, and its peak still tells.
    record[F.KERNEL_PEAK.name] = untraced.kernel_peak_rss_mib
    samples = _loop_samples(untraced.timeline, settings.iters)
    if samples >= MIN_LOOP_SAMPLES:
        record[F.PEAK_RSS.name] = max(untraced.timeline["rss_mib"])
    else:
        record["warnings"].append(
            f"{samples} RSS sample(s) while the loop ran, fewer than {MIN_LOOP_SAMPLES}: no "
            f"sampled peak is reported (sampling every {settings.interval_s:g} s; the kernel "
            "peak is exact)"
        )
    if untraced.status != "ok":
        record.update(status=untraced.status, error=untraced.error)
        return
    report = untraced.report
    _copy_figures(record, UNTRACED, report)
    record.update(gc=report["gc"], extra=report["extra"], engine_version=report["engine_version"])
    peak, baseline = record[F.PEAK_RSS.name], record[F.BASELINE.name]
    if peak is not None:
        record[F.INCREMENT.name] = peak - baseline


def _traced_pass(record, variant, settings, on_progress, census=None):
    traced = run_pass(variant, settings, traced=True, on_progress=on_progress)
    if record["timeline"] is None:  # no untraced pass: this one says how far the loop got
        record["iters_done"] = traced.iters_done
    if traced.status != "ok":
        record.update(status=traced.status, error=f"traced pass: {traced.error}")
        return
    _copy_figures(record, TRACED, traced.report)
    seen = (traced.report.get("gc") or {}).get("events") or []
    keys = ("iter", "generation", "collected", *LIVE_AT_COLLECTION)
    record["live"] = dict(
        traced.report["live"], collections=[{k: e.get(k) for k in keys} for e in seen]
    )
    _pair_collections(record)
    record["explain"] = explain(variant, settings, record, traced.report, census)
    _copy_figures(record, EXPLAIN, {F.MODEL_PEAK.name: _model_peak(record["explain"])})


def _model_peak(explained):
    return (explained.get("model") or {}).get("peak_mib")


LIVE_AT_COLLECTION = ("live_before_mib", "live_after_mib", "freed_mib")


def _pair_collections(record):
    """The traced pass's live bytes beside each collection of the untraced pass, once a record
    holds both. Both passes allocate the same tracked objects, so their collections fall on the
    same iterations; if they ever do not, the traced pass's collections are kept on their own
    (`live.collections`), and the untraced pass's get null."""
    seen = (record.get("live") or {}).get("collections")
    if record.get("gc") is None or seen is None:
        return  # not both passes yet: the traced pass's own collections stay
    mine = record["gc"].get("events") or []
    if [(e["iter"], e["generation"]) for e in mine] == [(e["iter"], e["generation"]) for e in seen]:
        for event, twin in zip(mine, seen, strict=True):
            event.update({k: twin.get(k) for k in LIVE_AT_COLLECTION})
        record["live"]["collections"] = None
        return
    for event in mine:
        event.update(dict.fromkeys(LIVE_AT_COLLECTION))


def explain(variant, settings, record, traced, census=None):
    """The explanation pass and the GC model for a measured variant: {"attribution", "census",
    "model"}, or {"error": why} when the pass failed (the measured figures still stand).

    `census`, (a census, the results file it is from), taken at the same settings but the
    collector's threshold, stands for this one's: the threshold changes when the collector
    runs, not what an iteration leaves it (docs/measurement.md, "Sweeps"). No explanation pass
    runs then, and the attribution says why it is missing."""
    if census is not None:
        figures, source = census
        found = {
            "attribution": {"error": f"not taken: the census is the one of {source}"},
            "census": copy.deepcopy(figures),
        }
    else:
        found = _explanation_pass(variant, settings, traced)
        if "error" in found:
            return found
    threshold = (traced.get("gc") or {}).get("threshold") or [700, 10, 10]
    inputs = gcmodel.Inputs.from_census(
        found["census"],
        record[F.FLOOR.name] or 0.0,
        threshold if settings.gc_enabled else (None, threshold[1]),
        settings.iters,
    )
    found["model"] = gcmodel.predict(inputs)
    return found


def _explanation_pass(variant, settings, traced):
    """{"attribution", "census"} from the explanation pass, or {"error": why}.

    Where the peak lies inside an iteration and no bytecode of it sees the peak, the snapshot
    falls back to where the most was alive at a checkpoint: in the same child, at the first
    later checkpoint holding as much (a loop in its steady state holds it at every iteration's
    end), give or take what tracing left, under half an array; else in a second child that
    stops at the traced pass's own."""
    where = _snapshot_at(settings, traced)
    third = run_pass(variant, settings, traced=True, explain_at=where)
    within = isinstance(where, tuple)
    missed = third.status == "ok" and third.report["explain"]["attribution"].get("error")
    if within and missed:
        checkpoint = traced["live"]["most_alive"]["checkpoint"]
        third = run_pass(variant, settings, traced=True, explain_at=checkpoint)
    if third.status != "ok":
        return {"error": f"explanation pass: {third.error}"}
    found = third.report["explain"]
    if within and not {"where", "error"} & set(found["attribution"]):  # it holds less: say so
        found["attribution"]["peak_unseen_in_iter"] = where[1]
    return found


def _snapshot_at(settings, traced):
    """Where the explanation pass takes its snapshot: the checkpoint where the traced pass saw
    the most alive (an iteration's end, a collection's start or stop: the strong graph's peak
    is the start of its largest collection), or, when the traced peak lies further above it
    than half an array (inside an op, as numpy's and the weak graph's do), ("within", the
    iteration the peak was reached in, the bytes that put every array of the peak alive, and
    the least and most bytes a later checkpoint may hold to stand in for the traced pass's
    most, should no bytecode see the peak)."""
    live = traced["live"]
    most, peak_iter = live["most_alive"], live.get("peak_iter")
    peak = round(traced[F.TRACED_PEAK.name] * MIB)
    half_array = settings.size * 8 // 2
    if peak_iter is None or peak_iter < 0 or peak - most["mib"] * MIB <= half_array:
        return most["checkpoint"]
    # Should no bytecode see it: a later checkpoint holding the most, with what the trace
    # function leaves (code objects traced keep a line table, a few KiB), less than half an array.
    most_bytes = round(most["mib"] * MIB)
    return ("within", peak_iter, peak - half_array, most_bytes, most_bytes + half_array)


def keeps_peak_stacks(variant, settings):
    """Whether the native pass keeps the stacks alive at `variant`'s peak (for its flame
    graph): the strong graph's variants, and those `--flamegraph` names."""
    return variant.graph == "strong" or variant.name in settings.flamegraph


def _native_pass(record, variant, settings, on_progress):
    stacks = keeps_peak_stacks(variant, settings)
    native = run_pass(variant, settings, on_progress=on_progress, native=True, peak_stacks=stacks)
    if record["timeline"] is None and record["live"] is None:  # the only pass taken
        record["iters_done"] = native.iters_done
    if native.status != "ok":
        # The other passes' figures stand without this one: the figure is null, with why.
        record["native"] = {"error": f"native pass: {native.error}"}
        return
    _copy_figures(record, NATIVE, native.report)
    found = dict(native.report["native"])
    found.pop("capture_file")  # gone with the pass's temporary folder
    record["native"] = found


UNTRACED, TRACED, EXPLAIN, NATIVE = F.PASSES
# In the order `measure` takes them: a pass after a failed untraced or traced one would measure
# nothing new. A failed native pass fails nothing else (its figure is null, `native.error` why).
PASSES = {UNTRACED: _untraced_pass, TRACED: _traced_pass, NATIVE: _native_pass}
DEFAULT_PASSES = (UNTRACED, TRACED)
# What each pass puts into a record: its figures (and the runner's from its child), and the
# fields beside them; what `combine` takes from a record of that pass.
ADDS = {
    UNTRACED: (
        *(f.name for f in (*F.of_pass(UNTRACED), F.PEAK_RSS, F.INCREMENT)),
        "timeline", "gc", "extra", "engine_version", "iters_done", "warnings",
    ),
    TRACED: (*(f.name for f in (*F.of_pass(TRACED), *F.of_pass(EXPLAIN))), "live", "explain"),
    NATIVE: (*(f.name for f in F.of_pass(NATIVE)), "native"),
}  # fmt: skip


def measure_once(variant, settings, on_progress=None, passes=DEFAULT_PASSES, census=None,
                 turns=None):  # fmt: skip
    """The `passes` of `variant` (any of PASSES): a variant record whose figures from a pass
    not taken stay null. `census`: the traced pass's, taken already (`explain`); `turns`: the
    untraced pass's (`run_pass`)."""
    record = _record(variant, settings)
    given = {TRACED: {"census": census}, UNTRACED: {"turns": turns}}
    for name in PASSES:
        if name in passes and record["status"] == "ok":
            PASSES[name](record, variant, settings, on_progress, **given.get(name, {}))
    return record


def combine(records):
    """The record `measure` would give for every pass of `records` ({pass: a record of that
    pass alone}, of one variant and its settings), as the matrix and a sweep take them apart."""
    taken = [name for name in PASSES if name in records]
    record = copy.deepcopy(records[taken[0]])
    for name in taken[1:]:
        add(record, name, records[name])
    return record


def add(record, pass_name, other):
    """Put what pass `pass_name` measured in `other` (a record of it alone) into `record`; the
    first failure of the untraced and traced passes is the record's."""
    if other["status"] != "ok" and record["status"] == "ok":
        record.update(status=other["status"], error=other["error"])
    keys = ADDS[pass_name]
    if pass_name != UNTRACED and record["timeline"] is not None:
        keys = [k for k in keys if k != "iters_done"]  # the untraced pass says how far it got
    for key in keys:
        record[key] = copy.deepcopy(other.get(key))
    if "repeats" in other:
        record["repeats"] = {**record.get("repeats", {}), **other["repeats"]}
    _pair_collections(record)


def skipped(variant, settings):
    """The record of a variant whose engine is not installed where the children run (a peer),
    with the reason; None for one that can run."""
    # A peer is installed or not for the interpreter the children run, not for this one.
    missing = (
        variant.missing()
        if settings.python is None
        else interpreters.missing_peer(variant, settings.python)
    )
    if missing:
        return {**_record(variant, settings), "status": "skipped", "error": missing}
    return None


def measure(variant, settings, on_progress=None, passes=DEFAULT_PASSES, census=None, turns=None):
    """`variant` measured `settings.repeat` times; figures are medians, spreads under `repeats`.
    `passes` chooses among the untraced, traced and native passes (default: the first two);
    `census`, one taken already at these settings but the threshold (`explain`); `turns`, the
    untraced passes' set-ups and loops (turns.Turns)."""
    record = skipped(variant, settings)
    if record is not None:
        return record
    runs = []
    for _ in range(settings.repeat):
        runs.append(measure_once(variant, settings, on_progress, passes, census, turns))
        if runs[-1]["status"] != "ok":
            return runs[-1]  # a failure is the result: repeating it measures nothing new
    record = dict(runs[len(runs) // 2])
    if settings.repeat > 1:
        record["repeats"] = {}
        for name in REPEATED:
            values = [r[name] for r in runs if r[name] is not None]
            if values:
                record[name] = statistics.median(values)
                record["repeats"][name] = {
                    "median": record[name],
                    "min": min(values),
                    "max": max(values),
                    "values": values,
                }
    return record
