"""The classic workload, one iteration at a time, for every implementation.

`build(variant, depth, retain_grad)` gives (settings, step): `settings` is a context manager to
hold for the whole loop, `step(array)` runs one iteration on a fresh input array and returns what
the loop keeps until the next iteration (y, and through it whatever graph y keeps alive).
"""

from . import classic
from .variants import BOOK, OURS


def build(variant, depth=3, retain_grad=False):
    """(settings, step) for `variant` (a benchmarks.workloads.variants.Variant)."""
    if variant.impl == "numpy":
        return classic.numpy_step(depth)
    if variant.impl in OURS:
        return classic.ours_step(variant.impl, variant.mode, depth, retain_grad)
    if variant.impl in BOOK:
        return classic.book_step(variant.impl, variant.mode, depth)
    from . import peers  # imported only in a peer's own process

    return peers.build(variant, depth, retain_grad)
