"""The memory regression gate (`python -m benchmarks compare`) on synthetic results files."""

import json
import random

import pytest

from benchmarks import __main__ as cli
from benchmarks import figures as F
from benchmarks.files import results, store
from benchmarks.gates import memory as compare
from benchmarks.report import history


def variant(name, tracemalloc_peak=7.5, kernel_peak=39.0, status="ok"):
    return {
        "name": name,
        "status": status,
        "tracemalloc_peak_mib": tracemalloc_peak,
        "kernel_peak_rss_mib": kernel_peak,
        "peak_rss_mib": kernel_peak - 1,
        "peak_increment_mib": kernel_peak - 25,
    }


def results_file(folder, stamp, *variants, workload=None):
    data = {
        "schema": results.SCHEMA,
        "complete": True,
        "environment": {"python": "3.11.7", "gc_thresholds": [700, 10, 10]},
        "settings": {
            "iters": 1000,
            "size": 100_000,
            **({"workload": workload} if workload else {}),
        },
        "variants": list(variants),
    }
    return str(store.write_atomic(folder / f"2026112{stamp}T120000Z.json", data))


def run(capsys, *argv):
    code = cli.main(["compare", *(str(a) for a in argv)])
    out, err = capsys.readouterr()
    return code, out, err


BASE = (variant("numpy", 4.45, 36.0), variant("strong-backprop", 289.92, 322.0))


def test_a_heavier_variant_fails_the_gate_and_is_named(tmp_path, capsys):
    old = results_file(tmp_path, 1, *BASE, variant("weak-backprop", 7.5, 39.0))
    new = results_file(tmp_path, 2, *BASE, variant("weak-backprop", 60.0, 39.0))
    code, out, _ = run(capsys, old, new)
    assert code == 1
    assert f"comparing {old} (old) -> {new} (new)" in out
    (line,) = [x for x in out.splitlines() if "REGRESSION" in x]
    assert "weak-backprop" in line and "tracemalloc_peak_mib" in line and "+700.0%" in line
    assert out.splitlines()[-1].startswith("FAIL") and "weak-backprop" in out.splitlines()[-1]


def test_kernel_peak_is_gated_too_but_sampled_rss_is_not(tmp_path):
    heavier = {**variant("weak-backprop"), "peak_rss_mib": 500.0, "peak_increment_mib": 500.0}
    old = {"variants": [variant("weak-backprop")]}
    assert compare.compare(old, {"variants": [heavier]}).regressions == []
    more_kernel = {"variants": [variant("weak-backprop", kernel_peak=50.0)]}
    (row,) = compare.compare(old, more_kernel).regressions
    assert row.figure == "kernel_peak_rss_mib"


def test_equal_files_pass(tmp_path, capsys):
    old = results_file(tmp_path, 1, *BASE)
    new = results_file(tmp_path, 2, *BASE)
    code, out, _ = run(capsys, old, new)
    assert code == 0
    assert "REGRESSION" not in out and out.splitlines()[-1].startswith("OK")


def test_growth_exactly_at_the_threshold_passes_and_just_over_fails():
    old = {"variants": [variant("weak-backprop", 0.7, 100.0)]}
    # +10%: 0.7 -> 0.77 computes as 10.000000000000009% in floating point
    at = {"variants": [variant("weak-backprop", 0.77, 110.0)]}
    over = {"variants": [variant("weak-backprop", 0.77, 110.1)]}
    assert compare.compare(old, at, max_growth=10).regressions == []
    assert len(compare.compare(old, over, max_growth=10).regressions) == 1


def test_max_growth_option_sets_the_threshold(tmp_path, capsys):
    old = results_file(tmp_path, 1, variant("weak-backprop", 10.0))
    new = results_file(tmp_path, 2, variant("weak-backprop", 12.0))  # +20%
    assert run(capsys, old, new, "--max-growth", "25")[0] == 0
    assert run(capsys, old, new, "--max-growth", "15")[0] == 1
    assert run(capsys, old, new)[0] == 1  # default 10%


def test_a_variant_only_in_new_is_listed_not_failed(tmp_path, capsys):
    old = results_file(tmp_path, 1, *BASE)
    new = results_file(tmp_path, 2, *BASE, variant("dezero-backprop", 8.0, 110.0))
    code, out, _ = run(capsys, old, new)
    assert code == 0
    assert "only in new: dezero-backprop" in out


def test_a_variant_not_ok_before_is_listed_not_compared(tmp_path, capsys):
    killed = variant("strong-backprop", None, 12000.0, status="exceeded_limit")
    old = results_file(tmp_path, 1, killed)
    new = results_file(tmp_path, 2, variant("strong-backprop", 289.92, 322.0))
    code, out, _ = run(capsys, old, new)
    assert code == 0
    assert "not compared: strong-backprop (status exceeded_limit -> ok)" in out


@pytest.mark.parametrize("status", ["skipped", "error", "exceeded_limit"])
def test_a_variant_old_did_not_measure_and_new_lacks_is_listed_not_failed(tmp_path, capsys, status):
    # The main job without the peers records them as skipped; `run --no-peers` leaves them out.
    never = {**variant("torch-backprop", status=status), "error": "torch is absent"}
    never.update(dict.fromkeys(("tracemalloc_peak_mib", "kernel_peak_rss_mib"), None))
    old = results_file(tmp_path, 1, *BASE, never)
    new = results_file(tmp_path, 2, *BASE)
    code, out, _ = run(capsys, old, new)
    assert code == 0, out
    assert f"not compared: torch-backprop ({status} in OLD: torch is absent; not in NEW)" in out
    assert "only in old" not in out and "FAIL" not in out


def test_a_variant_old_measured_and_new_lacks_still_fails(tmp_path, capsys):
    old = results_file(tmp_path, 1, *BASE, variant("torch-backprop", 0.76, 240.0))
    new = results_file(tmp_path, 2, *BASE)
    code, out, _ = run(capsys, old, new)
    assert code == 1
    assert "only in old: torch-backprop" in out
    assert "FAIL: torch-backprop is missing from NEW" in out


def test_defaults_compare_the_two_newest_files(tmp_path, capsys):
    results_file(tmp_path, 1, variant("weak-backprop", 1.0))  # oldest: would fail if used
    second = results_file(tmp_path, 2, variant("weak-backprop", 7.5))
    newest = results_file(tmp_path, 3, variant("weak-backprop", 7.6))
    code, out, _ = run(capsys, "--results-dir", tmp_path)
    assert code == 0
    assert f"comparing {second} (old) -> {newest} (new)" in out
    code, out, _ = run(capsys, tmp_path / "20261121T120000Z.json", "--results-dir", tmp_path)
    assert code == 1  # OLD given: compared with the newest


def test_two_workloads_are_never_compared(tmp_path, capsys):
    classic = results_file(tmp_path, 1, variant("weak-backward", 8.4))
    deep = results_file(tmp_path, 2, variant("weak-backward", 102.3), workload="deep-chain")
    code, out, err = run(capsys, classic, deep)
    assert code == 2
    assert f"{classic} holds the classic workload and {deep} the deep-chain workload" in err
    assert "REGRESSION" not in out and "OK" not in out


def test_the_default_baseline_is_the_newest_earlier_file_of_the_newest_files_workload(
    tmp_path, capsys
):
    # The main job writes a deep-chain file beside each classic one.
    results_file(tmp_path, 1, variant("weak-backward", 8.4))
    old = results_file(tmp_path, 2, variant("weak-backward", 102.3), workload="deep-chain")
    classic = results_file(tmp_path, 3, variant("weak-backward", 8.4))
    new = results_file(tmp_path, 4, variant("weak-backward", 102.3), workload="deep-chain")
    code, out, _ = run(capsys, "--results-dir", tmp_path)
    assert code == 0
    assert f"comparing {old} (old) -> {new} (new)" in out
    # The report, by default, shows the newest classic file; the deep chain's on request.
    assert str(results.newest_valid(tmp_path)[0]) == classic
    assert str(results.newest_valid(tmp_path, "deep-chain")[0]) == new


def test_fewer_than_two_results_files_is_an_error(tmp_path, capsys):
    results_file(tmp_path, 1, *BASE)
    code, out, err = run(capsys, "--results-dir", tmp_path)
    assert code == 2 and out == ""
    assert str(tmp_path) in err and "1 results file(s), 2 needed" in err


def corrupt(path):
    path.write_text('{"schema": 1, "variants": [')


def wrong_schema(path):
    path.write_text(json.dumps({"schema": 99, "variants": []}))


def peak_not_a_number(path):
    path.write_text(json.dumps({"schema": 1, "variants": [variant("numpy", "lots", 36.0)]}))


@pytest.mark.parametrize("spoil", [None, corrupt, wrong_schema, peak_not_a_number])
@pytest.mark.parametrize("side", ["old", "new"])
def test_bad_or_missing_file_exits_2_naming_it(tmp_path, capsys, spoil, side):
    good = results_file(tmp_path, 1, *BASE)
    bad = tmp_path / "bad.json"
    if spoil is not None:  # None: the file does not exist
        spoil(bad)
    code, out, err = run(capsys, *((bad, good) if side == "old" else (good, bad)))
    assert code == 2 and out == ""
    assert err.startswith("error: ") and str(bad) in err


@pytest.mark.parametrize("value", ["-1", "ten", "inf"])
def test_max_growth_must_be_a_percentage(capsys, value):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["compare", "a.json", "b.json", "--max-growth", value])
    assert exit_info.value.code == 2
    assert "--max-growth" in capsys.readouterr().err


@pytest.mark.parametrize("seed", range(40))
def test_the_reports_flag_and_the_gate_agree(seed):
    # Random old/new pairs with every figure moved by -30%..+30% (some exactly +10%, some from
    # or to null), variants measured or not (skipped, failed, killed) on either side and some
    # missing from NEW: the report's history flags a variant exactly when `compare` fails on it.
    rng = random.Random(seed)
    names = ("numpy", "strong-backprop", "weak-backprop", "weak-no_grad", "torch-backprop")
    statuses = ["ok"] * 4 + ["skipped", "error", "exceeded_limit"]

    def record(name):
        return {
            "name": name,
            "status": rng.choice(statuses),
            **{f.name: rng.choice([None, 0.0, *[rng.uniform(1, 300)] * 6]) for f in F.FIGURES},
        }

    def moved(v):
        v = dict(v, status=rng.choice(statuses))
        for f in F.FIGURES:
            if v[f.name] is not None:
                v[f.name] *= 1 + rng.choice(
                    [-0.3, 0.0, 0.0999, 0.1, 0.1001, 0.3, rng.uniform(-1, 1)]
                )
        return v

    old = {"variants": [record(n) for n in names]}
    new = {"variants": [moved(v) for v in old["variants"] if rng.random() < 0.8]}
    verdict = compare.compare(old, new)
    rows = history.compare(old, new)
    assert verdict.failing == {h.name for h in rows if h.flagged}
    # A variant OLD did not measure never fails, whatever NEW holds.
    unmeasured = {v["name"] for v in old["variants"] if v["status"] != "ok"}
    assert not unmeasured & verdict.failing
    flags = {(h.name, c.figure.name) for h in rows for c in h.changes}
    assert {(r.variant, r.figure) for r in verdict.rows} <= flags
    # Every variant is compared, flagged, or said why not, in the command and the report alike.
    for h in rows:
        said = h.comparable or h.flagged or h.not_compared or h.presence == "new"
        assert said and (h.not_compared is None or h.name in verdict.not_compared)
