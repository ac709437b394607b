"""A reference run for the docs (docs/reference/): the main job with the peers and without them,
and the plain test command, each a child process timed from outside; the files the first job
wrote and every time, copied where `python -m benchmarks docs` reads them.

The main job prints its own wall time and the split by step as its last line
(`time: ... by step, wall (CPU): run 9.4 s (16.7 s), ...`): that line is what is kept.
"""

import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..errors import HarnessError
from ..files import folders, store

TIME_LINE = re.compile(r"^time: ([\d.]+) s, [\d.]+ s of CPU; by step, wall \(CPU\): (.*)$", re.M)
STEP = re.compile(r"([\w ]+?) ([\d.]+) s \([\d.]+ s\)(?:, |$)")
SUITE = "benchmarks/suite/bench_chains.py"
PICTURE = "strong_vs_weak.png"  # the report's first screen's picture, which the README shows
TIMES = "times.json"
JOBS = {"job": (), "job-no-peers": ("--no-peers",)}  # the key in times.json, the job's flags


def job_times(output):
    """{"wall_s", "steps": {step: seconds}} from the main job's printed output."""
    found = TIME_LINE.findall(output)
    if not found:
        raise HarnessError("the main job printed no `time:` line: it did not finish")
    wall, steps = found[-1]
    return {"wall_s": float(wall), "steps": {n: float(s) for n, s in STEP.findall(steps)}}


def _run(cmd, cwd):
    print("reference run: " + " ".join(cmd[1:]), flush=True)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-20:])
        raise HarnessError(f"{' '.join(cmd[1:])} exited {done.returncode}:\n{tail}")
    return done.stdout, time.perf_counter() - start


def _newest(folder):
    files = store.json_files(folder)
    if not files:
        raise HarnessError(f"{folder}: the main job wrote no file here")
    return files[-1]


def _times(reference_dir):
    path = Path(reference_dir) / TIMES
    return store.read_json(path, HarnessError, "reference times") if path.exists() else {}


def _write(files):
    store.write_files_atomic(
        {path: (json.dumps(c, indent=2) + "\n").encode() if isinstance(c, dict) else c
         for path, c in files.items()}
    )  # fmt: skip
    return sorted(files)


def take_jobs(root, reference_dir):
    """Run the main jobs and the scalar chains' benchmarks under `root` (the checkout) and write
    their files and times into `reference_dir`, all or none, keeping the tests' last time
    (`time_tests` takes a new one once the docs quote the new files); the paths written."""
    times, copied = {}, {}
    with tempfile.TemporaryDirectory(prefix="reference-") as scratch:
        for key, flags in JOBS.items():
            reports = Path(scratch) / key
            cmd = [sys.executable, "-m", "benchmarks", *flags, "--reports-dir", str(reports)]
            cmd += ["--results-dir", str(folders.results_dir(reports))]
            out, _ = _run(cmd, root)
            times[key] = job_times(out)
            if key == "job":
                classic, deep = store.json_files(folders.results_dir(reports))[-2:]
                copied = {
                    "classic.json": classic.read_bytes(),
                    "deep-chain.json": deep.read_bytes(),
                    "ratios.json": _newest(folders.ratios_dir(reports)).read_bytes(),
                    "sweep.json": _newest(folders.sweeps_dir(reports)).read_bytes(),
                    PICTURE: (reports / PICTURE).read_bytes(),
                }
        # The scalar chains, where every engine runs, scalar-only ones included: timed for real.
        suite = Path(scratch) / "suite.json"
        _run([sys.executable, "-m", "pytest", SUITE, "--benchmark-only", "-k", "scalar",
              "-p", "no:cacheprovider", f"--benchmark-json={suite}"], root)  # fmt: skip
        copied["suite.json"] = _without_rounds(json.loads(suite.read_text()))
    reference_dir = Path(reference_dir)
    times["tests"] = _times(reference_dir).get("tests", {"wall_s": None})
    files = {reference_dir / name: content for name, content in copied.items()}
    files[reference_dir / TIMES] = times
    reference_dir.mkdir(parents=True, exist_ok=True)
    return _write(files)


def _without_rounds(benchmarks):
    """pytest-benchmark's file without each round's time (tens of MB for microsecond calls):
    the statistics the docs quote are kept."""
    for bench in benchmarks["benchmarks"]:
        bench["stats"].pop("data", None)
    return benchmarks


def time_tests(root, reference_dir):
    """Time the plain test command under `root` into the reference times; the path written."""
    _, seconds = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], root)
    times = {**_times(reference_dir), "tests": {"wall_s": seconds}}
    return _write({Path(reference_dir) / TIMES: times})
