"""The explanation of the peak (docs/measurement.md, "The GC model" and "Why the peak"):
the cycle census, the GC model against a measured peak, the peak's attribution, and the
explanation in a results file and in the report. Small: 20,000-element arrays."""

import dataclasses
import gc
import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from report_samples import XSS, make_results, write

from benchmarks.engines import book
from benchmarks.files import mprof, results, store
from benchmarks.measure import attribution, census, gcmodel, runner
from benchmarks.measure.settings import Settings
from benchmarks.report import render, rss, why
from benchmarks.suite.memprobe import measure_memory
from benchmarks.workloads import variants as V
from benchmarks.workloads.classic import build

SIZE = 20_000
DEPTH = 3


def take_census(name):
    settings, step = build(V.parse(name), DEPTH)
    rng = np.random.default_rng(0)
    with settings():
        return census.take(step, lambda: rng.standard_normal(SIZE))


@pytest.mark.parametrize(
    "name",
    [
        "numpy",
        "weak-backprop",
        "weak-backward",
        "weak-no_grad",
        "strong-no_grad",
        "book-weak-backprop",
    ],
)
def test_graphs_freed_by_reference_counting_leave_no_cyclic_garbage(name):
    found = take_census(name)
    assert found["garbage_per_iter"] == {}
    assert found["tracked_left_per_iter"] == 0
    assert found["arrays_per_iter"] == 0 and found["array_bytes_per_iter"] == 0
    assert found["gen0_count_per_iter"] == 0


def test_the_strong_graph_census_names_the_ops_function_class():
    found = take_census("strong-backprop")
    kept = found["garbage_per_iter"]
    assert kept["Square (autograd_core._ops)"] == DEPTH
    assert kept["Variable (autograd_core._core)"] == DEPTH + 1
    assert found["arrays_per_iter"] == DEPTH + 1
    assert found["array_bytes_per_iter"] == (DEPTH + 1) * SIZE * 8
    # What one iteration leaves behind is exactly its cyclic garbage, and the count says so too.
    assert found["tracked_left_per_iter"] == found["garbage_objects_per_iter"]
    assert found["gen0_count_per_iter"] == found["garbage_objects_per_iter"]
    assert found["free_lists"]["list"] > 0


@pytest.mark.parametrize(
    ("name", "tracked", "arrays"), [("strong-backprop", 16, 4), ("strong-backward", 16, 5)]
)
def test_what_a_recorded_iteration_leaves_the_collector_is_pinned(name, tracked, arrays):
    # The strong graph's peaks follow from what one iteration leaves for the collector: 4
    # Variables, 3 Functions, 3 output holders and 6 lists, and the arrays they hold (the
    # backward pass adds the leaf's gradient). A faster core must leave exactly this much, or
    # every strong figure of the matrix moves with it.
    found = take_census(name)
    assert found["tracked_left_per_iter"] == tracked
    assert found["garbage_objects_per_iter"] == tracked
    assert found["arrays_per_iter"] == arrays


def test_the_books_design_keeps_its_input_tuples():
    found = take_census("book-strong-backprop")
    assert found["garbage_per_iter"]["tuple"] == DEPTH
    assert found["tuple_sizes"] == {"1": DEPTH}
    assert found["free_lists"]["tuple1"] > found["free_lists"]["list"]


def measured_peak(name, threshold0, iters):
    settings, step = build(V.parse(name), DEPTH)
    rng = np.random.default_rng(0)

    def loop():
        with settings():
            y = None
            for _ in range(iters):
                y = step(rng.standard_normal(SIZE))
            return y

    old = gc.get_threshold()
    gc.set_threshold(threshold0, *old[1:])
    try:
        return measure_memory(loop)
    finally:
        gc.set_threshold(*old)


@pytest.mark.parametrize("threshold0", [350, 700])
@pytest.mark.parametrize("name", ["strong-backprop", "book-strong-backprop"])
def test_the_gc_model_predicts_the_peak_within_ten_percent(name, threshold0):
    iters = 400  # at 350: more than threshold1 gen0 collections, so a gen1 collection too
    variant = V.parse(name)
    inputs = gcmodel.Inputs.from_census(
        take_census(name),
        variant.live_array_floor_mib(SIZE, DEPTH, iters),
        (threshold0, gc.get_threshold()[1]),
        iters,
    )
    predicted = gcmodel.predict(inputs)
    measured = measured_peak(name, threshold0, iters)
    print(f"\n{name} at {threshold0}: model {predicted['peak_mib']:.2f} MiB, "
          f"measured {measured['tracemalloc_peak_mib']:.2f} MiB; collections "
          f"{predicted['gen0_collections']}/{predicted['gen1_collections']} vs "
          f"{measured['gc_collections']}")  # fmt: skip
    assert predicted["peak_mib"] == pytest.approx(measured["tracemalloc_peak_mib"], rel=0.10)
    assert predicted["gen0_collections"] + predicted["gen1_collections"] == pytest.approx(
        sum(measured["gc_collections"]), abs=1
    )


def test_the_model_without_cyclic_garbage_predicts_the_floor():
    inputs = gcmodel.Inputs(gen0_per_iter=0.0, floor_bytes=6 * 2**20, iters=1000)
    predicted = gcmodel.predict(inputs)
    assert predicted["gen0_collections"] == predicted["gen1_collections"] == 0
    assert predicted["peak_mib"] == 6.0


def test_the_attribution_of_a_strong_graph_points_into_autograd_core(gc_off):
    settings, step = build(V.parse("strong-backprop"), DEPTH)
    rng = np.random.default_rng(0)
    with settings():
        tracemalloc.start()
        try:
            y = None
            for _ in range(20):
                y = step(rng.standard_normal(SIZE))
            snapshot = tracemalloc.take_snapshot()
        finally:
            tracemalloc.stop()
        del y
    found = attribution.attribute(snapshot)
    top = found["lines"][0]
    assert top["file"] == "autograd_core/_ops.py" and top["function"] == "Square.forward"
    assert top["blocks"] >= 20 * DEPTH  # every iteration's squares, still alive
    assert top["mib"] == pytest.approx(20 * DEPTH * SIZE * 8 / 2**20, rel=0.01)


def test_a_library_inside_the_project_is_named_from_its_site_packages():
    # A virtual environment in the project's folder: its files are the library's, not ours.
    root = Path(attribution.__file__).parents[2]
    inside = root / ".venv" / "lib" / "python3.11" / "site-packages" / "torch" / "_tensor.py"
    assert attribution.shown(str(inside)) == "torch/_tensor.py"
    assert not attribution.in_project(str(inside))
    assert attribution.in_project(str(root / "autograd_core" / "_ops.py"))


def test_the_runner_explains_a_variant_in_a_third_process(tmp_path):
    settings = Settings(iters=120, size=SIZE, mem_limit_mib=4000)
    record = runner.measure(V.parse("strong-backprop"), settings)
    assert record["status"] == "ok"
    found = record["explain"]
    assert found["attribution"]["lines"][0]["file"] == "autograd_core/_ops.py"
    # The rerun reached the traced pass's state to the byte: tracemalloc is deterministic.
    most = record["live"]["most_alive"]
    assert found["attribution"]["total_mib"] == pytest.approx(most["mib"], abs=0.01)
    assert record["model_peak_mib"] == pytest.approx(record["tracemalloc_peak_mib"], rel=0.10)
    collections = [e for e in record["gc"]["events"] if e["generation"] == 0]
    assert collections and all(e["freed_mib"] > 0 for e in collections)
    assert len(record["live"]["iter_mib"]) == settings.iters
    path = store.write_atomic(tmp_path / "20261123T120000Z.json", {
        "schema": results.SCHEMA, "settings": settings.as_json(), "variants": [record]
    })  # fmt: skip
    assert results.load(path)["variants"][0]["explain"]["census"] == found["census"]


def test_the_census_is_the_same_at_any_threshold_so_a_sweep_takes_one():
    # docs/measurement.md, "Sweeps": the threshold changes when the collector runs, not what an
    # iteration leaves it. The main job's threshold sweep takes the run's census at every point.
    variant, settings = V.parse("strong-backprop"), Settings(iters=120, size=SIZE)
    at = {t: dataclasses.replace(settings, gc_threshold=t) for t in (350, 1400)}
    traced = {t: runner.measure(variant, s, passes=(runner.TRACED,)) for t, s in at.items()}
    assert traced[350]["tracemalloc_peak_mib"] < traced[1400]["tracemalloc_peak_mib"]
    assert traced[350]["explain"]["census"] == traced[1400]["explain"]["census"]
    given = runner.measure(
        variant, at[1400], passes=(runner.TRACED,),
        census=(traced[350]["explain"]["census"], "run.json"),
    )  # fmt: skip
    assert given["explain"]["attribution"] == {
        "error": "not taken: the census is the one of run.json"
    }
    assert given["explain"]["model"] == traced[1400]["explain"]["model"]
    assert given["model_peak_mib"] == traced[1400]["model_peak_mib"]


def test_the_books_engine_backpropagates():
    x = book.Variable(np.array(3.0))
    with book.GRAPHS["strong"]():
        y = book.square(book.square(x))
    y.backward()
    assert y.data == 81.0 and x.grad == 4 * 3.0**3


@pytest.fixture
def reports(tmp_path):
    return tmp_path / "reports"


def test_the_why_section_shows_the_explanation_and_writes_mprof_files(reports, tmp_path):
    write(reports / "results" / "20261123T120000Z.json", make_results(iters=300, explained=True))
    html = render(reports_dir=reports, repo_root=tmp_path).read_text(encoding="utf-8")
    for table in ("census-table", "model-table", "attribution-table", "sampler-table"):
        assert f'id="{table}"' in html
    assert "Square (autograd_core._ops)" in html and "autograd_core/_ops.py:23" in html
    assert XSS not in html  # a function name from a file is text
    assert "strong-backprop&#39;s live memory rises" in html
    # The samples' sawtooth falls at every collection: the sentence says so, from the curve.
    assert "strong-backprop&#39;s RSS (untraced pass) rises from 25.2 MiB" in html
    assert "RSS falls with the live memory at every collection" in html
    assert "stays there" not in html
    assert (reports / "why_the_peak.png").stat().st_size > 0
    dat = reports / "mprof" / mprof.dat_name("strong-backprop")
    run = mprof.parse(dat)
    samples = json.loads((reports / "results" / "20261123T120000Z.json").read_text())
    strong = results.by_name(samples)["strong-backprop"]
    assert run.peak_mib == max(strong["timeline"]["rss_mib"])


def test_a_schema_1_file_still_renders_and_says_it_has_no_explanation(reports, tmp_path):
    write(reports / "results" / "20261123T120000Z.json", make_results(iters=40))
    html = render(reports_dir=reports, repo_root=tmp_path).read_text(encoding="utf-8")
    assert 'id="why"' in html and "holds no explanation of its peaks (schema 1)" in html
    assert not (reports / "why_the_peak.png").exists()


def test_a_coarse_sampler_misses_what_a_fine_one_sees():
    t = [i / 1000 for i in range(1000)]
    mem = [100.0 if i == 550 else 10.0 for i in range(1000)]  # a 1 ms spike
    coarse_t, coarse = mprof.resample(t, mem, 0.1)
    assert len(coarse) == 10 and coarse_t[1] == pytest.approx(0.1)
    assert max(coarse) == 10.0 and max(mem) == 100.0


def timeline_variant(rss_at, collections, iters=200, base=35.0):
    """A strong-backprop record whose RSS at iteration i is rss_at(i), two samples an
    iteration, with collections at the iterations given."""
    it = [i for i in range(iters) for _ in range(2)]
    return {
        "name": "strong-backprop",
        "iters_done": iters,
        "size": 100_000,
        "baseline_rss_mib": base,
        "timeline": {"iter": [-1, *it, iters], "rss_mib": [base, *map(rss_at, it), base]},
        "gc": {"events": [{"iter": c, "generation": 0} for c in collections]},
    }


COLLECTIONS = [49, 99, 149, 199]


def test_the_rss_sentence_says_where_a_curve_falls_once_and_where_it_ends():
    # glibc's dynamic mmap threshold: back to the kernel at the first collection, then kept.
    def rss_at(i):
        return 35 + 3 * (i + 1) if i < 50 else 40 + min(3 * (i - 49), 170)

    course = rss.course_of(timeline_variant(rss_at, COLLECTIONS))
    said = rss.sentence("strong-backprop", course)
    assert "rises from 35.0 MiB after imports to 185.0 MiB by iteration 49" in said
    assert "falls to 43.0 MiB at the collection in iteration 49" in said
    assert "never falls again (at none of the 3 collections after it)" in said
    assert "peaks at 210.0 MiB at iteration 106 and ends the loop at 210.0 MiB" in said
    reason = rss.reason(course, 0.76, glibc=True)
    assert reason.startswith("Only the first collection gives memory back (142.0 MiB)")
    assert "mmap threshold" in reason and "0.76 MiB each" in reason


def test_the_rss_sentence_says_a_curve_that_never_falls_never_falls():
    course = rss.course_of(timeline_variant(lambda i: 35 + min(i, 120), COLLECTIONS))
    said = rss.sentence("strong-backprop", course)
    assert said.endswith(
        "rises from 35.0 MiB after imports to 155.0 MiB by iteration 120 and never falls: "
        "it ends the loop at 155.0 MiB."
    )
    assert rss.reason(course, 0.76, glibc=True) is None


def test_the_rss_sentence_counts_falls_at_every_collection():
    # A fixed mmap threshold (MALLOC_MMAP_THRESHOLD_): every collection gives the arrays back.
    course = rss.course_of(timeline_variant(lambda i: 40 + 3 * (i % 50), COLLECTIONS))
    said = rss.sentence("strong-backprop", course)
    # The last collection comes in the last iteration: no sample shows its fall.
    assert "falls 2 more times (2 of them at a collection), each time to 40.0-40.0 MiB" in said
    assert rss.reason(course, 0.76, glibc=True).startswith(
        "RSS falls with the live memory at every collection"
    )


def test_sampling_noise_is_not_a_fall():
    course = rss.course_of(timeline_variant(lambda i: 100 + (i % 3) * 0.5, COLLECTIONS))
    assert course.falls == []


def test_a_peak_inside_an_op_is_where_the_snapshot_is_taken():
    # numpy's peak is inside np.square: old y, x, the op's input and output. Its checkpoints
    # (iteration ends) see one array of the 4.
    settings = Settings(iters=3, size=40_000, mem_limit_mib=4000)
    record = runner.measure(V.parse("numpy"), settings)
    found, peak = record["explain"]["attribution"], record["tracemalloc_peak_mib"]
    half_array = settings.size * 8 / 2 / 2**20
    assert record["live"]["most_alive"]["mib"] < peak - half_array  # no checkpoint sees it
    assert peak - half_array <= found["total_mib"] < peak + half_array
    assert found["where"]["event"] == "opcode" and "peak_unseen_in_iter" not in found
    assert found["lines"][0]["mib"] >= 2 * settings.size * 8 / 2**20  # the op's arrays
    (row,) = why.attribution_rows({"variants": [record]})
    assert row["where"].startswith("at a bytecode of _step.<locals>.forward") and not row["unseen"]


def test_a_peak_no_bytecode_sees_is_said_to_be_inside_one_call():
    # Below 256 KiB numpy makes `2 * x * gy` in a new array: the peak is inside one multiply.
    record = runner.measure(V.parse("weak-backward"), Settings(iters=3, size=10_000))
    found = record["explain"]["attribution"]
    assert found["peak_unseen_in_iter"] == record["live"]["peak_iter"] == 1
    (row,) = why.attribution_rows({"variants": [record]})
    assert row["where"].startswith("at the iteration end of iteration")
    gap = record["tracemalloc_peak_mib"] - found["total_mib"]
    assert f"the other {gap:.2f} MiB were alive only inside one C call" in row["unseen"]


def _explanation_children(monkeypatch):
    """The explain_at of every explanation child `runner.measure` starts from now on."""
    started, real = [], runner.run_pass

    def counting(variant, settings, *args, explain_at=None, **kwargs):
        if explain_at is not None:
            started.append(explain_at)
        return real(variant, settings, *args, explain_at=explain_at, **kwargs)

    monkeypatch.setattr(runner, "run_pass", counting)
    return started


def test_a_peak_no_bytecode_sees_falls_back_in_the_same_child_where_a_later_checkpoint_can(
    monkeypatch,
):
    # weak-backward's iteration ends all hold the same arrays: the first after the peak's
    # iteration is as good a checkpoint as the traced pass's first, and no second child runs.
    started = _explanation_children(monkeypatch)
    record = runner.measure(V.parse("weak-backward"), Settings(iters=3, size=10_000))
    found, most = record["explain"]["attribution"], record["live"]["most_alive"]
    (where,) = started
    half_array = 10_000 * 8 // 2
    assert where[0] == "within" and where[3:] == (where[3], where[3] + half_array)
    assert where[3] == round(most["mib"] * 2**20)
    assert found["peak_unseen_in_iter"] == record["live"]["peak_iter"] == 1
    assert found["at"] == {"kind": "iteration end", "iter": 1}
    # The arrays of the traced pass's most, and what tracing the iteration left: a few KiB.
    assert most["mib"] <= found["total_mib"] < most["mib"] + 16 / 1024


def test_without_a_later_checkpoint_holding_as_much_a_second_child_takes_the_first(monkeypatch):
    started = _explanation_children(monkeypatch)
    real = runner._snapshot_at
    # No checkpoint holds more than half an array above the most: no stand-in in the same child.
    shifted = lambda *a: (*real(*a)[:3], real(*a)[4] + 1, real(*a)[4] + 2)  # noqa: E731
    monkeypatch.setattr(runner, "_snapshot_at", shifted)
    record = runner.measure(V.parse("weak-backward"), Settings(iters=3, size=10_000))
    found, most = record["explain"]["attribution"], record["live"]["most_alive"]
    assert [type(w) for w in started] == [tuple, int] and started[1] == most["checkpoint"]
    assert found["at"] == {"kind": most["kind"], "iter": most["iter"]}
    assert found["peak_unseen_in_iter"] == record["live"]["peak_iter"]


def _explained(tmp_path, name, *, freeze=True):
    """The explanation child's report for `name` at a small size; with freeze=False the
    census leaves the objects alive before it in the collector's sight."""
    report = tmp_path / f"{name}-{freeze}.json"
    argv = ["--variant", name, "--iters", "60", "--size", "2000", "--explain", "3"]
    argv += ["--report-file", str(report)]
    code = "import sys, gc; from benchmarks import loop; "
    if not freeze:
        code += "gc.freeze = lambda: None; "
    code += "loop.main(sys.argv[1:])"
    subprocess.run([sys.executable, "-c", code, *argv], check=True, capture_output=True)
    return json.loads(report.read_text())["explain"]


@pytest.mark.parametrize("name", ["strong-backprop", "weak-backward"])
def test_the_census_is_the_same_with_what_came_before_it_frozen(tmp_path, name):
    # docs/measurement.md, "Why the peak": freezing only spares the collections a walk.
    frozen, walked = (_explained(tmp_path, name, freeze=f) for f in (True, False))
    assert frozen["census"] == walked["census"]
    assert frozen["census"]["garbage_objects_per_iter"] > 0 or name.startswith("weak")
