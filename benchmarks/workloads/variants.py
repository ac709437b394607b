"""Canonical variant names: one name per (engine, graph kind, mode, design), used in JSON, plots,
pytest ids and the report alike, derived from the engine files' declarations (benchmarks/engines/)
and the workloads (benchmarks/workloads/__init__.py).

A name joins the engine's prefix, the graph kind where the engine records several, the mode, and
the design where the variant saves memory in backward: `strong-backprop` (ours: no prefix),
`book-weak-backprop`, `torch-no_grad`, `weak-backward-free`, `torch-backward-checkpoint`. The
plain-numpy reference is `numpy`. A name says what runs, not on what: the workload is a setting
of the run (`--workload`), and a results file holds one.
"""

import os
from dataclasses import dataclass

from .. import engines as E
from .. import workloads as W

MODES = E.MODES
ARRAY_MIB = 8 / 2**20  # one float64 element, in MiB
# Set (by `python -m benchmarks --no-peers`) to leave the peers out of the benchmark suite.
NO_PEERS_ENV = "AUTOGRAD_BENCH_NO_PEERS"
# The users' engines the benchmark suite times too (`--engine`), separated by os.pathsep.
ENGINES_ENV = "AUTOGRAD_BENCH_ENGINES"
HEADLINE = ("strong-backprop", "weak-backprop")  # the pair the report's first sentence compares
BOOK_TWIN = ("strong-backprop", "book-strong-backprop")  # our strong graph and the book's design
# Every design a workload measures, in the order names take: free, checkpoint, checkpoint-free.
DESIGNS = tuple(dict.fromkeys(d for w in W.WORKLOADS.values() for d in w.designs))


@dataclass(frozen=True)
class Variant:
    engine: E.Engine
    graph: str  # a graph kind of the engine's, "" for an engine that records one kind
    mode: str  # "backprop", "backward" or "no_grad"
    design: str = ""  # "", or designs of E.DESIGNS joined by "-": "free", "checkpoint-free"

    @property
    def impl(self):
        """The engine and graph kind: strong, book-weak, torch, numpy (a results file's `impl`)."""
        return "-".join(p for p in (self.engine.prefix, self.graph) if p)

    @property
    def name(self):
        if self.engine.role == "reference":
            return self.engine.name
        return "-".join(p for p in (self.impl, self.mode, self.design) if p)

    @property
    def frees(self):
        """Whether its backward frees what each op saved (retain_graph=False)."""
        return "free" in self.design.split("-")

    @property
    def checkpoints(self):
        """Whether it checkpoints its chain, recomputing activations in backward."""
        return "checkpoint" in self.design.split("-")

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

    def settings(self):
        """A context manager held around a whole loop: the graph kind, and no_grad if asked."""
        return self.engine.settings(self.graph, self.mode)

    def backward(self, retain_grad=False):
        """The function that backpropagates from y as this variant does."""
        options = {"retain_grad": True} if retain_grad else {}
        if self.frees:
            options["retain_graph"] = False
        return self.engine.backward(**options)

    def live_array_floor_mib(self, size, depth, iters, retain_grad=False, workload_name=None):
        """The least memory the loop can live in: the arrays it must hold at once, counted by
        the workload (classic.floor_arrays, deep_chain.floor_arrays) unless the engine counts
        its own."""
        arrays = self.engine.floor_arrays(self.mode, depth, iters, retain_grad)
        if arrays is None:
            arrays = W.get(workload_name).floor_arrays(self, depth, iters, retain_grad)
        return arrays * size * ARRAY_MIB


def refused(variant, workload_name):
    """Why `workload_name` does not measure `variant`, or None when it does."""
    w = W.get(workload_name)
    if w.name in variant.engine.cannot:
        return variant.engine.cannot[w.name]
    if variant.engine.op(w.op) is None:
        return f"{variant.engine.name} has no {w.op}, the op of the {w.name} workload"
    if variant.engine.role != "reference" and variant.mode not in w.modes:
        return f"the {w.name} workload measures mode {', '.join(w.modes)}, not {variant.mode}"
    if variant.design and variant.design not in w.designs:
        return (
            f"the {w.name} workload measures designs {', '.join(w.designs)}, not {variant.design}"
        )
    return None


def left_out(engine):
    """Why the benchmark suite leaves `engine` out (not installed, --no-peers), or None."""
    if engine.role == "peer" and os.environ.get(NO_PEERS_ENV):
        return "peers left out (--no-peers)"
    if engine.role == "design":
        return "the book's engine is a memory reference, not timed"
    return engine.missing()


def of(engine, workload_name="classic"):
    """The variants of `engine` that run a workload: every mode and design the workload
    measures that the engine has, each graph kind within it. None: every variant of every
    workload; a name that is no workload of W.WORKLOADS (the speed suite's "scalar" graphs):
    every mode, plain, unless the engine says it cannot."""
    if workload_name is None:
        return _variants(engine, DESIGNS)
    if workload_name not in W.WORKLOADS:
        return () if workload_name in engine.cannot else _variants(engine, ())
    designs = W.get(workload_name).designs
    return tuple(v for v in _variants(engine, designs) if refused(v, workload_name) is None)


def _variants(engine, designs):
    """Every mode, then plain and each of `designs` the engine has (backward alone), then
    each graph kind: strong-backward, weak-backward, strong-backward-free..."""
    found = []
    for mode in engine.modes:
        for design in ("", *designs):
            if design and (mode != "backward" or not set(design.split("-")) <= set(engine.designs)):
                continue
            found += [Variant(engine, graph, mode, design) for graph in engine.graphs]
    return tuple(found)


def every(workload="classic"):
    """The variants of every built-in engine that can run `workload`, in the matrix's order."""
    return tuple(v for e in E.builtin().values() for v in of(e, workload))


def suite(workload):
    """What the benchmark suite times of `workload`: every built-in engine's variants that can
    run it, then those of the engines named in ENGINES_ENV."""
    specs = [s for s in os.environ.get(ENGINES_ENV, "").split(os.pathsep) if s]
    return every(workload) + tuple(v for s in specs for v in of(E.load(s), workload))


def matrix(workload_name="classic", peers=True):
    """What `run --workload NAME` measures: the reference, ours and the book's design, then
    (with `peers`) the peers, each with the variants the workload measures."""
    roles = ("reference", "ours", "design", *(("peer",) if peers else ()))
    return tuple(v for e in E.builtin().values() if e.role in roles for v in of(e, workload_name))


DEFAULT_MATRIX = matrix(peers=False)
PEER_VARIANTS = tuple(v for v in matrix() if v.is_peer)
ALL_VARIANTS = DEFAULT_MATRIX + PEER_VARIANTS
# Every built-in variant of every workload, by name: what `--variant` and `--only` accept.
BY_NAME = {v.name: v for name in W.WORKLOADS for v in matrix(name)}
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
    return list(dict.fromkeys(v.impl for v in BY_NAME.values()))


def modes_of(impl):
    """The modes `impl` can run."""
    return tuple(dict.fromkeys(v.mode for v in BY_NAME.values() if v.impl == impl)) or MODES


def by_impl(impl, mode, user=(), design=""):
    """The variant of implementation `impl` (strong, torch, numpy...) in `mode`, with `design`."""
    for v in known(user).values():
        if v.impl == impl and (
            v.engine.role == "reference" or (v.mode == mode and v.design == design)
        ):
            return v
    with_design = f" with design {design}" if design else ""
    raise ValueError(f"--impl {impl} has no mode {mode}{with_design}")


def known(user=()):
    """{name: Variant} of the built-in engines and the `user` engines (loaded Engines), in
    every workload."""
    return {**BY_NAME, **{v.name: v for e in user for v in of(e, None)}}


def parse(name, user=()):
    """The Variant called `name`; a ValueError lists the allowed names otherwise."""
    table = known(user)
    try:
        return table[name]
    except KeyError:
        raise ValueError(f"unknown variant {name!r}; allowed: {', '.join(table)}") from None


def select(only, variants=ALL_VARIANTS, workload_name="classic"):
    """Variants matching any of `only`: a variant name, an implementation, an engine, a mode or
    a design (`free` chooses every freeing variant)."""
    chosen = []
    for word in only:
        matched = [v for v in variants if word in _words(v)]
        if not matched:
            allowed = sorted({w for v in variants for w in _words(v)})
            hint = ""
            if word in BY_NAME:
                others = [n for n in W.WORKLOADS if refused(BY_NAME[word], n) is None]
                hint = (
                    f" of the {workload_name} workload ({word}: --workload {' or '.join(others)})"
                )
            raise ValueError(
                f"--only {word!r} matches no variant{hint}; allowed: {', '.join(allowed)}"
            )
        chosen += [v for v in matched if v not in chosen]
    return chosen


def _words(v):
    return {v.name, v.impl, v.mode, v.engine.name, *v.design.split("-")} - {""}
