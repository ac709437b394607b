"""Checkpointing: keep a segment's inputs and output, not what it computes in between, and
compute that again when backward reaches the segment (memory for time)."""

import numbers

from ._config import recording, using_config
from ._core import Function, Variable


def checkpoint(fn, *inputs):
    """`fn(*inputs)`, recorded as one Function that keeps only the inputs and the output.

    `fn` runs without recording; when backward reaches it, it runs again, recorded, from its
    inputs (detached: new leaves holding the same arrays), and the pass goes through that
    graph. So `fn` must compute the same from the same inputs, and return one Variable. Under
    no_grad it is `fn(*inputs)`, and nothing is recorded.
    """
    if recording() is None:
        return fn(*inputs)
    return Checkpoint(fn)(*inputs)


def checkpoint_chain(fn, x, n, every):
    """`fn` applied `n` times to `x`, checkpointed every `every` applications.

    Backward then keeps one Variable per segment and the recomputed activations of one segment
    at a time. The last segment is recorded as usual: backward needs its activations first,
    so recomputing them would only cost time. `every` near the square root of `n` keeps the
    fewest arrays: about 2 * sqrt(n).
    """
    for name, value, least in (("n", n, 0), ("every", every, 1)):
        if not isinstance(value, numbers.Integral) or isinstance(value, bool):
            raise TypeError(f"checkpoint_chain: {name} must be a whole number, got {value!r}")
        if value < least:
            raise ValueError(f"checkpoint_chain: {name} must be at least {least}, got {value}")
    last = max(0, (n - 1) // every * every)  # where the last segment starts
    for _ in range(last // every):
        x = checkpoint(_repeated(fn, every), x)
    return _repeated(fn, n - last)(x)


def _repeated(fn, times):
    def run(x):
        for _ in range(times):
            x = fn(x)
        return x

    return run


class Checkpoint(Function):
    """A segment `fn` of the graph, recorded as one Function (see `checkpoint`)."""

    __slots__ = ("fn",)
    needs_outputs = False

    def __init__(self, fn):
        self.fn = fn

    def forward(self, *xs):
        with using_config("enable_backprop", False):
            y = self.fn(*[Variable(x) for x in xs])
        if type(y) is not Variable:
            raise TypeError(
                f"checkpoint: fn must return one Variable, got {type(y).__name__}; checkpoint "
                "each output's computation on its own"
            )
        return y.data

    def backward(self, gy):
        xs = [Variable(x.data) for x in self.inputs]
        # Recorded in the weak graph whatever the setting: the recomputed graph lives only
        # until this returns, and reference counting frees it then (the strong graph's
        # cycles would wait for the collector). The pass keeps it (retain_graph=True): it
        # may reach, through a Variable `fn` took from elsewhere, Functions of the outer
        # graph, which the outer pass still needs.
        with using_config("enable_backprop", True), using_config("graph", "weak"):
            y = self.fn(*xs)
        y.backward(grad=gy)
        return xs[0].grad if len(xs) == 1 else tuple(x.grad for x in xs)
