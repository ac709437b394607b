"""The main job's speed step: the benchmark suite run into reports/speed/, and its wiring."""

import json
import re

import pytest
from report_samples import benchmark_json, ratio_record, ratios_json, write

from benchmarks import __main__ as cli
from benchmarks.report import pytest_bench
from benchmarks.suite import speed
from benchmarks.workloads import variants as V


def test_the_suite_is_timed_into_a_json_file_the_report_reads(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a relative reports folder, from outside the project
    path, code = speed.run("out", peers=False, select="scalar_forward and numpy")
    assert code == 0
    assert path.parent == tmp_path / "out" / "speed" and path.suffix == ".json"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial file left
    run = pytest_bench.load(path)
    assert [r.name for r in run.rows] == ["test_scalar_forward[numpy]"]
    assert run.rows[0].rounds > 1  # timed for real, not the single call of the test command
    # Every round's time is dropped; what the report reads stays.
    (stats,) = [b["stats"] for b in json.loads(path.read_text())["benchmarks"]]
    assert "data" not in stats and stats["rounds"] == run.rows[0].rounds


def test_a_run_that_measures_nothing_leaves_no_file(tmp_path):
    path, code = speed.run(tmp_path, peers=False, select="no_benchmark_is_called_this")
    assert path is None and code == 5  # pytest: no tests selected
    assert list((tmp_path / "speed").iterdir()) == []


def test_no_peers_skips_them_with_the_reason(monkeypatch):
    monkeypatch.setenv(V.NO_PEERS_ENV, "1")
    torch, ours = V.as_params([V.parse("torch-backprop"), V.parse("weak-backprop")])
    assert [m.kwargs["reason"] for m in torch.marks if m.args[0]] == ["peers left out (--no-peers)"]
    assert not any(m.args[0] for m in ours.marks)


@pytest.fixture
def fake_speed(monkeypatch, tmp_path):
    """speed.run and speed.run_ratios replaced by ones that write a small pytest-benchmark file
    and a small ratios file; records their calls."""
    calls = []

    def run(reports_dir, peers=True, select=None, user=()):
        calls.append(peers)
        rows = [("test_fake[weak-no_grad]", "g", 1e-4, {"time_vs_numpy": 1.01})]
        return write(tmp_path / "bench.json", benchmark_json(rows)), 0

    def run_ratios(reports_dir, peers=True, rounds=None, quick=False, user=()):
        calls.append(("ratios", peers))
        data = ratios_json(ratio_record("backward-neg-weak-1000", 2.345))
        return write(tmp_path / "ratios.json", data), 0

    monkeypatch.setattr(speed, "run", run)
    monkeypatch.setattr(speed, "run_ratios", run_ratios)
    return calls


SMALL_RUN = ["--iters", "3", "--size", "1000", "--interval", "0.01"]


def test_the_main_job_times_the_ratios_and_shows_them(tmp_path, fake_speed, capsys):
    reports = tmp_path / "reports"
    argv = [*SMALL_RUN, "--no-peers", "--no-deep-chain", "--reports-dir", str(reports)]
    argv += ["--results-dir", str(reports / "results")]
    assert cli.main(argv) == 0
    # The ratios, --no-peers reaching them; the benchmark suite is `speed`'s, not the main job's.
    assert fake_speed == [("ratios", False)]
    html = (reports / "index.html").read_text(encoding="utf-8")
    assert 'data-comparison="backward-neg-weak-1000"' in html and "2.345×" in html
    # Its own time at the end, step by step, wall and CPU.
    last = capsys.readouterr().out.splitlines()[-1]
    assert re.fullmatch(
        r"time: [\d.]+ s, [\d.]+ s of CPU; by step, wall \(CPU\): run [\d.]+ s \([\d.]+ s\), "
        r"sweep [\d.]+ s \([\d.]+ s\), ratios [\d.]+ s \([\d.]+ s\), report [\d.]+ s \([\d.]+ s\)",
        last,
    ), last


@pytest.mark.parametrize(
    "flag", [["--no-speed", "--no-peers", "--no-deep-chain"], ["--only", "numpy"]]
)
def test_the_main_job_skips_the_suite_when_asked_or_narrowed(tmp_path, fake_speed, flag):
    reports = tmp_path / "reports"
    argv = [*SMALL_RUN, *flag, "--reports-dir", str(reports)]
    argv += ["--results-dir", str(reports / "results")]
    assert cli.main(argv) == 0
    assert fake_speed == []
    assert (reports / "index.html").exists()
