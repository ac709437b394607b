"""The runner: every variant in its own fresh child process, sampled from outside.

A variant is measured in two passes, each a new `benchmarks/loop.py` process: an untraced pass
(RSS timeline sampled with psutil, the kernel's peak from `os.wait4`, GC activity, wall time)
and a traced pass (the exact tracemalloc peak, which would slow the first pass down).
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

from .. import paths, results
from . import interpreters
from .probes import MIB

LOOP = str(paths.PROJECT_ROOT / "benchmarks" / "loop.py")
REPEATED = tuple(f.name for f in results.FIGURES if f.repeated)


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
    cmd = [
        settings.python or sys.executable,
        LOOP,
        "--impl",
        variant.impl,
        "--mode",
        variant.mode,
        "--iters",
        str(settings.iters),
        "--size",
        str(settings.size),
        "--depth",
        str(settings.depth),
        "--seed",
        str(settings.seed),
    ]
    if settings.retain_grad and variant.mode == "backward":
        cmd.append("--retain-grad")
    if not settings.gc_enabled:
        cmd.append("--no-gc")
    elif settings.gc_threshold:
        cmd += ["--gc-threshold", str(settings.gc_threshold)]
    if traced:
        cmd.append("--tracemalloc")
    return cmd


def _tail(path, limit=2000):
    with open(path, errors="replace") as f:
        text = f.read()
    return text[-limit:].strip()


def run_pass(variant, settings, traced=False, on_progress=None):
    """Run one child process and sample it until it ends; never raises for the child's faults."""
    with tempfile.TemporaryDirectory(prefix="agbench-") as tmp:
        progress_path = os.path.join(tmp, "progress")
        report_path = os.path.join(tmp, "report.json")
        stderr_path = os.path.join(tmp, "stderr")
        with open(progress_path, "wb") as f:
            f.write(struct.pack("q", -1))
        cmd = loop_command(variant, settings, traced)
        cmd += ["--progress-file", progress_path, "--report-file", report_path]
        with open(progress_path, "r+b") as f, open(stderr_path, "wb") as err:
            shared = mmap.mmap(f.fileno(), 8)
            child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
            result = _sample(child, shared, settings, on_progress)
            shared.close()
        if result.status == "ok" and child.returncode != 0:
            result.status = "error"
            result.error = _tail(stderr_path) or f"exit code {child.returncode}"
        elif result.status == "ok":
            with open(report_path) as f:
                result.report = json.load(f)
            result.iters_done = result.report["iters_done"]
    return result


def _sample(child, shared, settings, on_progress):
    """Sample the child's RSS and iteration until it exits; kill it past the limit or timeout."""
    proc = psutil.Process(child.pid)
    t, rss, iters = [], [], []
    result = Pass(
        timeline={"interval_s": settings.interval_s, "t": t, "rss_mib": rss, "iter": iters}
    )
    start = time.perf_counter()
    next_sample = start
    while True:
        # wait4 rather than Popen.wait: it also gives the child's rusage (the kernel's peak).
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            child.returncode = os.waitstatus_to_exitcode(status)
            result.kernel_peak_rss_mib = usage.ru_maxrss / (
                MIB if sys.platform == "darwin" else 1024
            )
            break
        now = time.perf_counter()
        try:
            mib = proc.memory_info().rss / MIB
        except psutil.Error:  # exiting between wait4 and the read
            mib = 0.0
        i = struct.unpack_from("q", shared)[0]
        if mib > 0:
            t.append(round(now - start, 6))
            rss.append(round(mib, 3))
            iters.append(i)
        result.iters_done = max(i, 0)
        if on_progress is not None:
            on_progress(i)
        if mib > settings.mem_limit_mib and result.status == "ok":
            result.status = "exceeded_limit"
            result.error = (
                f"RSS {mib:.1f} MiB passed the limit of {settings.mem_limit_mib:.0f} MiB "
                f"at iteration {max(i, 0)}; the process was killed"
            )
            child.send_signal(signal.SIGKILL)
        elif now - start > settings.timeout_s and result.status == "ok":
            result.status = "error"
            result.error = f"timed out after {settings.timeout_s:.0f} s at iteration {max(i, 0)}"
            child.send_signal(signal.SIGKILL)
        next_sample += settings.interval_s
        time.sleep(max(0.0, next_sample - time.perf_counter()))
    return result


def _record(variant, settings):
    record = results.new_record(
        variant.name,
        variant.impl,
        variant.mode,
        settings.iters,
        settings.size,
        settings.depth,
        variant.live_array_floor_mib(
            settings.size, settings.depth, settings.retain_grad and variant.mode == "backward"
        ),
    )
    record["interpreter"] = interpreters.record_facts(settings.python)
    return record


def measure_once(variant, settings, on_progress=None):
    """One untraced and one traced pass of `variant`: a schema-1 variant record."""
    record = _record(variant, settings)
    untraced = run_pass(variant, settings, on_progress=on_progress)
    record["timeline"] = untraced.timeline
    record["iters_done"] = untraced.iters_done
    record["kernel_peak_rss_mib"] = untraced.kernel_peak_rss_mib
    if untraced.timeline["rss_mib"]:
        record["peak_rss_mib"] = max(untraced.timeline["rss_mib"])
    if untraced.status != "ok":
        record.update(status=untraced.status, error=untraced.error)
        return record
    report = untraced.report
    record.update(
        baseline_rss_mib=report["baseline_rss_mib"],
        seconds=report["seconds"],
        seconds_per_iter=report["seconds_per_iter"],
        gc=report["gc"],
        extra=report["extra"],
    )
    if record["peak_rss_mib"] is not None:
        record["peak_increment_mib"] = record["peak_rss_mib"] - record["baseline_rss_mib"]
    traced = run_pass(variant, settings, traced=True)
    if traced.status != "ok":
        record.update(status=traced.status, error=f"traced pass: {traced.error}")
    else:
        record["tracemalloc_peak_mib"] = traced.report["tracemalloc_peak_mib"]
    return record


def measure(variant, settings, on_progress=None):
    """`variant` measured `settings.repeat` times; figures are medians, spreads under `repeats`."""
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
        runs.append(measure_once(variant, settings, on_progress))
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
