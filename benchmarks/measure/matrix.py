"""Runs a matrix of variants and writes one results file: reserved before the first variant,
rewritten whole after every variant, and marked `interrupted` when a signal stops the run, so
an interrupted run still leaves valid JSON with what was measured.

A matrix is a sweep of one point: its exact passes (traced, native) run first, `jobs` side by
side, then its untraced passes one at a time (measure/schedule.py). A variant's record is
saved once its last pass is in, in the matrix's order.
"""

import importlib.util
import os
import platform
import shlex
import subprocess
import sys
from datetime import UTC, datetime

import psutil

from ..errors import HarnessError, Interrupted
from ..files import folders, results, store
from . import children, interpreters, runner, schedule
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


NATIVE_HINT = "pip install -e '.[native]'"


def native_missing(python=None):
    """Why the native pass cannot run under `python` (None: this interpreter), or None: memray
    must be importable where the children run."""
    if python is None:
        if importlib.util.find_spec("memray") is None:
            return f"memray is not installed ({NATIVE_HINT})"
        return None
    facts = interpreters.describe(python)
    if facts["packages"].get("memray") is None:
        return (
            f"memray is not installed for Python {facts['python']} ({python}); pin it to install"
            f" it there, e.g. --python {facts['python']}:memray==1.20.0"
        )
    return None


def native_choice(wanted, python=None):
    """Why the native pass is not taken under `python` (None: this interpreter), or None when
    it is: `wanted` True (`--native`), False (`--no-native`) or None, the default, which takes
    it where memray is installed. `--native` where it is not installed is refused
    (HarnessError), before anything is measured."""
    if wanted is False:
        return "left out (--no-native)"
    missing = native_missing(python)
    if missing and wanted:
        raise HarnessError(f"--native: {missing}")
    return missing


def environment(command, python=None, spec=None, batch=None, native=None):
    """The machine, and the interpreter the children run (`python`; None: this one); `native`
    says whether the native pass ran, and why not ({"enabled", "why"})."""
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
        "native": native or {"enabled": False, "why": None},
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
    passes=runner.DEFAULT_PASSES,
    jobs=1,
    native_why=None,
    taken=None,
):
    """Measure `variants` (their `passes`, exact ones `jobs` side by side); return the results
    file's path and content.

    spec: the `--python` text that chose `settings.python`; batch: one id shared by the files
    of one command that measured several interpreters (the report shows them together);
    engines: the users' engines, {"user": {name: source}, "failed": {spec: why}}; native_why:
    why the native pass is not among `passes`; taken: a dict to fill with each measured
    variant's passes, each as it gave it alone ({name: {pass: record}}), which a sweep through
    the same settings can take instead of measuring them again.
    """
    command = command or shlex.join(["python", "-m", "benchmarks", *sys.argv[1:]])
    native = {"enabled": runner.NATIVE in passes, "why": native_why}
    data = {
        "schema": results.SCHEMA,
        "complete": False,
        "environment": environment(command, settings.python, spec, batch, native),
        "settings": settings.as_json(),
        "engines": engines or {"user": {}, "failed": {}},
        "variants": [],
    }
    path = store.reserve(results_dir, data)
    state = _Matrix(variants, settings, passes)
    display = make_display(state.passes_to_run(), settings)
    try:
        with display, children.watchers(jobs) as pool:
            for record in state.run(pool, jobs, display):
                display.done(record)  # its figures on the terminal, whatever the disk does
                data["variants"].append(record)
                store.save(path, data, record["name"])
    except Interrupted as stop:  # the variants being measured are lost; those before are kept
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
    if taken is not None:
        taken.update(state.by_pass())
    return path, data


class _Matrix:
    """The passes of every variant, and each variant's record once its last pass is in."""

    def __init__(self, variants, settings, passes):
        self.variants = list(variants)
        self.settings = settings
        self.passes = [p for p in runner.PASSES if p in passes]
        self.taken = [{} for _ in self.variants]  # per variant: {pass: its record}
        self.running = [0 for _ in self.variants]  # per variant: its passes under way
        # A peer not installed where the children run: recorded as skipped, with the reason.
        self.skipped = {
            i: record
            for i, variant in enumerate(self.variants)
            if (record := runner.skipped(variant, settings)) is not None
        }
        self.landed = 0  # variants handed out, in order

    def passes_to_run(self):
        return len(self.passes) * (len(self.variants) - len(self.skipped))

    def _tasks(self, phase):
        # Each pass is looked at as it is about to start: a variant whose untraced or traced
        # pass failed takes no other (it would measure nothing new).
        for name in self.passes:
            if name in phase:
                for i in self._order(phase):
                    if i not in self.skipped and self._measuring(i):
                        yield i, name

    def _order(self, phase):
        """The variants in the order their passes start. Side by side, the peers' first: their
        imports (PyTorch's takes seconds) make their passes the longest, and the longest started
        last would leave the other worker idle at the phase's end."""
        every = range(len(self.variants))
        if phase == schedule.ALONE:
            return every
        return sorted(every, key=lambda i: not self.variants[i].is_peer)

    def _measuring(self, i):
        return all(r["status"] == "ok" for r in self.taken[i].values())

    def run(self, pool, jobs, display):
        """Every record, in the matrix's order, as soon as it and those before it are in."""
        yield from self._ready()
        for phase in schedule.PHASES:
            limit, turns = schedule.limit(phase, jobs)

            def submit(task, turns=turns):
                i, name = task
                self.running[i] += 1
                label = f"{self.variants[i].name} ({name})"
                return pool.submit(
                    self._measure_pass, self.variants[i], name, label, display, turns
                )

            for (i, name), future in schedule.window(self._tasks(phase), limit, submit):
                self.taken[i][name] = future.result()
                self.running[i] -= 1
                yield from self._ready()

    def _measure_pass(self, variant, name, label, display, turns):
        with display.running(label) as on_progress:
            record = runner.measure(variant, self.settings, on_progress, (name,), turns=turns)
        display.pass_done(label, record)
        return record

    def by_pass(self):
        """{variant name: {pass: its record alone}} of every variant measured."""
        return {self.variants[i].name: dict(t) for i, t in enumerate(self.taken) if t}

    def _complete(self, i):
        if i in self.skipped:
            return True
        done = set(self.taken[i]) == set(self.passes)
        return done or (not self._measuring(i) and self.running[i] == 0)

    def _ready(self):
        while self.landed < len(self.variants) and self._complete(self.landed):
            i = self.landed
            self.landed += 1
            yield self.skipped.get(i) or runner.combine(self.taken[i])
