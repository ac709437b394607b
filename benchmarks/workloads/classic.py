"""The classic workload's step for plain numpy and for our two graphs, and the DeZero-style step
that ours and dezero share (see `steps.build` for what a step is)."""

import contextlib
import itertools

import numpy as np

import autograd_core as ag


def declared_ufunc(op):
    """The numpy ufunc an op's Function declares (`Function.ufunc`): what it computes with.

    Read from the Function one recorded call makes, so a reference built on it calls what the
    op calls, whatever the op is changed to.
    """
    with ag.using_config("enable_backprop", True):
        ufunc = type(op(ag.Variable(np.zeros(()))).creator).ufunc
    if ufunc is None:
        raise ValueError(f"{op.__name__} declares no numpy ufunc to compare it with")
    return ufunc


def numpy_step(depth):
    # The ufunc ag.square calls, no other: `y * y` is np.multiply, which on some CPUs is 30%
    # slower than np.square on 100,000 float64, and would make the floor too high.
    square = declared_ufunc(ag.square)

    def step(x):
        y = x
        for _ in range(depth):
            y = square(y)  # the arithmetic autograd_core's Square does: the gap is pure overhead
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


def settle_allocator():
    """Make glibc's malloc keep freed arrays, so timed iterations time the loop, not page faults.

    Until glibc's malloc frees a big mmapped block, it serves each 0.76 MiB array with fresh
    pages to fault in and trims them again soon after: that costs several times numpy's own
    work and depends on what ran earlier in the process. Freeing one 16 MiB block (under
    glibc's 32 MiB cap) raises its mmap and trim thresholds for good. A fresh process pays the
    faults: see README.
    """
    np.empty(16 * 2**20 // 8)  # allocated and freed at once


POOL = 8  # arrays in an input pool


def input_arrays(size, count=POOL, seed=0):
    """`count` input arrays of `size` elements: what `input_pool` cycles through."""
    rng = np.random.default_rng(seed)
    return tuple(rng.standard_normal(size) for _ in range(count))


def input_pool(size, count=POOL, seed=0):
    """Endless inputs of `size` elements, from `count` arrays made once.

    No step writes to its input, so a few arrays serve every iteration; drawing a fresh one
    would take ten times the iteration it feeds.
    """
    return itertools.cycle(input_arrays(size, count, seed))


def book_step(impl, mode, depth):
    """`book-strong` or `book-weak`: the loop on the book's step-16 or step-17 engine."""
    from . import book  # only in the book variants' own processes, like a peer's import

    graph = impl.removeprefix("book-")
    step = dezero_style_step(book.Variable, book.square_op(graph), mode, depth, False)
    return contextlib.nullcontext, step
