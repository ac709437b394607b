"""What the harness promises under concurrency, signals, odd flags and bad files (the README's
"Guarantees"): each test here reproduces one way the harness used to fail."""

import copy
import json
import re
import subprocess
import sys

import pytest
from report_samples import benchmark_json, make_results, write

from benchmarks import __main__ as cli
from benchmarks import results
from benchmarks.measure import runner
from benchmarks.report import pytest_bench, render

INF = "__infinity__"  # written as 1e400: valid JSON syntax that Python reads as infinity
ODD_VALUES = ("abc", [1], {"a": 1}, None, True, INF, -1, 0.5)


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
    data = copy.deepcopy(data)
    *parents, last = path
    target = data
    for key in parents:
        target = target[key]
    target[last] = value
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
            target.write_text(dump(replaced(data, path, value)))
            try:
                load(target)
            except refused_error as e:
                field = str(path[-1])
                assert str(target) in str(e) and re.search(rf"\b{re.escape(field)}\b", str(e)), (
                    f"{path} = {value!r}: {e}"
                )
            else:
                accepted.setdefault(json.dumps(value), []).append(path)
    for value, paths in accepted.items():
        combined = data
        for path in outermost(paths):
            combined = replaced(combined, path, json.loads(value))
        yield value, combined


# --- bad files: refused by load, naming the field, or shown without a crash --------------------


def sample_results():
    data = make_results(
        names=("strong-backprop", "dezero-backprop"), status={"dezero-backprop": "error"}, iters=12
    )
    data["complete"] = True
    data["settings"]["timeout_s"] = 600.0
    numpy = data["variants"][0]
    numpy["repeats"] = {"peak_rss_mib": {"median": 30.0, "min": 29.0, "max": 31.0, "values": [30]}}
    numpy["warnings"] = ["a note"]
    return data


def test_a_results_file_load_accepts_never_crashes_the_report(tmp_path):
    # Every field of a results file set to text, a list, an object, null, true, infinity, -1 or
    # 0.5: either load refuses the file naming the field, or the report renders it.
    reports = tmp_path / "reports"
    path = reports / "results" / "20261123T120000Z.json"
    path.parent.mkdir(parents=True)
    for _, data in odd_files(sample_results(), results.ResultsError, results.load, tmp_path):
        path.write_text(dump(data))
        render(results=path, reports_dir=reports, repo_root=tmp_path)


def test_a_benchmark_file_load_accepts_never_crashes_the_report(tmp_path):
    rows = [
        ("test_loop[weak-backprop]", "loop", 0.002, {"time_vs_numpy": 1.04}),
        ("test_loop[numpy]", "loop", 0.001, {"tracemalloc_peak_mib": 1.5}),
    ]
    reports = tmp_path / "reports"
    plotless = make_results(names=("torch-backprop",), status={"torch-backprop": "skipped"})
    write(reports / "results" / "20261123T120000Z.json", plotless)
    data = benchmark_json(rows)
    path = tmp_path / "bench.json"
    for _, odd in odd_files(data, pytest_bench.BenchmarkJsonError, pytest_bench.load, tmp_path):
        path.write_text(dump(odd))
        render(reports_dir=reports, repo_root=tmp_path, benchmark_json=path)


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
    return results.write_atomic(folder / name, data)


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
