"""`benchmarks.memprobe.measure_memory`: what the benchmarks put beside time in extra_info."""

import gc
import tracemalloc

import numpy as np
import pytest

from benchmarks.suite.memprobe import MIB, measure_memory


def test_peak_counts_the_target_not_its_setup():
    def setup():
        return (np.ones(2 * MIB // 8),), {}  # 2 MiB made outside the traced region

    def target(big):
        doubled = big * 2  # 2 MiB
        return doubled[: MIB // 8].copy()  # 1 MiB more while `doubled` is alive: peak 3 MiB

    figures = measure_memory(target, setup)
    assert figures["tracemalloc_peak_mib"] == pytest.approx(3, abs=0.01)
    assert figures["gc_collections"] == [0, 0, 0]


def test_counts_the_collections_and_objects_the_target_causes():
    def make_cycles_and_collect():
        for _ in range(5):
            a = []
            a.append(a)
        del a
        gc.collect(1)

    figures = measure_memory(make_cycles_and_collect)
    assert figures["gc_collections"] == [0, 1, 0]
    assert figures["gc_collected"] == 5


@pytest.mark.parametrize("was_tracing", [False, True])
def test_leaves_tracemalloc_and_gc_callbacks_as_it_found_them(was_tracing):
    callbacks = list(gc.callbacks)
    if was_tracing:
        tracemalloc.start()
    try:
        measure_memory(lambda: np.ones(1000))
        assert tracemalloc.is_tracing() == was_tracing
        assert gc.callbacks == callbacks
    finally:
        tracemalloc.stop()


def test_teardown_gets_the_setup_arguments_and_runs_after_the_target():
    calls = []
    measure_memory(
        lambda x, y=None: calls.append(("target", x, y)),
        setup=lambda: ((1,), {"y": 2}),
        teardown=lambda x, y=None: calls.append(("teardown", x, y)),
    )
    # A warm-up round, then the measured one: each target call followed by its teardown.
    assert calls == [("target", 1, 2), ("teardown", 1, 2)] * 2
