"""Deterministic memory behaviour of the two graphs: who frees what, and the loop's peak.

Everything runs with the cyclic GC disabled, so "freed" below means freed by reference
counting alone, and the strong graph's garbage stays until an explicit `gc.collect()`.
tracemalloc counts numpy's data buffers exactly, so peaks can be held to the live-array floor
of docs/measurement.md. Run `pytest -s tests/test_memory.py` to see the observed figures.
"""

import gc
import tracemalloc
import weakref

import numpy as np
import pytest

from autograd_core import Variable, checkpoint_chain, no_grad, square, tanh, using_config

SIZE = 100_000
ARRAY = SIZE * 8  # bytes in one float64 array of the loop
MIB = 2**20
# Python-level allocations on top of the arrays (docs/measurement.md: about 1.4 MiB).
SLACK = 1.5 * MIB


@pytest.fixture
def traced(gc_off):
    tracemalloc.start()
    try:
        yield
    finally:
        tracemalloc.stop()


# --- who frees what -----------------------------------------------------------------------


def build_chain():
    """x -> a -> b -> y by `square`; returns y and weakref probes on everything in the graph."""
    x = Variable(np.random.randn(1000))
    a = square(x)
    b = square(a)
    y = square(b)
    objects = [x, a, b, y, x.data, a.data, b.data, y.data, a.creator, b.creator, y.creator]
    return y, [weakref.ref(o) for o in objects]


def test_weak_graph_is_freed_by_reference_counting(gc_off):
    y, probes = build_chain()
    assert all(p() is not None for p in probes)  # the output keeps the whole chain alive
    del y
    assert [p() for p in probes] == [None] * len(probes)


def test_strong_graph_waits_for_the_cyclic_gc(gc_off):
    with using_config("graph", "strong"):
        y, probes = build_chain()
    del y
    # Every op is a Variable <-> Function cycle: reference counting frees none of it.
    assert all(p() is not None for p in probes)
    assert gc.collect() > 0
    assert [p() for p in probes] == [None] * len(probes)


@pytest.mark.parametrize("graph", ["weak", "strong"])
def test_no_grad_intermediates_die_once_consumed(gc_off, graph):
    with using_config("graph", graph), no_grad():
        x = Variable(np.random.randn(1000))
        a = square(x)
        probes = [weakref.ref(a), weakref.ref(a.data)]
        y = square(a)
        del a
    assert [p() for p in probes] == [None, None]
    assert y.data is not None


def test_recorded_graph_keeps_intermediates(gc_off):
    # The contrast to the test above: with backprop on, y's creator holds a as an input.
    x = Variable(np.random.randn(1000))
    a = square(x)
    probe = weakref.ref(a)
    y = square(a)
    del a
    assert probe() is y.creator.inputs[0]


# --- the classic loop under tracemalloc ---------------------------------------------------


def loop_peak(iterations):
    """Peak bytes traced while running the classic loop, over what was traced before it."""
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    y = None
    for _ in range(iterations):
        x = Variable(np.random.randn(SIZE))
        y = square(square(square(x)))  # the previous y (and its graph) lives until here
    peak = tracemalloc.get_traced_memory()[1] - before
    del x, y
    return peak


def report(label, peak, floor_arrays):
    print(
        f"\ntracemalloc peak, {label}: {peak / MIB:.2f} MiB "
        f"(floor {floor_arrays} arrays = {floor_arrays * ARRAY / MIB:.2f} MiB)"
    )


def test_weak_graph_loop_peak_stays_at_the_live_array_floor(traced):
    peak = loop_peak(50)
    report("weak graph, backprop, 50 iterations", peak, 8)
    # Old y's chain (4 arrays) plus the new chain (4 arrays); anything more is a leak.
    assert 8 * ARRAY <= peak <= 8 * ARRAY + SLACK


@pytest.mark.parametrize("graph", ["weak", "strong"])
def test_no_grad_loop_peak_stays_at_the_live_array_floor(traced, graph):
    with using_config("graph", graph), no_grad():
        peak = loop_peak(50)
    report(f"{graph} graph, no_grad, 50 iterations", peak, 4)
    # Old y, x, and the current op's input and output.
    assert 4 * ARRAY <= peak <= 4 * ARRAY + SLACK


def test_strong_graph_without_gc_grows_with_iterations(traced):
    with using_config("graph", "strong"):
        peak20 = loop_peak(20)
        assert gc.collect() > 0
        peak40 = loop_peak(40)
        assert gc.collect() > 0
    report("strong graph, gc disabled, 20 iterations", peak20, 20 * 4)
    report("strong graph, gc disabled, 40 iterations", peak40, 40 * 4)
    # Nothing of any iteration is freed: x and its 3 results (4 arrays) pile up every time.
    assert 20 * 4 * ARRAY <= peak20 <= 20 * 4 * ARRAY + SLACK
    assert 40 * 4 * ARRAY <= peak40 <= 40 * 4 * ARRAY + SLACK
    assert 1.9 <= peak40 / peak20 <= 2.1


# --- freeing the graph during backward (retain_graph=False) -------------------------------


def backward_loop_peak(iterations, size, retain_graph):
    """Peak bytes traced while running the classic loop with backward, the previous y alive
    until the next iteration's backward has run, as the matrix's loop keeps it."""

    def step(a):
        y = square(square(square(Variable(a))))
        y.backward(retain_graph=retain_graph)
        return y

    rng = np.random.default_rng(0)
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    y = None
    for _ in range(iterations):
        y = step(rng.standard_normal(size))
    peak = tracemalloc.get_traced_memory()[1] - before
    del y
    return peak


def test_freeing_the_weak_graph_during_backward_lowers_the_loops_peak_by_arrays(traced):
    # Kept, the previous y holds its chain and x's grad (5 arrays) while the new chain is
    # built and backpropagated; freed, it holds its own array alone: 4 arrays fewer at least.
    size = 10_000
    array = size * 8
    kept = backward_loop_peak(4, size, retain_graph=True)
    freed = backward_loop_peak(4, size, retain_graph=False)
    print(
        f"\nweak graph, backward, {size:,} elements: kept {kept / array:.2f} arrays, freed "
        f"{freed / array:.2f} arrays"
    )
    assert freed <= kept - 4 * array


# --- checkpointing -------------------------------------------------------------------------


def test_checkpointing_a_chain_keeps_a_fraction_of_its_arrays(traced):
    # 64 tanh: recorded plainly, backward starts with the input and 64 outputs alive; in
    # checkpoints of 8, with the input, 7 segment outputs, the last segment's 8 and one
    # recomputed segment's 8 at most.
    size, n, every = 10_000, 64, 8
    array = size * 8
    a = np.random.default_rng(0).standard_normal(size)

    def peak(chain):
        x = Variable(a.copy())
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        chain(x).backward()
        return tracemalloc.get_traced_memory()[1] - before

    plain = peak(lambda x: checkpoint_chain(tanh, x, n, n))  # one segment: nothing recomputed
    checkpointed = peak(lambda x: checkpoint_chain(tanh, x, n, every))
    print(
        f"\n{n} tanh, {size:,} elements: plain {plain / array:.2f} arrays, checkpointed every "
        f"{every}: {checkpointed / array:.2f} arrays"
    )
    assert plain >= (n + 1) * array
    assert checkpointed <= plain / 2
