"""Memory limits of the classic loop (`benchmarks/workloads.py`) at reduced scale, held with
tracemalloc's exact peaks and the GC's own counts: deterministic figures, never RSS or time.

Run `pytest -s tests/test_memory_limits.py` to see the figures.
"""

import gc
import math

import numpy as np
import pytest

from benchmarks.suite.memprobe import MIB, measure_memory
from benchmarks.workloads import variants as V
from benchmarks.workloads.classic import build

SIZE = 20_000
DEPTH = 3
ARRAY_MIB = SIZE * 8 / MIB
# Python objects on top of the arrays: a few KiB. Less than one array, so one leaked array fails.
SLACK_MIB = ARRAY_MIB / 4
STRONG = V.parse("strong-backprop")


def classic_loop(variant, iterations):
    """tracemalloc peak (MiB) and GC collections of `iterations` of the loop, as loop.py runs it."""
    settings, step = build(variant, DEPTH)
    rng = np.random.default_rng(0)

    def loop():
        with settings():
            y = None
            for _ in range(iterations):
                y = step(rng.standard_normal(SIZE))  # the previous y lives until here
            return y

    return measure_memory(loop)


@pytest.mark.parametrize("name", ["numpy", "weak-backprop", "weak-no_grad", "strong-no_grad"])
def test_loop_stays_at_the_live_array_floor(name):
    variant = V.parse(name)
    floor = variant.live_array_floor_mib(SIZE, DEPTH)
    peak = classic_loop(variant, 30)["tracemalloc_peak_mib"]
    print(f"\n{name}: peak {peak:.4f} MiB, live-array floor {floor:.4f} MiB")
    assert floor <= peak <= floor + SLACK_MIB


def test_strong_backprop_without_gc_grows_linearly(gc_off):
    n = 20
    peak_n = classic_loop(STRONG, n)["tracemalloc_peak_mib"]
    peak_2n = classic_loop(STRONG, 2 * n)["tracemalloc_peak_mib"]
    per_iteration = (peak_2n - peak_n) / n
    print(f"\npeaks {peak_n:.2f} -> {peak_2n:.2f} MiB, {per_iteration / ARRAY_MIB:.3f} arrays/iter")
    assert 1.95 <= peak_2n / peak_n <= 2.05
    # Nothing is freed: each iteration leaves x and its depth squares behind.
    assert per_iteration == pytest.approx((DEPTH + 1) * ARRAY_MIB, rel=0.02)


def gen0_counts_after_a_collection(rng, step):
    """gc.get_count()[0] after each iteration that follows a gen0 collection of the loop's own
    garbage, until it passes threshold0: the count the GC triggers on, iteration by iteration.

    It is not a constant per iteration: the collection refills CPython's free list of list
    objects, and lists taken from it are not counted.
    """
    threshold0 = gc.get_threshold()[0]
    y = None
    for _ in range(60):  # garbage for the collection to free
        y = step(rng.standard_normal(SIZE))
    gc.collect(0)
    counts = []
    while not counts or counts[-1] <= threshold0:
        y = step(rng.standard_normal(SIZE))
        counts.append(gc.get_count()[0])
    del y
    return counts


def test_strong_backprop_with_gc_stays_below_the_threshold_bound(gc_off):
    settings, step = build(STRONG, DEPTH)
    with settings():
        counts = gen0_counts_after_a_collection(np.random.default_rng(0), step)
    threshold0, threshold1 = gc.get_threshold()[:2]
    between = len(counts)  # iterations from one gen0 collection to the next
    most_per_iteration = max(np.diff([0, *counts]))
    chain = (DEPTH + 1) * ARRAY_MIB * 1.01  # an iteration's arrays and its ~1% of objects
    gc.enable()
    cycles = 3
    figures = classic_loop(STRONG, cycles * between)
    peak, collections = figures["tracemalloc_peak_mib"], figures["gc_collections"][0]
    weak_peak = classic_loop(V.parse("weak-backprop"), cycles * between)["tracemalloc_peak_mib"]
    print(
        f"\n{between} iterations between gen0 collections (threshold0 {threshold0}); "
        f"{collections} collections; peak {peak:.2f} MiB = {peak / chain:.1f} chains; "
        f"weak graph {weak_peak:.2f} MiB"
    )
    assert cycles - 1 <= collections < threshold1  # no gen1 collection: the bound below holds
    # Up to `between` iterations of garbage, the live y and the chain being built; and each
    # collection moves those two live chains to gen1, where they die waiting for a gen1 collection.
    assert peak <= (between + 2 + 2 * collections) * chain + SLACK_MIB
    # No collection can come before threshold0 counts: that much garbage piles up first.
    assert peak >= math.floor(threshold0 / most_per_iteration) * (DEPTH + 1) * ARRAY_MIB
    assert peak > 10 * weak_peak
