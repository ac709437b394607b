"""The classic workload, one iteration at a time, for every engine: `x = variable(a)`,
`y = square(square(square(x)))`, and with backward `y.backward()`; built from the engine's
declared functions (benchmarks/engines/), or its own step where it declares one.

`build(variant, depth, retain_grad)` gives (settings, step): `settings()` is a context manager
to hold for the whole loop, `step(array)` runs one iteration on a fresh input array and returns
what the loop keeps until the next iteration (y, and through it whatever graph y keeps alive).
"""

import itertools

import numpy as np


def build(variant, depth=3, retain_grad=False):
    """(settings, step) for `variant` (a benchmarks.workloads.variants.Variant)."""
    engine = variant.engine
    step = engine.step(variant.mode, depth)
    if step is None:
        backward = engine.backward(**({"retain_grad": True} if retain_grad else {}))
        step = _step(engine.variable, engine.square, backward, variant.mode, depth)
    return (lambda: engine.settings(variant.graph, variant.mode)), step


def _step(variable, square, backward, mode, depth):
    def forward(a):
        y = variable(a)
        for _ in range(depth):
            y = square(y)
        return y

    def forward_backward(a):
        y = forward(a)
        backward(y)
        return y

    return forward_backward if mode == "backward" else forward


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
