"""Results from several environments: the report's "Across environments" section, the history
and the gate, on synthetic files (schema in reports/README.md; why in benchmarks/environments.py).
"""

import copy
import re
from html import unescape
from pathlib import Path

import pytest
from report_samples import XSS, make_results, scaled, write

from benchmarks import __main__ as cli
from benchmarks.files import environments
from benchmarks.report import across, across_plot, render

NAMES = ("numpy", "strong-backprop", "weak-backprop")


def measured_in(python, threshold0, numpy="2.5.5", machine="ci-1", factor=1.0, **kw):
    """Synthetic results as if measured under `python` with the collector at `threshold0`."""
    data = scaled(make_results(names=NAMES, status={}, **kw), factor, {"strong-backprop"})
    env = data["environment"]
    env.update(python=python, gc_thresholds=[threshold0, 10, 10], machine=machine)
    env["packages"] = {**env["packages"], "numpy": numpy}
    for v in data["variants"]:
        v["gc"]["threshold"] = [threshold0, 10, 10]
        v["interpreter"] = {
            "python": python,
            "implementation": "CPython",
            "gc_thresholds": [threshold0, 10, 10],
            "numpy": numpy,
        }
    return data


@pytest.fixture
def reports(tmp_path):
    return tmp_path / "reports"


def page(reports, **kw):
    return render(reports_dir=reports, repo_root=reports.parent, **kw).read_text(encoding="utf-8")


def headline(html):
    """The first screen's text: the headline section, tags stripped."""
    start = html.index('<section class="headline"')
    text = re.sub(r"<[^>]+>", "", html[start : html.index("</section>", start)])
    return " ".join(unescape(text).split())


def measured_here(**kw):
    """Synthetic results as if measured by the interpreter running the tests."""
    mine = environments.own()
    data = measured_in(mine["python"], 700, numpy=mine["numpy"], machine=mine["machine"], **kw)
    data["environment"]["python_implementation"] = mine["implementation"]
    for v in data["variants"]:
        v["interpreter"]["implementation"] = mine["implementation"]
    return data


def across_rows(html):
    start = html.index('id="across"')
    section = html[start : html.index("</section>", start)]
    return re.findall(r'<tr data-variant="([^"]*)"', section), section


def test_files_of_different_environments_render_side_by_side(reports):
    a = write(reports / "results" / "20261123T120000Z.json", measured_in("3.12.1", 700))
    b = write(
        reports / "results" / "20261123T120100Z.json",
        measured_in("3.13.0", 2000, machine=XSS, factor=2.1),
    )
    html = page(reports, results=[str(a), str(b)])
    rows, section = across_rows(html)
    assert rows == [n for n in NAMES for _ in (a, b)]  # each variant once per environment
    assert "CPython 3.12.1 · numpy 2.5.5 · ci-1 (2 cores)" in section
    assert "CPython 3.13.0 · numpy 2.5.5" in section
    assert "<td>700</td>" in section and "<td>2000</td>" in section
    assert XSS not in html and "&lt;script&gt;" in section  # a machine name is text
    assert (reports / "across_environments.png").read_bytes().startswith(b"\x89PNG")
    first = headline(html)
    assert "This report shows 20261123T120100Z.json, measured with CPython 3.13.0" in first
    assert "It leads the 2 pooled results files because it is the newest" in first
    assert "the other file (CPython 3.12.1 · numpy 2.5.5 · ci-1 (2 cores)) is in" in first


def test_the_harness_own_interpreter_leads_a_pool_and_the_headline_names_it(reports):
    mine = environments.own()
    here = write(
        reports / "results" / "20261123T120000Z.json",
        measured_here(started="2026-11-23T12:00:00Z"),
    )
    newer = measured_in("3.13.0", 2000, factor=2.1, started="2026-11-23T12:01:00Z")
    newer = write(reports / "results" / "20261123T120100Z.json", newer)
    first = headline(page(reports, results=[str(newer), str(here)]))
    interpreter = f"{mine['implementation']} {mine['python']}, numpy {mine['numpy']}"
    assert f"(strong-backprop vs weak-backprop, {interpreter})" in first
    assert f"This report shows 20261123T120000Z.json, measured with {interpreter}" in first
    assert "because it was measured with the interpreter running this report" in first
    assert "CPython 3.13.0 · numpy 2.5.5" in first and "Across environments" in first
    # The headline's figures are the leading file's: 3.13's strong peak is 2.1 times as high.
    strong = across.results_files.by_name(across.results_files.load(here))["strong-backprop"]
    assert f"{strong['peak_rss_mib']:.1f} MiB" in first


def test_a_file_of_another_interpreter_alone_is_named_on_the_first_screen(reports):
    write(reports / "results" / "20261123T120000Z.json", measured_here())
    write(reports / "results" / "20261123T120100Z.json", measured_in("3.13.0", 2000))
    first = headline(page(reports))
    assert "(strong-backprop vs weak-backprop, CPython 3.13.0, numpy 2.5.5)" in first
    assert "This report shows 20261123T120100Z.json, measured with CPython 3.13.0" in first
    assert "3 of its 3 variants measured" in first
    assert "It is the newest results file; the interpreter running this report is" in first


def test_the_first_screen_counts_the_variants_without_figures(reports):
    data = make_results()  # one skipped peer, one failed, one stopped at the limit
    write(reports / "results" / "20261123T120000Z.json", data)
    first = headline(page(reports))
    assert f"6 of its {len(data['variants'])} variants measured" in first
    assert "1 skipped, 1 failed (dezero), 1 stopped at the limit (strong)" in first
    # The skipped engine is named once, with why and how to install it.
    assert first.count("torch") == 1 and "not installed: torch: pip install" in first


def test_the_gc_models_peak_stands_beside_the_traced_peak_where_a_file_has_it(reports):
    # Schema 2 files carry model_peak_mib; a schema 1 file in the pool leaves its cell blank.
    a = write(reports / "r" / "20261123T120000Z.json", measured_in("3.12.1", 700))
    b = write(reports / "r" / "20261123T120100Z.json", measured_in("3.13.0", 2000, explained=True))
    html = page(reports, results=[str(a), str(b)])
    _, section = across_rows(html)
    head = section[section.index("<thead>") : section.index("</thead>")]
    titles = [unescape(t) for t in re.findall(r"<th[^>]*>([^<]*)</th>", head)]
    assert titles.index("GC model's peak") == titles.index("tracemalloc peak") + 1
    predicted = {v["name"]: v["model_peak_mib"] for v in across.results_files.load(b)["variants"]}
    cells = re.findall(r'<td class="model">([^<]*)</td>', section)
    assert len(cells) == 2 * len(NAMES)  # one per row, blank where the file has no model
    shown = [c for c in cells if c != "—"]
    assert sorted(shown) == sorted(f"{m:,.2f}" for m in predicted.values() if m is not None)
    assert shown  # the schema 2 file's predictions are on the page


def test_a_single_file_shows_no_model_column_without_a_model(reports):
    a = write(reports / "r" / "20261123T120000Z.json", measured_in("3.12.1", 700))
    _, section = across_rows(page(reports, results=[str(a), str(a)]))
    assert "GC model" not in section


def test_the_across_plot_is_written_with_the_page_and_a_stale_one_removed(reports):
    # Every file the report writes goes through its all-or-nothing outputs (reports/README.md).
    a = write(reports / "results" / "20261123T120000Z.json", measured_in("3.12.1", 700))
    b = write(reports / "results" / "20261123T120100Z.json", measured_in("3.13.0", 2000))
    (reports / "across_environments_2.png").write_bytes(b"stale")
    page(reports, results=[str(a), str(b)])
    assert (reports / "across_environments.png").read_bytes().startswith(b"\x89PNG")
    assert not (reports / "across_environments_2.png").exists()


def test_different_workloads_get_separate_tables_and_a_notice(reports):
    a = write(reports / "a" / "20261123T120000Z.json", measured_in("3.12.1", 700, iters=40))
    write(reports / "a" / "20261123T120100Z.json", measured_in("3.13.0", 2000, iters=80))
    html = page(reports, results=[str(a.parent)])
    _, section = across_rows(html)
    assert "used different workload" in section and "iters: 40, 80" in section
    assert section.count('class="across-table"') == 2
    assert "Workload 1" in section and "Workload 2" in section
    assert (reports / "across_environments_2.png").exists()


def test_a_corrupt_or_foreign_file_in_the_folder_is_named_and_passed_over(reports, caplog):
    folder = reports / "pool"
    write(folder / "20261123T120000Z.json", measured_in("3.12.1", 700))
    write(folder / "20261123T120100Z.json", measured_in("3.13.0", 2000))
    (folder / "20261123T120200Z.json").write_text('{"schema": 1, "varia')
    write(folder / "bench.json", {"benchmarks": [], "machine_info": {}})
    html = page(reports, results=[str(folder)])
    rows, _ = across_rows(html)
    assert len(rows) == 2 * len(NAMES)
    for name, why in (("20261123T120200Z.json", "not valid JSON"), ("bench.json", "no 'schema'")):
        assert re.search(rf"Left out of this report: [^<]*{re.escape(name)}: {why}", unescape(html))
        assert name in caplog.text


def test_a_folder_without_a_single_valid_file_is_an_error(reports):
    folder = reports / "pool"
    folder.mkdir(parents=True)
    (folder / "x.json").write_text("[]")
    with pytest.raises(Exception, match=r"no valid results file.*x\.json"):
        render(results=[str(folder)], reports_dir=reports, repo_root=reports.parent)


def test_by_default_the_report_pools_the_files_one_command_measured(reports):
    for n, (python, threshold0) in enumerate((("3.12.1", 700), ("3.13.0", 2000))):
        data = measured_in(python, threshold0)
        data["environment"]["batch"] = "20261123T120000Z"
        write(reports / "results" / f"20261123T12000{n}Z.json", data)
    write(reports / "results" / "20261122T120000Z.json", measured_in("3.11.7", 700))  # another run
    rows, section = across_rows(page(reports))
    assert len(rows) == 2 * len(NAMES) and "3.11.7" not in section


def test_one_environment_says_how_to_measure_more_and_draws_nothing(reports):
    write(reports / "results" / "20261123T120000Z.json", measured_in("3.12.1", 700))
    reports.mkdir(exist_ok=True)
    (reports / "across_environments.png").write_bytes(b"stale")
    _, section = across_rows(page(reports))
    assert "One environment in this report (CPython 3.12.1" in section
    assert "--python 3.12 --python 3.13" in section
    assert not (reports / "across_environments.png").exists()  # the section is text alone


def test_two_runs_in_one_environment_get_their_own_labels_and_colours(reports):
    a = write(reports / "r" / "20261123T120000Z.json", measured_in("3.12.1", 700))
    b = write(reports / "r" / "20261123T120100Z.json", measured_in("3.12.1", 700, factor=1.5))
    (table,) = across.tables([(a, across.results_files.load(a)), (b, across.results_files.load(b))])
    label = "CPython 3.12.1 · numpy 2.5.5 · ci-1 (2 cores)"
    assert table.environments == [f"{label} · run {a.stem}", f"{label} · run {b.stem}"]
    assert len({r.index for r in table.rows}) == 2
    _, section = across_rows(page(reports, results=[str(a), str(b)]))
    swatches = re.findall(r'class="swatch" style="background: ([^"]+)"', section)
    assert len(set(swatches)) == 2
    # The file each row comes from stands under its environment, where it can wrap.
    cells = re.findall(r'<td class="text environment">(.*?)</td>', section, re.S)
    assert len(cells) == 2 * len(NAMES) and all(".json" in c for c in cells)


def test_history_compares_with_the_last_run_of_the_same_environment(reports):
    write(reports / "results" / "20261123T110000Z.json", measured_in("3.12.1", 700, factor=0.5))
    write(reports / "results" / "20261123T115000Z.json", measured_in("3.13.0", 2000, factor=2.1))
    newest = write(reports / "results" / "20261123T120000Z.json", measured_in("3.12.1", 700))
    html = page(reports, results=str(newest))
    assert "Against the previous run, 20261123T110000Z.json" in html


def test_a_variant_record_names_its_own_interpreter_over_its_files():
    data = measured_in("3.12.1", 700)
    variant = copy.deepcopy(data["variants"][1])
    variant["interpreter"].update(python="3.13.0", gc_thresholds=[2000, 10, 10])
    a, b = environments.of(data), environments.of(data, variant)
    assert environments.differences(a, b) == [
        "Python 3.12.1 -> 3.13.0",
        "gc thresholds 700 / 10 / 10 -> 2000 / 10 / 10",
    ]
    # A field one file does not record (written before it was) is unknown, not different.
    assert environments.same(a, {**a, "machine": None})
    (table,) = across.tables([(Path("x.json"), data)])
    assert table.environments == ["CPython 3.12.1 · numpy 2.5.5 · ci-1 (2 cores)"]


def test_the_plot_draws_a_sampled_increment_below_zero():
    # Sampled RSS can fall under its baseline: a label left of the axes once squeezed the
    # layout to nothing (matplotlib warns, and warnings are errors here).
    data = measured_in("3.12.1", 700)
    for v, increment in zip(data["variants"], (-0.4, 0.02, None), strict=True):
        v["peak_increment_mib"] = increment  # a tiny workload's: far left of the largest
    (table,) = across.tables([(Path("x.json"), data)])
    for narrow in (False, True):
        assert across_plot.peaks(table, narrow=narrow).startswith(b"\x89PNG")


# --- the gate --------------------------------------------------------------------------------


def test_compare_across_environments_calls_nothing_a_regression(tmp_path, capsys):
    old = write(tmp_path / "20261123T120000Z.json", measured_in("3.12.1", 700))
    new = write(tmp_path / "20261123T120100Z.json", measured_in("3.13.0", 2000, factor=2.1))
    code = cli.main(["compare", str(old), str(new)])
    out = capsys.readouterr().out
    assert code == 2
    assert "REGRESSION" not in out and "FAIL" not in out and "OK:" not in out
    assert "+110.0%" in out  # the difference is shown...
    verdict = out.splitlines()[-1]  # ...and said to be the environment's
    assert verdict.startswith("NOT GATED: the files come from different environments")
    assert "Python 3.12.1 -> 3.13.0" in verdict


def test_compare_by_default_gates_against_the_newest_file_of_the_same_environment(tmp_path, capsys):
    base = write(tmp_path / "20261123T110000Z.json", measured_in("3.12.1", 700))
    write(tmp_path / "20261123T115000Z.json", measured_in("3.13.0", 2000, factor=2.1))
    newest = write(tmp_path / "20261123T120000Z.json", measured_in("3.12.1", 700, factor=1.5))
    code = cli.main(["compare", "--results-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert f"comparing {base} (old) -> {newest} (new)" in out
    assert code == 1 and "REGRESSION" in out  # the same environment: a real regression
