"""The deep-chain workload, where the activations fill the memory: each iteration computes
`y = tanh(tanh(...tanh(x)))`, `depth` ops on a fresh array, and backpropagates from y; the loop
keeps y until the next iteration, as the classic loop does. Measured plain, freeing
(`backward(retain_graph=False)`), checkpointed every round(sqrt(depth)) ops, and both; plain
numpy's chain of `np.tanh` is the floor.

`build(variant, depth, retain_grad)` gives (settings, step), as classic.build does; the step
also says what it spent in forward and in backward (`Step.facts`), which the trade-off's model
of a checkpoint's time reads.
"""

import contextlib
import math
import time

import numpy as np

from . import classic, graphs

OP = "tanh"


def every(depth):
    """Ops per checkpointed segment: the square root of the depth, which keeps the fewest
    arrays (docs/semantics.md, "Checkpointing")."""
    return max(1, round(math.sqrt(depth)))


def segments(depth, ops):
    """(checkpointed segments of `ops` ops, ops in the last segment), as autograd_core's
    checkpoint_chain cuts a chain: the last segment is recorded as usual, since backward needs
    its activations first and recomputing them would only cost time."""
    last = (depth - 1) // ops * ops  # where the last segment starts
    return last // ops, depth - last


def forward(variant, depth):
    """The function of x that applies the chain, checkpointed where the variant's design says."""
    op = variant.engine.op(OP)
    if not variant.checkpoints:
        return graphs.chain(op, depth)
    checkpoint, ops = variant.engine.checkpoint, every(depth)
    count, rest = segments(depth, ops)
    segment, last = graphs.chain(op, ops), graphs.chain(op, rest)

    def run(x):
        for _ in range(count):
            x = checkpoint(segment, x)
        return last(x)

    return run


def iteration(variant, depth, retain_grad=False, spent=None):
    """One iteration as a function of its input array: (the input as the engine holds it, y).
    The tests read the input's gradient from it. With `spent`, a list [forward seconds,
    backward seconds], each iteration adds its own to it."""
    variable, chain = variant.engine.variable, forward(variant, depth)
    if variant.mode != "backward":
        return lambda a: (a, chain(variable(a)))
    backward = variant.backward(retain_grad)
    clock = time.perf_counter
    spent = [0.0, 0.0] if spent is None else spent

    def run(a):
        x = variable(a)
        start = clock()
        y = chain(x)
        middle = clock()
        backward(y)
        spent[0] += middle - start
        spent[1] += clock() - middle
        return x, y

    return run


class Step:
    """One iteration (`step(array)` returns y), and what the iterations run so far say of the
    workload: the checkpoints' length, and the time spent in forward and in backward, whose
    ratio is what recomputing a forward costs (`facts`)."""

    def __init__(self, variant, depth, retain_grad=False):
        self.variant, self.depth, self.spent, self.runs = variant, depth, [0.0, 0.0], 0
        self._run = iteration(variant, depth, retain_grad, self.spent)

    def __call__(self, a):
        self.runs += 1
        return self._run(a)[1]

    def facts(self):
        found = {"op": OP}
        if self.variant.checkpoints:
            found["checkpoint_every"] = every(self.depth)
        if self.variant.mode == "backward" and self.runs:
            found["forward_s"], found["backward_s"] = (s / self.runs for s in self.spent)
        return found


def build(variant, depth=64, retain_grad=False):
    """(settings, step) for `variant`: `step(array)` runs one iteration and returns y; its
    `facts()` go into the variant's record."""
    step = Step(variant, depth, retain_grad)

    @contextlib.contextmanager
    def settings():
        with variant.settings():
            # A framework may load more at its first backward or checkpoint: PyTorch makes
            # its caches, and imports its compiler at its first checkpoint (torch._dynamo:
            # seconds, and 126 MiB of RSS, 63 MiB of it traced). Like any import, before the
            # loop and its baseline: in a few iterations the first one's would weigh.
            iteration(variant, 2)(np.ones(1))
            yield

    return settings, step


# tanh's backward, `gy * (1 - y * y)`, makes two arrays at once: numpy reuses a temporary for
# `gy * (...)` but not as the right operand of `1 - (...)`.
TEMPORARIES = 2


def floor_arrays(variant, depth, iters, retain_grad=False):
    """The arrays the loop must hold at once (see Variant.live_array_floor_mib).

    Plain, backward holds the chain, and below y's own op the incoming grad and tanh's two
    temporaries (y's own op starts from a view of one number). tanh's backward reads its
    output, so a freeing backward too holds the whole chain there; but the previous y then
    keeps its own array alone, not its chain and x's grad.
    Checkpointed, the forward keeps x, each checkpointed segment's output and the last
    segment's outputs (y among them); recomputing a segment adds its outputs, the grad coming
    into it and the grads of its own pass. Freeing, the last segment's arrays are gone by then
    (but y, which the loop holds), and in the weak graph the output of the segment recomputed.
    """
    if variant.mode != "backward":  # numpy's chain: x, an op's input and output
        return classic.floor_arrays(variant, depth, iters, retain_grad)
    grads = 1 + TEMPORARIES
    ops = every(depth)
    count, rest = segments(depth, ops)
    if not variant.checkpoints or count == 0:
        chain = depth + 1
        now = chain + (grads if depth > 1 else TEMPORARIES)
        kept = 1 if variant.frees else chain + 1
    else:
        held = 1 + count + rest
        recompute = ops + 1 + (grads if ops > 1 else TEMPORARIES)
        if variant.frees:
            before = 1 + count - (variant.graph != "strong") + 1  # x, segments' outputs, y
            now, kept = max(held + grads, before + recompute), 1
        else:
            now, kept = held + recompute, held + 1
    return now + (kept if iters > 1 else 0)
