"""The cycle census: what one iteration of the loop leaves for the cyclic GC, and the counts the
GC decides on. Run by the explanation pass (`loop.py --explain`), never by a measured pass.

Three readings, each with the collector held off so that nothing is freed behind our back:
- the gc-tracked objects one iteration leaves behind, net of what it frees (`gc.get_objects()`);
- that iteration's cyclic garbage by type (`gc.DEBUG_SAVEALL`), and the numpy arrays it keeps;
- the gen0 count one iteration adds (`gc.get_count()`) when CPython's free lists are empty, and
  how many objects each free list can hand back, probed the same way: an object reused from a
  free list does not advance the count, so the count per iteration depends on what the last
  collection refilled (see docs/measurement.md, "The GC model").
"""

import array
import gc
import sys
import tracemalloc
from collections import Counter

import numpy as np

ITERATIONS = 6  # iterations of garbage counted: enough for whole numbers per iteration
EVENTS = 200_000  # calls and returns sampled within one iteration, at most
PROBE = 5000  # objects made to fill a free list: more than any CPython free list holds
# Container types with a free list in CPython 3.11-3.13, and how to make one of a given size
# without making any other tracked object (a tuple's free list is per size).
_MAKERS = {
    "list": lambda size: [],
    "dict": lambda size: {},
    "tuple": lambda size: tuple(range(size)),
}


def _held_off(fn):
    """Run `fn` with the collector disabled, restoring its state and debug flags afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return fn()
    finally:
        gc.set_debug(0)
        if was_enabled:
            gc.enable()


def free_list_capacity(kind, size=0):
    """How many objects of `kind` ("list", "dict", "tuple" of `size`) CPython keeps for reuse:
    fill the free list by freeing many, then count how many new ones do not advance gen0."""

    def probe():
        make = _MAKERS[kind]
        held = []  # made first: made later, it would take an object from the list probed
        gc.collect()  # a full collection also empties the free lists
        made = [make(size) for _ in range(PROBE)]
        del made  # the free list takes what it can hold; the rest is deallocated
        gc.get_count()  # its result tuple now waits on a free list: the next reading is free
        start = gc.get_count()[0]
        for n in range(PROBE):
            held.append(make(size))
            if gc.get_count()[0] > start:  # the first one allocated afresh
                return n
        return PROBE

    return _held_off(probe)


def _arrays_kept(garbage):
    """The numpy arrays the garbage refers to (arrays are not gc-tracked, so the collector never
    lists them): how many, and their bytes."""
    seen = {}
    for obj in garbage:
        for ref in gc.get_referents(obj):
            if isinstance(ref, np.ndarray):
                seen[id(ref)] = ref
    return len(seen), sum(a.nbytes for a in seen.values())


def _type_name(obj):
    kind = type(obj)
    name = kind.__qualname__
    return name if kind.__module__ == "builtins" else f"{name} ({kind.__module__})"


def within_iteration(step, new_input):
    """The gen0 count and the traced bytes at every call and return of one iteration, relative
    to its start: where in the iteration the count peaks, and how much is alive at each count.

    Returns (count_peak, bytes_at_count): bytes_at_count[u] is what the iteration had allocated
    and still held when its count first passed u. The samples go into preallocated arrays, so
    sampling allocates no tracked object but the frame objects the profiler is handed; those
    are subtracted (one per call under way).
    """
    counts, held = array.array("q", bytes(8 * EVENTS)), array.array("q", bytes(8 * EVENTS))
    n = array.array("q", [0])
    get_count, traced = gc.get_count, tracemalloc.get_traced_memory
    top = None

    def sample(frame, event, arg):
        i = n[0]
        if i < EVENTS:
            depth = 0
            while frame is not None and frame is not top:
                frame, depth = frame.f_back, depth + 1
            counts[i], held[i] = get_count()[0] - depth, traced()[0]
            n[0] = i + 1

    def run():
        nonlocal top
        y = step(new_input())  # a previous y alive, as in the loop
        top = sys._getframe()
        tracemalloc.start()
        try:
            sample(None, "start", None)
            sys.setprofile(sample)
            y = step(new_input())
        finally:
            sys.setprofile(None)
            tracemalloc.stop()
        del y

    gc.collect()
    _held_off(run)
    start_count, start_bytes = counts[0], held[0]
    table, top_count = [], 0
    for i in range(n[0]):
        c = counts[i] - start_count
        while top_count < c:  # the count first passed `top_count` at this sample
            table.append(held[i] - start_bytes)
            top_count += 1
    return top_count, table


def take(step, new_input, iterations=ITERATIONS):
    """The census of `step` (one iteration: `y = step(new_input())`), as a JSON-ready dict."""

    def census():
        gc.collect()  # empty generations and empty free lists: the count of a cold start
        y = step(new_input())  # the steady state: a previous y is alive
        counts = []  # made before the first reading, so it is not counted as left behind
        before = len(gc.get_objects())
        counts.append(gc.get_count()[0])
        for _ in range(iterations):
            y = step(new_input())
            counts.append(gc.get_count()[0])
        left = len(gc.get_objects()) - before
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        garbage = list(gc.garbage)
        gc.garbage.clear()
        gc.set_debug(0)
        del y
        arrays, nbytes = _arrays_kept(garbage)
        by_type = Counter(_type_name(o) for o in garbage)
        tuple_sizes = Counter(len(o) for o in garbage if type(o) is tuple)
        del garbage
        per = iterations
        return {
            "iterations": iterations,
            "tracked_left_per_iter": left / per,
            # The first iterations after a collection pay one-off allocations: the last ones count.
            "gen0_count_per_iter": (counts[-1] - counts[-4]) / 3,
            "gen0_counts": counts,
            "garbage_per_iter": {k: n / per for k, n in by_type.most_common()},
            "garbage_objects_per_iter": sum(by_type.values()) / per,
            "arrays_per_iter": arrays / per,
            "array_bytes_per_iter": nbytes / per,
            "tuple_sizes": {str(k): n / per for k, n in sorted(tuple_sizes.items())},
        }

    # What is alive now (the modules, the engine; PyTorch's alone is some 200,000 objects) is
    # never the census's garbage: frozen out of the collector's sight, it is not walked by the
    # census's collections, each of which took PyTorch's pass 0.15 s. Their counts, the
    # garbage found and the free lists emptied are the same. The process ends after the census.
    gc.collect()
    gc.freeze()
    result = _held_off(census)
    result["free_lists"] = _free_lists(result)
    peak, table = within_iteration(step, new_input)
    result["gen0_count_peak_in_iter"] = peak
    result["bytes_at_count"] = table
    gc.collect()
    return result


def _free_lists(result):
    """The capacity of each free list the garbage's containers would go to and come from."""
    kept = result["garbage_per_iter"]
    found = {}
    for kind in ("list", "dict"):
        if kept.get(kind):
            found[kind] = free_list_capacity(kind)
    for size in result["tuple_sizes"]:
        found[f"tuple{size}"] = free_list_capacity("tuple", int(size))
    return found
