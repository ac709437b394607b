"""The runner: every variant in its own fresh child process, sampled from outside.

A variant is measured in two passes, each a new `benchmarks/loop.py` process: an untraced pass
(RSS timeline sampled with psutil, the kernel's peak from `os.wait4`, GC activity, wall time)
and a traced pass (the exact tracemalloc peak and the bytes alive at every iteration and
collection, which would slow the first pass down). A third process explains the peak: it reruns
the traced pass up to where the most was alive, takes a snapshot there, then counts one
iteration's cyclic garbage; the GC model turns that census into a predicted peak. A caller may
ask for either pass alone (a sweep runs traced passes side by side, untraced ones alone) and
`combine` the two records into what both passes in a row would have given.
"""

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
from .probes import MIB

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


def loop_command(variant, settings, traced=False):
    """The loop.py command line that runs `variant` as `settings` say."""
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
    ]
    if retains_grad(variant, settings):
        cmd.append("--retain-grad")
    if not settings.gc_enabled:
        cmd.append("--no-gc")
    elif settings.gc_threshold:
        cmd += ["--gc-threshold", str(settings.gc_threshold)]
    if traced:
        cmd.append("--tracemalloc")
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


def run_pass(variant, settings, traced=False, on_progress=None, explain_at=None):
    """Run one child process and sample it until it ends; never raises for the child's faults.
    `explain_at` makes it the explanation pass: a checkpoint or ("within", iteration, bytes)
    (`_snapshot_at`).

    The child dies with this process (children.running), and is killed if anything, a signal
    included, stops the watching; its temporary folder goes with it."""
    with tempfile.TemporaryDirectory(prefix="agbench-") as tmp:
        progress_path = os.path.join(tmp, "progress")
        report_path = os.path.join(tmp, "report.json")
        stderr_path = os.path.join(tmp, "stderr")
        with open(progress_path, "wb") as f:
            f.write(struct.pack("q", -1))
        cmd = loop_command(variant, settings, traced)
        if isinstance(explain_at, tuple):
            cmd += ["--explain-within", *map(str, explain_at[1:])]
        elif explain_at is not None:
            cmd += ["--explain", str(explain_at)]
        cmd += ["--progress-file", progress_path, "--report-file", report_path]
        with open(progress_path, "r+b") as f, open(stderr_path, "wb") as err:
            shared = mmap.mmap(f.fileno(), 8)
            try:
                start_unix = time.time()
                with children.running(cmd, stdout=subprocess.DEVNULL, stderr=err) as child:
                    result = _sample(child, shared, settings, on_progress)
                result.timeline["start_unix"] = round(start_unix, 3)  # for mprof-format files
            finally:
                shared.close()
        if result.status == "ok" and child.returncode != 0:
            result.status = "error"
            result.error = _tail(stderr_path) or f"exit code {child.returncode}"
        elif result.status == "ok":
            with open(report_path) as f:
                result.report = json.load(f)
            result.iters_done = result.report["iters_done"]
            # The child's own high-water mark, read as it finished: exact, and its own alone.
            result.kernel_peak_rss_mib = result.report["kernel_peak_rss_mib"]
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


def _sample(child, shared, settings, on_progress):
    """Sample the child's RSS every `interval_s` and its iteration until it exits; kill it past
    the memory limit or the timeout, checked every CHECK_S whatever the sampling interval."""
    proc = psutil.Process(child.pid)
    t, rss, iters = [], [], []
    result = Pass(
        timeline={"interval_s": settings.interval_s, "t": t, "rss_mib": rss, "iter": iters}
    )
    start = time.perf_counter()
    next_sample, deadline = start, start + settings.timeout_s
    while True:
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
        i = struct.unpack_from("q", shared)[0]
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
            next_sample = max(next_sample + settings.interval_s, now)
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


def _untraced_pass(record, variant, settings, on_progress):
    untraced = run_pass(variant, settings, on_progress=on_progress)
    record["timeline"] = untraced.timeline
    record["iters_done"] = untraced.iters_done
    record["kernel_peak_rss_mib"] = untraced.kernel_peak_rss_mib
    samples = _loop_samples(untraced.timeline, settings.iters)
    if samples >= MIN_LOOP_SAMPLES:
        record["peak_rss_mib"] = max(untraced.timeline["rss_mib"])
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
    record.update(
        baseline_rss_mib=report["baseline_rss_mib"],
        seconds=report["seconds"],
        seconds_per_iter=report["seconds_per_iter"],
        input_draw_s=report.get("input_draw_s"),
        gc=report["gc"],
        extra=report["extra"],
        engine_version=report.get("engine_version"),
    )
    if record["peak_rss_mib"] is not None:
        record["peak_increment_mib"] = record["peak_rss_mib"] - record["baseline_rss_mib"]


def _traced_pass(record, variant, settings, on_progress):
    traced = run_pass(variant, settings, traced=True)
    if record["timeline"] is None:  # no untraced pass: this one says how far the loop got
        record["iters_done"] = traced.iters_done
    if traced.status != "ok":
        record.update(status=traced.status, error=f"traced pass: {traced.error}")
    else:
        record["tracemalloc_peak_mib"] = traced.report["tracemalloc_peak_mib"]
        _add_live(record, traced.report)
        record["explain"] = explain(variant, settings, record, traced.report)
        record["model_peak_mib"] = (record["explain"].get("model") or {}).get("peak_mib")


def _add_live(record, traced):
    """The traced pass's live bytes beside each collection of the untraced pass. Both passes
    allocate the same tracked objects, so their collections fall on the same iterations; if
    they ever do not, the traced pass's collections are kept on their own."""
    record["live"] = dict(traced["live"], collections=None)
    mine = (record.get("gc") or {}).get("events") or []
    seen = (traced.get("gc") or {}).get("events") or []
    keys = ("live_before_mib", "live_after_mib", "freed_mib")
    if [(e["iter"], e["generation"]) for e in mine] == [(e["iter"], e["generation"]) for e in seen]:
        for event, twin in zip(mine, seen, strict=True):
            event.update({k: twin.get(k) for k in keys})
        return
    for event in mine:
        event.update(dict.fromkeys(keys))
    record["live"]["collections"] = [
        {k: e.get(k) for k in ("iter", "generation", "collected", *keys)} for e in seen
    ]


def explain(variant, settings, record, traced):
    """The explanation pass and the GC model for a measured variant: {"attribution", "census",
    "model"}, or {"error": why} when the pass failed (the measured figures still stand)."""
    where = _snapshot_at(settings, traced)
    third = run_pass(variant, settings, traced=True, explain_at=where)
    missed = third.status == "ok" and third.report["explain"]["attribution"].get("error")
    if isinstance(where, tuple) and missed:
        # No call or return saw the peak: the checkpoint where the most was alive.
        checkpoint = traced["live"]["most_alive"]["checkpoint"]
        third = run_pass(variant, settings, traced=True, explain_at=checkpoint)
    if third.status != "ok":
        return {"error": f"explanation pass: {third.error}"}
    found = third.report["explain"]
    if isinstance(where, tuple) and missed:  # said beside the snapshot: it holds less
        found["attribution"]["peak_unseen_in_iter"] = where[1]
    threshold = (traced.get("gc") or {}).get("threshold") or [700, 10, 10]
    inputs = gcmodel.Inputs.from_census(
        found["census"],
        record["live_array_floor_mib"] or 0.0,
        threshold if settings.gc_enabled else (None, threshold[1]),
        settings.iters,
    )
    found["model"] = gcmodel.predict(inputs)
    return found


def _snapshot_at(settings, traced):
    """Where the explanation pass takes its snapshot: the checkpoint where the traced pass saw
    the most alive (an iteration's end, a collection's start or stop: the strong graph's peak
    is the start of its largest collection), or, when the traced peak lies further above it
    than half an array (inside an op, as numpy's and the weak graph's do), ("within", the
    iteration the peak was reached in, the bytes that put every array of the peak alive)."""
    live = traced["live"]
    most, peak_iter = live["most_alive"], live.get("peak_iter")
    peak = round(traced["tracemalloc_peak_mib"] * MIB)
    half_array = settings.size * 8 // 2
    if peak_iter is None or peak_iter < 0 or peak - most["mib"] * MIB <= half_array:
        return most["checkpoint"]
    return ("within", peak_iter, peak - half_array)


UNTRACED, TRACED = "untraced", "traced"
# What the traced pass (and the explanation pass it starts) adds to a record.
TRACED_FIGURES = ("tracemalloc_peak_mib", "live", "explain", "model_peak_mib")
# In the order `run` takes them: a pass after a failed one would measure nothing new.
PASSES = {UNTRACED: _untraced_pass, TRACED: _traced_pass}


def measure_once(variant, settings, on_progress=None, passes=tuple(PASSES)):
    """The `passes` of `variant` (untraced, traced or both): a schema-1 variant record whose
    figures from a pass not taken stay null."""
    record = _record(variant, settings)
    for name in PASSES:
        if name in passes and record["status"] == "ok":
            PASSES[name](record, variant, settings, on_progress)
    return record


def combine(untraced, traced):
    """The record `measure` would give for both passes, from an untraced-only and a
    traced-only record of the same variant and settings (a sweep takes them apart)."""
    if untraced["status"] != "ok":
        return untraced  # `measure` starts no traced pass after a failed untraced one
    record = dict(untraced)
    if traced["status"] != "ok":
        record.update(status=traced["status"], error=traced["error"])
    for key in TRACED_FIGURES:
        record[key] = traced.get(key)
    if "repeats" in traced:
        record["repeats"] = {**untraced.get("repeats", {}), **traced["repeats"]}
    return record


def measure(variant, settings, on_progress=None, passes=tuple(PASSES)):
    """`variant` measured `settings.repeat` times; figures are medians, spreads under `repeats`.
    `passes` chooses the untraced pass, the traced one or both (the default, what `run` takes)."""
    # A peer is installed or not for the interpreter the children run, not for this one.
    missing = (
        variant.missing()
        if settings.python is None
        else interpreters.missing_peer(variant, settings.python)
    )
    if missing:
        return {**_record(variant, settings), "status": "skipped", "error": missing}
    runs = []
    for _ in range(settings.repeat):
        runs.append(measure_once(variant, settings, on_progress, passes))
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
