"""Results files: the JSON contract between measuring and showing (schema in reports/README.md).

Files are written whole or not at all, and read back with an error that names the file, so the
engine, the report and a regression gate all agree on what a valid results file is.
"""

import datetime as dt
import json
import os
import tempfile
from pathlib import Path

SCHEMA = 1
RESULTS_DIR = "reports/results"  # relative to the repository root
STATUSES = ("ok", "exceeded_limit", "error", "skipped")
NUMBERS = (  # per-variant figures: a number or null
    "iters", "size", "depth", "iters_done", "baseline_rss_mib", "peak_rss_mib",
    "peak_increment_mib", "kernel_peak_rss_mib", "tracemalloc_peak_mib", "live_array_floor_mib",
    "seconds", "seconds_per_iter",
)  # fmt: skip


class ResultsError(Exception):
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


def new_results_path(results_dir=RESULTS_DIR, now=None):
    """`<results_dir>/<UTC timestamp>.json`, e.g. 20261123T120000Z.json, not yet taken.

    A second run within the same second gets `_002`, which still sorts after the first.
    """
    now = now or dt.datetime.now(dt.UTC)
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    results_dir = Path(results_dir)
    path = results_dir / f"{stamp}.json"
    n = 2
    while path.exists():
        path = results_dir / f"{stamp}_{n:03d}.json"
        n += 1
    return path


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
    for key in NUMBERS:
        value = variant.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ResultsError(f"{path}: variant {name!r}: {key} is {value!r}, not a number")


def list_results(results_dir=RESULTS_DIR):
    """Results files in `results_dir`, oldest first (their names are UTC timestamps)."""
    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        return []
    return sorted(p for p in results_dir.glob("*.json") if p.is_file())


def newest_valid(results_dir=RESULTS_DIR):
    """(path, data, skipped): the newest loadable results file, and one message per newer file
    that could not be loaded. ResultsError when there is none."""
    files = list_results(results_dir)
    if not files:
        raise ResultsError(
            f"no results in {results_dir}: run `python -m benchmarks run` first to measure"
        )
    skipped = []
    for path in reversed(files):
        try:
            return path, load(path), skipped
        except ResultsError as e:
            skipped.append(str(e))
    raise ResultsError(
        f"no valid results file in {results_dir} ({'; '.join(skipped)}): "
        "run `python -m benchmarks run` to measure again"
    )
