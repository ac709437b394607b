"""The autograd engine's per-op cost, timed, with allocation peaks in `extra_info`: a scalar
3-op chain, backward through long chains, and backward through a wide graph.

Scalars (0-d arrays) keep numpy's share small, so these time the engine itself. The plain test
command runs each benchmark once, untimed, to check that it runs: on graphs of at most
`UNTIMED_OPS` ops (tests/test_backward.py takes a 100,000-op chain through backward).
"""

import gc

import pytest

from benchmarks.suite.memprobe import benchmark_with_memory
from benchmarks.workloads import graphs
from benchmarks.workloads import variants as V
from benchmarks.workloads.classic import build

OURS = V.BY_NAME["weak-backward"].engine
CHAIN_OPS = (1_000, 10_000, 100_000)
WIDTH = 1_000
UNTIMED_OPS = 1_000  # a 100,000-op chain takes seconds to record and trace, even once


def _variants(*modes):
    # Peers share the groups, so pytest-benchmark prints them side by side with ours.
    return V.as_params(v for v in V.suite("scalar") if v.mode in modes)


@pytest.mark.parametrize("variant", _variants("backprop", "no_grad"))
def test_scalar_forward(benchmark, variant):
    benchmark.group = "scalar-forward"
    _time_scalar_chain(benchmark, variant)


@pytest.mark.parametrize("variant", _variants("backward"))
def test_scalar_forward_backward(benchmark, variant):
    benchmark.group = "scalar-forward-backward"
    _time_scalar_chain(benchmark, variant)


def _time_scalar_chain(benchmark, variant):
    # The classic loop's 3 squares on a scalar. The input is never modified, so one serves every
    # call and pytest-benchmark can time microseconds in calibrated batches.
    settings, step = build(variant, depth=3)
    x = variant.engine.scalar(graphs.SCALAR)
    with settings():
        benchmark_with_memory(benchmark, lambda: step(x))


@pytest.mark.parametrize(
    "graph, ops",
    [pytest.param(g, n, id=f"{g}-{n}") for n in CHAIN_OPS for g in V.OURS],
)
def test_chain_backward(benchmark, graph, ops):
    benchmark.group = f"chain-backward-{ops}"
    benchmark.extra_info["ops"] = ops
    rounds = max(5, 100_000 // ops)
    _time_backward(benchmark, V.Variant(OURS, graph, "backward"), "neg", ops, rounds)


@pytest.mark.parametrize(
    "peer",
    V.as_params(
        (
            v
            for v in V.suite("scalar")
            if v.mode == "backward" and v.engine.role in ("peer", "user")
        ),
        name=lambda v: f"{v.impl}-10000",
    ),
)
def test_peer_chain_backward(benchmark, peer):
    # Peers in the 10,000-op group: the same negation chain, recorded by each engine.
    ops = 10_000
    benchmark.group = f"chain-backward-{ops}"
    benchmark.extra_info["ops"] = ops
    _time_backward(benchmark, peer, "neg", ops, rounds=10)


@pytest.mark.parametrize("graph", V.OURS)
def test_wide_backward(benchmark, graph):
    benchmark.group = "wide-backward"
    benchmark.extra_info["branches"] = WIDTH
    _time_backward(benchmark, V.Variant(OURS, graph, "backward"), "wide", WIDTH, rounds=100)


def _time_backward(benchmark, variant, shape, size, rounds):
    # Building the graph and freeing it are per-round preparation, outside the timed region: a
    # strong graph's cycles are collected between rounds, never during one.
    engine = variant.engine
    backward = engine.backward()
    if benchmark.disabled:
        size = min(size, UNTIMED_OPS)

    def build_graph():
        return ([graphs.recorded(engine, shape, size)],), {}

    def run_backward(held):
        backward(held[0])

    def free_graph(held):
        held.clear()
        gc.collect()

    with engine.settings(variant.graph, "backward"):
        benchmark_with_memory(
            benchmark, run_backward, setup=build_graph, teardown=free_graph, rounds=rounds
        )
