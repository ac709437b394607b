"""Where the harness keeps its files (reports/, its results/, speed/, ratios/ and sweeps/ folders),
the one way a name read from a file becomes a file's name, and the one scan that finds the
newest file that still reads."""

import datetime as dt
import os
import tempfile
from pathlib import Path

from .shapes import NAME

PROJECT_ROOT = Path(__file__).resolve().parent.parent  # where pyproject.toml and conftest.py are
REPORTS_DIR = "reports"  # relative to where the commands run: the project root
# Virtual environments for `--python` (benchmarks/measure/venvs.py); git ignores them.
ENVS_DIR = PROJECT_ROOT / ".envs"


def results_dir(reports_dir=REPORTS_DIR):
    return Path(reports_dir) / "results"


def speed_dir(reports_dir=REPORTS_DIR):
    return Path(reports_dir) / "speed"


def ratios_dir(reports_dir=REPORTS_DIR):
    return Path(reports_dir) / "ratios"


def sweeps_dir(reports_dir=REPORTS_DIR):
    return Path(reports_dir) / "sweeps"


def mprof_dir(reports_dir=REPORTS_DIR):
    """Where the report writes each variant's timeline in mprof's format."""
    return Path(reports_dir) / "mprof"


def file_name(name, prefix="", suffix=""):
    """`prefix + name + suffix`, the name of a file made for `name` (a variant's or an axis's,
    read from a file). ValueError unless `name` is canonical (`shapes.NAME`): a name such as
    `x/../../escaped` would put the file outside its folder. `load` refuses such names; this
    holds for data that never went through it."""
    if not NAME.accepts(name):
        raise ValueError(f"{name!r} is not {NAME.words}, so it names no file")
    return f"{prefix}{name}{suffix}"


RESULTS_DIR = str(results_dir())
SWEEPS_DIR = str(sweeps_dir())


# What a reserved file holds until its writer replaces it: valid JSON that says it is not done.
INCOMPLETE = b'{"complete": false}\n'


def timestamped(folder, now=None, content=INCOMPLETE):
    """Reserve `<folder>/<UTC timestamp>.json`, e.g. 20261123T120000Z.json, holding `content`.

    The name is taken the moment it is chosen: the file appears whole, by an exclusive hard
    link (no other process can take the same name), so two runs started in the same second
    get two files. A second file within the same second gets `_002`, which still sorts after
    the first. `content` should be a document its readers know as unfinished. OSError when the
    folder cannot be made or written.
    """
    now = now or dt.datetime.now(dt.UTC)
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".reserving.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; these files are for anyone to read
        n = 1
        while True:
            path = folder / (f"{stamp}.json" if n == 1 else f"{stamp}_{n:03d}.json")
            try:
                _create_exclusively(tmp, path, content)
                return path
            except FileExistsError:
                n += 1
    finally:
        Path(tmp).unlink(missing_ok=True)


def _create_exclusively(tmp, path, content):
    try:
        os.link(tmp, path)  # fails if `path` exists, and the file appears with its content
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: an exclusive create, then the content
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(content)


def check_writable(folder):
    """Make `folder` if need be and write a file in it; OSError when that cannot be done, so a
    command can say so before it spends minutes measuring."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=folder):
        pass


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
