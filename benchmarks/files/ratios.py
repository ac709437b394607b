"""Ratios files: the JSON contract between the speed step's side-by-side timing
(`benchmarks/suite/ratios.py`), the report and `compare --ratios` (schema in reports/README.md).

A ratio is ours over a reference timed in interleaved rounds of one process: it says how much
slower or faster ours is, under the same conditions, and stays comparable between runs and
machines where seconds do not. A file's name is reserved when its speed step starts
(`store.reserve`), its content is written whole (`store.write_atomic`), and it is read back
checked whole, with an error that names the file and the field.
"""

import json
import math
from pathlib import Path

from ..errors import HarnessError
from . import results, store
from .shapes import (
    FLAG,
    NULL,
    OBJECT,
    TEXT,
    ShapeError,
    cases,
    list_of,
    nullable,
    number,
    one_of,
    record,
    whole,
)

KIND = "ratios"
SCHEMA = 1
STATUSES = ("ok", "skipped", "error")  # skipped: the reference's peer is not installed
# The gate's default, applied to the best-of-rounds ratio and the ratio of medians together
# (`ratio_gate`). Three runs of the unchanged engine on a shared 2-core host moved a ratio by
# up to 15% on both measures at once (the wide graph; every other comparison by up to 7%):
# 20% leaves that noise room and still fails a real slowdown of a fifth.
DEFAULT_MAX_WORSENING_PCT = 20.0
RATIO_FIELDS = ("ratio", "median_ratio", "round_ratio_min", "round_ratio_max")
SECONDS_FIELDS = ("ours_best_s", "reference_best_s")
COUNT_FIELDS = ("ops", "rounds", "calls_per_block")
ROUND_FIELDS = ("ours_s", "reference_s")  # seconds per call, one per round
TEXT_FIELDS = ("table", "what", "ours", "reference")


class RatiosError(HarnessError):
    """A ratios file is missing, unreadable or not schema 1; the message is for the user."""


def empty(name, table, what, ours, reference, peer, ops, target):
    """A comparison's record before measuring: status ok, no figures yet."""
    record = {
        "name": name,
        "table": table,
        "what": what,
        "ours": ours,
        "reference": reference,
        "peer": peer,
        "ops": ops,
        "target": target,
        "status": "ok",
        "reason": None,
    }
    record.update(dict.fromkeys((*RATIO_FIELDS, *SECONDS_FIELDS, "rounds", "calls_per_block")))
    record.update({key: [] for key in ROUND_FIELDS})
    return record


def meets_target(record):
    """True when the ratio is at most the target (exactly at it holds), None without a ratio."""
    ratio, target = record.get("ratio"), record.get("target")
    if ratio is None or target is None:
        return None
    return ratio <= target or math.isclose(ratio, target, rel_tol=1e-9)


def by_name(data):
    return {c["name"]: c for c in data.get("comparisons", [])}


def is_ratios_file(path):
    """Whether `path` reads as JSON saying it is a ratios file (any schema); False otherwise."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(data, dict) and data.get("kind") == KIND


def reserved():
    """What a reserved ratios file holds until its child writes the first batch: a ratios file
    with no comparison yet, marked unfinished (`store.reserve`)."""
    return {"kind": KIND, "schema": SCHEMA, "complete": False, "comparisons": []}


# What `load` accepts (shapes.py's words): a comparison's fields depend on its status. Readers
# format and divide these figures, so a string or a zero is a broken file, never a crash later;
# a measured comparison has its ratio (its spread may be missing: the gate then reads the ratio
# alone), one without a ratio says why. The environment is a results file's
# (`results.ENVIRONMENT`): the same function records both.
_ALWAYS = {
    "name": TEXT,
    "table": TEXT,
    "what": TEXT,
    "ours": TEXT,
    "reference": TEXT,
    "peer": nullable(TEXT),
    "target": nullable(number(above=0)),  # null: a user's engine, compared without a target
    "ops": nullable(whole(1)),
    **{key: list_of(number(above=0)) for key in ROUND_FIELDS},  # seconds per call, per round
}
_MEASURED = {
    **{key: nullable(number(above=0)) for key in (*RATIO_FIELDS, *SECONDS_FIELDS)},
    **{key: nullable(whole(1)) for key in ("rounds", "calls_per_block")},
}
COMPARISON = cases(
    "status",
    {
        "ok": record(
            {**_ALWAYS, **_MEASURED, "ratio": number(above=0), "reason": nullable(TEXT)},
            required=("name", "target", "ratio"),
        ),
        **{
            status: record(
                {**_ALWAYS, **_MEASURED, "ratio": NULL, "reason": TEXT},
                required=("name", "target", "reason"),
            )
            for status in STATUSES
            if status != "ok"
        },
    },
)
RATIOS = record(
    {
        "kind": one_of(KIND),
        "schema": one_of(SCHEMA),
        "complete": FLAG,
        "interrupted": nullable(TEXT),
        "environment": results.ENVIRONMENT,
        "settings": OBJECT,
        "comparisons": list_of(COMPARISON, key="name"),  # the gate pairs them by name
    },
    required=("kind", "schema", "comparisons"),
)


def load(path):
    """The ratios dict in `path`; RatiosError naming the file if it is not a schema-1 file."""
    data = store.read_json(path, RatiosError, "ratios")
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise RatiosError(
            f'{path}: not a ratios file (no "kind": "{KIND}"); '
            "`python -m benchmarks speed` writes them into reports/ratios/"
        )
    if data.get("schema") != SCHEMA:
        raise RatiosError(
            f"{path}: unknown ratios schema {data.get('schema')!r}; this version reads {SCHEMA}"
        )
    if not isinstance(data.get("comparisons"), list):
        raise RatiosError(f"{path}: no 'comparisons' list")
    try:
        RATIOS.check(data, "")
    except ShapeError as e:
        raise RatiosError(f"{path}: {e}") from None
    for section in ("environment", "settings"):
        data.setdefault(section, {})
    return data


def load_measured(path):
    """`load`, refusing a file that holds no comparison yet: a name a speed step has reserved,
    its child still timing or stopped before its first batch."""
    data = load(path)
    if not data["comparisons"] and data.get("complete") is False:
        raise RatiosError(
            f"{path}: no comparison timed yet (a speed step still going, or stopped before its "
            "first batch)"
        )
    return data


def newest_valid(folder):
    """(path, data, skipped): the newest loadable ratios file in `folder`, and one message per
    newer file that could not be loaded; (None, None, skipped) when there is none."""
    return store.newest_valid(reversed(store.json_files(folder)), load_measured, RatiosError)
