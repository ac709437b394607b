"""Timing side by side: a reference and the subjects compared with it, in interleaved rounds in
one process, so a busy moment on the host slows both sides of a ratio alike.

A round times one block of calls of every subject, the order rotating from round to round, so
each subject runs before the reference in some rounds and after it in others. A block's
preparation (building the graphs its calls backpropagate, drawing inputs) and the collection of
the previous block's garbage happen before its clock starts. The ratio of a comparison is
best(ours) / best(reference), best of rounds, with the ratio of medians and the range of the
per-round ratios beside it as its spread.

Time is the process's CPU time (`time.process_time`, every thread of it): it leaves out the
moments the process waits for a CPU, which on a shared host are most of the noise. What is
left (shared caches, memory traffic, clock speed) slows both sides of a round alike.
"""

import gc
import math
import statistics
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

import numpy as np

TIMER = time.process_time


@dataclass(frozen=True)
class Subject:
    """One side of a comparison: `prepare(calls)` makes everything `calls` calls need, outside
    the timed region, and returns the block that makes those calls."""

    key: str  # unique among subjects: shared references are timed once per round
    label: str  # what one call does, for tables
    prepare: Callable[[int], Callable[[], object]]
    peer: str | None = None  # the peer package it needs; None for ours and plain numpy
    settings: Callable[[], AbstractContextManager] = nullcontext  # held around a whole block
    release: Callable[[], None] = lambda: None  # drops what its blocks shared, once timed
    # Subjects of one family run the same code at other sizes: in one process, the warm-up of
    # the first serves the others (a 100,000-op chain after the 10,000-op one needs none).
    family: str | None = None


@dataclass(frozen=True)
class Plan:
    """How long to time: blocks of about `block_s`, `max_rounds` rounds or as many as fit in
    `budget_s` per reference (CPU seconds, preparation included), never fewer than
    `min_rounds`."""

    max_rounds: int = 11
    min_rounds: int = 3
    block_s: float = 0.01
    budget_s: float = 3.0
    # After the warm-up, move every object alive (the frameworks' modules, mostly) out of the
    # cyclic GC's sight for good (gc.freeze): the collection before each block, and any that a
    # block runs, then cost what the workload made, not a walk over every object imported
    # (about 170,000 with PyTorch: 0.15 s a collection). Only for a process that does nothing
    # but measure: frozen objects are never collected.
    freeze: bool = False

    def as_json(self):
        return {
            "max_rounds": self.max_rounds,
            "min_rounds": min(self.min_rounds, self.max_rounds),
            "block_s": self.block_s,
            "budget_s": self.budget_s,
            "freeze": self.freeze,
        }


@dataclass
class Timings:
    """Seconds per call of each subject, one entry per round; subjects that failed, and why."""

    calls: int = 0  # calls per block, the same for every subject of a batch
    seconds: dict[str, list[float]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


def time_block(subject, calls, timer=TIMER):
    """Seconds per call of one block of `calls` calls of `subject`.

    numpy's floating-point warnings are off on every side: a chain of squares overflows to inf
    after a dozen ops, and the warnings machinery would be timed instead of the engine.
    """
    with subject.settings(), np.errstate(all="ignore"):
        block = subject.prepare(calls)
        # The previous block's garbage (a strong graph waits for the cyclic GC) is not this
        # block's cost; what this block makes is, collections included.
        gc.collect()
        start = timer()
        block()
        seconds = timer() - start
        del block  # frees what the block kept (weak graphs), untimed
    return seconds / calls


def _calls_per_block(subject, plan, timer):
    """(calls that make one block of `subject` last about `plan.block_s`, at least one; the
    seconds per call of the last probe when it was already such a block, else None): probes of
    1, 10, 100... calls until one is long enough to go by, then one block of the size that
    gives to confirm it (a probe of a few calls can catch a slow moment)."""
    calls = 1
    while True:
        per_call = time_block(subject, calls, timer)
        seconds = per_call * calls
        if seconds >= plan.block_s / 10 or calls >= 10**6:
            break
        calls *= 10
    estimate = max(1, round(calls * plan.block_s / max(seconds, 1e-9)))
    if estimate == 1:  # one call fills a block: nothing to confirm, and the probe is a block
        return 1, (per_call if calls == 1 else None)
    seconds = time_block(subject, estimate, timer) * estimate
    return max(1, round(estimate * plan.block_s / max(seconds, 1e-9))), None


def run(reference, subjects, plan, timer=TIMER, warmed=None):
    """Time `reference` and `subjects` in interleaved rounds; Timings by subject key.

    One call of each first, untimed for the ratio: lazy imports (a peer's framework) and first
    calls' caches; none for a subject whose family is in `warmed` (the families warmed so far
    in this process, which this adds to). The block length comes from the reference; the number
    of rounds from the first round's time, preparation included. A subject that raises is left out
    of the later rounds with its error; the reference raising ends the batch, since every ratio
    needs it. Where one call of the reference fills a block, the probe that found so was timed
    as a block is, first in the order round 0 takes: it stands as the reference's block of
    round 0 (a 100,000-op graph is not recorded and backpropagated once more for nothing).
    """
    timings = Timings()
    everyone = [reference, *subjects]
    warmed = set() if warmed is None else warmed
    for subject in everyone:
        if subject.family is not None and subject.family in warmed:
            continue
        _attempt(timings, subject, lambda s=subject: time_block(s, 1, timer))
        if subject.family is not None and subject.key not in timings.failed:
            warmed.add(subject.family)
    if plan.freeze:
        gc.collect()
        gc.freeze()
    probe_started = timer()
    found = _attempt(timings, reference, lambda: _calls_per_block(reference, plan, timer))
    if reference.key in timings.failed:
        return timings
    timings.calls, first = found
    rounds, r = plan.max_rounds, 0
    while r < rounds and reference.key not in timings.failed:
        started = timer()
        live = [s for s in everyone if s.key not in timings.failed]
        shift = r % len(live)
        for subject in live[shift:] + live[:shift]:
            if r == 0 and subject is reference and first is not None:
                timings.seconds[reference.key] = [first]
                started = probe_started  # round 0 lasted that block too: the budget counts it
                continue
            seconds = _attempt(
                timings, subject, lambda s=subject: time_block(s, timings.calls, timer)
            )
            if seconds is not None:
                timings.seconds.setdefault(subject.key, []).append(seconds)
        if r == 0:
            rounds = _rounds(plan, timer() - started)
        r += 1
    return timings


def _rounds(plan, round_s):
    fewest = min(plan.min_rounds, plan.max_rounds)
    fit = math.floor(plan.budget_s / round_s) if round_s > 0 else plan.max_rounds
    return max(fewest, min(plan.max_rounds, fit))


def _attempt(timings, subject, action):
    """`action()`, or None with the error recorded against `subject`: one failing framework
    never takes the other comparisons down."""
    try:
        return action()
    except Exception as e:
        timings.failed[subject.key] = f"{type(e).__name__}: {e}"
        return None


def summarize(ours, reference):
    """The ratio of two subjects' per-round seconds (same rounds, same order) and its spread."""
    pairs = list(zip(ours, reference, strict=True))
    per_round = [a / b for a, b in pairs]
    return {
        "ratio": min(ours) / min(reference),
        "median_ratio": statistics.median(ours) / statistics.median(reference),
        "round_ratio_min": min(per_round),
        "round_ratio_max": max(per_round),
        "ours_best_s": min(ours),
        "reference_best_s": min(reference),
        "rounds": len(pairs),
    }
