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

    def live_array_floor_mib(self, size, depth, retain_grad=False):
        """The least memory the loop can live in: the arrays it must hold at once.

        Recording: the previous y keeps its chain (depth + 1 arrays) while the new chain is
        built. no_grad and numpy: old y, x, the op's input and output. backward adds the old
        leaf's grad, the incoming grad and the grad being made; with retain_grad both chains
        keep a grad per array. (numpy reuses the temporary in `2 * x * gy` in place.)
        """
        chain = depth + 1
        if self.impl == "autograd":
            # HIPS autograd's loop keeps only the gradient: the previous one, the chain its
            # tape records and the gradient being made.
            arrays = chain + 2
        elif self.mode == "no_grad":
            arrays = 4 if depth > 1 else 3
        elif self.mode == "backprop":
            arrays = 2 * chain
        elif retain_grad:
            arrays = 4 * chain
        else:
            arrays = 2 * chain + 3
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
