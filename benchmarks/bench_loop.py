"""One iteration of the classic loop per variant (`benchmarks/loop.py`'s workload), timed, with
its allocation peak and GC collections in `extra_info`."""

import numpy as np
import pytest

from benchmarks import variants as V
from benchmarks.memprobe import benchmark_with_memory
from benchmarks.workloads import build

SIZE = 100_000  # elements per array, as in the classic loop
DEPTH = 3
ROUNDS = 300  # the strong graph's gen0 collection comes every few dozen iterations: see several


@pytest.fixture(scope="module", autouse=True)
def settled_allocator():
    # Until glibc's malloc frees a big mmapped block, it serves each 0.76 MiB array with fresh
    # pages to fault in and trims them again soon after: that costs several times numpy's own
    # work and depends on what ran earlier in the process. Freeing one 16 MiB block (under
    # glibc's 32 MiB cap) raises its mmap and trim thresholds for good, so the rounds time the
    # variants, not the allocator's history. A fresh process pays the faults: see README.
    np.empty(16 * 2**20 // 8)  # allocated and freed at once


@pytest.mark.parametrize("variant", V.as_params(V.ALL_VARIANTS))
def test_classic_loop_iteration(benchmark, variant):
    benchmark.group = "classic-loop-iteration"
    settings, step = build(variant, DEPTH)
    rng = np.random.default_rng(0)
    loop = {"y": None}

    def fresh_input():
        return (rng.standard_normal(SIZE),), {}

    def iteration(x):
        # Rebinding y drops the previous iteration's graph inside the timed call, as the loop
        # does: reference counting frees a weak graph here, a strong one waits for the GC.
        loop["y"] = step(x)

    # Held around all rounds, as the loop holds it around all iterations: entering it per round
    # would time two config switches the loop pays once.
    with settings():
        iteration(*fresh_input()[0])  # the steady state: a previous y is alive
        benchmark_with_memory(benchmark, iteration, setup=fresh_input, rounds=ROUNDS)
        loop["y"] = None
