"""The main job's speed step: the pytest-benchmark suite (`benchmarks/bench_*.py`) in a child
pytest, saved as `reports/speed/<UTC time>.json` for the report's timing table, then ours against
the peers side by side (`ratios.py`) in another child, saved as `reports/ratios/<UTC time>.json`.

The first is `pytest --benchmark-only --benchmark-json=FILE` run for the user, so the speed
figures of a `python -m benchmarks` run come from the same machine, minutes apart from its memory
figures. The second times each ratio's two sides in interleaved rounds of one fresh process,
so its ratios hold on a busy host too.
"""

import os
import subprocess
import sys
from pathlib import Path

from .. import paths
from ..workloads.variants import NO_PEERS_ENV


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
    final = paths.timestamped(paths.speed_dir(Path(reports_dir).resolve()))
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = final.with_name(final.stem + ".partial.json")
    try:
        code = subprocess.run(
            command(partial, select), cwd=paths.PROJECT_ROOT, env=_env(peers)
        ).returncode
        if not partial.exists():
            return None, code
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    return final, code


def _env(peers):
    env = dict(os.environ)
    if peers:
        env.pop(NO_PEERS_ENV, None)
    else:
        env[NO_PEERS_ENV] = "1"
    return env


def ratios_command(json_path, rounds=None, quick=False):
    """The command line that measures the side-by-side ratios into `json_path`."""
    cmd = [sys.executable, "-m", "benchmarks.suite.ratios", f"--out={json_path}"]
    if rounds:
        cmd.append(f"--rounds={rounds}")
    if quick:
        cmd.append("--quick")
    return cmd


def run_ratios(reports_dir=paths.REPORTS_DIR, peers=True, rounds=None, quick=False):
    """Measure the ratios in a fresh process; (the ratios file, or None, its exit code).

    The child rewrites its file whole after every batch, so an interrupted run leaves the
    batches it finished, marked incomplete.
    """
    path = paths.timestamped(paths.ratios_dir(Path(reports_dir).resolve()))
    path.parent.mkdir(parents=True, exist_ok=True)
    cmd = ratios_command(path, rounds, quick)
    code = subprocess.run(cmd, cwd=paths.PROJECT_ROOT, env=_env(peers)).returncode
    return (path if path.exists() else None), code
