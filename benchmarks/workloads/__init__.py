"""What is measured: the workloads (what one iteration of the loop does), the variants and their
canonical names, and each workload's step for every engine.

A results file holds one workload, named in its settings (`settings.workload`); a file written
before workloads had names holds the classic one. The gate never compares two workloads.
"""

from collections.abc import Callable
from dataclasses import dataclass

from ..engines import MODES
from . import classic, deep_chain


@dataclass(frozen=True)
class Workload:
    name: str
    op: str  # the engine op its chain applies: an engine without it cannot run the workload
    modes: tuple  # the modes it measures (and the reference engine, numpy, whatever its mode)
    designs: tuple  # what it measures besides each plain variant: free, checkpoint... (backward)
    iters: int  # its defaults: iterations, and ops per iteration
    depth: int
    what: str  # one iteration, in words
    build: Callable  # (variant, depth, retain_grad) -> (settings, step): see classic.build
    floor_arrays: Callable  # (variant, depth, iters, retain_grad) -> arrays held at once


CLASSIC = Workload(
    "classic",
    "square",
    MODES,
    ("free",),
    1000,
    3,
    "y = square(square(square(x))) on a fresh array; with backward, y.backward()",
    classic.build,
    classic.floor_arrays,
)
DEEP_CHAIN = Workload(
    "deep-chain",
    deep_chain.OP,
    ("backward",),
    ("free", "checkpoint", "checkpoint-free"),
    5,
    64,
    "y = tanh(tanh(...tanh(x))), depth ops on a fresh array, and y.backward(); checkpointed"
    " every round(sqrt(depth)) ops",
    deep_chain.build,
    deep_chain.floor_arrays,
)
WORKLOADS = {w.name: w for w in (CLASSIC, DEEP_CHAIN)}
DEFAULT = CLASSIC.name


def get(name):
    """The Workload called `name` (None: the classic one); ValueError listing them otherwise."""
    try:
        return WORKLOADS[name or DEFAULT]
    except KeyError:
        raise ValueError(f"unknown workload {name!r}; allowed: {', '.join(WORKLOADS)}") from None


def build(variant, depth, retain_grad=False, workload=None):
    """(settings, step) of `variant` in the workload called `workload` (None: the classic). A
    step may say what it saw of the workload (`step.facts()`, a dict for the record)."""
    return get(workload).build(variant, depth, retain_grad)


def of(results):
    """The workload a results dict (or a sweep's) holds: its settings', else the classic one."""
    return (results.get("settings") or {}).get("workload") or DEFAULT
