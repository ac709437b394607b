"""What the harness promises under concurrency, signals, odd flags and bad files
(docs/guarantees.md): each test here reproduces one way the harness used to fail."""

import concurrent.futures
import copy
import datetime as dt
import errno
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
from report_samples import (
    benchmark_json,
    make_results,
    ratio_record,
    ratios_json,
    synthetic_sweep,
    write,
)

from benchmarks import __main__ as cli
from benchmarks.errors import HarnessError
from benchmarks.files import folders, mprof, results, shapes, store
from benchmarks.files import ratios as ratio_files
from benchmarks.measure import runner
from benchmarks.measure.settings import Settings
from benchmarks.report import pytest_bench, render, scaling, why
from benchmarks.suite import speed
from benchmarks.sweep import axes as sweep_axes
from benchmarks.sweep import files as sweep_files
from benchmarks.workloads import variants as V

INF = "__infinity__"  # written as 1e400: valid JSON syntax that Python reads as infinity
LONE_SURROGATE = "\udc80"  # valid JSON ("\\udc80"), but no UTF-8 file or page can hold it
ODD_VALUES = ("abc", [1], {"a": 1}, None, True, INF, -1, 0.5, LONE_SURROGATE)


def dump(data):
    return json.dumps(data).replace(f'"{INF}"', "1e400")


def leaf_paths(value, path=()):
    """Every path into `value` (the first item of each list only: the others share its shape)."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaf_paths(item, (*path, key))
    elif isinstance(value, list) and value:
        yield from leaf_paths(value[0], (*path, 0))


def replaced(data, path, value):
    """A copy of `data` with the item at `path` set to `value`; what is off the path is shared."""
    if not path:
        return value
    key, *rest = path
    data = copy.copy(data)
    data[key] = replaced(data[key], rest, value)
    return data


def outermost(paths):
    """`paths` without those inside another of them: replacing both would hide the inner one."""
    return [p for p in paths if not any(p[: len(q)] == q for q in paths if q != p)]


def odd_files(data, refused_error, load, tmp_path):
    """Every one-field change of `data` to an odd value: those `load` refuses must name the
    field; yields, per odd value, the document with every accepted change of that value at once."""
    accepted = {}
    target = tmp_path / "odd.json"
    for path in leaf_paths(data):
        if not path:
            continue
        for value in ODD_VALUES:
            target.unlink(missing_ok=True)  # ext4 flushes a file rewritten in place: 3 ms each
            target.write_text(dump(replaced(data, path, value)))
            try:
                load(target)
            except refused_error as e:
                named = rf"(?<!\w){re.escape(str(path[-1]))}(?!\w)"  # "Square (autograd...)" too
                assert str(target) in str(e), f"{path} = {value!r}: {e}"
                assert re.search(named, str(e)), f"{path} = {value!r}: {e}"
            else:
                accepted.setdefault(json.dumps(value), []).append(path)
    for value, changed in accepted.items():
        combined = data
        for path in outermost(changed):
            combined = replaced(combined, path, json.loads(value))
        yield value, combined


# --- bad files: refused by load, naming the field, or shown without a crash --------------------


def sample_results():
    data = make_results(
        names=("strong-backprop", "dezero-backprop"), status={"dezero-backprop": "error"}, iters=12
    )
    data["complete"] = True
    data["settings"]["timeout_s"] = 600.0
    strong = data["variants"][0]
    strong["repeats"] = {"peak_rss_mib": {"median": 30.0, "min": 29.0, "max": 31.0, "values": [30]}}
    strong["warnings"] = ["a note"]
    return data


def sample_speed_file():
    rows = [
        ("test_loop[weak-backprop]", "loop", 0.002, {"time_vs_numpy": 1.04}),
        ("test_loop[numpy]", "loop", 0.001, {"tracemalloc_peak_mib": 1.5}),
    ]
    return benchmark_json(rows)


def sample_explained_results():
    """sample_results with schema 2's figures: live bytes, the census, the model, attribution."""
    data = make_results(
        names=("strong-backprop", "dezero-backprop"),
        status={"dezero-backprop": "error"},
        iters=3,
        explained=True,
    )
    strong = data["variants"][0]
    strong["repeats"] = sample_results()["variants"][0]["repeats"]
    strong["warnings"] = ["a note"]
    return data


SAMPLES = {  # a file of each kind the report reads: (document, its loader, the loader's error)
    "results": (sample_explained_results, results.load, results.ResultsError),
    "pytest-benchmark": (sample_speed_file, pytest_bench.load, pytest_bench.BenchmarkJsonError),
    "ratios": (
        lambda: ratios_json(ratio_record("a", 2.0), ratio_record("b", None, reason="gone")),
        ratio_files.load,
        ratio_files.RatiosError,
    ),
}


@pytest.mark.parametrize("kind", SAMPLES)
def test_an_odd_value_in_any_field_is_refused_naming_it(tmp_path, kind):
    # Every field set to text, a list, an object, null, true, infinity, -1, 0.5 or text that is
    # not valid Unicode: load refuses the file naming that field, or accepts it (and whatever
    # load accepts, the report renders: tests/test_any_file.py).
    make, load, error = SAMPLES[kind]
    accepted = list(odd_files(make(), error, load, tmp_path))
    assert accepted and json.dumps(LONE_SURROGATE) not in dict(accepted)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (("variants", 0, "repeats"), "abc"),
        (("variants", 0, "repeats"), [1, 2]),
        (("variants", 0, "gc"), "abc"),
        (("variants", 0, "timeline"), [1, 2]),
        (("settings", "interval_s"), "fast"),
        (("settings", "mem_limit_mib"), "lots"),
        (("variants", 0, "kernel_peak_rss_mib"), INF),
    ],
)
def test_the_report_names_a_bad_field_and_falls_back_to_the_newest_valid_file(
    tmp_path, capsys, field, value
):
    reports = tmp_path / "reports"
    write(reports / "results" / "20261122T120000Z.json", sample_results())
    bad = reports / "results" / "20261123T120000Z.json"
    bad.write_text(dump(replaced(sample_results(), field, value)))
    code = cli.main(["report", "--results", str(bad), "--reports-dir", str(reports)])
    err = capsys.readouterr().err
    assert code == 2 and str(bad) in err and field[-1] in err
    html = render(reports_dir=reports, repo_root=tmp_path).read_text()
    notice = re.search(r'class="box notice".*?</div>', html, re.S).group(0)
    assert "20261123T120000Z.json" in notice and field[-1] in notice
    assert "20261122T120000Z.json" in html


def test_a_commit_info_that_is_text_is_refused_naming_it(tmp_path):
    path = write(tmp_path / "bench.json", {**benchmark_json([]), "commit_info": "abc"})
    with pytest.raises(pytest_bench.BenchmarkJsonError, match=r"bench\.json.*commit_info"):
        pytest_bench.load(path)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_load_refuses_nan_and_infinities(tmp_path, number):
    text = dump(sample_results()).replace('"peak_rss_mib": null', f'"peak_rss_mib": {number}', 1)
    assert number in text
    path = tmp_path / "r.json"
    path.write_text(text)
    with pytest.raises(results.ResultsError, match=r"r\.json"):
        results.load(path)


# --- files from elsewhere: no name becomes a path unchecked, no figure passes the gate unchecked -


def test_a_variant_name_that_is_a_path_is_refused_and_never_names_a_file(tmp_path, capsys):
    # It used to write escaped.dat four folders above reports/mprof/, and exit 0.
    reports = tmp_path / "a" / "b" / "c" / "reports"
    data = sample_results()
    data["variants"][0]["name"] = "x/../../../../escaped"
    path = write(reports / "results" / "20261123T120000Z.json", data)
    assert cli.main(["report", "--results", str(path), "--reports-dir", str(reports)]) == 2
    err = capsys.readouterr().err
    assert "variants[0].name is 'x/../../../../escaped', expected a name of" in err
    assert not list(tmp_path.rglob("*.dat")) and not (reports / "index.html").exists()
    # Whatever did not go through load: the one way from a name to a file's name refuses it.
    with pytest.raises(ValueError, match="names no file"):
        mprof.dat_name("x/../../../../escaped")
    with pytest.raises(ValueError, match="names no file"):
        folders.file_name("..", "scaling_", ".png")


def test_every_name_the_harness_makes_is_canonical():
    names = [v.name for v in V.ALL_VARIANTS] + list(sweep_axes.AXES)
    assert all(shapes.NAME.accepts(n) for n in names), names
    assert mprof.dat_name("strong-no_grad") == "mprofile_strong-no_grad.dat"


def test_a_ratios_file_naming_a_comparison_twice_is_refused(tmp_path):
    data = ratios_json(ratio_record("a", None, status="error", reason="x"), ratio_record("a", 2.0))
    path = write(tmp_path / "r.json", data)
    with pytest.raises(ratio_files.RatiosError, match=r"comparisons\[1\] repeats the name 'a'"):
        ratio_files.load(path)


SWEEP_FAULTS = {  # a change to a valid sweep file -> what the refusal names
    "a value that is a list": (
        lambda d: d["axes"][0]["values"].append([1]),
        "axes[0].values[4] is [1], expected a whole number from 1 to 2147483647",
    ),
    "a point measured twice": (
        lambda d: d["points"].append(d["points"][0]),
        "point #9 (gc_threshold=100 strong-backprop) repeats point #1",
    ),
    "an executor that is text": (
        lambda d: d.update(executor="local"),
        "executor is 'local', expected an object",
    ),
    "a pass taken that is a number": (
        lambda d: d["points"][0]["passes"].update(traced=1),
        "points[0].passes.traced is 1, expected an object",
    ),
    "an axis value past its flag's bounds": (
        lambda d: d["axes"][0]["values"].append(2**40),
        "axes[0].values[4] is 1099511627776, expected a whole number from 1 to 2147483647",
    ),
}


@pytest.mark.parametrize("fault", SWEEP_FAULTS)
def test_a_broken_sweep_file_is_refused_and_the_report_shows_the_one_before(tmp_path, fault):
    # One such file used to break every report (it reads the newest sweep) and --resume.
    change, named = SWEEP_FAULTS[fault]
    folder = tmp_path / "sweeps"
    good = write(folder / "20261122T120000Z.json", synthetic_sweep())
    bad = synthetic_sweep()
    change(bad)
    bad = write(folder / "20261123T120000Z.json", bad)
    with pytest.raises(sweep_files.SweepError) as refused:
        sweep_files.load(bad)
    assert str(bad) in str(refused.value) and named in str(refused.value)
    shown, notices = scaling.newest(folder)
    assert [path for path, _ in shown] == [good] and bad.name in notices[0]


def explained_strong_and_weak():
    return make_results(
        names=("strong-backprop", "weak-backprop", "book-strong-backprop"),
        status={}, iters=120, explained=True,  # one collection, at iteration 99
    )  # fmt: skip


def strong(data):
    return data["variants"][0]


RESULTS_FAULTS = {  # a change to a valid results file -> None (it renders) or what is named
    "census counts as text": (
        lambda d: strong(d)["explain"]["census"].update(garbage_per_iter="abc"),
        "census.garbage_per_iter is 'abc', expected an object",
    ),
    "an attribution line with no field": (
        lambda d: strong(d)["explain"]["attribution"]["lines"].append({}),
        "attribution.lines[2] has no 'file'",
    ),
    "the model's peak as text": (
        lambda d: strong(d)["explain"]["model"].update(peak_mib="abc"),
        "model.peak_mib is 'abc', expected a finite number >= 0",
    ),
    "live bytes before a collection, none after": (
        lambda d: strong(d)["gc"]["events"][0].update(live_after_mib=None),
        None,
    ),
    "an increment but no peak RSS": (lambda d: strong(d).update(peak_rss_mib=None), None),
    "a census without its counts": (
        lambda d: d["variants"][2]["explain"]["census"].pop("arrays_per_iter"),
        None,
    ),
}


@pytest.mark.parametrize("fault", RESULTS_FAULTS)
def test_a_results_file_with_odd_explanations_is_refused_or_explained(tmp_path, fault):
    # 7 of 8 such files ended in a traceback: the "Why the peak" section read fields no table
    # checked, and sentences read one field after checking another.
    change, named = RESULTS_FAULTS[fault]
    data = explained_strong_and_weak()
    change(data)
    path = write(tmp_path / "r.json", data)
    if named is not None:
        with pytest.raises(results.ResultsError, match=re.escape(named)):
            results.load(path)
        return
    loaded = results.load(path)
    said = why.sentences(loaded)
    assert (fault == "a census without its counts") != any("book's step-16" in t for t in said)
    assert [why.census_rows(loaded), why.model_rows(loaded), why.attribution_rows(loaded)]


def test_a_ratio_without_its_spread_is_shown_with_dashes(tmp_path):
    # An older file's ratio without its median used to end the report in a TypeError.
    record = {**ratio_record("a", 2.0), "median_ratio": None}
    del record["round_ratio_max"]
    reports = tmp_path / "reports"
    write(reports / "results" / "20261123T120000Z.json", make_results(names=(), status={}))
    ratios = write(reports / "ratios" / "20261123T120000Z.json", ratios_json(record))
    html = render(reports_dir=reports, repo_root=tmp_path, ratios=ratios).read_text()
    row = re.search(r'<tr data-comparison="a">.*?</tr>', html, re.S).group(0)
    assert "2.000×" in row and "<td>—</td>" in row and "–—" in row


def test_a_lone_surrogate_never_reaches_a_page_that_cannot_hold_it(tmp_path):
    # Valid JSON that no UTF-8 file can hold: refused naming the field, in any kind of file...
    data = sample_results()
    data["variants"][1]["error"] = LONE_SURROGATE
    path = write(tmp_path / "r.json", data)
    with pytest.raises(results.ResultsError, match=r"variants\[1\]\.error holds '\\udc80'"):
        results.load(path)
    # ...and a file whose name is not UTF-8 is shown with the byte escaped.
    reports = tmp_path / "reports"
    odd_name = os.fsdecode(b"20261123T120000Z\xff.json")
    write(reports / "results" / odd_name, make_results(names=(), status={}))
    html = render(reports_dir=reports, repo_root=tmp_path).read_text(encoding="utf-8")
    assert "20261123T120000Z\\udcff.json" in html


# --- flags: every number has bounds, and a run that measured nothing fails ---------------------

HUGE = "1" + "0" * 400
LOOP_FLAGS = ("--iters", "--size", "--depth", "--seed", "--gc-threshold")
RUN_FLAGS = [
    ("--iters", "0"),
    ("--iters", HUGE),
    ("--size", HUGE),
    ("--size", "-5"),
    ("--depth", "0"),
    ("--depth", "100000"),
    ("--seed", "-1"),
    ("--seed", str(2**64)),
    ("--gc-threshold", str(2**40)),
    ("--repeat", "0"),
    ("--interval", "0"),
    ("--interval", "nan"),
    ("--interval", "1e9"),
    ("--mem-limit", "inf"),
    ("--timeout", "-1"),
]


@pytest.mark.parametrize(("flag", "value"), RUN_FLAGS)
def test_every_numeric_run_flag_has_bounds_it_names(capsys, flag, value):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["run", flag, value])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert re.search(rf"{flag}: expected a (whole )?number", err), err


@pytest.mark.parametrize(("flag", "value"), [f for f in RUN_FLAGS if f[0] in LOOP_FLAGS])
def test_every_numeric_loop_flag_has_the_same_bounds(flag, value):
    out = subprocess.run([sys.executable, runner.LOOP, flag, value], capture_output=True, text=True)
    assert out.returncode == 2
    assert re.search(rf"{flag}: expected a (whole )?number", out.stderr), out.stderr


def test_a_run_in_which_every_variant_failed_exits_1(tmp_path, capsys):
    argv = ["run", "--only", "numpy", "--iters", "50", "--size", "1000", "--mem-limit", "1"]
    assert cli.main([*argv, "--results-dir", str(tmp_path)]) == 1
    assert "no variant was measured (1 exceeded_limit)" in capsys.readouterr().err
    (path,) = tmp_path.glob("*.json")
    assert results.load(path)["variants"][0]["status"] == "exceeded_limit"


def test_a_sweep_in_which_every_pass_failed_exits_1(tmp_path, capsys):
    # Every pass used to fail (depth=5000, say, which the flags refuse) and the sweep exit 0.
    argv = ["sweep", "size=1000,2000", "--only", "numpy", "--iters", "50", "--mem-limit", "1"]
    assert cli.main([*argv, "--traced-only", "--sweeps-dir", str(tmp_path)]) == 1
    assert "no point of the sweep was measured (2 exceeded_limit)" in capsys.readouterr().err


# --- the gate fails whenever it cannot vouch for the new run -----------------------------------


def gate_variant(name, status="ok", tracemalloc_peak=7.5, kernel_peak=39.0, error=None):
    return {
        "name": name,
        "status": status,
        "error": error,
        "tracemalloc_peak_mib": tracemalloc_peak,
        "kernel_peak_rss_mib": kernel_peak,
    }


def gate_file(folder, name, variants, complete=True):
    data = {"schema": 1, "complete": complete, "variants": variants}
    return store.write_atomic(folder / name, data)


BEFORE = [gate_variant("numpy", tracemalloc_peak=3.05), gate_variant("weak-backprop")]


@pytest.mark.parametrize(
    ("new_variants", "reason"),
    [
        (
            [BEFORE[0], gate_variant("weak-backprop", "exceeded_limit", None, None)],
            "weak-backprop went from ok to exceeded_limit",
        ),
        (
            [BEFORE[0], gate_variant("weak-backprop", "error", None, None, "Trace\nMemoryError")],
            "weak-backprop went from ok to error: MemoryError",
        ),
        ([BEFORE[0]], "weak-backprop is missing from NEW"),
        ([], "NEW holds no variants"),
        (
            [BEFORE[0], gate_variant("weak-backprop", tracemalloc_peak=None)],
            "weak-backprop has no tracemalloc_peak_mib in NEW",
        ),
        (
            [BEFORE[0], gate_variant("weak-backprop", kernel_peak=None)],
            "weak-backprop has no kernel_peak_rss_mib in NEW",
        ),
    ],
)
def test_the_gate_fails_on_what_it_cannot_vouch_for(tmp_path, capsys, new_variants, reason):
    old = gate_file(tmp_path, "old.json", BEFORE)
    new = gate_file(tmp_path, "new.json", new_variants, complete=False)
    assert cli.main(["compare", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert f"FAIL: {reason}" in out and "OK" not in out


def test_the_gate_fails_on_an_empty_old_file_too(tmp_path, capsys):
    old = gate_file(tmp_path, "old.json", [])
    new = gate_file(tmp_path, "new.json", BEFORE)
    assert cli.main(["compare", str(old), str(new)]) == 1
    assert "FAIL: OLD holds no variants" in capsys.readouterr().out


@pytest.mark.parametrize("number", ["NaN", "Infinity", "1e999"])
def test_the_gate_refuses_a_file_with_nan_or_infinite_peaks(tmp_path, capsys, number):
    old = gate_file(tmp_path, "old.json", BEFORE)
    new = tmp_path / "new.json"
    new.write_text(old.read_text().replace("3.05", number))
    assert cli.main(["compare", str(old), str(new)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and str(new) in captured.err


def gate(tmp_path, capsys, old_variants, new_variants):
    old = gate_file(tmp_path, "old.json", old_variants)
    new = gate_file(tmp_path, "new.json", new_variants)
    code = cli.main(["compare", str(old), str(new)])
    return code, capsys.readouterr()


@pytest.mark.parametrize(
    ("old_variants", "new_variants", "named"),
    [
        # A negative peak made any growth look like a fall: -1 -> 5000 was "OK (-500100.0%)".
        (
            [gate_variant("numpy", tracemalloc_peak=-1)],
            [gate_variant("numpy", tracemalloc_peak=5000)],
            "variants[0].tracemalloc_peak_mib is -1, expected a finite number >= 0",
        ),
        # The last of two records of one name won: the failed one passed unseen.
        (
            [gate_variant("strong-backprop")],
            [gate_variant("strong-backprop", "error", None, None), gate_variant("strong-backprop")],
            "variants[1] repeats the name 'strong-backprop' of variants[0]",
        ),
        (
            [gate_variant("numpy", kernel_peak=1e300)],
            [gate_variant("numpy")],
            "variants[0].kernel_peak_rss_mib is 1e+300, beyond 1e+15, which no figure is",
        ),
    ],
)
def test_the_gate_refuses_impossible_figures_and_twice_named_variants(
    tmp_path, capsys, old_variants, new_variants, named
):
    code, captured = gate(tmp_path, capsys, old_variants, new_variants)
    assert code == 2 and captured.out == "" and named in captured.err, captured


# --- one results file per run, its name taken when chosen --------------------------------------

TINY = ["--iters", "50", "--size", "1000"]


def test_names_chosen_at_once_are_all_different_and_all_taken(tmp_path):
    now = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        chosen = list(pool.map(lambda _: store.timestamped(tmp_path, now=now), range(16)))
    assert len(set(chosen)) == 16
    assert sorted(chosen) == store.json_files(tmp_path)
    assert not list(tmp_path.glob(".*"))  # no temporary file left


def start_run(tmp_path, *argv):
    """`python -m benchmarks run ...` in its own process; its temporary folders in tmp_path."""
    scratch = tmp_path / "scratch"
    scratch.mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "benchmarks", "run", *argv],
        cwd=folders.PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(scratch), "NO_COLOR": "1"},
    )


def test_two_runs_into_one_folder_keep_both_results(tmp_path):
    out = tmp_path / "results"
    runs = [
        start_run(tmp_path, "--only", name, *TINY, "--results-dir", str(out))
        for name in ("numpy", "weak-no_grad")
    ]
    printed = [run.communicate()[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0]
    files = store.json_files(out)
    assert len(files) == 2 and {f"results: {f}\n" for f in files} == set(printed)
    names = sorted(results.load(f)["variants"][0]["name"] for f in files)
    assert names == ["numpy", "weak-no_grad"]


def test_a_reserved_file_reads_as_an_unfinished_run_and_the_report_skips_it(tmp_path):
    reports = tmp_path / "reports"
    write(reports / "results" / "20261122T120000Z.json", sample_results())
    data = {"schema": 1, "complete": False, "environment": {}, "settings": {}, "variants": []}
    reserved = store.reserve(reports / "results", data)
    assert results.load(reserved)["variants"] == []
    html = render(reports_dir=reports, repo_root=tmp_path).read_text()
    notice = re.search(r'class="box notice".*?</div>', html, re.S).group(0)
    assert reserved.name in notice and "20261122T120000Z.json" in html


# --- the memory limit and the timeout hold whatever the sampling interval ---------------------


def test_the_memory_limit_holds_with_a_long_sampling_interval():
    # With the GC off the strong graph keeps every iteration's arrays: far past 100 MiB at 3000.
    settings = Settings(iters=3000, size=10_000, gc_enabled=False, mem_limit_mib=100, interval_s=30)
    r = runner.measure(V.parse("strong-backprop"), settings)
    assert r["status"] == "exceeded_limit" and "limit of 100 MiB" in r["error"]
    assert 0 < r["iters_done"] < 3000


def test_the_timeout_holds_with_a_long_sampling_interval():
    # A loop of 3-20 s across the hosts seen (300,000 iterations took under 1 s on a fast one):
    # longer than the timeout, and over before the first wake-up of a watcher that only looked
    # when it sampled, at 30 s (it then reported the run as ok).
    settings = Settings(iters=2_000_000, size=1000, timeout_s=1, interval_s=30)
    r = runner.measure(V.parse("numpy"), settings)
    assert r["status"] == "error" and r["error"].startswith("timed out after 1 s")
    assert r["iters_done"] < 2_000_000


def test_a_limit_passed_between_two_checks_still_counts(monkeypatch):
    # The watcher looks every 2 s here: the child passes the limit and ends unseen; its own
    # high-water mark, read as it ends, still tells.
    monkeypatch.setattr(runner, "CHECK_S", 2.0)
    settings = Settings(iters=400, size=10_000, gc_enabled=False, mem_limit_mib=60, interval_s=30)
    r = runner.measure(V.parse("strong-backprop"), settings)
    assert r["status"] == "exceeded_limit"


def test_too_few_samples_give_no_sampled_peak_and_say_why():
    r = runner.measure(V.parse("numpy"), Settings(iters=50, size=1000, interval_s=30))
    assert r["status"] == "ok"
    assert r["peak_rss_mib"] is None and r["peak_increment_mib"] is None
    (warning,) = r["warnings"]
    assert "fewer than 5" in warning and "every 30 s" in warning
    assert r["kernel_peak_rss_mib"] is not None and r["tracemalloc_peak_mib"] is not None


# --- the kernel peak is the child's own ------------------------------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="VmHWM is Linux's")
@pytest.mark.parametrize("mem_limit_mib", [10_000, 1])  # runs to the end; killed at once
def test_the_kernel_peak_does_not_count_a_large_parent(mem_limit_mib):
    # 400 MiB held (and touched) here, in the parent: a child of about 35 MiB reported 430
    # when the figure was ru_maxrss, which counts what the process held before its exec.
    ballast = np.ones(400 * 2**20 // 8)
    settings = Settings(iters=50, size=1000, mem_limit_mib=mem_limit_mib)
    p = runner.run_pass(V.parse("numpy"), settings)
    assert p.status == ("ok" if mem_limit_mib > 1 else "exceeded_limit")
    assert p.kernel_peak_rss_mib is not None and p.kernel_peak_rss_mib < 200
    del ballast


# --- signals: the child never outlives the run, partial results are kept ----------------------


def gone(process):
    """Ended: no longer there, or a zombie (dead, its exit status not yet collected)."""
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_for(condition, what, seconds=120):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


@pytest.fixture
def measuring_second_variant(tmp_path):
    """A run whose first variant is in its file and whose second is measuring: (run, its
    child loop.py, the results folder). Killed afterwards, whatever the test did."""
    out = tmp_path / "results"
    # numpy's 20,000 iterations take a fraction of a second; the strong graph's a little more.
    # Its untraced passes come after the exact ones (traced, explained), one at a time: with
    # --jobs 1, the second child starts only once the first variant is in (with two jobs, it
    # would set up beside the first's and be half done; tests/test_turns.py covers that).
    run = start_run(
        tmp_path, "--only", "numpy", "strong-backprop", "--iters", "20000", "--size", "1000",
        "--no-native", "--jobs", "1", "--results-dir", str(out),
    )  # fmt: skip

    def first_variant_kept():
        files = store.json_files(out)
        try:
            return files and results.load(files[0])["variants"]
        except results.ResultsError:
            return False  # caught between the reservation and its first write

    try:
        wait_for(first_variant_kept, "the first variant")
        wait_for(lambda: psutil.Process(run.pid).children(), "the second variant's child")
        (child,) = psutil.Process(run.pid).children()
        yield run, child, out
    finally:
        if run.poll() is None:
            run.kill()
        run.communicate()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_the_run_alone_stops_its_child_and_keeps_what_was_measured(
    tmp_path, measuring_second_variant, signum
):
    run, child, out = measuring_second_variant
    run.send_signal(signum)  # to the run alone, not its process group
    _, err = run.communicate(timeout=120)
    assert run.returncode == 128 + signum
    assert f"interrupted by {signal.Signals(signum).name}" in err
    assert gone(child)
    (path,) = store.json_files(out)
    data = results.load(path)
    assert data["complete"] is False and data["interrupted"] == signal.Signals(signum).name
    assert [v["name"] for v in data["variants"]] == ["numpy"] and str(path) in err
    assert not list(out.glob(".*")) and not list((tmp_path / "scratch").iterdir())


def test_a_stop_signal_another_thread_takes_still_ends_the_wait_for_passes():
    # A signal sent to the process may land on any of its threads: here the thread running a
    # pass. Its handler runs in the main thread, which must not sleep until that pass ends.
    from benchmarks.errors import Interrupted, stop_on_signals
    from benchmarks.measure import schedule

    release, worker = threading.Event(), []

    def a_long_pass():
        worker.append(threading.get_ident())
        release.wait(30)

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        try:
            kill = threading.Timer(0.3, lambda: signal.pthread_kill(worker[0], signal.SIGTERM))
            start = time.monotonic()
            with pytest.raises(Interrupted), stop_on_signals():
                kill.start()
                list(schedule.window([1], 1, lambda task: pool.submit(a_long_pass)))
            assert time.monotonic() - start < 5  # not the 30 s the pass would have taken
        finally:
            release.set()


def test_a_signal_while_passes_run_side_by_side_stops_them_all(tmp_path):
    out = tmp_path / "results"
    # Passes of minutes: stopped, they end at once; left to finish, the run outlives the wait.
    run = start_run(
        tmp_path, "--only", "strong-backprop", "weak-backprop", "--iters", "5000000", "--size",
        "1000", "--no-native", "--jobs", "2", "--results-dir", str(out),
    )  # fmt: skip
    try:
        # Both traced passes at once, each watched by a thread of the run.
        wait_for(lambda: len(psutil.Process(run.pid).children()) == 2, "two passes at once")
        both = psutil.Process(run.pid).children()
        run.send_signal(signal.SIGTERM)
        _, err = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
        run.communicate()
    assert run.returncode == 128 + signal.SIGTERM and "Traceback" not in err, err
    assert all(gone(child) for child in both)
    (path,) = store.json_files(out)
    data = results.load(path)
    assert data["interrupted"] == "SIGTERM" and data["variants"] == []
    assert not list(out.glob(".*")) and not list((tmp_path / "scratch").iterdir())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_killed_run_takes_its_child_with_it(measuring_second_variant):
    run, child, _ = measuring_second_variant
    run.kill()
    run.communicate()
    wait_for(lambda: gone(child), "the child to die with its parent", seconds=60)


def test_ctrl_c_stops_a_sweep_with_two_workers_at_once_and_cleanly(tmp_path):
    # Ctrl-C reaches the whole process group. Workers between two short passes used to print
    # KeyboardInterrupt tracebacks (about 1 try in 6), leave a temporary folder, or hang the
    # pool's shutdown on a queue lock that a worker interrupted in the middle of a read held.
    scratch, sweeps = tmp_path / "scratch", tmp_path / "sweeps"
    scratch.mkdir()
    thresholds = ",".join(str(t) for t in range(100, 500, 10))
    sweep = subprocess.Popen(
        [sys.executable, "-m", "benchmarks", "sweep", f"gc_threshold={thresholds}",
         "--only", "numpy", "--iters", "3", "--size", "1000", "--traced-only", "--jobs", "2",
         "--sweeps-dir", str(sweeps)],
        cwd=folders.PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TMPDIR": str(scratch)}, start_new_session=True,
    )  # fmt: skip

    def passes_landed():
        files = store.json_files(sweeps)
        return files and json.loads(files[0].read_text())["points"]

    try:
        wait_for(passes_landed, "the first passes", seconds=60)
        everyone = psutil.Process(sweep.pid).children(recursive=True)
        os.killpg(sweep.pid, signal.SIGINT)  # as a terminal's Ctrl-C does
        _, err = sweep.communicate(timeout=20)
    finally:
        if sweep.poll() is None:
            os.killpg(sweep.pid, signal.SIGKILL)
            sweep.communicate()
    assert sweep.returncode == 128 + signal.SIGINT and "Traceback" not in err, err
    (path,) = store.json_files(sweeps)
    assert f"`python -m benchmarks sweep --resume {path}` measures the rest" in err
    assert json.loads(path.read_text())["interrupted"] == "SIGINT"
    wait_for(lambda: all(gone(p) for p in everyone), "the workers and their passes to end", 10)
    assert not list(scratch.iterdir())


# --- a full disk while measuring: a clear error, and nothing measured lost ---------------------


@pytest.fixture
def disk_full_in(monkeypatch, tmp_path):
    """disk_full_in(folder, when): from then on, writing a file into `folder` fails with ENOSPC
    whenever `when(document)` holds; the system's temporary folder is tmp_path/elsewhere."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(elsewhere))
    real = store._stage

    def arrange(folder, when):
        def stage(path, content):
            content = content() if callable(content) else content
            if path.parent == folder and when(json.loads(content)):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
            return real(path, content)

        monkeypatch.setattr(store, "_stage", stage)
        return elsewhere

    return arrange


def kept_copy(err, elsewhere):
    """The copy an error message names in `elsewhere`."""
    (copy,) = elsewhere.glob("*.json")
    assert f" is in {copy}" in err
    return copy


@pytest.mark.parametrize("every_write", [False, True])
def test_a_full_disk_while_run_saves_keeps_what_was_measured(
    tmp_path, capsys, disk_full_in, every_write
):
    out = tmp_path / "results"
    second = "weak-no_grad"
    elsewhere = disk_full_in(
        out, lambda d: every_write or second in [v["name"] for v in d["variants"]]
    )
    assert cli.main(["run", "--only", "numpy", second, *TINY, "--results-dir", str(out)]) == 1
    err = capsys.readouterr().err
    (path,) = store.json_files(out)
    lost = "numpy" if every_write else second
    assert f"error: cannot save {lost} into {path} (No space left on device)" in err
    assert "Traceback" not in err and f"\n  {lost}: " in err  # its figures, as it finished
    copy = results.load(kept_copy(err, elsewhere))
    assert [v["name"] for v in copy["variants"]] == ["numpy", second][: 1 if every_write else 2]
    data = json.loads(path.read_text())
    if every_write:  # the reserved file stays, and the message says it says nothing
        assert "could not be marked as stopped either" in err and data == {**data, "variants": []}
    else:
        assert [v["name"] for v in data["variants"]] == ["numpy"]
        assert data["interrupted"] == "a write error (No space left on device)"


def test_a_full_disk_while_a_sweep_saves_keeps_what_was_measured(tmp_path, capsys, disk_full_in):
    folder = tmp_path / "sweeps"
    elsewhere = disk_full_in(folder, lambda d: len(d["points"]) == 2)
    argv = ["sweep", "gc_threshold=100,200", "--only", "numpy", "--iters", "3", "--size", "1000"]
    assert cli.main([*argv, "--traced-only", "--sweeps-dir", str(folder)]) == 1
    err = capsys.readouterr().err
    (path,) = store.json_files(folder)
    lost = "gc_threshold=200 numpy (traced)"
    assert f"error: cannot save {lost} into {path} (No space left on device)" in err
    assert "Traceback" not in err and f"] {lost}: tracemalloc peak" in err
    copy = kept_copy(err, elsewhere)
    assert f"(`python -m benchmarks sweep --resume {copy}` continues it)" in err
    assert len(sweep_files.load(copy)["points"]) == 2
    data = sweep_files.load(path)
    assert len(data["points"]) == 1 and data["interrupted"].startswith("a write error")


# --- unwritable outputs: refused before measuring; the report writes all its files or none -----


def not_measured(*args, **kwargs):
    raise AssertionError("a variant was measured before the output was checked")


@pytest.mark.parametrize("command", ["run", "all"])
def test_an_unwritable_output_folder_is_refused_before_measuring(
    tmp_path, monkeypatch, capsys, command
):
    monkeypatch.setattr(runner, "measure", not_measured)
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    folder = "--results-dir" if command == "run" else "--reports-dir"
    argv = [command, "--only", "numpy", *TINY, folder, str(a_file / "results")]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot write") and str(a_file) in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_results_folder_is_refused_before_measuring(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner, "measure", not_measured)
    tmp_path.chmod(0o500)
    try:
        assert cli.main(["run", "--only", "numpy", *TINY, "--results-dir", str(tmp_path)]) == 2
    finally:
        tmp_path.chmod(0o700)
    assert str(tmp_path) in capsys.readouterr().err


OBSTACLES = {  # a folder where the report writes a file, or removes one of an earlier report
    "index.html is a folder": "index.html",
    "a PNG is a folder": "rss_over_time.png",
    "an old mprof file is a folder": "mprof/mprofile_old.dat",
}


@pytest.mark.parametrize("obstacle", OBSTACLES)
def test_the_report_writes_every_file_or_none(tmp_path, obstacle):
    reports = tmp_path / "reports"
    write(reports / "results" / "20261123T120000Z.json", sample_results())
    old_png = reports / "peak_mib.png"
    old_png.write_bytes(b"the previous plot")
    (reports / OBSTACLES[obstacle]).mkdir(parents=True)
    before = sorted(p.relative_to(reports) for p in reports.rglob("*"))
    with pytest.raises(HarnessError, match=r"cannot write the report.*nothing was changed"):
        render(reports_dir=reports, repo_root=tmp_path)
    assert old_png.read_bytes() == b"the previous plot"
    assert sorted(p.relative_to(reports) for p in reports.rglob("*")) == before  # nor a temp file


def test_a_report_that_could_not_remove_an_old_file_says_what_it_changed(tmp_path, monkeypatch):
    # It used to say "nothing was changed there" after replacing index.html and the plots.
    reports = tmp_path / "reports"
    write(reports / "results" / "20261123T120000Z.json", make_results(names=(), status={}))
    stale = reports / "mprof" / "mprofile_old.dat"
    stale.parent.mkdir(parents=True)
    stale.write_text("")
    unlink = Path.unlink

    def refused(path, missing_ok=False):
        if path == stale:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", refused)
    with pytest.raises(HarnessError, match=r"is new, but .*mprofile_old\.dat, from an earlier"):
        render(reports_dir=reports, repo_root=tmp_path)
    assert (reports / "index.html").is_file()


def test_a_report_folder_inside_a_file_is_refused_with_exit_2(tmp_path, capsys):
    write(tmp_path / "reports" / "results" / "20261123T120000Z.json", sample_results())
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    results_file = str(tmp_path / "reports" / "results" / "20261123T120000Z.json")
    argv = ["report", "--results", results_file, "--reports-dir", str(a_file / "reports")]
    assert cli.main(argv) == 2
    assert "cannot write the report" in capsys.readouterr().err


def test_an_interrupted_run_and_a_missing_peak_say_so_on_the_page_and_in_the_gate(tmp_path, capsys):
    reports = tmp_path / "reports"
    data = {**sample_results(), "complete": False, "interrupted": "SIGTERM"}
    path = write(reports / "results" / "20261123T120000Z.json", data)
    html = render(reports_dir=reports, repo_root=tmp_path).read_text()
    notice = re.search(r'class="box notice".*?</div>', html, re.S).group(0)
    assert "was interrupted by SIGTERM" in notice
    row = re.search(r'<tr data-variant="strong-backprop".*?</tr>', html, re.S).group(0)
    assert "a note" in row  # the variant's warning, beside its status
    cli.main(["compare", str(path), str(path)])
    assert f"note: {path} is incomplete: its run was interrupted by SIGTERM" in (
        capsys.readouterr().out
    )


def test_a_speed_file_still_being_timed_is_skipped_for_the_newest_finished_one(tmp_path):
    folder = tmp_path / "speed"
    done = write(folder / "20261122T120000Z.json", benchmark_json([("test_a", "g", 1e-4, {})]))
    reserved = store.timestamped(folder, content=speed.RESERVED)
    run, warnings = pytest_bench.newest(tmp_path, speed_dir=folder)
    assert run.path == done
    (warning,) = warnings
    assert reserved.name in warning and "still running" in warning
