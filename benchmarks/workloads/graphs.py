"""The graphs that backward is timed on, written once for every engine: a chain of one op (each
op's output feeds the next) and a wide graph (one input feeding many squares, summed back
together). An engine brings its own ops; the shape of the graph is the same for all.

Inputs are single numbers (0-d arrays, or floats for a scalar engine), so numpy's share of each
op is small and the engine's cost shows.
"""

import functools
import operator

SCALAR = 1.1
SHAPES = ("neg", "square", "wide")


def chain(op, ops):
    """x -> op(op(...op(x))) with `ops` applications."""

    def run(x):
        for _ in range(ops):
            x = op(x)
        return x

    return run


def wide(square, add, width):
    """x -> square(x) + square(x) + ... with `width` squares, summed by `add`: x's gradient
    accumulates `width` times."""

    def run(x):
        return functools.reduce(add, (square(x) for _ in range(width)))

    return run


def function(shape, size, engine):
    """The function of x that records graph `shape` of `size` ops with `engine`'s ops.
    Negation is spelled `-y` for every engine: each one's own operator."""
    if shape == "neg":
        return chain(operator.neg, size)
    if shape == "square":
        return chain(engine.square, size)
    if shape == "wide":
        return wide(engine.square, engine.op("add"), size)
    raise ValueError(f"unknown graph shape {shape!r}; shapes: {', '.join(SHAPES)}")


def describe(shape, size):
    """The graph in words, for tables: 'chain of 10,000 negations'."""
    if shape == "wide":
        return f"one input feeding {size:,} squares, summed"
    return f"chain of {size:,} {'negations' if shape == 'neg' else 'squares'}"


def recorded(engine, shape, size, x=SCALAR):
    """Graph `shape` recorded by `engine` (under the caller's settings), ready for its backward."""
    return engine.record(function(shape, size, engine), engine.scalar(x))
