"""The main job's speed step: the benchmark suite run into reports/speed/, and its wiring."""

import json

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
