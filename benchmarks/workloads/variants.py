"""Canonical variant names: one name per (implementation, mode), used in JSON, plots, pytest ids
and the report alike."""

import importlib.util
import os
from dataclasses import dataclass

from autograd_core import GRAPHS

from ..measure.probes import MIB

OURS = GRAPHS  # our two graphs, in autograd_core's order: ("strong", "weak")
MODES = ("backprop", "backward", "no_grad")
# Peers and the modes each can run (HIPS autograd records a graph only inside `grad`).
PEERS = {
    "torch": MODES,
    "dezero": MODES,
    "autograd": ("backward",),
}
# The book's own design (steps 16 and 17, `workloads/book.py`): a memory reference beside ours.
BOOK = {"book-strong": ("backprop",), "book-weak": ("backprop",)}
ARRAY_MIB = 8 / MIB  # one float64 element, in MiB
# Set (by `python -m benchmarks --no-peers`) to leave the peers out of the benchmark suite.
NO_PEERS_ENV = "AUTOGRAD_BENCH_NO_PEERS"


@dataclass(frozen=True)
class Variant:
    impl: str  # "numpy", "strong", "weak" or a peer's name
    mode: str  # "backprop", "backward", "no_grad"; "no_grad" for plain numpy

    @property
    def name(self):
        return "numpy" if self.impl == "numpy" else f"{self.impl}-{self.mode}"

    @property
    def is_peer(self):
        return self.impl in PEERS

    @property
    def is_book(self):
        return self.impl in BOOK

    def missing(self):
        """Why this variant cannot run here (a peer that is not installed), or None."""
        if self.is_peer and importlib.util.find_spec(self.impl) is None:
            return f"{self.impl} is not installed (pip install -e '.[peers]')"
        return None

    def left_out(self):
        """Why the benchmark suite leaves this variant out (`missing`, or --no-peers), or None."""
        if self.is_peer and os.environ.get(NO_PEERS_ENV):
            return "peers left out (--no-peers)"
        if self.is_book:
            return "the book's engine is a memory reference, not timed"
        return self.missing()

    def live_array_floor_mib(self, size, depth, iters, retain_grad=False):
        """The least memory the loop can live in: the arrays it must hold at once.

        An iteration holds its input x and what it makes; from the second iteration on, the
        previous y is alive too until `y` is rebound, with whatever it keeps.
        Recording: the chain (depth + 1 arrays); the previous y keeps its whole chain.
        no_grad and numpy: x, the op's input and output; the previous y is one array.
        backward adds the incoming grad and the grad being made, and the previous y keeps its
        leaf's grad; with retain_grad every array of both chains keeps its grad. (numpy makes
        `2 * x * gy` in the temporary `2 * x` made, for arrays of 256 KiB and more: smaller
        ones cost a gradient pass one array more than this.)
        """
        chain = depth + 1
        if self.impl == "autograd":
            # HIPS autograd's loop keeps only the gradient: the chain its tape records and the
            # gradient being made, and the previous gradient.
            now, kept = chain + 1, 1
        elif self.mode == "no_grad":
            now, kept = (3 if depth > 1 else 2), 1
        elif self.mode == "backprop":
            now, kept = chain, chain
        elif retain_grad:
            now, kept = 2 * chain, 2 * chain
        else:
            now, kept = chain + 2, chain + 1
        arrays = now + (kept if iters > 1 else 0)
        return arrays * size * ARRAY_MIB


NUMPY = Variant("numpy", "no_grad")
BOOK_VARIANTS = tuple(Variant(impl, mode) for impl, modes in BOOK.items() for mode in modes)
DEFAULT_MATRIX = (
    NUMPY,
    *(Variant(impl, mode) for mode in MODES for impl in OURS),
    *BOOK_VARIANTS,
)
PEER_VARIANTS = tuple(Variant(impl, mode) for impl, modes in PEERS.items() for mode in modes)
ALL_VARIANTS = DEFAULT_MATRIX + PEER_VARIANTS
BY_NAME = {v.name: v for v in ALL_VARIANTS}


def as_params(variants, name=lambda v: v.name):
    """pytest params, by default with canonical ids; a peer that is not installed, or left out
    by --no-peers, is skipped with the reason."""
    import pytest  # only the benchmark suite calls this

    params = []
    for v in variants:
        why = v.left_out()  # a filesystem lookup for peers: once per variant
        params.append(
            pytest.param(v, id=name(v), marks=pytest.mark.skipif(bool(why), reason=str(why)))
        )
    return params


def modes_of(impl):
    """The modes `impl` can run: a peer's or the book's own list, else all of them."""
    return PEERS.get(impl) or BOOK.get(impl) or MODES


def parse(name):
    """The Variant called `name`; a ValueError lists the allowed names otherwise."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown variant {name!r}; allowed: {', '.join(BY_NAME)}") from None


def select(only, variants=ALL_VARIANTS):
    """Variants matching any of `only`: a variant name, an implementation or a mode."""
    chosen = []
    for word in only:
        matched = [v for v in variants if word in (v.name, v.impl, v.mode)]
        if not matched:
            allowed = sorted({*BY_NAME, *OURS, *BOOK, *PEERS, *MODES, "numpy"})
            raise ValueError(f"--only {word!r} matches no variant; allowed: {', '.join(allowed)}")
        chosen += [v for v in matched if v not in chosen]
    return chosen
