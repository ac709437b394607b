"""Results files: the JSON contract between measuring and showing (schema in reports/README.md).

This module says what a variant record is: every figure's name, unit and title, whether the gate
fails on its growth and whether it is exact from run to run. The runner, the gate, the report
and the progress lines all read that one table. Files are written whole or not at all, and read
back with an error that names the file.
"""

import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from . import paths
from .errors import HarnessError

SCHEMA = 1
RESULTS_DIR = paths.RESULTS_DIR
STATUSES = ("ok", "exceeded_limit", "error", "skipped")
DEFAULT_MAX_GROWTH_PCT = 10.0  # the gate's default, and the report's flag: one threshold


@dataclass(frozen=True)
class Figure:
    """One figure of a variant record: a number, or null when the pass did not produce it."""

    name: str  # the field in the results file
    title: str  # column title in tables
    unit: str  # "MiB" or "s"
    digits: int  # decimals shown for MiB figures
    gated: bool  # `compare` fails when it grows past the threshold; the report flags the same
    deterministic: bool  # identical from run to run (tracemalloc, arithmetic), not sampled
    compared: bool = True  # shown old -> new by `compare` and the report's history
    repeated: bool = True  # a median over `--repeat` runs, with min and max kept
    column: bool = True  # a column of the report's variant table
    doc: str = ""


FIGURES = (
    Figure(
        "peak_rss_mib", "peak RSS", "MiB", 1, gated=False, deterministic=False,
        doc="highest RSS sampled from outside the child; can miss a peak shorter than a sample",
    ),
    Figure(
        "peak_increment_mib", "increment", "MiB", 1, gated=False, deterministic=False,
        doc="peak RSS minus the RSS after imports",
    ),
    Figure(
        "kernel_peak_rss_mib", "kernel peak", "MiB", 1, gated=True, deterministic=False,
        doc="the kernel's high-water mark of the child's RSS",
    ),
    Figure(
        "tracemalloc_peak_mib", "tracemalloc peak", "MiB", 2, gated=True, deterministic=True,
        doc="every byte the loop allocated at once, from a separate traced pass",
    ),
    Figure(
        "live_array_floor_mib", "live-array floor", "MiB", 2, gated=False, deterministic=True,
        compared=False, repeated=False, doc="the arrays the loop must hold at once",
    ),
    Figure(
        "seconds_per_iter", "time / iteration", "s", 0, gated=False, deterministic=False,
        doc="wall time of the untraced loop over its iterations",
    ),
    Figure(
        "seconds", "time", "s", 0, gated=False, deterministic=False, compared=False,
        column=False, doc="wall time of the untraced loop",
    ),
    Figure(
        "baseline_rss_mib", "RSS after imports", "MiB", 1, gated=False, deterministic=False,
        compared=False, column=False, doc="the child's RSS before the loop starts",
    ),
)  # fmt: skip
FIGURE = {f.name: f for f in FIGURES}
COUNTS = ("iters", "size", "depth", "iters_done")  # whole numbers a record also carries


class VariantRecord(TypedDict, total=False):
    """One variant's entry in a results file's `variants` list (every FIGURES name too)."""

    name: str  # canonical: numpy, weak-backprop, torch-no_grad...
    impl: str
    mode: str
    status: str  # one of STATUSES
    error: str | None
    iters: int
    size: int
    depth: int
    iters_done: int
    gc: dict[str, Any] | None  # collections per generation, objects collected, events
    timeline: dict[str, Any] | None  # interval_s and the samples: t, rss_mib, iter
    extra: dict[str, Any]  # what the workload reports of itself (a peer's threads, a shim)
    repeats: dict[str, dict[str, Any]]  # per repeated figure: median, min, max, values
    interpreter: dict[str, Any]  # python, implementation, gc_thresholds, numpy of the children


def text(figure, value):
    """`value` of `figure` for a line of text: 233.8 MiB, 199.22 MiB, 2.13 ms; n/a for null."""
    if value is None:
        return "n/a"
    if figure.unit == "s":
        for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")):
            if abs(value) >= scale:
                return f"{value / scale:.3g} {unit}"
        return f"{value / 1e-9:.3g} ns"
    return f"{value:.{figure.digits}f} {figure.unit}"


def new_record(name, impl, mode, iters, size, depth, live_array_floor_mib) -> VariantRecord:
    """A record before measuring: status ok, every figure null but the floor."""
    record = VariantRecord(
        name=name, impl=impl, mode=mode, status="ok", error=None,
        iters=iters, size=size, depth=depth, iters_done=0,
    )  # fmt: skip
    record.update({f.name: None for f in FIGURES})
    record.update(live_array_floor_mib=live_array_floor_mib, gc=None, timeline=None, extra={})
    return record


def by_name(results):
    """The variant records of a results dict, by canonical name."""
    return {v["name"]: v for v in results.get("variants", [])}


def growth_pct(old, new):
    """Percent change from old to new; None when either is missing, inf when growing from 0."""
    if old is None or new is None:
        return None
    if old == 0:
        return 0.0 if new == 0 else math.inf
    return (new - old) / old * 100


def grew_more_than(change_pct, max_growth_pct):
    # Exactly at the threshold is allowed; isclose absorbs float noise such as 10.000000000000009.
    return (
        change_pct is not None
        and change_pct > max_growth_pct
        and not math.isclose(change_pct, max_growth_pct, rel_tol=1e-9, abs_tol=1e-9)
    )


def regressed(figure, old, new, max_growth_pct=DEFAULT_MAX_GROWTH_PCT):
    """Whether `figure` (a Figure) going from `old` to `new` fails the gate and raises the flag."""
    return figure.gated and grew_more_than(growth_pct(old, new), max_growth_pct)


class ResultsError(HarnessError):
    """A results file is missing, unreadable or not schema 1; the message is for the user."""


def write_atomic(path, data):
    """Write `data` as JSON to `path` via a temporary file in the same folder and a rename.

    A crash or an unserialisable value leaves the old file (or no file) and no temporary file:
    readers never see half a run. NaN and infinity are refused because they are not JSON.
    """
    return write_bytes_atomic(
        path, lambda: (json.dumps(data, indent=2, allow_nan=False) + "\n").encode("utf-8")
    )


def write_bytes_atomic(path, content):
    """Write `content` (bytes, or a function making them) to `path` whole or not at all.

    A temporary file in the same folder, then a rename; a function is called only once that
    file exists, so an error while making the content leaves no trace either.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content() if callable(content) else content)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; these files are for anyone to read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)  # make the rename itself survive a power cut
    return path


def _fsync_dir(folder):
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # some platforms cannot open folders; the data itself is already synced
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load(path):
    """The results dict in `path`; ResultsError naming the file if it is not a schema-1 file."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise ResultsError(f"{path}: no such results file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ResultsError(f"{path}: cannot read it ({e})") from None
    except json.JSONDecodeError as e:
        raise ResultsError(f"{path}: not valid JSON ({e}); the file is corrupt") from None
    if not isinstance(data, dict):
        raise ResultsError(f"{path}: expected a JSON object, found {type(data).__name__}")
    if "schema" not in data:
        raise ResultsError(f"{path}: no 'schema' field; not a results file of this harness")
    if data["schema"] != SCHEMA:
        raise ResultsError(
            f"{path}: unknown results schema {data['schema']!r}; this version reads schema {SCHEMA}"
        )
    variants = data.get("variants")
    if not isinstance(variants, list):
        raise ResultsError(f"{path}: no 'variants' list")
    for i, variant in enumerate(variants):
        if not isinstance(variant, dict) or not isinstance(variant.get("name"), str):
            raise ResultsError(f"{path}: variant #{i + 1} has no name")
        _check_variant(path, variant)
    for section in ("environment", "settings"):
        if not isinstance(data.setdefault(section, {}), dict):
            raise ResultsError(f"{path}: '{section}' is not an object")
    return data


def _check_variant(path, variant):
    # Readers format these figures as numbers; a string here is a broken file, not a crash later.
    name = variant["name"]
    if variant.get("status") not in STATUSES:
        raise ResultsError(
            f"{path}: variant {name!r} has status {variant.get('status')!r}, "
            f"expected one of {', '.join(STATUSES)}"
        )
    for key in (*COUNTS, *FIGURE):
        value = variant.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ResultsError(f"{path}: variant {name!r}: {key} is {value!r}, not a number")


def newest_valid(results_dir=RESULTS_DIR):
    """(path, data, skipped): the newest loadable results file, and one message per newer file
    that could not be loaded. ResultsError when there is none."""
    files = paths.json_files(results_dir)
    if not files:
        raise ResultsError(
            f"no results in {results_dir}: run `python -m benchmarks run` first to measure"
        )
    path, data, skipped = paths.newest_valid(reversed(files), load, ResultsError)
    if path is None:
        raise ResultsError(
            f"no valid results file in {results_dir} ({'; '.join(skipped)}): "
            "run `python -m benchmarks run` to measure again"
        )
    return path, data, skipped
