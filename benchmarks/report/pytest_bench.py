"""pytest-benchmark JSON (`--benchmark-autosave` into .benchmarks/, `--benchmark-json FILE`, or the
main job's speed step into reports/speed/):
a timing table with each benchmark's memory figures from `extra_info`, and, within a group that
holds one of ours (a name with `strong` or `weak`), each time relative to our fastest.
"""

import statistics
from dataclasses import dataclass, field
from pathlib import Path

from .. import figures as F
from ..errors import HarnessError
from ..files import store
from ..files.shapes import (
    ANY,
    FLAG,
    OBJECT,
    TEXT,
    ShapeError,
    list_of,
    nullable,
    number,
    record,
    whole,
)
from ..workloads.variants import OURS

# extra_info keys shown first, in this order; any others follow alphabetically.
KNOWN_EXTRA = (
    "time_vs_numpy",
    "numpy_median_us",
    F.TRACED_PEAK.name,
    F.PEAK_RSS.name,
    F.FLOOR.name,
    "gc_collections",
)
_UNITS = ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns"))


class BenchmarkJsonError(HarnessError):
    """Not a pytest-benchmark JSON file; the message names the file."""


# The fields of pytest-benchmark's JSON this report reads, and their shapes (see shapes.py).
STATS = record(
    {key: number(0) for key in ("min", "median", "mean", "stddev")} | {"rounds": whole(0)},
    required=("min", "median", "mean", "stddev", "rounds"),
)
BENCHMARK = record(
    {
        "name": TEXT,
        "group": nullable(TEXT),
        "param": ANY,
        "extra_info": nullable(OBJECT),
        "stats": STATS,
    },
    required=("name", "stats"),
)
FILE = record(
    {
        "benchmarks": list_of(BENCHMARK),
        "commit_info": nullable(record({"id": nullable(TEXT), "dirty": nullable(FLAG)})),
        "datetime": nullable(TEXT),
        "complete": FLAG,  # false: a name the speed step reserved, its suite still running
    },
    required=("benchmarks",),
)


@dataclass
class Row:
    name: str
    group: str | None
    min: float
    median: float
    mean: float
    stddev: float
    rounds: int
    extra: dict
    is_ours: bool
    time_vs_ours: float | None = None  # median / the median of our fastest in the group


@dataclass
class BenchmarkRun:
    path: Path
    datetime: str
    commit: str
    rows: list = field(default_factory=list)
    extra_keys: list = field(default_factory=list)
    unit: str = "s"
    scale: float = 1.0
    has_ratio: bool = False
    # Rows timed against plain numpy in alternate rounds (`time_vs_numpy`), fastest first.
    vs_numpy: list = field(default_factory=list)


def load(path):
    """The BenchmarkRun in `path`; BenchmarkJsonError naming the file when it is not one."""
    path = Path(path)
    data = store.read_json(path, BenchmarkJsonError, "pytest-benchmark", constants=True)
    try:
        if not isinstance(data, dict):
            raise ShapeError(f"the file holds {type(data).__name__}, not an object")
        FILE.check(data, "")
    except ShapeError as e:
        raise BenchmarkJsonError(f"{path}: not pytest-benchmark output ({e})") from None
    if data.get("complete") is False:
        raise BenchmarkJsonError(f"{path}: its suite is still running, or was interrupted")
    rows = [_row(b) for b in data["benchmarks"]]
    commit = data.get("commit_info") or {}
    dirty = " (uncommitted changes)" if commit.get("dirty") else ""
    run = BenchmarkRun(
        path=path,
        datetime=str(data.get("datetime") or ""),
        commit=str(commit.get("id") or "") + dirty,
        rows=sorted(rows, key=lambda r: (r.group or "", r.median)),
    )
    _add_ratios(run)
    run.vs_numpy = sorted(
        (r for r in rows if isinstance(r.extra.get("time_vs_numpy"), int | float)),
        key=lambda r: r.extra["time_vs_numpy"],
    )
    keys = {k for r in rows for k in r.extra}
    run.extra_keys = [k for k in KNOWN_EXTRA if k in keys] + sorted(keys - set(KNOWN_EXTRA))
    # One unit for the section's tables, the one its typical time reads best in: the fastest
    # row would put a suite of microseconds in nanoseconds (the classic loop as 115,000 ns).
    typical = statistics.median([r.median for r in rows]) if rows else 1.0
    run.scale, run.unit = next(((s, u) for s, u in _UNITS if typical >= s), _UNITS[-1])
    return run


def _row(bench):
    stats = bench["stats"]
    name = bench["name"]
    label = f"{name} {bench.get('param') or ''}".lower()
    return Row(
        name=name,
        group=bench.get("group"),
        min=float(stats["min"]),
        median=float(stats["median"]),
        mean=float(stats["mean"]),
        stddev=float(stats["stddev"]),
        rounds=stats["rounds"],
        extra=dict(bench.get("extra_info") or {}),
        is_ours=any(word in label for word in OURS),
    )


def _add_ratios(run):
    groups = {}
    for row in run.rows:
        groups.setdefault(row.group, []).append(row)
    for rows in groups.values():
        ours = [r.median for r in rows if r.is_ours]
        if ours and min(ours) > 0:
            for row in rows:
                row.time_vs_ours = row.median / min(ours)
            run.has_ratio = True


def newest(repo_root=".", explicit=None, speed_dir=None):
    """(run or None, warnings): `explicit` if given (errors raise), else the newest readable file
    among those autosaved under <repo_root>/.benchmarks/<machine-id>/ and those the main job's
    speed step wrote into `speed_dir`."""
    if explicit is not None:
        return load(explicit), []
    found = list((Path(repo_root) / ".benchmarks").glob("*/*.json"))
    if speed_dir is not None:
        found += [p for p in Path(speed_dir).glob("*.json") if not p.name.endswith(".partial.json")]
    candidates = sorted(found, key=lambda p: (p.stat().st_mtime, p.name), reverse=True)
    _, run, skipped = store.newest_valid(candidates, load, BenchmarkJsonError)
    return run, [f"skipped pytest-benchmark file {e}" for e in skipped]
