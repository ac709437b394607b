"""The main job (`python -m benchmarks`): one tiny run of all its steps, which several tests read,
and the flags that leave steps out."""

import contextlib
import io
import json
import re
from types import SimpleNamespace

import pytest
from report_samples import benchmark_json, make_variant, ratio_record, ratios_json, write

from benchmarks import __main__ as cli
from benchmarks.files import folders, store
from benchmarks.measure import runner
from benchmarks.suite import speed
from benchmarks.sweep import files as sweep_files

TINY = ["--iters", "30", "--size", "1000", "--interval", "0.01"]


def fake_speed(monkeypatch, folder):
    """speed.run and speed.run_ratios replaced by ones that write a small pytest-benchmark file
    and a small ratios file into `folder` (the suite and the ratios have tests of their own);
    returns the list their calls are noted in."""
    calls = []

    def run(reports_dir, peers=True, select=None, user=()):
        calls.append(peers)
        rows = [("test_fake[weak-no_grad]", "g", 1e-4, {"time_vs_numpy": 1.01})]
        return write(folder / "bench.json", benchmark_json(rows)), 0

    def run_ratios(reports_dir, peers=True, rounds=None, quick=False, user=()):
        calls.append(("ratios", peers))
        data = ratios_json(ratio_record("backward-neg-weak-1000", 2.345))
        return write(folder / "ratios.json", data), 0

    monkeypatch.setattr(speed, "run", run)
    monkeypatch.setattr(speed, "run_ratios", run_ratios)
    return calls


def main_job(folder, *flags):
    """Run the main job with `flags` into `folder`/reports; (exit status, the reports folder)."""
    reports = folder / "reports"
    argv = [*TINY, *flags, "--reports-dir", str(reports)]
    argv += ["--results-dir", str(folders.results_dir(reports))]
    return cli.main(argv), reports


@pytest.fixture(scope="module")
def whole_job(tmp_path_factory, figures_undrawn_in_module):
    """The main job without the peers, every step of the classic loop run: the matrix, the ratios
    (faked), the default sweep and the report."""
    folder = tmp_path_factory.mktemp("main_job")
    with pytest.MonkeyPatch.context() as monkeypatch:
        calls = fake_speed(monkeypatch, folder)
        with contextlib.redirect_stdout(io.StringIO()) as out:
            # The deep chain and the native pass have tests of their own (tests/test_designs.py,
            # tests/test_native.py).
            code, reports = main_job(folder, "--no-peers", "--no-deep-chain", "--no-native")
    html = (reports / "index.html").read_text(encoding="utf-8")
    return SimpleNamespace(
        code=code, reports=reports, speed_calls=calls, html=html, out=out.getvalue()
    )


def test_the_main_job_times_the_ratios_and_shows_them(whole_job):
    assert whole_job.code == 0
    # The ratios, --no-peers reaching them; the benchmark suite is `speed`'s, not the main job's.
    assert whole_job.speed_calls == [("ratios", False)]
    assert 'data-comparison="backward-neg-weak-1000"' in whole_job.html
    assert "2.345×" in whole_job.html


def test_the_main_job_prints_its_time_by_step(whole_job):
    last = whole_job.out.splitlines()[-1]
    step = r"{} [\d.]+ s \([\d.]+ s\)"
    steps = ", ".join(step.format(name) for name in ("run", "sweep", "ratios", "report"))
    assert re.fullmatch(
        rf"time: [\d.]+ s, [\d.]+ s of CPU; by step, wall \(CPU\): {steps}", last
    ), last


def test_the_main_job_sweeps_the_threshold_and_the_report_shows_it(whole_job):
    assert whole_job.code == 0
    reports = whole_job.reports
    (path,) = store.json_files(folders.sweeps_dir(reports))
    data = sweep_files.load(path)
    assert data["axes"] == [{"name": "gc_threshold", "values": [100, 350, 700, 1400, 2800]}]
    assert data["variants"] == ["strong-backprop", "weak-backprop"]
    assert data["passes"] == ["traced"] and data["executor"]["jobs"] == 2
    assert data["complete"] and {p["record"]["status"] for p in data["points"]} == {"ok"}
    assert path.name in whole_job.html and "strong-backprop: the traced peak" in whole_job.html
    assert (reports / "scaling_gc_threshold.png").is_file()


def test_the_sweep_takes_the_runs_own_threshold_from_the_run(whole_job):
    # Its default threshold0 (700) is the run's: those traced passes are not measured again.
    (path,) = store.json_files(folders.sweeps_dir(whole_job.reports))
    points = sweep_files.load(path)["points"]
    (results_path,) = store.json_files(folders.results_dir(whole_job.reports))
    run = {v["name"]: v for v in json.loads(results_path.read_text())["variants"]}
    taken = {p["variant"]: p for p in points if p["params"] == {"gc_threshold": 700}}
    assert set(taken) == {"strong-backprop", "weak-backprop"}
    for name, point in taken.items():
        assert point["passes"]["traced"]["from"] == str(results_path)
        for figure in ("tracemalloc_peak_mib", "model_peak_mib"):
            assert point["record"][figure] == run[name][figure], (name, figure)
    measured = [p for p in points if p["params"] != {"gc_threshold": 700}]
    assert len(measured) == 8 and all("from" not in p["passes"]["traced"] for p in measured)
    assert "in the run " + results_path.name in whole_job.html  # the table says where it is from
    # The other thresholds take the run's census for the GC model, not an explanation pass.
    for point in measured:
        run_census = run[point["variant"]]["explain"]["census"]
        explained = point["record"]["explain"]
        assert explained["census"] == run_census
        assert results_path.name in explained["attribution"]["error"]
        threshold = point["params"]["gc_threshold"]
        assert explained["model"]["inputs"]["threshold0"] == threshold
        assert point["record"]["model_peak_mib"] == explained["model"]["peak_mib"]


@pytest.fixture
def measured_at_once(monkeypatch):
    """runner.measure replaced by one that returns a sample record at once, for tests of which
    steps the job runs (whole_job measures for real)."""

    def measure(variant, settings, on_progress=None, passes=runner.PASSES, turns=None):
        return make_variant(variant.name, iters=settings.iters, size=settings.size)

    monkeypatch.setattr(runner, "measure", measure)


def test_no_speed_skips_the_suite(tmp_path, monkeypatch, measured_at_once):
    calls = fake_speed(monkeypatch, tmp_path)
    code, reports = main_job(tmp_path, "--no-speed", "--no-peers", "--no-sweep")
    assert code == 0
    assert calls == []
    assert (reports / "index.html").exists()


def test_only_skips_the_suite(tmp_path, monkeypatch):
    calls = fake_speed(monkeypatch, tmp_path)
    code, reports = main_job(tmp_path, "--only", "numpy")
    assert code == 0
    assert calls == []  # the suite times every variant: a narrowed run leaves it out
    assert (reports / "index.html").exists()
