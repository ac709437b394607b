"""The side-by-side ratios (reports/README.md, "Ratios file"): the interleaving method on
injected timings, the table of comparisons, absent peers, the file the speed step writes.

Nothing here asserts on speed: timings are injected, or (for the plumbing) taken at tiny sizes
and only checked for their shape.
"""

import collections
import dataclasses
import gc
import importlib.util
import json
import sys
import types

import pytest
from report_samples import ratio_record, ratios_json, write

from benchmarks import __main__ as cli
from benchmarks import workloads as W
from benchmarks.files import folders
from benchmarks.files import ratios as ratio_files
from benchmarks.suite import interleave, ratios, speed
from benchmarks.suite.interleave import Plan, Subject
from benchmarks.workloads import variants as V


@pytest.fixture(autouse=True)
def _peers_not_left_out(monkeypatch):
    # Whether a peer is timed here depends on what is installed, never on the caller's
    # --no-peers environment; the test of --no-peers sets it itself.
    monkeypatch.delenv(V.NO_PEERS_ENV, raising=False)


class FakeClock:
    """A timer that moves only when a fake block or a fake preparation says so."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """A FakeClock for the blocks. Blocks timed with it skip the collection before them: fake
    subjects leave no garbage, and a collection walks the test process's whole heap."""
    monkeypatch.setattr(interleave, "gc", types.SimpleNamespace(collect=int, freeze=None))
    return FakeClock()


def fake(key, per_call, clock, log, prepare_s=5.0, fail_on=None, peer=None):
    """A subject whose calls cost `per_call` seconds (a list: one value per block, in turn)
    and whose preparation costs `prepare_s`, which the timing must leave out."""
    costs = iter(per_call) if isinstance(per_call, list) else None
    blocks = {"n": 0}

    def prepare(calls):
        clock.now += prepare_s
        blocks["n"] += 1
        if fail_on is not None and blocks["n"] >= fail_on:
            raise RuntimeError(f"{key} broke")
        cost = next(costs) if costs else per_call

        def block():
            log.append((key, calls))
            clock.now += cost * calls

        return block

    return Subject(key, f"{key} does its thing", prepare, peer)


PLAN = Plan(max_rounds=5, min_rounds=3, block_s=0.01, budget_s=1e9)


def test_a_block_times_its_calls_and_not_their_preparation(clock):
    log = []
    subject = fake("ours", 0.002, clock, log, prepare_s=100.0)
    assert interleave.time_block(subject, 7, clock) == pytest.approx(0.002)
    assert log == [("ours", 7)]


def test_rounds_rotate_so_each_side_runs_first_and_last(clock):
    log = []
    ref = fake("ref", 0.001, clock, log)
    a, b = fake("a", 0.002, clock, log), fake("b", 0.003, clock, log)
    timings = interleave.run(ref, [a, b], PLAN, timer=clock)
    rounds = [log[i : i + 3] for i in range(len(log) - 15, len(log), 3)]  # the last 5 rounds
    orders = [[key for key, _ in r] for r in rounds]
    assert orders == [
        ["ref", "a", "b"],
        ["a", "b", "ref"],
        ["b", "ref", "a"],
        ["ref", "a", "b"],
        ["a", "b", "ref"],
    ]
    assert timings.calls == 10  # 0.01 s blocks of 1 ms calls
    assert {k: len(v) for k, v in timings.seconds.items()} == {"ref": 5, "a": 5, "b": 5}
    assert timings.seconds["b"] == pytest.approx([0.003] * 5)


def test_the_first_calls_warm_up_and_never_count(clock):
    log = []
    # One slow first call each (a lazy import), then steady costs.
    ref = fake("ref", [0.5, *[0.001] * 20], clock, log)
    ours = fake("ours", [0.9, *[0.002] * 20], clock, log)
    timings = interleave.run(ref, [ours], PLAN, timer=clock)
    assert max(timings.seconds["ours"]) == pytest.approx(0.002)
    assert max(timings.seconds["ref"]) == pytest.approx(0.001)


def test_a_family_warmed_up_once_in_the_process_is_not_warmed_again(clock):
    log, warmed = [], set()
    for size in (10, 100):  # the same code at two sizes, as the chains at 10,000 and 100,000 ops
        ref = dataclasses.replace(fake(f"ref-{size}", 0.005, clock, log), family="ref")
        ours = dataclasses.replace(fake(f"ours-{size}", 0.004, clock, log), family="ours")
        interleave.run(ref, [ours], PLAN, timer=clock, warmed=warmed)
    blocks = collections.Counter(key for key, _ in log)  # the warm-up is one block more
    assert (blocks["ref-10"] - blocks["ref-100"], blocks["ours-10"] - blocks["ours-100"]) == (1, 1)
    assert warmed == {"ref", "ours"}
    for _ in range(2):  # no family: warmed up every time
        interleave.run(fake("lone", 0.005, clock, log), [], PLAN, timer=clock, warmed=warmed)
    assert collections.Counter(key for key, _ in log)["lone"] == 2 * blocks["ref-10"]


@pytest.mark.parametrize(
    "budget_s, expected",
    [(1e9, 5), (0.0, 3), (3 * 10.0 * 3.5, 3), (3 * 10.0 * 4.5, 4)],  # 3 blocks x 10 s prep
)
# A call of 0.05 s fills a block: round 0's reference block is then the probe's, and counts.
@pytest.mark.parametrize("per_call", [0.001, 0.05])
def test_rounds_fit_the_budget_between_the_fewest_and_the_most(budget_s, expected, per_call, clock):
    log = []
    plan = Plan(max_rounds=5, min_rounds=3, block_s=0.01, budget_s=budget_s)
    subjects = [fake(k, per_call, clock, log, prepare_s=10.0) for k in ("ref", "a", "b")]
    timings = interleave.run(subjects[0], subjects[1:], plan, timer=clock)
    assert len(timings.seconds["ref"]) == expected


def test_a_reference_longer_than_a_block_is_not_timed_again_for_round_0(clock):
    log = []
    ref = fake("ref", [0.5, 0.04, 0.05, 0.06, 0.07, 0.08], clock, log)  # warm-up, probe, rounds
    ours = fake("ours", 0.02, clock, log)
    timings = interleave.run(ref, [ours], PLAN, timer=clock)
    assert timings.calls == 1
    assert [key for key, _ in log].count("ref") == 1 + 5  # the warm-up, then one block a round
    assert timings.seconds["ref"] == pytest.approx([0.04, 0.05, 0.06, 0.07, 0.08])
    assert len(timings.seconds["ours"]) == 5


def test_a_failing_subject_is_dropped_with_its_error_and_the_others_go_on(clock):
    log = []
    ref = fake("ref", 0.001, clock, log)
    broken = fake("broken", 0.002, clock, log, fail_on=5)  # warm-up fine, then a round fails
    fine = fake("fine", 0.003, clock, log)
    timings = interleave.run(ref, [broken, fine], PLAN, timer=clock)
    assert timings.failed == {"broken": "RuntimeError: broken broke"}
    assert len(timings.seconds["fine"]) == len(timings.seconds["ref"]) == 5


def test_a_failing_reference_ends_the_batch(clock):
    log = []
    ref = fake("ref", 0.001, clock, log, fail_on=1)
    timings = interleave.run(ref, [fake("a", 0.002, clock, log)], PLAN, timer=clock)
    assert "ref" in timings.failed and timings.seconds == {}


def test_summary_is_best_over_best_with_the_spread():
    ours = [2.0, 3.0, 2.2, 9.0]
    reference = [1.0, 1.5, 0.8, 1.0]
    s = interleave.summarize(ours, reference)
    assert s["ratio"] == pytest.approx(2.0 / 0.8)
    assert s["median_ratio"] == pytest.approx(2.6 / 1.0)
    assert s["round_ratio_min"] == pytest.approx(2.0)  # 3.0 / 1.5
    assert s["round_ratio_max"] == pytest.approx(9.0)
    assert (s["ours_best_s"], s["reference_best_s"], s["rounds"]) == (2.0, 0.8, 4)


# --- the table -------------------------------------------------------------------------------


def test_the_table_holds_every_target_of_the_engine_work_once():
    rows = ratios.comparisons()
    targets = {row.name: row.target for row in rows}
    assert len(targets) == len(rows)  # names are unique: the gate pairs files by them
    for ops in (1_000, 10_000, 100_000):
        for shape in ("neg", "square"):
            for graph in ("weak", "strong"):
                assert targets[f"backward-{shape}-{graph}-{ops}"] == 0.9
    assert targets["backward-wide-weak-1000"] == targets["backward-wide-strong-1000"] == 1.0
    assert targets["forward-weak"] == 0.7 and targets["forward-strong"] == 0.9
    assert targets["no_grad-weak-100000"] == targets["no_grad-strong-100000"] == 1.03
    # The deep chain's designs against its plain variant: freeing should cost nothing,
    # checkpointing at most 1.5x (docs/semantics.md, "Checkpointing").
    for graph in ("weak", "strong"):
        assert targets[f"free-{graph}-64"] == 1.0
        assert targets[f"checkpoint-{graph}-64"] == targets[f"checkpoint-free-{graph}-64"] == 1.5
    assert len(rows) == 24
    peers = {row.table: {r.reference.peer for r in rows if r.table == row.table} for row in rows}
    assert peers == {
        ratios.BACKWARD: {"autograd"},
        ratios.FORWARD: {"torch"},
        ratios.NO_GRAD: {None},
        ratios.DESIGNS: {None},
    }
    # Rows of one reference share its subject, so it is timed once per round for all of them.
    refs = {row.reference.key: row.reference for row in rows}
    assert sum(row.reference is refs[row.reference.key] for row in rows) == len(rows)


def test_wide_graph_counts_its_adds_as_ops():
    (row,) = [r for r in ratios.comparisons() if r.name == "backward-wide-weak-1000"]
    assert row.ops == 1_999


def test_a_repeatable_backward_records_one_graph_where_one_call_fills_a_block(monkeypatch):
    # HIPS autograd's vjp leaves its trace as it was: blocks of one call share one recording,
    # made for the first; blocks of several calls take a graph each, and a released subject
    # records again for the next batch.
    made = []
    monkeypatch.setattr(ratios.graphs, "recorded", lambda *a: made.append(1) or len(made))
    run = []
    engine = types.SimpleNamespace(backward=lambda: run.append, settings=lambda *a: None)
    variant = types.SimpleNamespace(engine=engine, graph="", is_peer=False)
    hips = ratios._backward("hips", "x", variant, "neg", 10, repeatable=True)
    for _ in range(3):
        hips.prepare(1)()
    assert (len(made), run) == (1, [1, 1, 1])
    hips.prepare(2)()
    assert (len(made), run[-2:]) == (3, [2, 3])
    hips.release()
    hips.prepare(1)()
    assert (len(made), run[-1]) == (4, 4)
    ours = ratios._backward("ours", "x", variant, "neg", 10)  # ours takes a graph every block
    ours.prepare(1)()
    ours.prepare(1)()
    assert len(made) == 6 and run[-2:] == [5, 6]


@pytest.mark.parametrize("name", ["strong-backward", "weak-backward"])
def test_a_design_block_frees_the_graphs_its_calls_replaced_inside_its_time(name):
    # docs/measurement.md, "Rounds": the strong graph's replaced chains are cyclic garbage, so
    # the block ends with their collection, as the weak graph frees its own at once. What is
    # left for the collection before the next block's clock is what its last call made.
    subject = ratios._loop(V.parse(name), 100, "x", W.DEEP_CHAIN, 9)
    with subject.settings():
        block = subject.prepare(3)
        gc.collect()
        block()
        assert gc.collect() == 0
        del block  # the last call's chain: a cycle in the strong graph alone
        assert (gc.collect() > 0) == (name == "strong-backward")


def test_every_backward_reference_is_hips_recorded_once_per_batch(monkeypatch):
    made = []
    monkeypatch.setattr(ratios.graphs, "recorded", lambda engine, *a: made.append(engine.name))
    rows = [r for r in ratios.comparisons(TINY) if r.table == ratios.BACKWARD]
    assert rows and {r.reference.peer for r in rows} == {"autograd"}
    for row in rows:
        made.clear()
        for subject in (row.reference, row.ours, row.reference, row.ours):
            subject.prepare(1)  # the blocks are not run: no engine needs to be installed
        row.reference.release()
        assert made == ["autograd", "ours", "ours"], row.name


def _fake_rows(clock, log):
    ref = fake("ref", 0.001, clock, log, peer="autograd")
    return [
        ratios.Comparison("one", ratios.BACKWARD, "x", fake("a", 0.002, clock, log), ref, 0.9, 10),
        ratios.Comparison("two", ratios.BACKWARD, "y", fake("b", 0.0005, clock, log), ref, 0.9, 10),
    ]


def test_measured_rows_carry_their_ratio_and_target_verdict(clock, monkeypatch):
    # The fake reference names a peer for the record; whether it is installed here is not the
    # question, so it counts as present.
    monkeypatch.setattr(ratios, "absent", lambda subject: None)
    log = []
    one, two = ratios.measure(_fake_rows(clock, log), PLAN, timer=clock)
    assert (one["status"], one["ratio"], ratio_files.meets_target(one)) == ("ok", 2.0, False)
    assert (two["ratio"], ratio_files.meets_target(two)) == (pytest.approx(0.5), True)
    assert one["ours_s"] == pytest.approx([0.002] * 5) and one["calls_per_block"] == 10
    assert one["peer"] == "autograd" and one["reference"] == "ref does its thing"


def hide(monkeypatch, *missing):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name in missing else real(name, *a)
    )


def test_a_missing_peer_leaves_its_rows_without_a_ratio_and_says_why(monkeypatch, clock):
    hide(monkeypatch, "autograd")
    log = []
    records = ratios.measure(_fake_rows(clock, log), PLAN, timer=clock)
    assert log == []  # nothing was timed against a reference that is not there
    for record in records:
        assert record["status"] == "skipped" and record["ratio"] is None  # never a zero
        assert record["reason"] == "autograd is not installed (pip install -e '.[peers]')"
        assert record["ours_s"] == [] and ratio_files.meets_target(record) is None


def test_no_peers_leaves_them_out_with_that_reason(monkeypatch, clock):
    monkeypatch.setenv(V.NO_PEERS_ENV, "1")
    log = []
    records = ratios.measure(_fake_rows(clock, log), PLAN, timer=clock)
    assert [r["reason"] for r in records] == ["peers left out (--no-peers)"] * 2


def test_a_failure_is_an_error_row_with_the_exception(clock):
    log = []
    ref = fake("ref", 0.001, clock, log)
    broken = fake("broken", 0.002, clock, log, fail_on=1)
    row = ratios.Comparison("x", ratios.NO_GRAD, "x", broken, ref, 1.03, 3)
    (record,) = ratios.measure([row], PLAN, timer=clock)
    assert record["status"] == "error" and record["ratio"] is None
    assert record["reason"] == "ours failed: RuntimeError: broken broke"


# --- the real subjects, at tiny sizes (plumbing only) ----------------------------------------

TINY = ratios.Sizes(chain_ops=(20,), width=10, loop_elements=100)
TINY_PLAN = Plan(max_rounds=2, min_rounds=2, block_s=0.0005, budget_s=0.01)


def test_the_real_subjects_run_and_each_row_is_a_number_or_a_reason():
    records = ratios.measure(ratios.comparisons(TINY), TINY_PLAN)
    assert [r["name"] for r in records] == [c.name for c in ratios.comparisons(TINY)]
    for record in records:
        assert record["status"] in ("ok", "skipped"), record
        if record["status"] == "ok":
            assert record["ratio"] > 0 and len(record["ours_s"]) == record["rounds"] == 2
        else:
            assert record["ratio"] is None and "not installed" in record["reason"]
    no_grad = [r for r in records if r["table"] == ratios.NO_GRAD]
    assert [r["status"] for r in no_grad] == ["ok", "ok"]  # numpy is always there


def test_the_speed_step_writes_a_ratios_file_in_a_fresh_process(tmp_path):
    path, code = speed.run_ratios(tmp_path, peers=False, rounds=1, quick=True)
    assert code == 0 and path.parent == folders.ratios_dir(tmp_path.resolve())
    data = ratio_files.load(path)
    assert data["complete"] is True and data["settings"]["quick"] is True
    assert data["settings"]["max_rounds"] == 1
    assert {r["rounds"] for r in data["comparisons"] if r["status"] == "ok"} == {1}
    assert data["environment"]["command"].startswith("python -m benchmarks.suite.ratios")
    by_table = {}
    for record in data["comparisons"]:
        by_table.setdefault(record["table"], set()).add(record["status"])
    assert by_table == {
        ratios.BACKWARD: {"skipped"},
        ratios.FORWARD: {"skipped"},
        ratios.NO_GRAD: {"ok"},
        ratios.DESIGNS: {"ok"},
    }
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_a_speed_step_that_timed_nothing_leaves_no_ratios_file(tmp_path, monkeypatch):
    # reports/README.md, "Ratios file": the name is reserved first, and given back when the
    # child wrote nothing.
    monkeypatch.setattr(
        speed, "ratios_command", lambda *a, **k: [sys.executable, "-c", "raise SystemExit(3)"]
    )
    assert speed.run_ratios(tmp_path, peers=False) == (None, 3)
    assert list(folders.ratios_dir(tmp_path.resolve()).iterdir()) == []


def test_a_reserved_ratios_file_is_skipped_for_the_newest_timed_one(tmp_path):
    done = write(tmp_path / "20261123T120000Z.json", ratios_json(ratio_record("a", 2.0)))
    write(tmp_path / "20261124T120000Z.json", ratio_files.reserved())
    path, data, skipped = ratio_files.newest_valid(tmp_path)
    assert path == done and data["comparisons"][0]["ratio"] == 2.0
    assert len(skipped) == 1 and "no comparison timed yet" in skipped[0]


@pytest.fixture
def fake_steps(monkeypatch, tmp_path):
    """The speed step's two halves replaced by recorders; the ratios half's exit code is set by
    the test through the list it returns."""
    calls, ratios_result = [], [0]

    def run(reports_dir, peers=True, select=None, user=()):
        calls.append(("suite", peers))
        return write(tmp_path / "bench.json", {"benchmarks": []}), 0

    def run_ratios(reports_dir, peers=True, rounds=None, quick=False, user=()):
        calls.append(("ratios", peers, rounds, quick))
        code = ratios_result[0]
        path = None if code == 2 else write(tmp_path / "r.json", ratios_json())
        return path, code

    monkeypatch.setattr(speed, "run", run)
    monkeypatch.setattr(speed, "run_ratios", run_ratios)
    return calls, ratios_result


def test_speed_options_reach_the_ratios_step(fake_steps, capsys):
    calls, _ = fake_steps
    argv = ["speed", "--ratios-only", "--rounds", "4", "--quick", "--no-peers"]
    assert cli.main([*argv, "--reports-dir", "out"]) == 0
    assert calls == [("ratios", False, 4, True)]  # --ratios-only: no suite
    assert cli.main(["speed", "--reports-dir", "out"]) == 0
    assert calls[1:] == [("suite", True), ("ratios", True, None, False)]
    assert "r.json" in capsys.readouterr().out


@pytest.mark.parametrize("code, message", [(1, "some comparisons failed"), (2, "wrote no results")])
def test_a_failed_ratios_step_fails_the_speed_step(fake_steps, capsys, code, message):
    fake_steps[1][0] = code
    assert cli.main(["speed", "--ratios-only", "--reports-dir", "out"]) == 1
    assert message in capsys.readouterr().err


# --- the file ------------------------------------------------------------------------------


def test_a_written_file_loads_back(tmp_path):
    data = ratios_json(ratio_record("a", 2.0), ratio_record("b", None, reason="gone"))
    assert ratio_files.load(write(tmp_path / "r.json", data))["comparisons"][1]["reason"] == "gone"


def _spoiled(**change):
    record = ratio_record("a", 2.0)
    record.update(change)
    return ratios_json(record)


@pytest.mark.parametrize(
    "content, message",
    [
        ("{", "not valid JSON"),
        (json.dumps({"schema": 1, "variants": []}), 'no "kind": "ratios"'),
        (json.dumps({**ratios_json(), "schema": 7}), "unknown ratios schema 7"),
        (json.dumps({**ratios_json(), "comparisons": {}}), "no 'comparisons' list"),
        (json.dumps(_spoiled(ratio=0)), "ratio is 0, expected a finite number > 0"),
        (json.dumps(_spoiled(ratio="fast")), "ratio is 'fast'"),
        (json.dumps(_spoiled(ratio=None)), "ratio is None, expected a finite number > 0 (as its"),
        (json.dumps(_spoiled(status="skipped")), "ratio is 2.0, expected null (as its status"),
        (json.dumps(_spoiled(status="lost")), "status is 'lost', expected one of ok"),
        (json.dumps(_spoiled(target=0)), "target is 0"),
        (json.dumps(_spoiled(ours_s=[1, "x"])), "ours_s[1] is 'x', expected a finite number > 0"),
        (json.dumps(_spoiled(ratio=float("nan"))), "not valid JSON"),
        (json.dumps({**ratios_json(), "complete": "yes"}), "complete is 'yes'"),
        (json.dumps({**ratios_json(), "environment": {"cores": 0}}), "environment.cores is 0"),
    ],
)
def test_a_bad_file_is_refused_naming_it_and_the_fault(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ratio_files.RatiosError) as e:
        ratio_files.load(path)
    assert str(path) in str(e.value) and message in str(e.value)
    assert e.value.exit_code == 2


def test_exactly_at_the_target_holds():
    assert ratio_files.meets_target({"ratio": 0.9, "target": 0.9}) is True
    assert ratio_files.meets_target({"ratio": 0.9000001, "target": 0.9}) is False


def test_the_schema_page_documents_every_field_of_a_comparison():
    schema = (folders.PROJECT_ROOT / "reports" / "README.md").read_text(encoding="utf-8")
    record = ratio_files.empty("n", "t", "w", "o", "r", None, 1, 1.0)
    missing = [key for key in record if f"`{key}`" not in schema]
    assert not missing, f"reports/README.md does not document {missing}"
