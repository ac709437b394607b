"""The GC model: from a variant's cycle census and the collector's thresholds alone, predict how
many gen0 and gen1 collections the loop sees and its tracemalloc peak. The prediction is stored
beside the measurement, never instead of it (docs/measurement.md, "The GC model").

CPython (3.11-3.13, the generational collector) collects when the gen0 count passes threshold0.
The count rises by one for every gc-tracked container allocated and falls by one for every one
deallocated, except for containers taken from or returned to a free list (lists, dicts, tuples
per size): those leave it unchanged. So an iteration that keeps `k` containers adds `k` minus
the ones it took from a free list, and each collection refills the free lists from its garbage.
A collection runs partway through an iteration: the previous y's chain and the part of the new
one built so far are alive then, so it promotes them to the next generation, where they wait
for that generation's collection (gen1 runs when more than threshold1 gen0 collections have
run since the last one). The peak is the live memory just before the largest collection:

    peak = extra + b * (G + P * c)

b: the array bytes one iteration's cyclic garbage keeps; G: the iterations since the previous
collection; P: the collections whose survivors are still waiting in gen1 and gen2; c: the
iterations' chains alive at a collection: the previous y's, and what the iteration under way
holds, on average over the stretch of its count where the collection can fall; extra: the
bytes of the iteration under way beyond its chain.
"""

import statistics
from dataclasses import asdict, dataclass, field

MIB = 2**20


@dataclass(frozen=True)
class Inputs:
    """The model's inputs, each measured (census) or set (thresholds, workload)."""

    gen0_per_iter: float  # count one iteration adds with the free lists empty
    kept_per_iter: dict = field(default_factory=dict)  # free list -> containers kept per iteration
    capacity: dict = field(default_factory=dict)  # free list -> objects it holds
    bytes_per_iter: float = 0.0  # array bytes one iteration's cyclic garbage keeps
    floor_bytes: float = 0.0  # the live-array floor
    count_peak_in_iter: float = 0.0  # the highest count within one iteration (census)
    bytes_at_count: tuple = ()  # bytes the iteration holds when its count first passes u
    threshold0: int | None = 700  # None: the collector is off
    threshold1: int = 10
    iters: int = 1000

    @classmethod
    def from_census(cls, census, floor_mib, threshold, iters):
        """The inputs for one variant: its census (measure/census.py), its live-array floor,
        the collector's (threshold0, threshold1) and the loop's iterations."""
        kept, capacity = {}, {}
        for name, cap in census["free_lists"].items():
            kind = "tuple" if name.startswith("tuple") else name
            per_iter = (
                census["tuple_sizes"].get(name.removeprefix("tuple"), 0.0)
                if kind == "tuple"
                else census["garbage_per_iter"].get(kind, 0.0)
            )
            if per_iter:
                kept[name], capacity[name] = per_iter, cap
        return cls(
            gen0_per_iter=census["gen0_count_per_iter"],
            kept_per_iter=kept,
            capacity=capacity,
            bytes_per_iter=census["array_bytes_per_iter"],
            count_peak_in_iter=census["gen0_count_peak_in_iter"],
            bytes_at_count=tuple(census["bytes_at_count"]),
            floor_bytes=floor_mib * MIB,
            threshold0=threshold[0],
            threshold1=threshold[1],
            iters=iters,
        )


@dataclass
class _State:
    count: float = 0.0  # gen0 count
    gen1_count: int = 0  # gen0 collections since the last gen1 collection
    born: float = 0.0  # array bytes the chains made since the last collection keep
    in_gen1: float = 0.0  # bytes promoted to gen1, garbage by now
    in_gen2: float = 0.0  # bytes promoted to gen2 by gen1 collections
    free: dict = field(default_factory=dict)  # free list -> objects waiting in it


def _take_from_free_lists(inputs, state, fraction=1.0):
    """The count `fraction` of an iteration adds, taking what it can from the free lists."""
    reused = 0.0
    for name, kept in inputs.kept_per_iter.items():
        took = min(kept * fraction, state.free.get(name, 0.0))
        state.free[name] = state.free.get(name, 0.0) - took
        reused += took
    return inputs.gen0_per_iter * fraction - reused


def _refill(inputs, state, chains_freed):
    for name, kept in inputs.kept_per_iter.items():
        cap = inputs.capacity[name]
        state.free[name] = min(cap, state.free.get(name, 0.0) + kept * chains_freed)


def predict(inputs):
    """gen0 and gen1 collections, iterations between them and the peak (MiB), as a dict.

    The loop starts from a full collection (empty generations, empty free lists), as
    `benchmarks/loop.py` does. An iteration whose free-list reuse lowers its count is assumed
    to lower it evenly along the iteration.
    """
    b, table = inputs.bytes_per_iter, inputs.bytes_at_count or [0.0]
    a, top = inputs.gen0_per_iter, inputs.count_peak_in_iter
    state = _State()
    collections = [0, 0]
    at, gaps, promoted, peak, last = [], [], [], inputs.floor_bytes, None
    for i in range(inputs.iters):
        free_before = dict(state.free)
        add = _take_from_free_lists(inputs, state)
        scale = a / add if add > 0 else 0.0  # from this iteration's count to the census's
        held = state.born + state.in_gen1 + state.in_gen2
        off = inputs.threshold0 is None
        if off or add <= 0 or state.count + top / scale <= inputs.threshold0:
            peak = max(peak, held + table[-1])
            state.count += max(add, 0.0)
            state.born += b
            continue
        # The count passes threshold0 in this iteration, at a point that depends on how far it
        # still was from it: anywhere the iteration's own count rises through its last `a`.
        # The mean over those points, not one of them: the count's fine phase is not modelled.
        made = statistics.fmean(table[min(max(int(top - a), 0), len(table) - 1) :])
        peak = max(peak, held + made)
        f = min(made / b, 1.0) if b else 0.0
        alive = b + f * b  # the previous y's chain and the part of this one built so far
        promoted.append(alive / b if b else 0.0)
        gaps.append(None if last is None else i + f - last)
        last = i + f
        at.append(i)
        freed = (state.born + made - alive) / b if b else 0.0
        if state.gen1_count + 1 > inputs.threshold1:  # gen1's count is past threshold1
            collections[1] += 1
            freed += state.in_gen1 / b if b else 0.0
            state.in_gen1, state.gen1_count = 0.0, 0
            state.in_gen2 += alive
        else:
            collections[0] += 1
            state.gen1_count += 1
            state.in_gen1 += alive
        # The rest of the iteration runs on the free lists the collection refilled.
        state.free = free_before
        _take_from_free_lists(inputs, state, f)
        _refill(inputs, state, max(freed, 0.0))
        state.count = max(_take_from_free_lists(inputs, state, 1 - f), 0.0)
        state.born = b * (1 - f)
    steady = [g for g in gaps[1:] if g is not None]
    return {
        "inputs": asdict(inputs),
        "gen0_collections": collections[0],
        "gen1_collections": collections[1],
        "collection_iters": at,
        "first_gap_iters": at[0] + 1 if at else None,
        "mean_gap_iters": sum(steady) / len(steady) if steady else None,
        "chains_promoted_per_collection": sum(promoted) / len(promoted) if promoted else None,
        "peak_mib": peak / MIB,
    }
