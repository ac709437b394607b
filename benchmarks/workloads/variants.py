"""Canonical variant names: one name per (engine, graph kind, mode), used in JSON, plots, pytest
ids and the report alike, derived from the engine files' declarations (benchmarks/engines/).

A name joins the engine's prefix, the graph kind where the engine records several, and the mode:
`strong-backprop` (ours: no prefix), `book-weak-backprop`, `torch-no_grad`. The plain-numpy
reference is `numpy`.
"""

import os
from dataclasses import dataclass

from .. import engines as E

MODES = E.MODES
ARRAY_MIB = 8 / 2**20  # one float64 element, in MiB
# Set (by `python -m benchmarks --no-peers`) to leave the peers out of the benchmark suite.
NO_PEERS_ENV = "AUTOGRAD_BENCH_NO_PEERS"
# The users' engines the benchmark suite times too (`--engine`), separated by os.pathsep.
ENGINES_ENV = "AUTOGRAD_BENCH_ENGINES"
HEADLINE = ("strong-backprop", "weak-backprop")  # the pair the report's first sentence compares
BOOK_TWIN = ("strong-backprop", "book-strong-backprop")  # our strong graph and the book's design
CLASSIC = "classic"  # the workload a results file measures (`benchmarks/loop.py`)


@dataclass(frozen=True)
class Variant:
    engine: E.Engine
    graph: str  # a graph kind of the engine's, "" for an engine that records one kind
    mode: str  # "backprop", "backward" or "no_grad"

    @property
    def impl(self):
        """The engine and graph kind: strong, book-weak, torch, numpy (a results file's `impl`)."""
        return "-".join(p for p in (self.engine.prefix, self.graph) if p)

    @property
    def name(self):
        if self.engine.role == "reference":
            return self.engine.name
        return f"{self.impl}-{self.mode}"

    @property
    def is_peer(self):
        """An optional install, compared against: recorded as skipped where it is missing."""
        return self.engine.role == "peer"

    def missing(self):
        """Why this variant cannot run here (its engine's package is not installed), or None."""
        return self.engine.missing()

    def left_out(self):
        """Why the benchmark suite leaves this variant out (`missing`, or --no-peers), or None."""
        return left_out(self.engine)

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
        arrays = self.engine.floor_arrays(self.mode, depth, iters, retain_grad)
        if arrays is None:
            chain = depth + 1
            if self.mode == "no_grad":
                now, kept = (3 if depth > 1 else 2), 1
            elif self.mode == "backprop":
                now, kept = chain, chain
            elif retain_grad:
                now, kept = 2 * chain, 2 * chain
            else:
                now, kept = chain + 2, chain + 1
            arrays = now + (kept if iters > 1 else 0)
        return arrays * size * ARRAY_MIB


def left_out(engine):
    """Why the benchmark suite leaves `engine` out (not installed, --no-peers), or None."""
    if engine.role == "peer" and os.environ.get(NO_PEERS_ENV):
        return "peers left out (--no-peers)"
    if engine.role == "design":
        return "the book's engine is a memory reference, not timed"
    return engine.missing()


def of(engine, workload="classic"):
    """The variants of `engine` that run `workload`: every mode, each graph kind within it."""
    if workload is not None and workload in engine.cannot:
        return ()
    return tuple(Variant(engine, graph, mode) for mode in engine.modes for graph in engine.graphs)


def every(workload="classic"):
    """The variants of every built-in engine that can run `workload`, in the matrix's order."""
    return tuple(v for e in E.builtin().values() for v in of(e, workload))


def suite(workload):
    """What the benchmark suite times of `workload`: every built-in engine's variants that can
    run it, then those of the engines named in ENGINES_ENV."""
    specs = [s for s in os.environ.get(ENGINES_ENV, "").split(os.pathsep) if s]
    return every(workload) + tuple(v for s in specs for v in of(E.load(s), workload))


def _matrix(roles):
    return tuple(v for e in E.builtin().values() if e.role in roles for v in of(e))


DEFAULT_MATRIX = _matrix(("reference", "ours", "design"))
PEER_VARIANTS = _matrix(("peer",))
ALL_VARIANTS = DEFAULT_MATRIX + PEER_VARIANTS
BY_NAME = {v.name: v for v in ALL_VARIANTS}
NUMPY = BY_NAME["numpy"]
# Every built-in engine's variants, whatever each can run (a scalar engine's too): colours and
# labels for any name a file may hold.
ANY_WORKLOAD = {v.name: v for e in E.builtin().values() for v in of(e, None)}
OURS = E.builtin()["ours"].graphs  # our two graphs, in autograd_core's order: ("strong", "weak")
# Engines that cannot run a workload, and why: the report says so instead of leaving them out.
CANNOT = {e.name: e.cannot for e in E.builtin().values() if e.cannot}


def peers():
    """The peer engines, installed or not."""
    return [e for e in E.builtin().values() if e.role == "peer"]


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


def impls():
    """Every implementation's name (`loop.py --impl`): numpy, strong, weak, book-strong, torch..."""
    return list(dict.fromkeys(v.impl for v in ALL_VARIANTS))


def modes_of(impl):
    """The modes `impl` can run."""
    return tuple(dict.fromkeys(v.mode for v in ALL_VARIANTS if v.impl == impl)) or MODES


def by_impl(impl, mode, user=()):
    """The variant of implementation `impl` (strong, torch, numpy...) in `mode`."""
    for v in (*ALL_VARIANTS, *(v for e in user for v in of(e))):
        if v.impl == impl and (v.mode == mode or v.engine.role == "reference"):
            return v
    raise ValueError(f"--impl {impl} has no mode {mode}")


def known(user=()):
    """{name: Variant} of the built-in engines and the `user` engines (loaded Engines)."""
    return {**BY_NAME, **{v.name: v for e in user for v in of(e)}}


def parse(name, user=()):
    """The Variant called `name`; a ValueError lists the allowed names otherwise."""
    table = known(user)
    try:
        return table[name]
    except KeyError:
        raise ValueError(f"unknown variant {name!r}; allowed: {', '.join(table)}") from None


def select(only, variants=ALL_VARIANTS):
    """Variants matching any of `only`: a variant name, an implementation, an engine or a mode."""
    chosen = []
    for word in only:
        matched = [v for v in variants if word in (v.name, v.impl, v.mode, v.engine.name)]
        if not matched:
            allowed = sorted({w for v in variants for w in (v.name, v.impl, v.mode, v.engine.name)})
            raise ValueError(f"--only {word!r} matches no variant; allowed: {', '.join(allowed)}")
        chosen += [v for v in matched if v not in chosen]
    return chosen
