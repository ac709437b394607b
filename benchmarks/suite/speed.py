"""The main job's speed step: the pytest-benchmark suite (`benchmarks/bench_*.py`) in a child
pytest, saved as `reports/speed/<UTC time>.json` for the report's timing table, then ours against
the peers side by side (`ratios.py`) in another child, saved as `reports/ratios/<UTC time>.json`.

The first is `pytest --benchmark-only --benchmark-json=FILE` run for the user, so the speed
figures of a `python -m benchmarks` run come from the same machine, minutes apart from its memory
figures. The second times each ratio's two sides in interleaved rounds of one fresh process,
so its ratios hold on a busy host too.
"""

import json
import os
import sys
from pathlib import Path

from ..errors import HarnessError
from ..files import folders, store
from ..files import ratios as ratio_files
from ..measure import children
from ..workloads.variants import ENGINES_ENV, NO_PEERS_ENV

# What the reserved file holds while the suite runs: pytest-benchmark's shape, marked unfinished.
RESERVED = b'{"complete": false, "benchmarks": []}\n'


def command(json_path, select=None):
    """The pytest command line that measures the suite into `json_path`."""
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(folders.PROJECT_ROOT / "benchmarks"),
        "--benchmark-only",
        f"--benchmark-json={json_path}",  # with "=": a separate argument can be read as a path
        "--benchmark-quiet",  # the report shows the table; the terminal shows progress
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    if select:
        cmd += ["-k", select]
    return cmd


def run(reports_dir=folders.REPORTS_DIR, peers=True, select=None, user=()):
    """Run the suite; (the JSON file written, or None, pytest's exit code).

    pytest-benchmark writes its file at the end of the session, even when some benchmarks
    failed; it is written beside the final name and renamed, so a crash leaves no half file.
    `select` is a pytest `-k` expression, to run part of the suite.
    """
    # Absolute: the child pytest runs in the project root, whatever the caller's folder.
    folder = folders.speed_dir(Path(reports_dir).resolve())
    try:  # the name is taken now, so two speed steps at once never share a file
        final = store.timestamped(folder, content=RESERVED)
    except OSError as e:
        raise HarnessError(f"cannot write into {folder} ({e.strerror or e})") from None
    partial = final.with_name(final.stem + ".partial.json")
    done = False
    try:
        code = children.run(
            command(partial, select), cwd=folders.PROJECT_ROOT, env=_env(peers, user)
        )
        if partial.exists():
            _drop_raw_timings(partial)
            os.replace(partial, final)
            done = True
    finally:
        partial.unlink(missing_ok=True)
        if not done:
            final.unlink(missing_ok=True)  # nothing was timed: no file, not an empty one
    return (final if done else None), code


def _drop_raw_timings(path):
    """Remove every round's time (`stats.data`) from the file pytest-benchmark wrote: it keeps
    them all, tens of MB for the suite, while the report reads only the summary statistics,
    `extra_info` and the run's facts (`report/pytest_bench.py`)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    for benchmark in data.get("benchmarks") or []:
        (benchmark.get("stats") or {}).pop("data", None)
    path.write_text(json.dumps(data, indent=4), encoding="utf-8")


def _env(peers, user=()):
    """The children's environment: whether to time the peers, and the users' engines (by where
    each was declared: the children run in the project root)."""
    env = dict(os.environ)
    env[ENGINES_ENV] = os.pathsep.join(e.where for e in user)
    if peers:
        env.pop(NO_PEERS_ENV, None)
    else:
        env[NO_PEERS_ENV] = "1"
    return env


def ratios_command(json_path, rounds=None, quick=False, user=()):
    """The command line that measures the side-by-side ratios into `json_path`."""
    cmd = [sys.executable, "-m", "benchmarks.suite.ratios", f"--out={json_path}"]
    if rounds:
        cmd.append(f"--rounds={rounds}")
    if quick:
        cmd.append("--quick")
    cmd += [f"--engine={e.where}" for e in user]
    return cmd


def run_ratios(reports_dir=folders.REPORTS_DIR, peers=True, rounds=None, quick=False, user=()):
    """Measure the ratios in a fresh process; (the ratios file, or None, its exit code).

    The file's name is reserved first (`store.reserve`: two speed steps at once never share
    one, and an unwritable folder is found before timing). The child rewrites it whole after
    every batch, so an interrupted run leaves the batches it finished, marked incomplete; a
    child that timed nothing leaves no file.
    """
    folder = folders.ratios_dir(Path(reports_dir).resolve())
    path = store.reserve(folder, ratio_files.reserved(), option="--reports-dir")
    reserved = path.read_bytes()
    done = False
    try:
        code = children.run(
            ratios_command(path, rounds, quick, user),
            cwd=folders.PROJECT_ROOT,
            env=_env(peers, user),
        )
        done = path.exists() and path.read_bytes() != reserved
    finally:
        if not done:
            path.unlink(missing_ok=True)
    return (path if done else None), code
