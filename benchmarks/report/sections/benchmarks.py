"""pytest-benchmark: the newest benchmark file's timings, with each benchmark's memory figures
from its extra_info (report/pytest_bench.py)."""

from ..section import Section


def build(inputs):
    bench = inputs.bench
    if bench is None:
        summary = "No pytest-benchmark results: the speed step writes them."
    else:
        groups = {r.group for r in bench.rows}
        summary = (
            f"{len(bench.rows)} benchmarks in {len(groups)} group{'s' if len(groups) > 1 else ''},"
            f" from {bench.path.name}"
            + (f"; {len(bench.vs_numpy)} timed against plain numpy." if bench.vs_numpy else ".")
        )
    return Section("pytest-benchmark", "pytest-benchmark", summary, {"bench": bench})
