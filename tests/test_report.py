"""The report renderer and the results files it reads, on synthetic results in tmp_path."""

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from report_samples import XSS, benchmark_json, make_results, scaled, write

from benchmarks.errors import HarnessError
from benchmarks.files import mprof, store
from benchmarks.files import results as results_files
from benchmarks.report import headline, history, palette, plots, pytest_bench, render
from benchmarks.report.sections import variants as variants_section

ROOT = Path(__file__).resolve().parent.parent

# The table leaves the skipped variants out: the first screen names what is not installed, once.
SHOWN = [v["name"] for v in make_results()["variants"] if v["status"] != "skipped"]
GOOD_DAT = "CMDLINE python -m benchmarks run {cmd}\n" + "".join(
    f"MEM {20 + (i % 7) * 3.5:.6f} {1700000000 + i / 10:.4f}\n" for i in range(30)
)


@pytest.fixture
def reports(tmp_path):
    return tmp_path / "reports"


def save(reports, name, data):
    return write(reports / "results" / name, data)


def render_page(reports, **kwargs):
    kwargs.setdefault("repo_root", reports.parent)
    index = render(reports_dir=reports, **kwargs)
    return index.read_text(encoding="utf-8")


def variant_rows(html):
    start = html.index('id="variant-table"')
    table = html[start : html.index("</table>", start)]
    return re.findall(r'<tr data-variant="([^"]*)"', table)


# --- the page, rendered once with every section filled --------------------------------------

EVIL_TEXT = '"><img src=x onerror=alert(3)>'
BENCH_ROWS = [
    ("test_loop[strong-backprop]", "loop", 0.004, {"tracemalloc_peak_mib": 289.92}),
    (
        "test_loop[weak-backprop]",
        "loop",
        0.002,
        {"tracemalloc_peak_mib": 7.5, "time_vs_numpy": 1.0437},
    ),
    ("test_loop[torch-backprop]", "loop", 0.001, {"gc_collections": [12, 1, 0]}),
    ("test_import", "import", 0.5, {}),
]


@pytest.fixture(scope="module")
def full(tmp_path_factory, figures_undrawn_in_module):
    """(reports folder, page): three runs, the newest with a 20% bigger weak-backprop peak and a
    variant whose warning is markup; a good mprof file with a <script> in its command line and a
    malformed one; two autosaved pytest-benchmark files."""
    root = tmp_path_factory.mktemp("repo")
    reports = root / "reports"
    before = make_results(iters=40)
    save(reports, "20261121T120000Z.json", scaled(before, 0.5))  # older than the one compared
    save(reports, "20261122T120000Z.json", before)
    now = scaled(before, 1.2, {"weak-backprop"})
    now["variants"].append({**now["variants"][0], "name": "markup", "warnings": [EVIL_TEXT]})
    save(reports, "20261123T120000Z.json", now)
    (root / "mprofile_20261123115900.dat").write_text(GOOD_DAT.format(cmd=XSS))
    reports.joinpath("mprofile_20261123115959.dat").write_text("MEM twelve 1700000000.0\n")
    folder = root / ".benchmarks" / "Linux-CPython-3.11-64bit"
    old = benchmark_json([("old", None, 1, {})])
    old = write(folder / "0001_584b31e_20261122_120000.json", old)
    os.utime(old, (1, 1))
    write(folder / "0002_584b31e_20261123_120000.json", benchmark_json(BENCH_ROWS))
    return reports, render_page(reports)


def section(html, name):
    start = html.index(f'<section id="{name}"')
    return html[start : html.index("</section>", start)]


def test_page_has_a_row_per_variant_and_its_plots(full):
    reports, html = full
    assert variant_rows(html) == [*SHOWN, "markup"]
    for png in ("peak_mib.png", "rss_over_iterations.png", "rss_over_time.png", "tradeoff.png"):
        assert (reports / png).read_bytes().startswith(b"\x89PNG")
    assert (reports / "mprofile_20261123115900.png").exists()
    # The first screen's picture, three plots, memory against time, one mprof curve.
    assert html.count("<img ") == 6
    table = section(html, "variants")
    table = table[table.index("<table") : table.index("</table>")]
    assert "exceeded limit" in table and "failed" in table
    assert "skipped" not in table and "torch" not in table


# Run in a fresh interpreter: forking is only taken where no other thread runs, and a test
# worker has its own threads.
SIDE_BY_SIDE = """
import sys
from pathlib import Path
from benchmarks.report import render, sections
folder = Path(sys.argv[1])
assert sections._can_fork()
pages = []
for jobs in (1, 2):
    render(reports_dir=folder, repo_root=folder.parent, jobs=jobs)
    pages.append({p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()})
assert pages[0] == pages[1], sorted(n for n in pages[0] if pages[0][n] != pages[1].get(n))
print(sorted(pages[0]))
"""


def test_sections_drawn_side_by_side_are_those_drawn_one_at_a_time(reports):
    save(reports, "20261123T120000Z.json", make_results(iters=40))
    out = subprocess.run(
        [sys.executable, "-c", SIDE_BY_SIDE, str(reports)],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "'index.html'" in out.stdout and "'peak_mib.png'" in out.stdout


def test_page_is_self_contained(full):
    _, html = full
    assert "http://" not in html and "https://" not in html
    links = re.findall(r'(?:src|href|srcset)\s*=\s*"([^"]*)"', html)
    assert links and all(link.startswith(("data:", "#")) for link in links)
    assert "@import" not in html and "url(" not in html


def test_text_from_files_is_escaped(full):
    _, html = full
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section(html, "variants")  # error text
    command = "python -m benchmarks run &lt;script&gt;alert(1)&lt;/script&gt;"
    assert command in section(html, "mprof")
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(3)&gt;" in html


def test_malformed_dat_is_skipped_with_a_visible_warning(full):
    _, html = full
    warning = re.search(r'class="box warning".*?</div>', html, re.S).group(0)
    assert "mprofile_20261123115959.dat" in warning and "line 1" in warning
    assert "mprofile_20261123115900.dat" in section(html, "mprof")


def test_newest_autosaved_benchmark_json_becomes_a_table(full):
    _, html = full
    table = section(html, "pytest-benchmark")
    assert "0002_584b31e_20261123_120000.json" in table and ">old<" not in table
    assert "time / ours" in table and "tracemalloc_peak_mib" in table
    assert "289.9<" in table and "12 / 1 / 0" in table  # floats to about four figures
    assert "2.00×" in table and "1.00×" in table and "0.50×" in table
    assert "1.044×" in table and "numpy against itself" in table  # the alternated ratio, explained
    summary = table[table.index('id="vs-numpy-table"') : table.index('id="benchmark-table"')]
    assert "test_loop[weak-backprop]" in summary and "strong-backprop" not in summary


def test_history_section_compares_with_the_previous_run(full):
    _, html = full
    history_html = section(html, "history")
    assert "20261122T120000Z.json" in history_html and "20261121T120000Z.json" not in history_html
    flagged = re.findall(r'<tr class="flagged" data-variant="([^"]+)"', history_html)
    assert flagged == ["weak-backprop"]
    assert "+20.0%" in history_html and "peak grew &gt; 10%" in history_html
    assert "new in this run" in history_html  # the variant whose warning is markup


def test_environment_shows_everything_recorded(full):
    _, html = full
    env = section(html, "environment")
    for text in ("3.11.7", "torch: not installed", "700 / 10 / 10", "584b31e", "mem_limit_mib"):
        assert text in env


def test_headline_states_the_ratio_beside_the_reference():
    results = make_results(iters=40)
    strong, weak = (
        next(v for v in results["variants"] if v["name"] == n)
        for n in ("strong-backprop", "weak-backprop")
    )
    text = str(headline.lead(results))
    assert f"{strong['peak_rss_mib'] / weak['peak_rss_mib']:.2f}×" in text
    reference = str(headline.reference())
    assert "539.438 MiB vs 75.484 MiB" in reference and "7.15×" in reference

    only_weak = make_results(names=("numpy", "weak-backprop"), iters=40)
    assert "no strong/weak ratio: strong-backprop was not measured" in str(headline.lead(only_weak))

    killed = make_results(status={"strong-backprop": "exceeded_limit"}, iters=400)
    assert "ran out of memory" in str(headline.lead(killed))


def test_a_lone_run_without_curves_renders_without_those_plots(reports):
    results = make_results(iters=40)
    for v in results["variants"]:
        v["timeline"] = None
    save(reports, "20261123T120000Z.json", results)
    (reports / "rss_over_time.png").write_bytes(b"a plot of another run")
    html = render_page(reports)
    assert variant_rows(html) == SHOWN
    assert not (reports / "rss_over_time.png").exists()
    assert (reports / "peak_mib.png").exists()
    assert "No earlier results file" in html
    assert "No <code>mprofile_*.dat</code>" in html and "No pytest-benchmark results" in html


# --- results files: choosing, falling back, refusing ----------------------------------------


@pytest.mark.parametrize("make_dir", [False, True])
def test_no_results_tells_how_to_make_them(reports, make_dir):
    if make_dir:
        (reports / "results").mkdir(parents=True)
    with pytest.raises(HarnessError, match=r"python -m benchmarks run"):
        render(reports_dir=reports, repo_root=reports.parent)


def test_corrupt_newest_falls_back_to_the_previous_valid_one(reports, caplog):
    save(reports, "20261122T120000Z.json", make_results(iters=40))
    (reports / "results" / "20261123T120000Z.json").write_text('{"schema": 1, "vari')
    html = render_page(reports)
    assert variant_rows(html) == SHOWN
    notice = re.search(r'class="box notice".*?</div>', html, re.S).group(0)
    assert "20261123T120000Z.json" in notice and "20261122T120000Z.json" in notice
    assert "20261123T120000Z.json" in caplog.text  # said on the terminal too


def test_an_unfinished_run_is_shown_with_a_notice(reports):
    unfinished = {**make_results(names=("numpy",), iters=5), "complete": False}
    path = save(reports, "20261123T120000Z.json", unfinished)
    html = render_page(reports, results=path)
    assert "has not finished" in re.search(r'class="box notice".*?</div>', html, re.S).group(0)


def test_an_explicit_corrupt_file_is_an_error_naming_it(reports, tmp_path):
    save(reports, "20261122T120000Z.json", make_results(iters=40))
    broken = tmp_path / "broken.json"
    broken.write_text("not json")
    with pytest.raises(HarnessError, match=r"broken\.json.*not valid JSON"):
        render(results=broken, reports_dir=reports, repo_root=tmp_path)


def test_an_unknown_schema_is_refused(reports, tmp_path):
    future = save(reports, "20261123T120000Z.json", {**make_results(iters=40), "schema": 3})
    with pytest.raises(HarnessError, match=r"20261123T120000Z\.json.*unknown results schema 3"):
        render(results=future, reports_dir=reports, repo_root=tmp_path)
    with pytest.raises(HarnessError, match=r"no valid results file.*schema 3"):
        render(reports_dir=reports, repo_root=tmp_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[]", "expected a JSON object"),
        ('{"variants": []}', "no 'schema' field"),
        ('{"schema": 1}', "no 'variants' list"),
        ('{"schema": 1, "variants": [{"status": "ok"}]}', "variants[0] has no 'name'"),
        (
            '{"schema": 1, "variants": [{"name": "x", "status": "fine"}]}',
            "status is 'fine', expected one of ok",
        ),
        (
            '{"schema": 1, "variants": [{"name": "x", "status": "ok", "peak_rss_mib": "big"}]}',
            "peak_rss_mib is 'big', expected a finite number",
        ),
    ],
)
def test_load_names_the_file_and_the_problem(tmp_path, content, message):
    path = tmp_path / "r.json"
    path.write_text(content)
    with pytest.raises(results_files.ResultsError, match=rf"r\.json.*{re.escape(message)}"):
        results_files.load(path)


def test_newest_valid_lists_what_it_skipped(tmp_path):
    write(tmp_path / "20261121T120000Z.json", make_results(iters=5))
    write(tmp_path / "20261122T120000Z.json", make_results(iters=5))
    (tmp_path / "20261123T120000Z.json").write_text("")
    path, data, skipped = results_files.newest_valid(tmp_path)
    assert path.name == "20261122T120000Z.json" and data["schema"] == 1
    assert len(skipped) == 1 and "20261123T120000Z.json" in skipped[0]


def test_new_results_paths_are_unique_and_sort_in_time_order(tmp_path):
    import datetime as dt

    now = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    first = store.timestamped(tmp_path, now=now)
    assert first.name == "20261123T120000Z.json"
    second = store.timestamped(tmp_path, now=now)
    later = store.timestamped(tmp_path, now=now + dt.timedelta(seconds=1))
    assert store.json_files(tmp_path) == [first, second, later]  # each reserved when chosen
    assert json.loads(first.read_text()) == {"complete": False}


def test_write_atomic_never_leaves_a_partial_file(tmp_path):
    target = tmp_path / "results" / "20261123T120000Z.json"
    with pytest.raises(TypeError):
        store.write_atomic(target, {"schema": 1, "variants": [object()]})
    # Neither the target nor a temporary file, nor the folder the write would have made.
    assert list(tmp_path.iterdir()) == []

    store.write_atomic(target, {"schema": 1, "variants": []})
    with pytest.raises(ValueError):  # NaN is not JSON
        store.write_atomic(target, {"schema": 1, "variants": [], "x": math.nan})
    assert json.loads(target.read_text()) == {"schema": 1, "variants": []}
    assert os.listdir(target.parent) == [target.name]


# --- mprof files ----------------------------------------------------------------------------


def test_mprof_dat_is_parsed(tmp_path):
    dat = tmp_path / "mprofile_20261123120000.dat"
    dat.write_text(
        "CMDLINE mprof run bench.py --size 10\n"
        "MEM 20.000000 1000.0000\nMEM 75.484000 1000.5000\nMEM 30.000000 1001.0000\n"
        "FUNC bench.loop 20.0000 1000.1000 70.0000 1000.9000 1\n"
        "CHLD 12345 5.000000 1000.5000\n"
    )
    run = mprof.parse(dat)
    assert run.command == "mprof run bench.py --size 10"
    assert run.peak_mib == 75.484 and run.duration_s == 1.0 and run.t_s[0] == 0
    assert run.functions[0].name == "bench.loop" and run.functions[0].end_s == pytest.approx(0.9)
    assert run.children["12345"] == ([0.5], [5.0])


@pytest.mark.parametrize(
    "content", ["", "CMDLINE x\n", "MEM abc 1.0\n", "MEM 1.0\n", "hello world\n", "\x00\xff"]
)
def test_malformed_mprof_dat_is_refused(tmp_path, content):
    dat = tmp_path / "mprofile_bad.dat"
    dat.write_bytes(content.encode("latin-1"))
    with pytest.raises(mprof.MalformedDat, match=r"mprofile_bad\.dat"):
        mprof.parse(dat)


# --- pytest-benchmark -----------------------------------------------------------------------


def test_benchmark_ratios_only_where_a_group_holds_ours(tmp_path):
    rows = [
        ("test_loop[weak-backprop]", "loop", 2.0, {}),
        ("test_loop[strong-backprop]", "loop", 3.0, {}),
        ("test_loop[torch-backprop]", "loop", 1.0, {}),
        ("test_sum", "numpy", 1.0, {}),
    ]
    run = pytest_bench.load(write(tmp_path / "b.json", benchmark_json(rows)))
    ratios = {r.name: r.time_vs_ours for r in run.rows}
    assert ratios == {
        "test_loop[torch-backprop]": 0.5,
        "test_loop[weak-backprop]": 1.0,
        "test_loop[strong-backprop]": 1.5,
        "test_sum": None,
    }
    assert run.has_ratio and run.unit == "s"  # the typical median, 1.5 s, reads in seconds

    theirs = benchmark_json([("test_sum", None, 1e-5, {})])
    theirs = pytest_bench.load(write(tmp_path / "c.json", theirs))
    assert not theirs.has_ratio and theirs.unit == "µs"


def test_both_benchmark_tables_read_in_one_unit_the_typical_time_sets(reports, tmp_path):
    # The suite's spread: a scalar op under a microsecond, the loop, a chain's backward.
    numpy, ours = {"time_vs_numpy": 1.0, "numpy_median_us": 60.8}, {"numpy_median_us": 111.7}
    rows = [
        ("test_scalar_forward[numpy]", "scalar", 0.9e-6, {}),
        ("test_loop[numpy]", "loop", 61e-6, numpy),
        ("test_loop[weak-no_grad]", "loop", 115e-6, {**ours, "time_vs_numpy": 1.03}),
        ("test_chain[weak-100000]", "chain", 15e-3, {}),
    ]
    run = pytest_bench.load(write(tmp_path / "b.json", benchmark_json(rows)))
    assert (run.unit, run.scale) == ("µs", 1e-6)
    save(reports, "20261123T120000Z.json", make_results(iters=40))
    html = render_page(reports, benchmark_json=tmp_path / "b.json")
    table = section(html, "pytest-benchmark")
    assert table.count("median (µs)") == 3  # ours and numpy's, then the table of every one
    assert " ns" not in table and "(ns)" not in table
    assert "<td>115.0</td>" in table and "<td>111.7</td>" in table  # both tables, one unit
    assert "<td>15,000</td>" in table and "<td>0.900</td>" in table


def test_an_explicit_benchmark_json_is_used_and_must_be_valid(reports, tmp_path):
    save(reports, "20261123T120000Z.json", make_results(iters=40))
    chosen = write(tmp_path / "bench.json", benchmark_json([("test_chosen", None, 1.0, {})]))
    assert "test_chosen" in render_page(reports, benchmark_json=chosen)
    broken = tmp_path / "broken-bench.json"
    broken.write_text('{"benchmarks": [{"name": "x"}]}')
    with pytest.raises(HarnessError, match=r"broken-bench\.json"):
        render(reports_dir=reports, repo_root=tmp_path, benchmark_json=broken)


def test_the_time_column_says_what_it_holds_with_the_files_own_draw_time(reports):
    data = make_results(iters=40)
    assert variants_section.time_note(data) is None  # a file written before the draw was timed
    for v, draw in zip(data["variants"], (0.0011, 0.0012, 0.0013, 0.5), strict=False):
        v["input_draw_s"] = draw  # the last one's variant was stopped: not counted
    data["variants"][3]["status"] = "error"
    save(reports, "20261123T120000Z.json", data)
    note = section(render_page(reports), "variants")
    assert "makes a fresh input of 100,000 elements" in note
    assert "which alone took <b>1.2 ms</b>" in note
    assert "pytest-benchmark suite" in note and "Time per" in note


# --- history --------------------------------------------------------------------------------


def test_history_gives_percent_changes_and_flags_grown_peaks():
    before = make_results(names=("strong-backprop", "weak-backprop", "numpy"), status={}, iters=40)
    now = scaled(before, 1.11, {"weak-backprop"})
    now = scaled(now, 1.09, {"numpy"})
    now["variants"][0]["seconds_per_iter"] *= 2  # time is never flagged
    rows = {h.name: h for h in history.compare(before, now)}
    weak = {c.figure.name: c for c in rows["weak-backprop"].changes}
    assert weak["peak_rss_mib"].percent == pytest.approx(11, abs=0.01)
    assert rows["weak-backprop"].flagged
    assert not rows["numpy"].flagged and not rows["strong-backprop"].flagged

    # A file from before the loop copied its input drew every one: the time's change is said.
    before["settings"].pop("input", None)
    now["settings"]["input"] = "copy"
    assert history.settings_changed(before, now) == ["input: draw → copy"]

    now["variants"].pop()
    now["variants"].append(make_results(names=("weak-no_grad",), iters=40)["variants"][0])
    presence = {h.name: h.presence for h in history.compare(before, now)}
    assert presence == {
        "strong-backprop": "both",
        "weak-backprop": "both",
        "weak-no_grad": "new",
        "numpy": "gone",
    }


def test_history_lists_a_variant_never_measured_before_as_not_compared(reports):
    # The main job without the peers records them skipped; a later `run --no-peers` leaves them
    # out: nothing regressed, as `compare` says of the same two files.
    before = make_results(names=("strong-backprop", "weak-backprop", "torch-backprop"), iters=40)
    now = make_results(names=("strong-backprop", "weak-backprop"), status={}, iters=40)
    save(reports, "20261122T120000Z.json", before)
    save(reports, "20261123T120000Z.json", now)
    history_html = section(render_page(reports), "history")
    assert 'class="flagged"' not in history_html
    assert "not compared: skipped in OLD: torch is not installed" in history_html
    # One that the previous run measured and this one lost is flagged, with compare's reason.
    lost = make_results(names=("strong-backprop",), status={}, iters=40)
    save(reports, "20261124T120000Z.json", lost)
    history_html = section(render_page(reports), "history")
    flagged = re.findall(r'<tr class="flagged" data-variant="([^"]+)"', history_html)
    assert flagged == ["weak-backprop"]
    assert "weak-backprop is missing from NEW" in history_html


# --- plots ----------------------------------------------------------------------------------


def test_downsample_keeps_short_peaks():
    y = np.zeros(100_000)
    y[54_321] = 500.0
    x, ys = plots.downsample(np.arange(len(y)), y)
    assert len(x) <= plots.MAX_POINTS and ys.max() == 500.0 and np.all(np.diff(x) > 0)


def test_many_gc_events_are_thinned_and_still_drawn():
    results = make_results(names=("strong-backprop",), status={}, iters=40)
    gc = results["variants"][0]["gc"]
    gc["events"] = [{"iter": i % 40, "generation": i % 3} for i in range(5000)]
    assert plots.rss_over_iterations(results).startswith(b"\x89PNG")


def test_each_variant_keeps_one_colour():
    assert palette.colour("strong-backprop") == palette.colour("strong-backprop")
    names = ["numpy", "strong-backprop", "weak-backprop", "strong-no_grad", "torch-backward"]
    assert len({palette.colour(n) for n in names}) == len(names)
    assert palette.colour("some-new-peer") == palette.colour("some-new-peer")
