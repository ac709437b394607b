"""What the report shows of the native pass, on synthetic results (tests/report_samples.py): the
native peak beside tracemalloc's, the figure to read for an engine tracemalloc does not see,
why a native peak is missing (said once), and the flame graph of each peak linked from "Why the
peak"."""

import re
import xml.etree.ElementTree as ET
from html import unescape

import pytest
from report_samples import XSS, make_results, section_page, with_native, write

from benchmarks import figures as F
from benchmarks.report import plots, render
from benchmarks.report.sections import variants, why
from benchmarks.workloads import variants as V

STRONG = V.HEADLINE[0]
TORCH = "torch-backprop"  # an engine tracemalloc does not see
FLAME = f"flamegraph_{STRONG}.svg"


NAMES = ("numpy", V.HEADLINE[0], V.HEADLINE[1], "torch-backprop")


@pytest.fixture(autouse=True)
def coarse_plots(monkeypatch):
    # These tests read the page and the SVG files: plots at a tenth of the pixels serve.
    monkeypatch.setattr(plots, "DPI", 20)


@pytest.fixture
def reports(tmp_path):
    return tmp_path / "reports"


def page(reports, data):
    write(reports / "results" / "20261123T120000Z.json", data)
    return render(reports_dir=reports, repo_root=reports.parent).read_text(encoding="utf-8")


def section(html, name):
    start = html.index(f'<section id="{name}"')
    return html[start : html.index("</section>", start)]


def measured(**kw):
    """Four variants, torch's among them, completed: 40 iterations, with the explanation."""
    return make_results(NAMES, status={}, iters=40, explained=True, **kw)


def test_the_native_peak_stands_beside_tracemallocs_and_is_the_figure_to_read_for_torch(reports):
    data = with_native(measured())
    table = section(section_page(reports, data, variants), "variants")
    head = table[: table.index("</thead>")]
    assert head.index(F.TRACED_PEAK.title) < head.index(F.NATIVE_PEAK.title)
    torch = re.search(rf'<tr data-variant="{TORCH}".*?</tr>', table, re.S).group(0)
    peak = next(v for v in data["variants"] if v["name"] == TORCH)[F.NATIVE_PEAK.name]
    assert f"{peak:.2f}" in torch and "not its memory" in torch  # under its traced figure
    note = re.search(r'id="native-note".*?</ul>', table, re.S).group(0)
    assert f"Read its {F.NATIVE_PEAK.title} instead: {TORCH} {peak:.2f} MiB" in note
    assert "no native pass" not in table and "compare it by its" not in note


def test_without_native_figures_torch_is_read_by_its_increment_and_the_page_says_why(reports):
    table = section(section_page(reports, measured(), variants), "variants")  # before the pass
    note = unescape(re.search(r'id="native-note".*?</ul>', table, re.S).group(0))
    assert "tracemalloc sees only Python's allocators" in note and "compare it by its" in note
    assert note.count("no native pass in this file") == 1
    reason = "memray is not installed (pip install -e '.[native]')"
    data = with_native(measured(), why=reason)
    table = section(section_page(reports, data, variants), "variants")
    assert f"the native pass did not run ({reason})" in unescape(table)


def test_the_flame_graph_of_each_peak_is_written_and_linked_from_why_the_peak(reports):
    pair = make_results(V.HEADLINE, status={}, iters=40, explained=True)
    shown = section(page(reports, with_native(pair)), "why")
    row = re.search(rf'<tr class="group-start" data-variant="{STRONG}">.*?</tr>', shown, re.S)
    assert f'<a class="flame" href="{FLAME}">' in row.group(0)  # beside its attribution lines
    drawn = (reports / FLAME).read_text(encoding="utf-8")
    texts = [t.text or "" for t in ET.fromstring(drawn).iter("{http://www.w3.org/2000/svg}text")]
    assert any(t.startswith("Square.forward (autograd_core/_ops.py:23)") for t in texts)
    assert XSS not in drawn and "&lt;script&gt;" in drawn
    assert len(list(reports.glob("flamegraph_*.svg"))) == 1  # only the variant with stacks
    # The page stays self-contained: beyond data: URIs, it links only the files beside it.
    html = (reports / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'(?:src|href|srcset)\s*=\s*"([^"]*)"', html)
    beside = [link for link in links if not link.startswith(("data:", "#"))]
    assert beside == [FLAME] and (reports / FLAME).is_file()
    page(reports, pair)  # a later run without the native pass: the old graph would mislead
    assert not (reports / FLAME).exists()


def test_a_summary_the_flame_graph_cannot_read_is_said_and_the_page_renders(reports):
    data = with_native(measured())
    strong = next(v for v in data["variants"] if v["name"] == STRONG)
    strong["native"]["peak_stacks"] = {"frames": "none", "stacks": []}
    shown = section(section_page(reports, data, why), "why")
    assert f"{STRONG}: no flame graph (a peak stack summary needs" in shown
    assert 'class="flame"' not in shown
