"""The report's speed-ratios section, rendered from ratios files alone (reports/README.md)."""

import re

import pytest
from report_samples import XSS, make_results, ratio_record, ratios_json, write

from benchmarks.errors import HarnessError
from benchmarks.report import render

GONE = "autograd is not installed (pip install -e '.[peers]')"


@pytest.fixture
def reports(tmp_path):
    reports = tmp_path / "reports"
    # One variant keeps the plots cheap: this file is about the ratios section.
    write(reports / "results" / "20261123T120000Z.json", make_results(("numpy",), iters=20))
    return reports


def page(reports, **kwargs):
    index = render(reports_dir=reports, repo_root=reports.parent, **kwargs)
    html = index.read_text(encoding="utf-8")
    start = html.index('<section id="ratios"')
    return html, html[start : html.index("</section>", start)]


def save(reports, name, data):
    return write(reports / "ratios" / name, data)


def rows(section):
    return dict(re.findall(r'<tr data-comparison="([^"]*)">(.*?)</tr>', section, re.S))


def test_each_ratio_stands_beside_its_target_and_whether_it_holds(reports):
    save(
        reports,
        "20261123T120000Z.json",
        ratios_json(
            ratio_record("backward-neg-weak-1000", 2.276),
            ratio_record("backward-wide-weak-1000", 0.577, target=1.0),
            ratio_record("backward-neg-weak-10000", None, reason=GONE),
            ratio_record("forward-weak", 0.919, target=0.7, table="forward vs PyTorch"),
        ),
    )
    _, section = page(reports)
    assert [t for t in re.findall(r"<h3[^>]*>([^<]*)</h3>", section)] == [
        "backward vs HIPS autograd",
        "forward vs PyTorch",
    ]
    found = rows(section)
    # A comparison skipped for a peer that is not installed has no row: said once, above.
    assert list(found) == ["backward-neg-weak-1000", "backward-wide-weak-1000", "forward-weak"]
    slow = found["backward-neg-weak-1000"]
    assert "<b>2.276×</b>" in slow and "≤ 0.90×" in slow and ">misses<" in slow
    assert "2.483×" in slow  # the per-round range's top: 2.276 * 1.2 / 1.1
    assert "2.28 µs / 1 µs" in slow  # per op, ours / reference
    assert (
        ">meets<" in found["backward-wide-weak-1000"]
        and "≤ 1.00×" in found["backward-wide-weak-1000"]
    )
    assert "no ratio: skipped" not in section
    said = "1 comparison not made, left out of the tables: not installed: autograd: pip install"
    assert said in section
    assert "<b>1</b> target(s) met, <b>2</b> missed" in section and "without a ratio" not in section


def test_text_from_a_ratios_file_is_escaped(reports):
    evil = ratio_record(XSS, None, status="error", reason=f"ours failed: {XSS}")
    save(reports, "20261123T120000Z.json", ratios_json(evil))
    html, section = page(reports)
    assert XSS not in html and "&lt;script&gt;" in section


def test_no_ratios_file_says_how_to_make_one(reports):
    _, section = page(reports)
    assert "No ratios file" in section and "python -m benchmarks speed" in section


def test_a_quick_or_interrupted_run_is_marked(reports):
    save(
        reports,
        "20261123T120000Z.json",
        ratios_json(ratio_record("a", 1.0), quick=True, complete=False),
    )
    _, section = page(reports)
    assert "Quick run:" in section and "Incomplete:" in section


def test_a_corrupt_newest_file_falls_back_with_a_warning(reports):
    save(reports, "20261122T120000Z.json", ratios_json(ratio_record("older-one", 1.5)))
    (reports / "ratios" / "20261123T120000Z.json").write_text("{")
    html, section = page(reports)
    assert "older-one" in section
    assert "skipped ratios file" in html and "20261123T120000Z.json" in html


def test_an_explicit_ratios_file_is_used_and_must_be_valid(reports, tmp_path):
    chosen = write(tmp_path / "chosen.json", ratios_json(ratio_record("chosen-one", 1.1)))
    assert "chosen-one" in page(reports, ratios=chosen)[1]
    broken = tmp_path / "broken.json"
    broken.write_text('{"kind": "ratios", "schema": 1}')
    with pytest.raises(HarnessError, match=r"broken\.json"):
        render(reports_dir=reports, repo_root=tmp_path, ratios=broken)


def test_a_users_engine_stands_without_a_target(reports):
    save(
        reports,
        "20261123T120000Z.json",
        ratios_json(
            ratio_record("backward-neg-weak-1000", 0.25),
            ratio_record("backward-square-step17-1000", 2.5, target=None),
        ),
    )
    _, section = page(reports)
    theirs = rows(section)["backward-square-step17-1000"]
    assert "2.500×" in theirs and "no target" in theirs and "≤" not in theirs
    assert "1</b> target(s) met, <b>0</b> missed." in section
