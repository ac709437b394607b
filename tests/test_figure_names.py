"""Figures cross once: the figure table (benchmarks/figures.py) is the one place a figure's key
is spelled. The runner copies each pass's figures by the table, the child reports them under
the table's names, and a new figure is one row there."""

import ast
from pathlib import Path

import pytest

from benchmarks import figures as F

ROOT = Path(__file__).resolve().parents[1] / "benchmarks"
# Everything that measures, stores, gates and schedules; the report is checked on its own.
SCANNED = ("measure", "sweep", "gates", "suite", "files", "workloads", "engines", "loop.py",
           "__main__.py", "errors.py")  # fmt: skip
KEYS = {f.name for f in F.FIGURES}


def modules():
    for name in SCANNED:
        path = ROOT / name
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def spelled_keys(source):
    """(line, key) for every figure key spelled in `source`: as a string (report["seconds"],
    {"seconds": ...}) or as a keyword (record.update(seconds=...), dict(seconds=...))."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and node.value in KEYS:
            yield node.lineno, node.value
        elif isinstance(node, ast.keyword) and node.arg in KEYS:
            yield node.value.lineno, node.arg


@pytest.mark.parametrize("path", list(modules()), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_spells_a_figures_key(path):
    found = [f"line {line}: {key!r}" for line, key in spelled_keys(path.read_text())]
    assert not found, f"use the figure table's constants (F.TRACED_PEAK.name...): {found}"


def test_the_scan_finds_each_way_of_spelling_a_key():
    source = (
        'r["tracemalloc_peak_mib"]\n'
        "record.update(seconds=1)\n"
        '{"native_peak_mib": None}\n'
        "f\"{report['kernel_peak_rss_mib']}\"\n"
        "F.TRACED_PEAK.name\n"
    )
    assert sorted(spelled_keys(source)) == [
        (1, "tracemalloc_peak_mib"),
        (2, "seconds"),
        (3, "native_peak_mib"),
        (4, "kernel_peak_rss_mib"),
    ]


def test_every_pass_reports_its_figures_under_the_tables_names():
    # The passes the runner takes, and what each child's report is read for.
    from benchmarks.measure import runner

    assert set(F.PASSES) == {*runner.PASSES, runner.EXPLAIN}
    for name in runner.PASSES:
        assert {f.name for f in F.of_pass(name)} <= set(runner.ADDS[name])
