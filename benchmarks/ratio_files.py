"""Ratios files: the JSON contract between the speed step's side-by-side timing
(`benchmarks/suite/ratios.py`), the report and `compare --ratios` (schema in reports/README.md).

A ratio is ours over a reference timed in interleaved rounds of one process: it says how much
slower or faster ours is, under the same conditions, and stays comparable between runs and
machines where seconds do not. A file's name is reserved when its speed step starts
(`results.reserve`), its content is written whole (`results.write_atomic`), and it is read back
checked whole, with an error that names the file and the field.
"""

import json
import math
from pathlib import Path

from . import paths, results
from .errors import HarnessError
from .shapes import FLAG, OBJECT, TEXT, ShapeError, list_of, nullable, record

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
    with no comparison yet, marked unfinished (`results.reserve`)."""
    return {"kind": KIND, "schema": SCHEMA, "complete": False, "comparisons": []}


# The file around its comparisons (shapes.py's words; `_check` checks each comparison). The
# environment is a results file's (`results.ENVIRONMENT`): the same function records both.
RATIOS = record(
    {
        "complete": FLAG,
        "interrupted": nullable(TEXT),
        "environment": results.ENVIRONMENT,
        "settings": OBJECT,
        "comparisons": list_of(OBJECT),
    }
)


def load(path):
    """The ratios dict in `path`; RatiosError naming the file if it is not a schema-1 file."""
    data = results.read_json(path, RatiosError, "ratios")
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
    for i, comparison in enumerate(data["comparisons"]):
        if not isinstance(comparison.get("name"), str):
            raise RatiosError(f"{path}: comparison #{i + 1} has no name")
        _check(path, comparison)
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


def _number(value):
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def _check(path, record):
    # Readers format and divide these; a string or a zero here is a broken file, not a crash
    # later, and a missing ratio must come with its reason.
    name = record["name"]
    status = record.get("status")
    if status not in STATUSES:
        raise RatiosError(
            f"{path}: comparison {name!r} has status {status!r}, expected one of "
            f"{', '.join(STATUSES)}"
        )
    target = record.get("target")
    if target is not None and not (_number(target) and target > 0):  # null: a user's engine
        raise RatiosError(f"{path}: comparison {name!r}: target is {target!r}")
    for key in (*RATIO_FIELDS, *SECONDS_FIELDS, *COUNT_FIELDS):
        value = record.get(key)
        if value is not None and not (_number(value) and value > 0):
            raise RatiosError(
                f"{path}: comparison {name!r}: {key} is {value!r}, not a number > 0 or null"
            )
    for key in ROUND_FIELDS:
        values = record.get(key, [])
        if not isinstance(values, list) or not all(_number(v) and v > 0 for v in values):
            raise RatiosError(f"{path}: comparison {name!r}: {key} is not a list of seconds")
    for key in TEXT_FIELDS:
        if not isinstance(record.get(key, ""), str):
            raise RatiosError(f"{path}: comparison {name!r}: {key} is not text")
    if status == "ok" and record.get("ratio") is None:
        raise RatiosError(f"{path}: comparison {name!r} is ok but has no ratio")
    if status != "ok" and not (
        record.get("ratio") is None and isinstance(record.get("reason"), str)
    ):
        raise RatiosError(
            f"{path}: comparison {name!r} is {status}: it needs a null ratio and a reason"
        )


def newest_valid(folder):
    """(path, data, skipped): the newest loadable ratios file in `folder`, and one message per
    newer file that could not be loaded; (None, None, skipped) when there is none."""
    return paths.newest_valid(reversed(paths.json_files(folder)), load_measured, RatiosError)
