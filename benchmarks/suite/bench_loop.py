"""One iteration of the classic loop per variant (`benchmarks/loop.py`'s workload), timed, with
its allocation peak, its GC collections and its time against plain numpy's in `extra_info`."""

import statistics
import time

import pytest

from benchmarks.suite.memprobe import benchmark_with_memory
from benchmarks.workloads import classic
from benchmarks.workloads import variants as V
from benchmarks.workloads.classic import build

SIZE = 100_000  # elements per array, as in the classic loop
DEPTH = 3
# Enough for the median to within about 0.5%; the strong graph's gen0 collection, every few
# dozen iterations, is seen many times over.
ROUNDS = 2000


@pytest.fixture(scope="module", autouse=True)
def settled_allocator():
    classic.settle_allocator()


@pytest.mark.parametrize("variant", V.as_params(V.suite("classic")))
def test_classic_loop_iteration(benchmark, variant):
    """One iteration per round, and in each round one plain-numpy iteration timed beside it.

    Run one after the other, separate benchmarks of this memory-bound loop drift by 10-25% on
    a shared machine (neighbours' memory traffic, clock speed): more than the gaps worth
    measuring. Alternating with the numpy loop round by round puts both under the same
    conditions, so `time_vs_numpy` (the ratio of their medians) resolves a few percent; the
    `numpy` variant's own row, numpy against numpy, shows how close to 1 the method comes.
    The numpy iteration is timed as pytest-benchmark times the variant: one call between two
    clock readings.
    """
    benchmark.group = "classic-loop-iteration"
    settings, step = build(variant, DEPTH)
    _, numpy_step = build(V.parse("numpy"), DEPTH)
    # An odd number of arrays: drawn two a round, each side reads every one of them in turn.
    # From 8, numpy would read the same 4 and the variant the other 4 in every round, and where
    # arrays lie in memory changes how fast they are read (see ratios._inputs).
    inputs = classic.input_pool(SIZE, count=classic.POOL + 1)
    loop = {"y": None, "numpy": None}  # each loop's y, alive until its next iteration
    numpy_seconds = []

    def iteration(x):
        # Rebinding y drops the previous iteration's graph inside the timed call, as the loop
        # does: reference counting frees a weak graph here, a strong one waits for the GC.
        loop["y"] = step(x)

    def numpy_iteration(x):
        loop["numpy"] = numpy_step(x)

    def timed_numpy(x):
        timer = time.perf_counter  # pytest-benchmark's default timer
        start = timer()
        numpy_iteration(x)
        numpy_seconds.append(timer() - start)

    rounds = {"n": 0}

    # Numpy runs before the variant in odd rounds and after it in even ones, so each has the
    # other as its neighbour as often on one side as on the other. And each reads its own
    # input: one that the other had just read would be in cache, and run up to 15% faster.
    def setup():
        rounds["n"] += 1
        if rounds["n"] % 2:
            timed_numpy(next(inputs))
        return (next(inputs),), {}

    def teardown(x):
        if rounds["n"] % 2 == 0:
            timed_numpy(next(inputs))

    # Held around all rounds, as the loop holds it around all iterations: entering it per round
    # would time two config switches the loop pays once.
    with settings():
        iteration(*setup()[0])  # the steady state: a previous y is alive
        benchmark_with_memory(benchmark, iteration, setup=setup, teardown=teardown, rounds=ROUNDS)
        loop.clear()
    if benchmark.stats:  # None when benchmarks are disabled (the plain test command)
        numpy_median = statistics.median(numpy_seconds[-ROUNDS:])
        benchmark.extra_info["numpy_median_us"] = round(numpy_median * 1e6, 2)
        benchmark.extra_info["time_vs_numpy"] = round(
            benchmark.stats.stats.median / numpy_median, 4
        )
