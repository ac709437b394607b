"""Where the harness keeps its files (reports/, its results/ and speed/ folders) and the one scan
that finds the newest file that still reads."""

import datetime as dt
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent  # where pyproject.toml and conftest.py are
REPORTS_DIR = "reports"  # relative to where the commands run: the project root
# Virtual environments for `--python` (benchmarks/measure/venvs.py); git ignores them.
ENVS_DIR = PROJECT_ROOT / ".envs"


def results_dir(reports_dir=REPORTS_DIR):
    return Path(reports_dir) / "results"


def speed_dir(reports_dir=REPORTS_DIR):
    return Path(reports_dir) / "speed"


RESULTS_DIR = str(results_dir())


def timestamped(folder, now=None):
    """`<folder>/<UTC timestamp>.json`, e.g. 20261123T120000Z.json, not yet taken.

    A second file within the same second gets `_002`, which still sorts after the first.
    """
    now = now or dt.datetime.now(dt.UTC)
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = Path(folder)
    path = folder / f"{stamp}.json"
    n = 2
    while path.exists():
        path = folder / f"{stamp}_{n:03d}.json"
        n += 1
    return path


def json_files(folder):
    """The JSON files directly in `folder`, oldest first (their names are UTC timestamps)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.json") if p.is_file())


def newest_valid(candidates, load, error=Exception):
    """(path, data, skipped) for the first of `candidates` (newest first) that `load` reads;
    `skipped` holds one message per newer file that raised `error`. (None, None, skipped) when
    none reads."""
    skipped = []
    for path in candidates:
        try:
            return path, load(path), skipped
        except error as e:
            skipped.append(str(e))
    return None, None, skipped
