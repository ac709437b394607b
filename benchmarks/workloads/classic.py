"""The classic workload, one iteration at a time, for every engine: `x = variable(a)`,
`y = square(square(square(x)))`, and with backward `y.backward()`; built from the engine's
declared functions (benchmarks/engines/), or its own step where it declares one.

`build(variant, depth, retain_grad)` gives (settings, step): `settings()` is a context manager
to hold for the whole loop, `step(array)` runs one iteration on a fresh input array and returns
what the loop keeps until the next iteration (y, and through it whatever graph y keeps alive).
"""

import functools
import itertools

import numpy as np


def build(variant, depth=3, retain_grad=False):
    """(settings, step) for `variant` (a benchmarks.workloads.variants.Variant)."""
    engine = variant.engine
    step = engine.step(variant.mode, depth)
    if step is None:
        step = _step(
            engine.variable, engine.square, variant.backward(retain_grad), variant.mode, depth
        )
    return variant.settings, step


def floor_arrays(variant, depth, iters, retain_grad=False):
    """The arrays the loop must hold at once (see Variant.live_array_floor_mib), for a chain of
    `depth` ops that each read their input alone in backward (square).

    An iteration holds its input x and what it makes; from the second iteration on, the
    previous y is alive too until `y` is rebound, with whatever it keeps.
    Recording: the chain (depth + 1 arrays); the previous y keeps its whole chain.
    no_grad and numpy: x, the op's input and output; the previous y is one array.
    backward adds the incoming grad and the grad being made, and the previous y keeps its
    leaf's grad; with retain_grad every array of both chains keeps its grad. (numpy makes
    `2 * x * gy` in the temporary `2 * x` made, for arrays of 256 KiB and more: smaller
    ones cost a gradient pass one array more than this.)
    A freeing backward (docs/semantics.md, "Freeing the graph") holds the chain and the grad
    being made, at the last op's backward, whose incoming grad is a view of one number; the
    strong graph keeps each output until its creator's backward, one array more from depth 2.
    The previous y keeps its own array alone.
    """
    chain = depth + 1
    if variant.mode == "no_grad":
        now, kept = (3 if depth > 1 else 2), 1
    elif variant.mode == "backprop":
        now, kept = chain, chain
    elif variant.frees:
        now, kept = chain + 1 + (variant.graph == "strong" and depth > 1), 1
    elif retain_grad:
        now, kept = 2 * chain, 2 * chain
    else:
        now, kept = chain + 2, chain + 1
    return now + (kept if iters > 1 else 0)


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
    faults: docs/measurement.md, "Time per iteration".
    """
    np.empty(16 * 2**20 // 8)  # allocated and freed at once


POOL = 8  # arrays in an input pool


# How the measured loop gives each iteration a new input array (`fresh_input`).
INPUTS = {
    "copy": "a copy of one array drawn before the loop",
    "draw": "a fresh draw from the seeded generator, as the book's loop does",
}


def fresh_input(size, seed=0, how="copy"):
    """What gives each iteration of the measured loop (benchmarks/loop.py) its input: a
    function that returns a new array of `size` elements, as INPUTS[how] says.

    The book's loop draws a fresh `x` every iteration. A new array is what counts for memory
    (the iteration holds it), and "copy" makes one in some 2% of a draw's time (100,000 normals:
    about 0.9 ms to draw, 18 us to copy): drawn, the input took most of the loop's time, so the
    time per iteration measured the generator more than the engine. The values play no part in
    what an iteration keeps, and neither way makes a gc-tracked object.
    """
    if how not in INPUTS:
        raise ValueError(f"input {how!r}: choose one of {', '.join(INPUTS)}")
    if how == "draw":
        return functools.partial(np.random.default_rng(seed).standard_normal, size)
    (drawn,) = input_arrays(size, 1, seed)  # the first array of the suite's pool
    return drawn.copy


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
