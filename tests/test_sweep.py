"""Sweeps at tiny sizes: a point is a run, side by side changes no exact figure, an interrupted
sweep keeps its points and resumes, bad axes are refused, and a Dask cluster runs the same
passes (reports/README.md documents the sweep file)."""

import contextlib
import copy
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from benchmarks import __main__ as cli
from benchmarks.files import results, store
from benchmarks.measure import runner
from benchmarks.sweep import executors, files
from benchmarks.sweep import schedule as engine

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ["--iters", "120", "--size", "5000"]
PAIR = ["--only", "strong-backprop", "weak-backprop"]
# Figures identical from process to process (docs/measurement.md): what a point must repeat.
EXACT = ("status", "tracemalloc_peak_mib", "live_array_floor_mib", "iters_done")


def sweep(tmp_path, *argv):
    """Run `python -m benchmarks sweep ARGV` in this process; the sweep file it wrote."""
    folder = tmp_path / "sweeps"
    assert cli.main(["sweep", *argv, "--sweeps-dir", str(folder)]) == 0
    (path,) = store.json_files(folder)
    return path, files.load(path)


def by_point(data):
    return {(*p["params"].values(), p["variant"]): p for p in data["points"]}


@pytest.fixture(scope="module")
def traced_pair(tmp_path_factory):
    """A traced-only sweep of our two graphs over two thresholds, one pass at a time."""
    tmp = tmp_path_factory.mktemp("traced")
    return sweep(tmp, "gc_threshold=100,700", *PAIR, *TINY, "--traced-only")[1]


def test_a_two_point_sweep_equals_two_runs(tmp_path):
    only = ["--only", "strong-backprop", "--no-native"]  # the native pass: tests/test_native.py
    _, data = sweep(tmp_path, "gc_threshold=350,700", *only, *TINY)
    assert data["complete"] is True and data["passes"] == ["untraced", "traced"]
    assert data["settings"]["gc_threshold"] is None  # the axis sets it per point
    for threshold in (350, 700):
        folder = tmp_path / f"run-{threshold}"
        argv = ["run", *only, "--gc-threshold", str(threshold), *TINY]
        assert cli.main([*argv, "--results-dir", str(folder)]) == 0
        (run,) = results.load(store.json_files(folder)[0])["variants"]
        point = by_point(data)[(threshold, "strong-backprop")]
        assert point["passes"] == {
            "traced": {"side_by_side": 1, "worker": "local"},
            "untraced": {"side_by_side": 1, "worker": "local"},
        }
        record = point["record"]
        assert [record[k] for k in EXACT] == [run[k] for k in EXACT]
        assert record["gc"]["collections"] == run["gc"]["collections"]
        assert record["gc"]["threshold"][0] == threshold
        assert record["kernel_peak_rss_mib"] > 0 and record["seconds_per_iter"] > 0
    # The threshold moves the strong graph's peak: the two points measured different things.
    peaks = [
        by_point(data)[(t, "strong-backprop")]["record"]["tracemalloc_peak_mib"] for t in (350, 700)
    ]
    assert peaks[0] < peaks[1]


def test_jobs_2_gives_the_traced_figures_of_jobs_1(tmp_path, traced_pair):
    _, side_by_side = sweep(
        tmp_path, "gc_threshold=100,700", *PAIR, *TINY, "--traced-only", "--jobs", "2"
    )
    one, two = by_point(traced_pair), by_point(side_by_side)
    assert one.keys() == two.keys() and len(one) == 4
    for key in one:
        assert [two[key]["record"][k] for k in EXACT] == [one[key]["record"][k] for k in EXACT]
        assert one[key]["passes"] == {"traced": {"side_by_side": 1, "worker": "local"}}
        assert two[key]["passes"] == {"traced": {"side_by_side": 2, "worker": "local"}}
        # Traced only: no RSS, kernel peak or time, and the traced pass says how far it got.
        record = two[key]["record"]
        assert record["kernel_peak_rss_mib"] is None and record["seconds_per_iter"] is None
        assert record["iters_done"] == 120
    assert side_by_side["passes"] == ["traced"] and side_by_side["executor"]["jobs"] == 2


class CountingPool(ThreadPoolExecutor):
    """A real executor that notes each pass it is given."""

    def __init__(self):
        super().__init__(2)
        self.given = []

    def submit(self, fn, variant, settings, pass_name, census=None):
        assert census is None  # a sweep of its own takes each point's own census
        self.given.append((settings.gc_threshold, variant.name, pass_name))
        return super().submit(fn, variant, settings, pass_name, census)


def test_resume_measures_only_the_missing_passes(tmp_path, traced_pair, monkeypatch):
    # What an interruption after three passes leaves: the file is rewritten after every pass.
    interrupted = dict(traced_pair, complete=False, points=traced_pair["points"][:3])
    path = store.write_atomic(tmp_path / "sweep.json", interrupted)
    pool = CountingPool()

    @contextlib.contextmanager
    def counting(workers, scheduler=None):
        with pool:
            yield pool, "a counting pool"

    monkeypatch.setattr(executors, "make", counting)
    assert [t.label() for t in engine.missing(files.load(path))] == [
        "gc_threshold=700 weak-backprop (traced)"
    ]
    assert cli.main(["sweep", "--resume", str(path)]) == 0
    assert pool.given == [(700, "weak-backprop", "traced")]
    resumed = files.load(path)
    assert resumed["complete"] is True and len(resumed["points"]) == 4
    assert resumed["points"][:3] == traced_pair["points"][:3]  # kept as they were measured
    again = by_point(resumed)[(700, "weak-backprop")]["record"]
    assert [again[k] for k in EXACT] == [
        by_point(traced_pair)[(700, "weak-backprop")]["record"][k] for k in EXACT
    ]
    (when,) = resumed["environment"]["resumed"]  # the file says it was continued, and when
    assert when["started"] >= resumed["environment"]["started"]


def test_an_interrupted_sweep_keeps_the_points_it_measured(tmp_path):
    # The second point would take minutes: stopped while it runs (SIGTERM to the sweep alone, as
    # `kill` sends it), the file holds the first, and no child or temporary folder is left.
    cmd = [sys.executable, "-m", "benchmarks", "sweep", "iters=50,3000000", "--size", "1000",
           "--only", "weak-no_grad", "--traced-only", "--sweeps-dir", str(tmp_path)]  # fmt: skip
    child = subprocess.Popen(
        cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            found = store.json_files(tmp_path)
            if found and files.load(found[0])["points"]:
                break
            time.sleep(0.05)
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=60) == 128 + signal.SIGTERM
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # whatever is left, if the test failed
        child.wait()
    (path,) = store.json_files(tmp_path)
    data = files.load(path)
    assert data["complete"] is False
    assert [(p["params"], p["record"]["status"]) for p in data["points"]] == [({"iters": 50}, "ok")]
    assert [t.label() for t in engine.missing(data)] == ["iters=3000000 weak-no_grad (traced)"]
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize(
    "argv, message",
    [
        (["bogus=1,2"], "unknown axis 'bogus'; allowed: gc_threshold (gc threshold0), size ("),
        (["size=10,abc"], "axis size (as --size): expected a whole number from 1 to 1000000000"),
        (["size=0"], "axis size (as --size): expected a whole number from 1 to 1000000000, got 0"),
        (["depth=2.5"], "axis depth (as --depth): expected a whole number from 1 to 1000, got 2.5"),
        # Each axis has its flag's bounds: no pass could run these
        (["depth=5000,6000"], "axis depth (as --depth): expected a whole number from 1 to 1000"),
        (["gc_threshold=1e12"], "(as --gc-threshold): expected a whole number from 1 to 2147"),
        (["size=1e300"], "axis size (as --size): expected a whole number from 1 to 1000000000"),
        (["size=10,1e1"], "axis size: 1e1 is given twice"),
        (["gc_threshold"], "axis 'gc_threshold': expected NAME=V1,V2,..."),
        (["size=10", "size=20"], "axis size is given twice"),
        ([], "a sweep needs at least one axis"),
        (["size=1e4", "--size", "5"], "size is an axis of this sweep: leave out --size"),
        (["gc_threshold=100", "--no-gc"], "a gc_threshold axis needs the GC"),
        (["python=snake"], "axis python (as --python): expected a version (3.12, 3.13.0) or a"),
        (["python=3.99"], "--python '3.99': no Python 3.99 found"),
        (["size=10", "--scheduler", "localhost"], "expected an address such as tcp://HOST:PORT"),
        (["--resume", "x.json", "size=10"], "leave out size=10"),
        (["--resume", "x.json", "--iters", "5"], "leave out --iters"),
        (["--resume", "no-such.json"], "no-such.json: no such sweep file"),
    ],
)
def test_bad_sweeps_are_refused_with_what_is_allowed(argv, message, tmp_path, capsys):
    assert cli.main(["sweep", *argv, "--sweeps-dir", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing measured, no file left


def test_a_sweep_file_that_lies_is_refused(tmp_path, traced_pair):
    bad = json.loads(json.dumps(traced_pair))
    bad["points"][0]["params"] = {"gc_threshold": 5}
    path = store.write_atomic(tmp_path / "bad.json", bad)
    with pytest.raises(files.SweepError, match=r"point #1 .* is not in the sweep's grid"):
        files.load(path)


def test_the_dask_path_runs_the_same_passes_on_a_local_cluster(tmp_path, traced_pair):
    distributed = pytest.importorskip(
        "distributed", reason="dask[distributed] is not installed (pip install -e '.[cluster]')"
    )
    dask = pytest.importorskip("dask")
    with (
        dask.config.set({"temporary-directory": str(tmp_path / "dask")}),
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
    ):
        address = cluster.scheduler_address
        _, data = sweep(tmp_path, "gc_threshold=100,700", *PAIR, *TINY, "--traced-only",
                        "--jobs", "2", "--scheduler", address)  # fmt: skip
    assert data["executor"]["where"] == f"the Dask cluster at {address}"
    local = by_point(traced_pair)
    for key, point in by_point(data).items():
        assert [point["record"][k] for k in EXACT] == [local[key]["record"][k] for k in EXACT]
        assert point["passes"]["traced"]["worker"].startswith(("inproc://", "tcp://"))


def test_runner_combines_two_single_passes_into_what_both_give():
    from benchmarks.measure.settings import Settings
    from benchmarks.workloads import variants as V

    variant, settings = V.parse("weak-backprop"), Settings(iters=20, size=1000)
    alone = {p: runner.measure(variant, settings, passes=(p,)) for p in runner.DEFAULT_PASSES}
    both = runner.measure(variant, settings)
    # In either order, as a sweep's passes land in whatever order they finish.
    combined = runner.combine(alone)
    assert combined.keys() == both.keys()
    assert [combined[k] for k in EXACT] == [both[k] for k in EXACT]
    later = copy.deepcopy(alone["traced"])
    runner.add(later, "untraced", alone["untraced"])
    assert later == combined
    assert combined["gc"]["events"] == both["gc"]["events"]
    assert alone["untraced"]["tracemalloc_peak_mib"] is None
    failed = {**alone["traced"], "status": "error", "error": "traced pass: boom"}
    assert runner.combine({**alone, "traced": failed})["error"] == "traced pass: boom"


def test_a_sweep_takes_a_runs_exact_passes_only_where_its_settings_are_the_runs():
    from benchmarks.measure.settings import Settings
    from benchmarks.workloads import variants as V

    variants = [V.parse("strong-backprop")]
    base = Settings(iters=20, size=1000)
    axes = [{"name": "gc_threshold", "values": [350, 700]}]
    traced = {"name": "strong-backprop", "status": "ok", "x": 1}
    taken = {"strong-backprop": {"traced": traced, "untraced": {**traced, "x": 2}}}
    data = engine.start(axes, variants, base, runner.DEFAULT_PASSES, "test")
    engine.reuse(data, taken, dataclasses.replace(base, gc_threshold=700), "run.json", 2)
    (point,) = data["points"]
    assert point["params"] == {"gc_threshold": 700}
    # The traced pass is the run's; the untraced one is the load it ran beside: measured again.
    assert point["passes"] == {"traced": {"side_by_side": 2, "worker": None, "from": "run.json"}}
    assert point["record"]["x"] == 1
    assert {(t.params["gc_threshold"], t.pass_name) for t in engine.missing(data)} == {
        (350, "untraced"), (350, "traced"), (700, "untraced")
    }  # fmt: skip
    other = engine.start(axes, variants, base, runner.DEFAULT_PASSES, "test")
    engine.reuse(other, taken, dataclasses.replace(base, gc_threshold=700, size=2000), "r", 2)
    assert other["points"] == []  # another size: nothing of that run is this sweep's
