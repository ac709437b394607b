"""What `pytest --benchmark-only` prints (benchmarks/suite/terminal.py): pytest-benchmark's timing
tables and each group's memory table within a 100-column terminal, and one line per reason for
what it leaves out, never a line or a mark per test."""

import os
import re
import subprocess
import sys

import pytest

from benchmarks import engines as E
from benchmarks.files import folders
from benchmarks.suite import terminal
from benchmarks.workloads import variants as V

OURS_AND_NUMPY = ["numpy", "strong-backprop", "weak-backprop", "strong-no_grad", "weak-no_grad"]


@pytest.fixture(scope="module")
def printed():
    """`pytest --benchmark-only` in a 100-column terminal on one small group, beside a file of
    tests that are not benchmarks, with the peers left out: its exit status and lines."""
    cmd = [
        sys.executable, "-m", "pytest", "--benchmark-only", "-p", "no:cacheprovider",
        # A few rounds are enough: the figures are not the point here.
        "--benchmark-max-time=0.001", "--benchmark-min-rounds=3", "--benchmark-warmup=off",
        "tests/test_memprobe.py", "benchmarks/suite/bench_chains.py::test_scalar_forward",
    ]  # fmt: skip
    env = {**os.environ, "COLUMNS": "100", V.NO_PEERS_ENV: "1", "NO_COLOR": "1"}
    done = subprocess.run(
        cmd, cwd=folders.PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    return done.returncode, (done.stdout + done.stderr).splitlines()


def test_every_line_fits_in_100_columns(printed):
    code, lines = printed
    assert code == 0, "\n".join(lines)
    assert [line for line in lines if len(line) > 100] == []
    # pytest-benchmark's header and legend are wrapped, not cut: their last words are there.
    text = " ".join(" ".join(lines).split())
    assert "warmup_iterations=100000)" in text and "3rd Quartile." in text


def test_the_timing_table_names_each_variant_and_the_memory_table_follows(printed):
    _, lines = printed
    title = next(i for i, line in enumerate(lines) if "benchmark 'scalar-forward'" in line)
    assert lines[title + 1].split()[-4:] == ["Min", "Median", "IQR", "Rounds"]
    assert sorted(line.split()[0] for line in lines[title + 3 : title + 8]) == sorted(
        OURS_AND_NUMPY
    )
    memory = next(i for i, line in enumerate(lines) if "memory 'scalar-forward'" in line)
    assert memory > title + 8
    assert lines[memory + 1].split() == ["Name", "Median", "tracemalloc", "peak", "Collections"]
    rows = lines[memory + 3 : memory + 8]
    # In the timing table's order (by Min), each with its median, the traced peak of one call
    # and the collections it saw per generation.
    assert [row.split()[0] for row in rows] == [
        line.split()[0] for line in lines[title + 3 : title + 8]
    ]
    for row in rows:
        assert re.fullmatch(r"\S+ +[\d.]+ (ns|µs|ms) +[\d.]+ KiB +0/0/0", row), row
    assert lines[memory + 8] == "-" * len(lines[memory + 1])
    assert lines[memory + 9].startswith("Memory: of one traced call")


def test_what_is_not_run_is_deselected_quietly_and_said_once_per_reason(printed):
    _, lines = printed
    text = "\n".join(lines)
    assert "Skipping" not in text and "SKIPPED" not in text and "test_memprobe" not in text
    # 5 tests that are not benchmarks, the book's 2 variants and the peers' 7.
    assert "collected 19 items / 14 deselected / 5 selected" in lines
    (progress,) = [line for line in lines if line.startswith("benchmarks/")]
    assert re.fullmatch(r"benchmarks/suite/bench_chains\.py \.{5} +\[100%\]", progress)
    said = " ".join(line.strip() for line in lines if line.startswith(("left out: ", "  ")))
    assert (
        "left out: book-strong-backprop, book-weak-backprop: the book's engine is a memory "
        "reference, not timed"
    ) in said
    assert (
        "left out: dezero-backprop, dezero-no_grad, micrograd-backprop, mygrad-backprop, "
        "mygrad-no_grad, torch-backprop, torch-no_grad: peers left out (--no-peers)"
    ) in said


def test_engines_that_are_not_installed_share_one_line(monkeypatch):
    def missing(engine):
        return f"{engine.package} is not installed" if engine.role == "peer" else None

    monkeypatch.setattr(E.Engine, "missing", missing)
    monkeypatch.delenv(V.NO_PEERS_ENV, raising=False)
    left_out = [v for v in V.suite("scalar") if v.left_out()]
    assert terminal.left_out_lines(left_out) == [
        "not installed: autograd, dezero, micrograd, mygrad, torch: pip install -e '.[peers]'",
        "left out: book-strong-backprop, book-weak-backprop: the book's engine is a memory "
        "reference, not timed",
    ]


def test_names_shorten_to_the_parameters_only_where_they_stay_apart():
    group = [{"name": "test_a[x]", "param": "x"}, {"name": "test_b[y]", "param": "y"}]
    terminal.shorten_names(group)
    assert [b["name"] for b in group] == ["x", "y"]
    # One parameter id for two functions (`--benchmark-group-by=param`): the names stay whole.
    same = [{"name": "test_a[x]", "param": "x"}, {"name": "test_b[x]", "param": "x"}]
    terminal.shorten_names(same)
    assert [b["name"] for b in same] == ["test_a[x]", "test_b[x]"]


def test_a_long_line_wraps_at_spaces_with_its_indent():
    line = "  Outliers: " + "word " * 30
    parts = terminal.fit(line, 40)
    assert all(len(p) <= 40 for p in parts) and " ".join(parts).split() == line.split()
    assert parts[0].startswith("  Outliers:") and all(p.startswith("    ") for p in parts[1:])
    assert terminal.fit("short", 40) == ["short"]
