"""Every figure a variant record carries, defined once: its name in the results file, its title
and unit, how many digits it is shown with, whether the gate fails on its growth, whether it is
exact from run to run, and which pass of the measurement produces it. The runner, the gate, the
report and the progress lines all read this table; no other module spells a figure's key.
"""

import math
from dataclasses import dataclass

DEFAULT_MAX_GROWTH_PCT = 10.0  # the gate's default, and the report's flag: one threshold


# The processes that measure a variant (benchmarks/measure/runner.py), each a fresh child, and
# where else a figure can come from: the runner itself, from what it saw of the child (its RSS
# samples) or knows before measuring (the live-array floor).
PASSES = ("untraced", "traced", "explain", "native")
RUNNER = "runner"


@dataclass(frozen=True)
class Figure:
    """One figure of a variant record: a number, or null when the pass did not produce it."""

    name: str  # the field in the results file, and in the child's report of its pass
    title: str  # column title in tables
    unit: str  # "MiB" or "s"
    digits: int  # decimals shown for MiB figures
    gated: bool  # `compare` fails when it grows past the threshold; the report flags the same
    deterministic: bool  # identical from run to run (tracemalloc, arithmetic), not sampled
    source: str  # the pass that produces it (PASSES), or RUNNER
    compared: bool = True  # shown old -> new by `compare` and the report's history
    repeated: bool = True  # a median over `--repeat` runs, with min and max kept
    column: bool = True  # a column of the report's variant table
    signed: bool = False  # can come out below zero: a difference of two measurements
    doc: str = ""


PEAK_RSS = Figure(
    "peak_rss_mib",
    "peak RSS",
    "MiB",
    1,
    gated=False,
    deterministic=False,
    source=RUNNER,
    doc="highest RSS sampled from outside the child; can miss a peak shorter than a sample",
)
INCREMENT = Figure(
    "peak_increment_mib",
    "increment",
    "MiB",
    1,
    gated=False,
    deterministic=False,
    source=RUNNER,
    signed=True,
    doc="peak RSS minus the RSS after imports",
)
KERNEL_PEAK = Figure(
    "kernel_peak_rss_mib",
    "kernel peak",
    "MiB",
    1,
    gated=True,
    deterministic=False,
    source="untraced",
    doc="the kernel's high-water mark of the child's RSS",
)
TRACED_PEAK = Figure(
    "tracemalloc_peak_mib",
    "tracemalloc peak",
    "MiB",
    2,
    gated=True,
    deterministic=True,
    source="traced",
    doc="every byte the loop allocated at once, from a separate traced pass",
)
NATIVE_PEAK = Figure(
    "native_peak_mib",
    "native peak",
    "MiB",
    2,
    gated=False,
    deterministic=True,
    source="native",
    doc="every byte any allocator (C++ too) held at once during the loop, seen by memray",
)
FLOOR = Figure(
    "live_array_floor_mib",
    "live-array floor",
    "MiB",
    2,
    gated=False,
    deterministic=True,
    source=RUNNER,
    compared=False,
    repeated=False,
    doc="the arrays the loop must hold at once",
)
PER_ITER = Figure(
    "seconds_per_iter",
    "time / iteration",
    "s",
    0,
    gated=False,
    deterministic=False,
    source="untraced",
    doc="wall time of the untraced loop over its iterations",
)
SECONDS = Figure(
    "seconds",
    "time",
    "s",
    0,
    gated=False,
    deterministic=False,
    source="untraced",
    compared=False,
    column=False,
    doc="wall time of the untraced loop",
)
INPUT_DRAW = Figure(
    "input_draw_s",
    "fresh input",
    "s",
    0,
    gated=False,
    deterministic=False,
    source="untraced",
    compared=False,
    column=False,
    doc="the least time making one fresh input (a copy of one drawn array) took, timed after"
    " the loop",
)
MODEL_PEAK = Figure(
    "model_peak_mib",
    "GC model's peak",
    "MiB",
    2,
    gated=False,
    deterministic=True,
    source="explain",
    compared=False,
    repeated=False,
    column=False,
    doc="the tracemalloc peak the GC model predicts from the cycle census alone",
)
BASELINE = Figure(
    "baseline_rss_mib",
    "RSS after imports",
    "MiB",
    1,
    gated=False,
    deterministic=False,
    source="untraced",
    compared=False,
    column=False,
    doc="the child's RSS before the loop starts",
)
FIGURES = (
    PEAK_RSS, INCREMENT, KERNEL_PEAK, TRACED_PEAK, NATIVE_PEAK, FLOOR, PER_ITER, SECONDS,
    INPUT_DRAW, MODEL_PEAK, BASELINE,
)  # fmt: skip

FIGURE = {f.name: f for f in FIGURES}


def of_pass(name):
    """The figures the pass `name` produces: what its child reports, under these names."""
    return tuple(f for f in FIGURES if f.source == name)


def text(figure, value):
    """`value` of `figure` for a line of text: 233.8 MiB, 199.22 MiB, 2.13 ms; n/a for null."""
    if value is None:
        return "n/a"
    if figure.unit == "s":
        for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")):
            if abs(value) >= scale:
                return f"{value / scale:.3g} {unit}"
        return f"{value / 1e-9:.3g} ns"
    return f"{value:.{figure.digits}f} {figure.unit}"


def growth_pct(old, new):
    """Percent change from old to new; None when either is missing, inf when growing from 0."""
    if old is None or new is None:
        return None
    if old == 0:
        return 0.0 if new == 0 else math.inf
    return (new - old) / old * 100


def grew_more_than(change_pct, max_growth_pct):
    # Exactly at the threshold is allowed; isclose absorbs float noise such as 10.000000000000009.
    return (
        change_pct is not None
        and change_pct > max_growth_pct
        and not math.isclose(change_pct, max_growth_pct, rel_tol=1e-9, abs_tol=1e-9)
    )


def regressed(figure, old, new, max_growth_pct=DEFAULT_MAX_GROWTH_PCT):
    """Whether `figure` (a Figure) going from `old` to `new` fails the gate and raises the flag."""
    return figure.gated and grew_more_than(growth_pct(old, new), max_growth_pct)
