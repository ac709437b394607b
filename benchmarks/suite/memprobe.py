"""Memory beside time for pytest-benchmark, which measures time only: one traced run of a target
(its exact allocation peak and the GC work it caused), then the timed rounds without tracing."""

import gc
import tracemalloc

from .. import figures as F
from ..measure.probes import MIB, GcRecorder, Progress
from ..workloads import classic

# The keys of what measure_memory returns, and the benchmarks' `extra_info` holds.
PEAK = F.TRACED_PEAK.name  # MiB
COLLECTIONS = "gc_collections"  # the collections of each generation, [gen0, gen1, gen2]
COLLECTED = "gc_collected"  # the objects those collections freed


def _prepare(setup):
    # pytest-benchmark's convention: setup returns (args, kwargs), or None for no arguments.
    prepared = setup() if setup is not None else None
    return prepared or ((), {})


def measure_memory(fn, setup=None, teardown=None):
    """Run `fn` once under tracemalloc; its allocation peak (MiB) and the GC collections it saw.

    `setup` and `teardown` work as in `benchmark.pedantic` and stay outside the traced region;
    one untraced call (with its own setup and teardown) warms up first.
    The peak counts what `fn` allocated beyond what was traced when it started. A full collection
    before the run empties every generation, so the collections counted are deterministic. If
    tracemalloc was already tracing, it keeps tracing, but its peak is reset.
    """
    # One untraced call first: lazy imports and caches (PyTorch's first backward allocates
    # about 35 MiB of them) are paid once per process, not by each call measured.
    args, kwargs = _prepare(setup)
    fn(*args, **kwargs)
    if teardown is not None:
        teardown(*args, **kwargs)
    args, kwargs = _prepare(setup)
    gc.collect()
    recorder = GcRecorder(Progress())
    was_tracing = tracemalloc.is_tracing()
    gc.callbacks.append(recorder)
    try:
        if not was_tracing:
            tracemalloc.start()
        tracemalloc.reset_peak()
        start = tracemalloc.get_traced_memory()[0]
        result = fn(*args, **kwargs)
        peak = tracemalloc.get_traced_memory()[1] - start
    finally:
        if not was_tracing:
            tracemalloc.stop()
        gc.callbacks.remove(recorder)
    del result  # what fn returned may hold a graph: free it untraced, before teardown
    if teardown is not None:
        teardown(*args, **kwargs)
    return {PEAK: peak / MIB, COLLECTIONS: recorder.collections, COLLECTED: recorder.collected}


def loop_memory(settings, step, iterations, size, seed=0):
    """`measure_memory` of `iterations` of a workload's loop as benchmarks/loop.py runs it
    (`settings` and `step` from a workload's build): a fresh input of `size` elements each
    iteration, the previous y alive until the next is made."""

    fresh_input = classic.fresh_input(size, seed)  # its one drawn array is not the loop's

    def loop():
        with settings():
            y = None
            for _ in range(iterations):
                y = step(fresh_input())  # the previous y lives until here
            return y

    return measure_memory(loop)


def benchmark_with_memory(benchmark, target, *, setup=None, teardown=None, rounds=None):
    """Measure `target`'s memory once into `benchmark.extra_info`, then time it.

    With `rounds`, `benchmark.pedantic` times one call per round and keeps `setup` and `teardown`
    (fresh inputs, building a graph, freeing it) out of the timed region. Without, pytest-benchmark
    calibrates how many calls to time together: for microsecond targets that need no preparation.
    With benchmarks disabled (the plain test command) either way calls `target` once.
    """
    if rounds is None and (setup or teardown):
        raise ValueError("setup and teardown need rounds: calibrated batches would time them")
    benchmark.extra_info.update(measure_memory(target, setup, teardown))
    if rounds is None:
        benchmark(target)
    else:
        # One warm-up round: first calls pay for caches and lazy imports, not for the graph.
        benchmark.pedantic(
            target, setup=setup, teardown=teardown, rounds=rounds, warmup_rounds=1, iterations=1
        )
