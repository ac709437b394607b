"""The report's sections (benchmarks/report/sections/): one module and one template each, in one
ordered list; the first screen's why, written from the figures; and what the page says once of
the engines it could not measure. On synthetic results (tests/report_samples.py)."""

import re
from html import unescape
from pathlib import Path

import pytest
from report_samples import (
    inputs,
    make_results,
    ratio_record,
    ratios_json,
    section_page,
    with_user_engine,
    write,
)

from benchmarks.report import bars, because, plots, render, sections
from benchmarks.report.section import Section
from benchmarks.report.sections import first_screen, variants
from benchmarks.workloads import variants as V

TEMPLATES = Path(sections.__file__).resolve().parents[2] / "templates" / "sections"
MISSING = ("torch-backprop", "dezero-backprop")  # peers whose package is not installed
HINT = "pip install -e '.[peers]'"


@pytest.fixture(autouse=True)
def coarse_plots(monkeypatch):
    monkeypatch.setattr(plots, "DPI", 20)  # these tests read the page, not the pictures


@pytest.fixture
def reports(tmp_path):
    return tmp_path / "reports"


def text(html):
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def test_every_section_is_one_module_one_template_and_one_object(reports):
    given = inputs(reports, make_results(("numpy",), iters=5))  # one variant: few plots
    built = [module.build(given) for module in sections.ORDER]
    assert all(isinstance(s, Section) for s in built)
    assert len({s.id for s in built}) == len(built)
    for s in built:
        assert (TEMPLATES / f"{s.id}.html.j2").is_file(), s.id
        assert s.summary.strip() and "\n" not in s.summary, s.id  # one line, said closed
        assert all(v is None or isinstance(v, bytes) for v in s.files.values()), s.id
    html = render(results=given.path, reports_dir=reports, repo_root=reports.parent)
    html = html.read_text(encoding="utf-8")
    assert re.findall(r'<section (?:class="headline" )?id="([^"]+)"', html) == [s.id for s in built]
    folded = re.findall(r'<section id="([^"]+)" class="fold">\s*<details>\s*<summary>', html)
    assert folded == [s.id for s in built if s.folds]


def test_the_first_screen_says_why_from_the_files_figures():
    data = make_results(V.HEADLINE, status={}, iters=300, explained=True)
    strong = data["variants"][0]
    census = strong["explain"]["census"]
    said = " ".join(because.sentences(data))
    assert (
        f"{census['garbage_objects_per_iter']:.0f} objects (6 list, 4 Variable, 3 Square)" in said
    )
    assert f"holding {census['arrays_per_iter']:.0f} arrays (3.05 MiB)" in said
    assert "counts objects, not bytes" in said and "threshold0 (700), here 13 an iteration" in said
    ran = sum(strong["gc"]["collections"])
    assert f"It ran {ran} times in 300 iterations, about every {300 / ran:.0f} iterations" in said
    assert f"a tracemalloc peak of {strong['tracemalloc_peak_mib']:.2f} MiB" in said
    assert "weak-backprop records the same graph with weak references and leaves no cycle" in said

    for v in data["variants"]:
        v["gc"]["enabled"] = False
    assert "With the collector disabled in this run, nothing frees them" in " ".join(
        because.sentences(data)
    )
    plain = make_results(V.HEADLINE, status={}, iters=300)  # schema 1: no census
    said = " ".join(because.sentences(plain))
    assert "reference cycles" not in said and "It ran" in said  # only what the file holds


def test_a_page_without_the_peers_names_them_once_and_has_no_skipped_rows(reports):
    names = ("numpy", *V.HEADLINE, *MISSING)
    data = make_results(names, status=dict.fromkeys(MISSING, "skipped"), iters=40)
    gone = "autograd is not installed (pip install -e '.[peers]')"
    ratios = ratios_json(ratio_record("fast", 0.8), ratio_record("gone", None, reason=gone))
    write(reports / "ratios" / "20261123T120000Z.json", ratios)
    write(reports / "results" / "20261123T120000Z.json", data)
    html = render(reports_dir=reports, repo_root=reports.parent).read_text(encoding="utf-8")
    lines = re.findall(r'<li class="not-installed">(.*?)</li>', html)
    assert [unescape(line) for line in lines] == [f"not installed: torch, dezero: {HINT}"]
    assert not [row for row in re.findall(r"<tr.*?</tr>", html, re.S) if "skipped" in row]
    assert "badge skipped" not in html and "no ratio" not in html
    for name in MISSING:
        assert f'data-variant="{name}"' not in html
    assert [v["name"] for v in bars.shown(data)] == ["numpy", *V.HEADLINE]  # the bar chart's


def test_the_first_screen_names_a_users_engine_and_its_file(reports):
    data = with_user_engine(
        make_results(("numpy", *V.HEADLINE), iters=40), failed={"broken.py": "no NAME"}
    )
    shown = text(section_page(reports, data, first_screen, variants))
    assert "your engine mine, from my_engine.py: mine-backprop" in shown
    assert "your engine broken.py did not load: no NAME" in shown
    assert "cannot run this loop: micrograd (" in shown  # a built-in engine, said once
