"""The matrix's tracemalloc peaks, pinned: a change to the core or to the child's loop that moves
a figure the main job publishes fails here, whatever it did for speed.

Each variant runs in its own child process at the matrix's default settings (1,000 iterations
of 100,000 elements), exactly as `python -m benchmarks run` traces it. tracemalloc's peak is
deterministic, so the figures are compared as the report prints them (MiB, two decimals).

Pinned on CPython 3.11 with numpy 2: other interpreters' collectors move the strong graph's
peaks (docs/measurement.md, "Interpreters"). The strong graph's peak also moves when an
op makes more or fewer short-lived containers, although the graph keeps the same objects
(docs/measurement.md, "Where in an op the collector runs"): a new figure here is a change to
explain in docs/measurement.md, never just to re-pin.
"""

import json
import subprocess
import sys

import numpy as np
import pytest

from benchmarks.measure import runner
from benchmarks.measure.settings import Settings
from benchmarks.workloads import variants as V

PINNED_MIB = {
    "numpy": 3.05,
    "strong-backprop": 200.75,
    "strong-backward": 266.38,
    "strong-backward-free": 5.35,
    "strong-no_grad": 3.05,
    "weak-backprop": 6.11,
    "weak-backward": 8.40,
    "weak-backward-free": 4.59,
    "weak-no_grad": 3.05,
    "book-strong-backprop": 290.83,
    "book-weak-backprop": 6.11,
}

pytestmark = pytest.mark.skipif(
    sys.version_info[:2] != (3, 11) or int(np.__version__.split(".")[0]) != 2,
    reason="the pinned peaks are CPython 3.11's with numpy 2",
)


def test_the_pins_cover_the_default_matrix_of_our_engine_numpy_and_the_book():
    assert {v.name for v in V.DEFAULT_MATRIX} == set(PINNED_MIB)


@pytest.mark.parametrize("name", PINNED_MIB)
def test_the_traced_peak_of_the_matrix_is_unchanged(name, tmp_path):
    report = tmp_path / "report.json"
    cmd = runner.loop_command(V.parse(name), Settings(), traced=True)
    subprocess.run([*cmd, "--report-file", str(report)], check=True, stdout=subprocess.DEVNULL)
    peak = json.loads(report.read_text())["tracemalloc_peak_mib"]
    assert round(peak, 2) == PINNED_MIB[name], f"{name}: {peak:.4f} MiB"
