"""The classic workload's step for plain numpy and for our two graphs, and the DeZero-style step
that ours and dezero share (see `steps.build` for what a step is)."""

import contextlib

import autograd_core as ag

from . import book


def numpy_step(depth):
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


def ours_step(graph, mode, depth, retain_grad):
    step = dezero_style_step(ag.Variable, ag.square, mode, depth, retain_grad)

    @contextlib.contextmanager
    def settings():
        with ag.using_config("graph", graph), ag.using_config("enable_backprop", mode != "no_grad"):
            yield

    return settings, step


def book_step(impl, mode, depth):
    """`book-strong` or `book-weak`: the loop on the book's step-16 or step-17 engine."""
    graph = impl.removeprefix("book-")
    step = dezero_style_step(book.Variable, book.square_op(graph), mode, depth, False)
    return contextlib.nullcontext, step
