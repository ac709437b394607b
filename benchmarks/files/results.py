"""Results files: the JSON contract between measuring and showing (schema in reports/README.md).

What a variant record is, field by field, and the tables `load` checks every file against, so
a reader may use any field without checking its type. The figures a record carries are defined
in benchmarks/figures.py; files are written through the atomic store (files/store.py).
"""

from pathlib import Path
from typing import Any, TypedDict

from .. import figures as F
from .. import workloads
from ..errors import HarnessError
from . import folders, store
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
    record,
    whole,
)

SCHEMA = 2  # what `run` writes

SCHEMAS = (1, 2)  # what `load` reads: schema 1 files lack the explanation (reports/README.md)

RESULTS_DIR = folders.RESULTS_DIR

STATUSES = ("ok", "exceeded_limit", "error", "skipped")

COUNTS = ("iters", "size", "depth", "iters_done")  # whole numbers a record also carries


class VariantRecord(TypedDict, total=False):
    """One variant's entry in a results file's `variants` list, with every figure of
    benchmarks/figures.py."""

    name: str  # canonical: numpy, weak-backprop, torch-no_grad, weak-backward-free...
    design: str  # "" or what the variant does to save memory: free, checkpoint, checkpoint-free
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
    native: dict[str, Any] | None  # the native pass: memray's version, the peak's stacks
    extra: dict[str, Any]  # what the workload reports of itself (a peer's threads, a shim)
    repeats: dict[str, dict[str, Any]]  # per repeated figure: median, min, max, values
    warnings: list[str]  # a figure left out and why, e.g. too few RSS samples for a peak
    interpreter: dict[str, Any]  # python, implementation, gc_thresholds, numpy of the children


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
    record.update({f.name: None for f in F.FIGURES})
    record[F.FLOOR.name] = live_array_floor_mib
    record.update(
        engine_version=None,
        gc=None,
        timeline=None,
        live=None,
        explain=None,
        native=None,
        extra={},
    )
    record["warnings"] = []  # figures left out, and why
    return record


def by_name(results):
    """The variant records of a results dict, by canonical name."""
    return {v["name"]: v for v in results.get("variants", [])}


class ResultsError(HarnessError):
    """A results file is missing, unreadable or of no schema this version reads; the message is
    for the user."""


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
        # Whether the variants took the native pass, and why not (memray not installed...)
        "native": record({"enabled": FLAG, "why": nullable(TEXT)}, required=("enabled",)),
    }
)

SETTINGS = record(
    {
        # Which workload the file holds (absent in files written before there were two: the
        # classic one); the gate never compares two.
        "workload": one_of(*workloads.WORKLOADS),
        "iters": whole(1),
        "size": whole(1),
        "depth": whole(1),
        "repeat": whole(1),
        "seed": whole(0),
        # How each iteration got its input (absent in files written before the loop copied
        # one drawn array: those drew every input).
        "input": one_of(*workloads.classic.INPUTS),
        "interval_s": number(0),
        "gc_enabled": FLAG,
        "gc_threshold": nullable(whole(1)),
        "mem_limit_mib": number(0),
        "retain_grad": FLAG,
        "timeout_s": number(0),
        "flamegraph": list_of(NAME),  # variants whose native pass kept its peak's stacks
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
        # An untraced pass that took its turn (measure/turns.py): set-up and loop, Unix times
        "setup_unix": list_of(nullable(number(0)), length=2),
        "turn_unix": nullable(list_of(number(0), length=2)),
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
        "at": record({"kind": TEXT, "iter": whole()}),  # the checkpoint's kind and iteration
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

# The stacks alive at the native pass's peak (measure/peak_stacks.py): each frame once, each
# stack the frames' numbers root first and the bytes its last frame allocated itself.
PEAK_STACKS = record(
    {
        "bytes": whole(0),
        "allocations": whole(0),
        "min_share": number(0),
        "frames": list_of(
            record(
                {
                    "function": TEXT,
                    "file": nullable(TEXT),
                    "line": nullable(whole(0)),
                    "kind": one_of("project", "python", "native", "other"),
                },
                required=("function", "file", "line", "kind"),
            )
        ),
        "stacks": list_of(
            record(
                {"frames": list_of(whole(0)), "bytes": whole(0), "allocations": whole(0)},
                required=("frames", "bytes", "allocations"),
            )
        ),
    },
    required=("bytes", "frames", "stacks"),
)

# The native pass (docs/measurement.md): memray's version and how its tracker was set, the
# allocations it saw, the peak's stacks where kept (null otherwise); or {"error"} when it failed.
NATIVE = record(
    {
        "error": TEXT,
        "memray": TEXT,
        "allocations": whole(0),
        "tracker": OBJECT,
        "peak_stacks": nullable(PEAK_STACKS),
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
        **{f.name: nullable(number() if f.signed else number(0)) for f in F.FIGURES},
        "gc": nullable(GC),
        "timeline": nullable(TIMELINE),
        "extra": nullable(OBJECT),
        "repeats": map_of(SPREAD),
        "warnings": list_of(TEXT),
        "live": nullable(LIVE),
        "explain": nullable(EXPLAIN),
        "native": nullable(NATIVE),
        "interpreter": INTERPRETER,
        "engine": TEXT,
        "engine_version": nullable(TEXT),
        "design": TEXT,
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


def load(path):
    """The results dict in `path`; ResultsError naming the file and the field when it is not a
    file of a schema this version reads (SCHEMAS) whose every field has its shape (the tables
    above)."""
    path = Path(path)
    data = store.read_json(path, ResultsError, "results")
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


def load_measured(path):
    """`load`, refusing a file that holds no variant yet: a name a run has reserved (see
    store.timestamped), its run still going or stopped before its first variant."""
    data = load(path)
    if not data["variants"] and data.get("complete") is False:
        raise ResultsError(
            f"{path}: no variant measured yet (a run still going, or stopped before its first)"
        )
    return data


def newest_valid(results_dir=RESULTS_DIR, workload=workloads.DEFAULT):
    """(path, data, skipped): the newest loadable results file of `workload` (the main job
    writes a deep-chain file beside the classic one), and one message per newer file that could
    not be loaded. ResultsError when there is none."""
    files = store.json_files(results_dir)
    if not files:
        raise ResultsError(
            f"no results in {results_dir}: run `python -m benchmarks run` first to measure"
        )

    skipped = []
    for path in reversed(files):
        try:
            data = load_measured(path)
        except ResultsError as e:
            skipped.append(str(e))
            continue
        if workloads.of(data) == workload:
            return path, data, skipped
    how = "" if workload == workloads.DEFAULT else f" --workload {workload}"
    raise ResultsError(
        f"no valid results file of the {workload} workload in {results_dir}"
        + (f" ({'; '.join(skipped)})" if skipped else "")
        + f": run `python -m benchmarks run{how}` to measure"
    )
