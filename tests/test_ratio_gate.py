"""The speed gate (`python -m benchmarks compare --ratios`) on synthetic ratios files
(reports/README.md, "Ratios file"): exit 1 when a ratio worsened past the threshold, 2 for a
file it refuses."""

import pytest
from report_samples import ratio_record, ratios_json, write
from test_compare import results_file, variant

from benchmarks import __main__ as cli
from benchmarks.gates import speed as ratio_gate


def ratios_file(folder, stamp, *records, **kwargs):
    return str(write(folder / f"2026112{stamp}T120000Z.json", ratios_json(*records, **kwargs)))


def run(capsys, *argv):
    code = cli.main(["compare", *(str(a) for a in argv)])
    out, err = capsys.readouterr()
    return code, out, err


OLD = (ratio_record("backward-neg-weak-1000", 2.0), ratio_record("forward-weak", 0.8, 0.7))


def test_a_ratio_that_worsened_past_the_threshold_fails_and_is_named(tmp_path, capsys):
    old = ratios_file(tmp_path, 1, *OLD)
    new = ratios_file(
        tmp_path,
        2,
        ratio_record("backward-neg-weak-1000", 2.5),
        ratio_record("forward-weak", 0.6, 0.7),
    )
    code, out, err = run(capsys, "--ratios", old, new)
    assert code == 1 and err == ""
    assert f"comparing {old} (old) -> {new} (new), max worsening 20%" in out
    (line,) = [x for x in out.splitlines() if "WORSENED" in x]
    assert line.startswith("backward-neg-weak-1000") and "+25.0%" in line and "0.9x missed" in line
    (better,) = [x for x in out.splitlines() if x.startswith("forward-weak")]
    assert "-25.0%" in better and "0.7x met" in better and "WORSENED" not in better
    assert out.splitlines()[-1] == (
        "FAIL: 1 ratio(s) worsened by more than 20%: backward-neg-weak-1000"
    )


def test_two_ratios_files_are_compared_as_such_without_the_flag(tmp_path, capsys):
    old, new = ratios_file(tmp_path, 1, *OLD), ratios_file(tmp_path, 2, *OLD)
    code, out, _ = run(capsys, old, new)
    assert code == 0 and "max worsening" in out
    assert out.splitlines()[-1] == "OK: no ratio worsened by more than 20%"


def test_the_threshold_is_inclusive_and_settable(tmp_path, capsys):
    old = ratios_file(tmp_path, 1, ratio_record("a", 2.0))
    at = ratios_file(tmp_path, 2, ratio_record("a", 2.2))  # +10%, 10.000000000000009 in floats
    over = ratios_file(tmp_path, 3, ratio_record("a", 2.2002))
    assert run(capsys, old, at, "--max-worsening", "10")[0] == 0
    assert run(capsys, old, over, "--max-worsening", "10")[0] == 1
    assert run(capsys, old, over, "--max-worsening", "11")[0] == 0
    assert run(capsys, old, over)[0] == 0  # the default, 20%


def moved(name, ratio, median):
    return {**ratio_record(name, ratio), "median_ratio": median}


@pytest.mark.parametrize(
    "ratio, median, fails",
    [
        (2.6, 2.0, False),  # the best-of ratio alone moved: one lucky or unlucky round
        (2.0, 2.6, False),  # the medians alone moved
        (2.6, 2.6, True),  # both: ours became slower
        (2.6, None, True),  # a file without medians: the best-of ratio decides
    ],
)
def test_a_ratio_worsens_when_both_its_measures_do(tmp_path, capsys, ratio, median, fails):
    old = ratios_file(tmp_path, 1, moved("a", 2.0, 2.0))
    new = ratios_file(tmp_path, 2, moved("a", ratio, median))
    code, out, _ = run(capsys, old, new)
    assert code == (1 if fails else 0)
    (line,) = [x for x in out.splitlines() if x.startswith("a ")]
    assert f"{(ratio / 2 - 1) * 100:+.1f}%" in line
    figures = line.split("WORSENED")[0]
    assert (f"{(median / 2 - 1) * 100:+.1f}%" in figures) if median else figures.count("%") == 1


def test_defaults_compare_the_two_newest_ratios_files(tmp_path, capsys):
    ratios_file(tmp_path, 1, ratio_record("a", 1.0))  # oldest: would fail if used
    second = ratios_file(tmp_path, 2, ratio_record("a", 2.0))
    newest = ratios_file(tmp_path, 3, ratio_record("a", 2.1))
    code, out, _ = run(capsys, "--ratios", "--ratios-dir", tmp_path)
    assert code == 0 and f"comparing {second} (old) -> {newest} (new)" in out


def test_fewer_than_two_ratios_files_is_an_error(tmp_path, capsys):
    ratios_file(tmp_path, 1, ratio_record("a", 1.0))
    code, out, err = run(capsys, "--ratios", "--ratios-dir", tmp_path)
    assert code == 2 and out == ""
    assert "1 ratios file(s), 2 needed" in err and "python -m benchmarks speed" in err


def test_a_ratio_missing_on_either_side_is_listed_never_compared_as_zero(tmp_path, capsys):
    gone = "autograd is not installed (pip install -e '.[peers]')"
    old = ratios_file(tmp_path, 1, ratio_record("a", 2.0), ratio_record("b", None, reason=gone))
    new = ratios_file(tmp_path, 2, ratio_record("a", None, reason=gone), ratio_record("c", 1.0))
    code, out, _ = run(capsys, old, new)
    assert code == 0  # a peer gone is a choice: listed, not failed
    assert f"not compared: a (no ratio in new: {gone})" in out
    assert "only in old: b" in out and "only in new: c" in out


@pytest.mark.parametrize(
    "after, reason",
    [
        ((ratio_record("b", 1.0),), "a is missing from NEW"),
        (
            (ratio_record("a", None, status="error", reason="boom"),),
            "a went from ok to error: boom",
        ),
        ((), "NEW holds no comparisons"),
    ],
)
def test_a_comparison_lost_from_new_fails_the_gate(tmp_path, capsys, after, reason):
    # reports/README.md, "Ratios file": the speed gate cannot vouch for a comparison NEW lost.
    old = ratios_file(tmp_path, 1, ratio_record("a", 2.0))
    new = ratios_file(tmp_path, 2, *after)
    code, out, _ = run(capsys, old, new)
    assert code == 1 and f"FAIL: {reason}" in out
    assert "OK:" not in out


def test_differing_settings_are_noted(tmp_path, capsys):
    old = ratios_file(tmp_path, 1, *OLD)
    new = ratios_file(tmp_path, 2, *OLD, quick=True, complete=False)
    _, out, _ = run(capsys, old, new)
    assert "note: quick differs: False -> True" in out
    assert f"note: {new} is incomplete" in out


def corrupt(path):
    path.write_text('{"kind": "ratios", "schema": 1, "comparisons": [')


def zero_ratio(path):
    write(path, ratios_json(ratio_record("a", 0.0)))


@pytest.mark.parametrize("spoil", [None, corrupt, zero_ratio])
@pytest.mark.parametrize("side", ["old", "new"])
def test_a_bad_or_missing_file_exits_2_naming_it(tmp_path, capsys, spoil, side):
    good = ratios_file(tmp_path, 1, *OLD)
    bad = tmp_path / "bad.json"
    if spoil is not None:
        spoil(bad)
    code, out, err = run(capsys, "--ratios", *((bad, good) if side == "old" else (good, bad)))
    assert code == 2 and out == ""
    assert err.startswith("error: ") and str(bad) in err


def test_a_results_file_beside_a_ratios_file_is_refused(tmp_path, capsys):
    ratios = ratios_file(tmp_path, 1, *OLD)
    memory = results_file(tmp_path / "results", 2, variant("numpy"))
    code, _, err = run(capsys, "--ratios", ratios, memory)
    assert code == 2 and memory in err and 'no "kind": "ratios"' in err
    code, _, err = run(capsys, memory, ratios)  # without the flag: read as results files
    assert code == 2 and ratios in err


def test_compare_lists_rows_in_the_old_files_order():
    old = ratios_json(ratio_record("b", 1.0), ratio_record("a", 1.0))
    c = ratio_gate.compare(old, old)
    assert [r.name for r in c.rows] == ["b", "a"] and c.worsened == []
