"""Runs a matrix of variants and writes one results file: reserved before the first variant,
rewritten whole after every variant, and marked `interrupted` when a signal stops the run, so
an interrupted run still leaves valid JSON with what was measured."""

import os
import platform
import shlex
import subprocess
import sys
from datetime import UTC, datetime

import psutil

from ..errors import Interrupted
from ..files import folders, results, store
from . import interpreters, runner
from .probes import KERNEL_PEAK, MIB
from .progress import make_display


def _now():
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_commit():
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=folders.PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None  # not a git checkout, e.g. an unpacked release
    return out.stdout.strip() or None


def environment(command, python=None, spec=None, batch=None):
    """The machine, and the interpreter the children run (`python`; None: this one)."""
    facts = interpreters.describe(python)
    return {
        "python": facts["python"],
        "python_implementation": facts["implementation"],
        "packages": facts["packages"],
        "gc_thresholds": facts["gc_thresholds"],
        "interpreter": {"spec": spec, "executable": facts["executable"]},
        "batch": batch,
        "machine": platform.node() or None,
        "os": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_mib": psutil.virtual_memory().total / MIB,
        "git_commit": _git_commit(),
        "kernel_peak": KERNEL_PEAK,
        "command": command,
        "started": _now(),
        "finished": None,
    }


def run(
    variants,
    settings,
    results_dir=results.RESULTS_DIR,
    command=None,
    spec=None,
    batch=None,
    engines=None,
):
    """Measure `variants` one after another; return the results file's path and content.

    spec: the `--python` text that chose `settings.python`; batch: one id shared by the files
    of one command that measured several interpreters (the report shows them together);
    engines: the users' engines, {"user": {name: source}, "failed": {spec: why}}.
    """
    command = command or shlex.join(["python", "-m", "benchmarks", *sys.argv[1:]])
    data = {
        "schema": results.SCHEMA,
        "complete": False,
        "environment": environment(command, settings.python, spec, batch),
        "settings": settings.as_json(),
        "engines": engines or {"user": {}, "failed": {}},
        "variants": [],
    }
    path = store.reserve(results_dir, data)
    display = make_display(len(variants), settings)
    try:
        with display:
            for variant in variants:
                with display.variant(variant.name) as on_progress:
                    record = runner.measure(variant, settings, on_progress)
                display.done(record)  # its figures on the terminal, whatever the disk does
                data["variants"].append(record)
                store.save(path, data, record["name"])
    except Interrupted as stop:  # the variant being measured is lost; those before are kept
        data["interrupted"] = stop.name
        data["environment"]["finished"] = _now()
        stop.note = f"the {len(data['variants'])} variant(s) measured before are in {path}"
        try:
            store.write_atomic(path, data)
        except OSError as e:
            stop.note += f" (not marked as interrupted: {e.strerror or e})"
        raise
    data["complete"] = True
    data["environment"]["finished"] = _now()
    store.save(path, data)
    return path, data
