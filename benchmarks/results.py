"""Results files: the JSON contract between measuring and showing (schema in reports/README.md).

This module says what a variant record is: every figure's name, unit and title, whether the gate
fails on its growth and whether it is exact from run to run. The runner, the gate, the report
and the progress lines all read that one table. Files are written whole or not at all, and read
back with an error that names the file.
"""

import contextlib
import errno
import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from . import paths
from .errors import HarnessError
from .shapes import (
    FLAG,
    NAME,
    OBJECT,
    TEXT,
    ShapeError,
    list_of,
    map_of,
    nullable,
    number,
    one_of,
    readable,
    record,
    whole,
)

SCHEMA = 2  # what `run` writes
SCHEMAS = (1, 2)  # what `load` reads: schema 1 files lack the explanation (reports/README.md)
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
    signed: bool = False  # can come out below zero: a difference of two measurements
    doc: str = ""


FIGURES = (
    Figure(
        "peak_rss_mib", "peak RSS", "MiB", 1, gated=False, deterministic=False,
        doc="highest RSS sampled from outside the child; can miss a peak shorter than a sample",
    ),
    Figure(
        "peak_increment_mib", "increment", "MiB", 1, gated=False, deterministic=False,
        signed=True, doc="peak RSS minus the RSS after imports",
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
        "input_draw_s", "input draw", "s", 0, gated=False, deterministic=False, compared=False,
        column=False, doc="the least time drawing one fresh input took, timed after the loop",
    ),
    Figure(
        "model_peak_mib", "GC model's peak", "MiB", 2, gated=False, deterministic=True,
        compared=False, repeated=False, column=False,
        doc="the tracemalloc peak the GC model predicts from the cycle census alone",
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
    engine: str  # the engine's NAME (benchmarks/engines/, or a user's --engine file)
    engine_version: str | None  # what the engine says of its version, from the child
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
    live: dict[str, Any] | None  # schema 2: bytes alive at every iteration's end (traced pass)
    explain: dict[str, Any] | None  # schema 2: attribution, cycle census, GC model
    extra: dict[str, Any]  # what the workload reports of itself (a peer's threads, a shim)
    repeats: dict[str, dict[str, Any]]  # per repeated figure: median, min, max, values
    warnings: list[str]  # a figure left out and why, e.g. too few RSS samples for a peak
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


def error_summary(text):
    """The last line of a variant's error: a traceback's last line names the exception."""
    lines = [line.strip() for line in str(text or "").splitlines() if line.strip()]
    return lines[-1] if lines else None


def new_record(name, impl, mode, iters, size, depth, live_array_floor_mib) -> VariantRecord:
    """A record before measuring: status ok, every figure null but the floor."""
    record = VariantRecord(
        name=name, impl=impl, mode=mode, status="ok", error=None,
        iters=iters, size=size, depth=depth, iters_done=0,
    )  # fmt: skip
    record.update({f.name: None for f in FIGURES})
    record.update(
        live_array_floor_mib=live_array_floor_mib,
        engine_version=None,
        gc=None,
        timeline=None,
        live=None,
        explain=None,
        extra={},
    )
    record["warnings"] = []  # figures left out, and why
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
    """A results file is missing, unreadable or of no schema this version reads; the message is
    for the user."""


def _json_bytes(data):
    # NaN and infinity are refused because they are not JSON.
    return (json.dumps(data, indent=2, allow_nan=False) + "\n").encode("utf-8")


def write_atomic(path, data):
    """Write `data` as JSON to `path` via a temporary file in the same folder and a rename.

    A crash or an unserialisable value leaves the old file (or no file) and no temporary file:
    readers never see half a run.
    """
    return write_bytes_atomic(path, lambda: _json_bytes(data))


def save(path, data, unsaved=None, resume=None):
    """`write_atomic(path, data)` for a file a command fills as it measures (a run's, a
    sweep's), whose newest part `unsaved` names (a variant; None for the last rewrite, which
    marks the file complete). When the disk refuses it (full, say): HarnessError (exit 1)
    naming the file and what was kept. The file holds what it held before, marked with the
    reason where that can still be written (`mark_stopped`); the whole of `data` goes to a
    copy in the system's temporary folder; `unsaved`'s figures were printed as it finished.
    `resume(copy)`: the command that continues from the copy, if there is one."""
    try:
        write_atomic(path, data)
    except OSError as e:
        raise _not_saved(path, data, unsaved, e.strerror or str(e), resume) from None


def _not_saved(path, data, unsaved, why, resume):
    if unsaved is None:
        said = f"cannot mark {path} finished ({why}): it holds everything measured"
    else:
        said = (
            f"cannot save {unsaved} into {path} ({why}): its figures are printed above, and"
            " the file keeps what was measured before it"
        )
    try:
        mark_stopped(path, f"a write error ({why})")
        said += ", marked as stopped by the write error"
    except (OSError, ValueError) as e:
        said += f"; it could not be marked as stopped either ({getattr(e, 'strerror', None) or e})"
    try:
        copy = _copy_elsewhere(path, data)
    except OSError as e:
        said += f"; no copy could be written in {tempfile.gettempdir()} either ({e.strerror or e})"
    else:
        whole = f"everything measured, {unsaved} included," if unsaved else "a finished copy"
        said += f"; {whole} is in {copy}"
        said += f" ({resume(copy)} continues it)" if resume else ""
    return HarnessError(said, exit_code=1)


def mark_stopped(path, reason):
    """Say in `path` (a results or sweep file a command was filling) why it stops there: its
    `interrupted` field, e.g. SIGINT; the rest stays as the file holds it. OSError when the
    file cannot be read or written, ValueError when it no longer holds JSON."""
    data = json.loads(Path(path).read_bytes())
    data["interrupted"] = reason
    write_atomic(path, data)


def _copy_elsewhere(path, data):
    """A copy of `data` in the system's temporary folder, named after `path`; its path."""
    fd, copy = tempfile.mkstemp(prefix=f"{Path(path).stem}-", suffix=".json")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(_json_bytes(data))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(copy, 0o644)
    except BaseException:
        Path(copy).unlink(missing_ok=True)
        raise
    return Path(copy)


def reserve(folder, data, option="--results-dir"):
    """A new timestamped file in `folder`, taken now with `data` in it (an unfinished run or
    sweep), so two runs into one folder never share a file and an unwritable folder is found
    before measuring. HarnessError naming `option` when the folder cannot be written."""
    try:
        return paths.timestamped(folder, content=_json_bytes(data))
    except OSError as e:
        raise HarnessError(
            f"cannot write a file into {folder} ({e.strerror or e}): "
            f"choose a writable folder with {option}"
        ) from None


def write_bytes_atomic(path, content):
    """Write `content` (bytes, or a function making them) to `path` whole or not at all.

    A temporary file in the same folder, then a rename; a function is called only once that
    file exists, so an error while making the content leaves no trace either.
    """
    write_files_atomic({Path(path): content})
    return Path(path)


class NotRemoved(OSError):
    """Every file was written, but one that was to be removed could not be: a partial change,
    unlike the OSErrors before any file is replaced."""


def write_files_atomic(files):
    """Write every file of `files` ({path: bytes, a function making them, or None to remove
    it}) or none: all are written to temporary files beside their targets first, and only when
    every one is on disk (and no target, to replace or to remove, is a folder) are they renamed
    into place. OSError when nothing was changed; NotRemoved when the files were written but
    one to remove could not be (a failure no check beforehand can rule out)."""
    staged, made = [], []
    try:
        for path in files:
            # Replacing or removing a folder would fail after the others had replaced theirs.
            if path.is_dir():
                raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
        for path, content in files.items():
            if content is None:
                continue
            made += _missing_folders(path.parent)
            staged.append((_stage(path, content), path))
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        for folder in reversed(made):  # innermost first; only the empty ones this call made
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    for path, content in files.items():
        if content is None:
            try:
                path.unlink(missing_ok=True)
            except OSError as e:
                raise NotRemoved(e.errno, e.strerror, str(path)) from None
    for folder in {path.parent for path in files}:
        _fsync_dir(folder)  # make the renames themselves survive a power cut


def _missing_folders(folder):
    """The folders `folder` needs that do not exist yet, outermost first, now made."""
    missing = []
    while not folder.exists():
        missing.insert(0, folder)
        folder = folder.parent
    for f in missing:
        f.mkdir(exist_ok=True)
    return missing


def _stage(path, content):
    """A temporary file beside `path` holding `content`, synced to disk; its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content() if callable(content) else content)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; these files are for anyone to read
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


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


# What `load` accepts, field by field and section by section (see shapes.py for the words):
# a reader may use any field listed here without checking its type. Add a field in one line.
ENVIRONMENT = record(
    {
        "python": TEXT,
        "python_implementation": TEXT,
        "packages": map_of(nullable(TEXT)),
        "gc_thresholds": list_of(whole(0)),
        "os": TEXT,
        "cpu": TEXT,
        "cores": nullable(whole(1)),
        "ram_mib": number(0),
        "git_commit": nullable(TEXT),
        "command": TEXT,
        "started": TEXT,
        "finished": nullable(TEXT),
        "kernel_peak": TEXT,
        # The interpreter the children ran (`--python`), the id shared by the files of one
        # command over several interpreters, and the machine's name (reports/README.md)
        "interpreter": record({"spec": nullable(TEXT), "executable": TEXT}),
        "batch": nullable(TEXT),
        "machine": nullable(TEXT),
    }
)
SETTINGS = record(
    {
        "iters": whole(1),
        "size": whole(1),
        "depth": whole(1),
        "repeat": whole(1),
        "seed": whole(0),
        "interval_s": number(0),
        "gc_enabled": FLAG,
        "gc_threshold": nullable(whole(1)),
        "mem_limit_mib": number(0),
        "retain_grad": FLAG,
        "timeout_s": number(0),
    }
)
# A gc event's live bytes (schema 2): tracemalloc's current bytes at the collection's start
# and stop; what it freed can come out below zero when the collection's own work allocates.
LIVE_AT_COLLECTION = {
    "live_before_mib": nullable(number(0)),
    "live_after_mib": nullable(number(0)),
    "freed_mib": nullable(number()),
}
GC = record(
    {
        "enabled": FLAG,
        "threshold": list_of(whole(0)),
        "collections": list_of(whole(0), length=3),
        "collected": whole(0),
        "pause_s": number(0),
        "events": list_of(
            record(
                {
                    "iter": whole(),
                    "generation": whole(0, 2),
                    "collected": whole(0),
                    "pause_s": number(0),
                    **LIVE_AT_COLLECTION,
                }
            )
        ),
    }
)
TIMELINE = record(
    {
        "interval_s": number(0),
        "t": list_of(number(0)),
        "rss_mib": list_of(number(0)),
        "iter": list_of(whole(-1)),  # -1: before the loop
        "start_unix": nullable(number(0)),  # schema 2
    }
)
# schema 2: the traced pass's live memory, and the explanation pass (reports/README.md)
LIVE = record(
    {
        "iter_mib": list_of(number(0)),
        "gen0_count": list_of(whole()),
        "most_alive": nullable(
            record({"checkpoint": whole(0), "kind": TEXT, "iter": whole(), "mib": number(0)})
        ),
        "collections": nullable(
            list_of(
                record(
                    {
                        "iter": whole(),
                        "generation": whole(0, 2),
                        "collected": whole(0),
                        **LIVE_AT_COLLECTION,
                    }
                )
            )
        ),
    }
)
ATTRIBUTION = record(
    {
        "error": TEXT,
        "checkpoint": nullable(whole(0)),
        "total_mib": number(0),
        "blocks": whole(0),
        "lines": list_of(
            record(
                {
                    "file": TEXT,
                    "line": whole(0),
                    "function": TEXT,
                    "mib": number(0),
                    "blocks": whole(0),
                },
                required=("file", "line", "function", "mib", "blocks"),
            )
        ),
    }
)
# Per-iteration figures are means over a few iterations; those net of what an iteration frees
# (objects left, the gen0 count it adds, bytes at a count) can be negative.
CENSUS = record(
    {
        "iterations": whole(1),
        "tracked_left_per_iter": number(),
        "gen0_count_per_iter": number(),
        "gen0_counts": list_of(whole()),
        "garbage_per_iter": map_of(number(0)),
        "garbage_objects_per_iter": number(0),
        "arrays_per_iter": number(0),
        "array_bytes_per_iter": number(0),
        "tuple_sizes": map_of(number(0)),
        "free_lists": map_of(whole(0)),
        "gen0_count_peak_in_iter": whole(0),
        "bytes_at_count": list_of(number()),
    }
)
MODEL = record(
    {
        "inputs": OBJECT,
        "gen0_collections": whole(0),
        "gen1_collections": whole(0),
        "collection_iters": list_of(whole()),
        "first_gap_iters": nullable(number(0)),
        "mean_gap_iters": nullable(number(0)),
        "chains_promoted_per_collection": nullable(number(0)),
        "peak_mib": number(0),
    }
)
EXPLAIN = record(
    {
        "error": TEXT,
        "attribution": nullable(ATTRIBUTION),
        "census": nullable(CENSUS),
        "model": nullable(MODEL),
    }
)

SPREAD = record(
    {
        "median": nullable(number()),
        "min": nullable(number()),
        "max": nullable(number()),
        "values": list_of(number()),
    }
)
# What each variant keeps of the interpreter that ran its children (measure/interpreters.py)
INTERPRETER = record(
    {
        "python": TEXT,
        "implementation": TEXT,
        "gc_thresholds": list_of(whole(0)),
        "numpy": nullable(TEXT),
    }
)
VARIANT = record(
    {
        "name": NAME,  # canonical; it names files too (report/mprof.py)
        "impl": TEXT,
        "mode": TEXT,
        "status": one_of(*STATUSES),
        "error": nullable(TEXT),
        **{count: nullable(whole(0)) for count in COUNTS},
        **{f.name: nullable(number() if f.signed else number(0)) for f in FIGURES},
        "gc": nullable(GC),
        "timeline": nullable(TIMELINE),
        "extra": nullable(OBJECT),
        "repeats": map_of(SPREAD),
        "warnings": list_of(TEXT),
        "live": nullable(LIVE),
        "explain": nullable(EXPLAIN),
        "interpreter": INTERPRETER,
        "engine": TEXT,
        "engine_version": nullable(TEXT),
    },
    required=("name", "status"),
)
# The users' engines (`run --engine`): where each was declared, and those that did not load.
ENGINES = record({"user": map_of(TEXT), "failed": map_of(TEXT)})
RESULTS = record(
    {
        "schema": one_of(*SCHEMAS),
        "complete": FLAG,
        # A signal's name (SIGTERM), or what else stopped the run, such as a full disk.
        "interrupted": nullable(TEXT),
        "environment": ENVIRONMENT,
        "settings": SETTINGS,
        "engines": ENGINES,
        "variants": list_of(VARIANT, key="name"),  # one record per name: compare pairs by it
    },
    required=("schema", "variants"),
)


def _refuse_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def load(path):
    """The results dict in `path`; ResultsError naming the file and the field when it is not a
    file of a schema this version reads (SCHEMAS) whose every field has its shape (the tables
    above)."""
    path = Path(path)
    data = read_json(path, ResultsError, "results")
    if not isinstance(data, dict):
        raise ResultsError(f"{path}: expected a JSON object, found {type(data).__name__}")
    if "schema" not in data:
        raise ResultsError(f"{path}: no 'schema' field; not a results file of this harness")
    if data["schema"] not in SCHEMAS or isinstance(data["schema"], bool):
        raise ResultsError(
            f"{path}: unknown results schema {data['schema']!r}; this version reads schema "
            + " and ".join(map(str, SCHEMAS))
        )
    if not isinstance(data.get("variants"), list):
        raise ResultsError(f"{path}: no 'variants' list")
    try:
        RESULTS.check(data, "")
    except ShapeError as e:
        raise ResultsError(f"{path}: {e}") from None
    for section in ("environment", "settings"):
        data.setdefault(section, {})
    return data


def read_json(path, error, noun, constants=False):
    """The JSON in `path`, every text in it valid Unicode (`shapes.readable`); `error` (a
    HarnessError) naming the file when it is missing, unreadable, not JSON, holds NaN or
    infinity (unless `constants`: another tool's file may hold them where no table looks), or
    text no page can show. `noun` says what kind of file was expected."""
    refuse = None if constants else _refuse_constant
    try:
        with Path(path).open(encoding="utf-8") as f:
            data = json.load(f, parse_constant=refuse)
        readable(data)
    except FileNotFoundError:
        raise error(f"{path}: no such {noun} file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise error(f"{path}: cannot read it ({e})") from None
    except json.JSONDecodeError as e:
        raise error(f"{path}: not valid JSON ({e}); the file is corrupt") from None
    except RecursionError:
        raise error(f"{path}: nested too deeply to be a {noun} file") from None
    except ShapeError as e:
        raise error(f"{path}: {e}") from None
    except ValueError as e:  # NaN or Infinity: Python writes them, JSON has no such numbers
        raise error(f"{path}: not valid JSON ({e})") from None
    return data


def load_measured(path):
    """`load`, refusing a file that holds no variant yet: a name a run has reserved (see
    paths.timestamped), its run still going or stopped before its first variant."""
    data = load(path)
    if not data["variants"] and data.get("complete") is False:
        raise ResultsError(
            f"{path}: no variant measured yet (a run still going, or stopped before its first)"
        )
    return data


def newest_valid(results_dir=RESULTS_DIR):
    """(path, data, skipped): the newest loadable results file, and one message per newer file
    that could not be loaded. ResultsError when there is none."""
    files = paths.json_files(results_dir)
    if not files:
        raise ResultsError(
            f"no results in {results_dir}: run `python -m benchmarks run` first to measure"
        )
    path, data, skipped = paths.newest_valid(reversed(files), load_measured, ResultsError)
    if path is None:
        raise ResultsError(
            f"no valid results file in {results_dir} ({'; '.join(skipped)}): "
            "run `python -m benchmarks run` to measure again"
        )
    return path, data, skipped
