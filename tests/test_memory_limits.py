"""Memory limits of the classic loop (`benchmarks/workloads.py`) at reduced scale, held with
tracemalloc's exact peaks and the GC's own counts: deterministic figures, never RSS or time.

Run `pytest -s tests/test_memory_limits.py` to see the figures.
"""

import gc
import math

import numpy as np
import pytest

from benchmarks.suite.memprobe import MIB, loop_memory
from benchmarks.workloads import variants as V
from benchmarks.workloads.classic import build

SIZE = 20_000
DEPTH = 3
ARRAY_MIB = SIZE * 8 / MIB
# Python objects on top of the arrays: a few KiB. Less than one array, so one leaked array fails.
SLACK_MIB = ARRAY_MIB / 4
STRONG = V.parse("strong-backprop")


def classic_loop(variant, iterations, retain_grad=False, size=SIZE):
    """tracemalloc peak (MiB) and GC collections of `iterations` of the loop, as loop.py runs it."""
    return loop_memory(*build(variant, DEPTH, retain_grad), iterations, size)


@pytest.mark.parametrize("name", ["numpy", "weak-backprop", "weak-no_grad", "strong-no_grad"])
def test_loop_stays_at_the_live_array_floor(name):
    variant = V.parse(name)
    floor = variant.live_array_floor_mib(SIZE, DEPTH, 30)
    peak = classic_loop(variant, 30)["tracemalloc_peak_mib"]
    print(f"\n{name}: peak {peak:.4f} MiB, live-array floor {floor:.4f} MiB")
    assert floor <= peak <= floor + SLACK_MIB


# numpy and our graphs in every mode
OURS = [v for v in V.DEFAULT_MATRIX if v.engine.role != "design"]
# numpy reuses a temporary in place (`2 * x * gy` in a backward) only from 256 KiB up: below
# that a gradient pass holds one array more than the floor, which counts the least it can hold.
ELIDED = 40_000  # 312.5 KiB per array


def floor_and_peak(name, iters, retain_grad=False, size=SIZE):
    """(floor, traced peak) of `iters` iterations, in arrays of `size` elements."""
    variant = V.parse(name)
    floor = variant.live_array_floor_mib(size, DEPTH, iters, retain_grad)
    peak = classic_loop(variant, iters, retain_grad, size)["tracemalloc_peak_mib"]
    array_mib = size * 8 / MIB
    return floor / array_mib, peak / array_mib


@pytest.mark.parametrize("iters", [1, 2])
@pytest.mark.parametrize(
    ("name", "retain_grad"),
    [(v.name, False) for v in OURS] + [("weak-backward", True), ("strong-backward", True)],
)
def test_the_floor_is_what_the_loop_holds_for_its_iterations(gc_off, name, retain_grad, iters):
    # With one iteration there is no previous y: the floor must not count one. Without the
    # collector the strong graph holds what the weak one holds, so floor and peak agree for both.
    floor, peak = floor_and_peak(name, iters, retain_grad, ELIDED)
    assert floor <= peak <= floor + 0.25, (floor, peak)  # a quarter array: Python's objects
    floor, peak = floor_and_peak(name, iters, retain_grad)
    unelided = 1 if V.parse(name).mode == "backward" else 0
    assert floor <= peak <= floor + unelided + 0.25, (floor, peak)


@pytest.mark.parametrize("iters", [1, 2, 5])
def test_the_floor_of_hips_autograd_is_what_its_loop_holds(iters):
    pytest.importorskip("autograd")
    floor, peak = floor_and_peak("autograd-backward", iters, size=ELIDED)
    assert floor <= peak <= floor + 0.25, (floor, peak)


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
