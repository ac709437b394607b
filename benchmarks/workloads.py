"""The classic workload, one iteration at a time, for every implementation.

`build(variant, depth, retain_grad)` gives (settings, step): `settings` is a context manager to
hold for the whole loop, `step(array)` runs one iteration on a fresh input array and returns what
the loop keeps until the next iteration (y, and through it whatever graph y keeps alive).
"""

import contextlib

import autograd_core as ag

from .variants import OURS


def _numpy(depth):
    def step(x):
        y = x
        for _ in range(depth):
            y = y * y  # the arithmetic autograd_core's Square does: the gap is pure overhead
        return y

    return contextlib.nullcontext, step


def dezero_style_step(variable, square, mode, depth, retain_grad):
    """One iteration for a DeZero-style API (ours, dezero): Variable(a), squares, backward()."""

    def forward(a):
        y = variable(a)
        for _ in range(depth):
            y = square(y)
        return y

    def backward(a):
        y = forward(a)
        y.backward(retain_grad=retain_grad)
        return y

    return backward if mode == "backward" else forward


def _ours(graph, mode, depth, retain_grad):
    step = dezero_style_step(ag.Variable, ag.square, mode, depth, retain_grad)

    @contextlib.contextmanager
    def settings():
        with ag.using_config("graph", graph), ag.using_config("enable_backprop", mode != "no_grad"):
            yield

    return settings, step


def build(variant, depth=3, retain_grad=False):
    """(settings, step) for `variant` (a benchmarks.variants.Variant)."""
    if variant.impl == "numpy":
        return _numpy(depth)
    if variant.impl in OURS:
        return _ours(variant.impl, variant.mode, depth, retain_grad)
    from . import peers  # imported only in a peer's own process

    return peers.build(variant, depth, retain_grad)
