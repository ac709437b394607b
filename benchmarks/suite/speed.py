"""The main job's speed step: the pytest-benchmark suite (`benchmarks/bench_*.py`) in a child
pytest, saved as `reports/speed/<UTC time>.json` for the report's timing table and ratios.

It is `pytest --benchmark-only --benchmark-json=FILE` run for the user, so the speed figures of
a `python -m benchmarks` run come from the same machine, minutes apart from its memory figures.
"""

import os
import sys
from pathlib import Path

from .. import paths
from ..errors import HarnessError
from ..measure import children
from ..workloads.variants import NO_PEERS_ENV

# What the reserved file holds while the suite runs: pytest-benchmark's shape, marked unfinished.
RESERVED = b'{"complete": false, "benchmarks": []}\n'


def command(json_path, select=None):
    """The pytest command line that measures the suite into `json_path`."""
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(paths.PROJECT_ROOT / "benchmarks"),
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


def run(reports_dir=paths.REPORTS_DIR, peers=True, select=None):
    """Run the suite; (the JSON file written, or None, pytest's exit code).

    pytest-benchmark writes its file at the end of the session, even when some benchmarks
    failed; it is written beside the final name and renamed, so a crash leaves no half file.
    `select` is a pytest `-k` expression, to run part of the suite.
    """
    # Absolute: the child pytest runs in the project root, whatever the caller's folder.
    folder = paths.speed_dir(Path(reports_dir).resolve())
    try:  # the name is taken now, so two speed steps at once never share a file
        final = paths.timestamped(folder, content=RESERVED)
    except OSError as e:
        raise HarnessError(f"cannot write into {folder} ({e.strerror or e})") from None
    partial = final.with_name(final.stem + ".partial.json")
    env = dict(os.environ)
    if peers:
        env.pop(NO_PEERS_ENV, None)
    else:
        env[NO_PEERS_ENV] = "1"
    done = False
    try:
        code = children.run(command(partial, select), cwd=paths.PROJECT_ROOT, env=env)
        if partial.exists():
            os.replace(partial, final)
            done = True
    finally:
        partial.unlink(missing_ok=True)
        if not done:
            final.unlink(missing_ok=True)  # nothing was timed: no file, not an empty one
    return (final if done else None), code
