"""The figures README.md and docs/ quote come from the reference run in docs/reference/
(benchmarks/report/reference.py): every one is keyed, and every keyed one matches the files."""

from pathlib import Path

import pytest

from benchmarks import __main__ as cli
from benchmarks import figures as F
from benchmarks import workloads as W
from benchmarks.errors import HarnessError
from benchmarks.measure import reference_run
from benchmarks.measure.settings import WORKLOAD
from benchmarks.report import reference

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "docs" / "reference"


@pytest.fixture(scope="module")
def files():
    return reference.load(FOLDER)


def test_every_figure_the_readme_and_docs_quote_is_the_reference_runs(files):
    # `python -m benchmarks docs` rewrites them; this fails when someone edits a figure by hand,
    # quotes one without its key, or takes a new reference run without rewriting the text.
    assert reference.stale(ROOT, files) == []


def test_the_reference_run_is_the_main_jobs_default_matrix(files):
    classic, deep = files[reference.CLASSIC], files[reference.DEEP]
    assert (W.of(classic), W.of(deep)) == ("classic", "deep-chain")
    assert classic["settings"]["iters"] == WORKLOAD.iters
    assert classic["settings"]["size"] == WORKLOAD.size
    assert {v["status"] for v in classic["variants"]} == {"ok"}  # the peers installed
    assert set(files[reference.TIMES]) == {"job", "job-no-peers", "tests"}


def test_a_figure_changed_by_hand_is_found_and_rewritten():
    figures = {"classic.x.traced": "1.00 MiB"}
    text = "peak <!--f:classic.x.traced-->9.99 MiB<!--/f--> here"
    assert (
        reference.refresh(text, figures, {})
        == "peak <!--f:classic.x.traced-->1.00 MiB<!--/f--> here"
    )
    with pytest.raises(reference.UnknownKey, match=r"'classic\.y\.traced'"):
        reference.refresh("<!--f:classic.y.traced-->?<!--/f-->", figures, {})


def test_a_table_is_rewritten_whole():
    text = "a\n<!--table:t-->\n| old |\n<!--/table-->\nb"
    assert (
        reference.refresh(text, {}, {"t": "| new |\n"})
        == "a\n<!--table:t-->\n| new |\n<!--/table-->\nb"
    )


@pytest.mark.parametrize(
    "text, bare",
    [
        ("it holds 200.75 MiB", ["200.75 MiB"]),
        ("took 5.72x and 3 s", ["5.72x", "3 s"]),
        ("keyed <!--f:k-->200.75 MiB<!--/f--> and `1.5 MiB` in code", []),
        ("```\n$ run\n12.0 MiB\n```", []),
        ("x ** 2 on 100,000 elements, Python 3.11, x 3", []),
    ],
)
def test_only_keyed_figures_and_code_may_carry_a_unit(text, bare):
    assert reference.unkeyed(text) == bare


def test_the_main_jobs_time_line_is_read_as_it_is_printed():
    clock = cli._Clock()
    for name in ("run", "deep chain", "report"):
        with clock.step(name):
            pass
    times = reference_run.job_times("progress...\n" + clock.summary() + "\n")
    assert list(times["steps"]) == ["run", "deep chain", "report"]
    assert times["wall_s"] >= 0 and all(s >= 0 for s in times["steps"].values())
    with pytest.raises(HarnessError, match="no `time:` line"):
        reference_run.job_times("report: reports/index.html\n")


def test_the_readme_shows_the_report_first_screens_picture():
    from benchmarks.report.sections import first_screen

    assert reference_run.PICTURE == first_screen.PICTURE
    assert f"(docs/reference/{reference_run.PICTURE})" in (ROOT / "README.md").read_text()
    assert (FOLDER / reference_run.PICTURE).read_bytes().startswith(b"\x89PNG")


def test_a_ratio_is_quoted_with_its_rounds_spread_and_the_time_ours_adds(files):
    facts = reference.facts(files)
    for record in files[reference.RATIOS]["comparisons"]:
        if record.get("ratio") is None:
            continue
        key = f"ratio.{record['name']}"
        low, high = facts[f"{key}.rounds"].split(" to ")
        assert float(low.rstrip("x")) <= float(facts[key].rstrip("x")) <= float(high.rstrip("x"))
        added = record["ours_best_s"] - record["reference_best_s"]
        assert facts[f"{key}.added"] == F.text(F.PER_ITER, added)


def test_the_suites_file_keeps_its_statistics_not_every_round():
    stored = reference_run._without_rounds(
        {"benchmarks": [{"stats": {"median": 1e-6, "rounds": 3, "data": [1e-6, 2e-6, 1e-6]}}]}
    )
    assert stored == {"benchmarks": [{"stats": {"median": 1e-6, "rounds": 3}}]}
