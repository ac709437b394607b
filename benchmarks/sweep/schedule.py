"""Runs a sweep: every missing pass of every point, through one executor.

The exact passes (traced, native) go first, up to `jobs` side by side: they count the loop's
own allocations, so what runs beside them cannot move their figures. Untraced passes (RSS, the
kernel's peak, time) follow, `jobs_rss` at a time, one by default: neighbours do disturb those
(measure/schedule.py, which the matrix shares). Each point's entry says how many passes could
run at once when each of its passes ran. The file is rewritten after every pass, so an
interrupted sweep keeps what it measured.
"""

import copy
import sys
from concurrent.futures import BrokenExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .. import engines
from ..errors import HarnessError
from ..files import store
from ..measure import matrix, progress, runner
from ..measure import schedule as passes
from ..measure.settings import Settings
from ..workloads import variants as V
from . import axes as A
from . import executors, files

ORDER = tuple(name for phase in passes.PHASES for name in phase)  # the exact figures first


def now():
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Task:
    key: tuple
    params: dict
    variant: str
    pass_name: str

    def label(self):
        return f"{A.label(self.params)} {self.variant} ({self.pass_name})"


def missing(data):
    """The passes still to measure, traced ones first."""
    done = {files.key(p["params"], p["variant"]): p["passes"] for p in data["points"]}
    return [
        Task(k, params, name, pass_name)
        for pass_name in ORDER
        if pass_name in data["passes"]
        for k, params, name in files.entries(data)
        if pass_name not in done.get(k, {})
    ]


def settings_of(data, path="the sweep"):
    try:
        return Settings(**data["settings"])
    except TypeError as e:
        raise files.SweepError(f"{path}: settings this version cannot read ({e})") from None


def run(data, path, executor, where, jobs=1, jobs_rss=1, stream=None):
    """Measure what `data` (written to `path`) still misses; returns the passes that did not
    come back (an executor's fault, not a measurement), which stay missing for `--resume`."""
    stream = stream or sys.stderr
    base = settings_of(data, path)
    try:
        user = [engines.load(source) for source in (data.get("engines") or {}).values()]
        variants = {name: V.parse(name, user) for name in data["variants"]}
    except (ValueError, HarnessError) as e:
        raise files.SweepError(f"{path}: {e}") from None
    data["executor"] = {"where": where, "jobs": jobs, "jobs_rss": jobs_rss}
    todo = missing(data)
    lost, count = [], 0

    def landed(task, record, side_by_side, worker):
        nonlocal count
        count += 1
        # The figures on the terminal first: they stay there whatever the disk does.
        print(
            f"[{count}/{len(todo)}] {task.label()}: {progress.pass_summary(record)}",
            file=stream,
            flush=True,
        )
        _land(data, task, record, {"side_by_side": side_by_side, "worker": worker})
        store.save(path, data, task.label(), resume)

    for phase, limit in zip(passes.PHASES, (jobs, jobs_rss), strict=True):
        tasks = [t for t in todo if t.pass_name in phase]
        side_by_side = min(limit, len(tasks))

        def submit(task):
            settings = A.settings_at(base, task.params)
            return executor.submit(
                executors.measure_pass,
                variants[task.variant],
                settings,
                task.pass_name,
                _census(data, task),
            )

        for task, future in passes.window(tasks, limit, submit):
            try:
                record, worker = future.result()
            except BrokenExecutor as e:
                raise HarnessError(
                    f"the executor broke ({e}); {path} keeps the passes measured so far:"
                    f" `python -m benchmarks sweep --resume {path}` measures the rest",
                    exit_code=1,
                ) from None
            except Exception as e:  # a lost worker, say: nothing was measured
                lost.append(f"{task.label()}: {type(e).__name__}: {e}")
                print(f"  {task.label()} did not come back: {e!r}", file=stream, flush=True)
                continue
            landed(task, record, side_by_side, worker)
    data["complete"] = not missing(data)
    data["environment"]["finished"] = now()
    store.save(path, data, resume=resume)
    return lost


def reuse(data, taken, settings, source, side_by_side):
    """Land in `data` the passes a run took already (`taken`: {variant name: {pass: its record
    alone}}, measured under `settings`, into the results file `source`, `side_by_side` at a
    time) at each point whose settings are the same: measuring them again would give the same
    figures. Only exact passes: an untraced pass is the load it ran beside, and a sweep takes
    its own. When the sweep varies the collector's threshold alone, the run's cycle census
    stands for every point's (runner.explain): their traced passes take no explanation pass."""
    base = settings_of(data)
    for k, params, name in files.entries(data):
        if A.settings_at(base, params).as_json() != settings.as_json():
            continue
        for pass_name, record in (taken.get(name) or {}).items():
            if (
                pass_name in data["passes"]
                and pass_name in passes.EXACT
                and record["status"] == "ok"
            ):
                how = {"side_by_side": side_by_side, "worker": None, "from": str(source)}
                _land(data, Task(k, params, name, pass_name), copy.deepcopy(record), how)
    if {a["name"] for a in data["axes"]} != {"gc_threshold"} or settings.gc_threshold is None:
        return
    if A.settings_at(base, {"gc_threshold": settings.gc_threshold}).as_json() != settings.as_json():
        return  # another workload, size or engine: its census is not this sweep's
    for name in data["variants"]:
        explained = ((taken.get(name) or {}).get(runner.TRACED) or {}).get("explain") or {}
        if explained.get("census") is not None:
            given = {"from": str(source), "census": explained["census"]}
            data.setdefault("census", {})[name] = given


def _census(data, task):
    """What the traced pass of `task` takes instead of its explanation pass, or None."""
    given = (data.get("census") or {}).get(task.variant)
    if task.pass_name != runner.TRACED or given is None:
        return None
    return given["census"], Path(given["from"]).name


def resume(path):
    """The command that measures what the sweep in `path` misses."""
    return f"`python -m benchmarks sweep --resume {path}`"


def _land(data, task, record, how):
    """Put one pass's record into its point's entry in `data`, combined with the passes taken
    before; the points stay in grid order."""
    points = {files.key(p["params"], p["variant"]): p for p in data["points"]}
    entry = points.setdefault(
        task.key, {"params": task.params, "variant": task.variant, "passes": {}, "record": None}
    )
    if entry["record"] is None:
        entry["record"] = record
    else:
        runner.add(entry["record"], task.pass_name, record)
    entry["passes"][task.pass_name] = how
    data["points"] = [points[k] for k, _, _ in files.entries(data) if k in points]


def start(axes, variants, settings, passes, command, native=None):
    """A new sweep's data, before any point. Its settings hold null for what the axes vary;
    `native` says whether its points take the native pass, and why not."""
    shared = A.settings_at(settings, {a["name"]: None for a in axes})
    environment = matrix.environment(command, native=native)
    return files.new(axes, variants, shared, passes, environment)
