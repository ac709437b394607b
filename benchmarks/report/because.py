"""The first screen's why, in two or three sentences written from the file's figures: what one
iteration of the strong graph leaves in reference cycles (the cycle census), how often the
collector, which counts objects and not bytes, came for them (the collections), and the weak
graph beside it. A figure the file lacks leaves its clause out; nothing is said from memory."""

from .. import figures as F
from .headline import pair

MIB = 2**20


def _n(value):
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _census(variant):
    explain = variant.get("explain") if variant.get("status") == "ok" else None
    census = explain.get("census") if isinstance(explain, dict) else None
    return census if isinstance(census, dict) else {}


def _threshold0(results, variant):
    for thresholds in (
        (variant.get("gc") or {}).get("threshold"),
        (results.get("environment") or {}).get("gc_thresholds"),
    ):
        if isinstance(thresholds, list) and thresholds:
            return thresholds[0]
    return None


def sentences(results):
    """Up to three sentences: the strong graph's cycles, the collector, the weak graph."""
    strong, weak = pair(results)
    if strong.get("status") != "ok":
        return []
    said = [s for s in (_cycles(strong), _collector(results, strong, weak)) if s]
    return said + ([_weak(weak)] if _weak(weak) else [])


def _cycles(strong):
    census = _census(strong)
    objects, arrays = census.get("garbage_objects_per_iter"), census.get("arrays_per_iter")
    if not objects or arrays is None:
        return None
    kinds = sorted((census.get("garbage_per_iter") or {}).items(), key=lambda kv: -kv[1])
    named = ", ".join(f"{_n(n)} {kind.split(' (')[0]}" for kind, n in kinds[:4])
    held = census.get("array_bytes_per_iter") or 0
    return (
        f"Why: each iteration of {strong['name']} leaves its graph in reference cycles,"
        f" {_n(objects)} objects{f' ({named})' if named else ''} holding {_n(arrays)} arrays"
        f" ({held / MIB:.2f} MiB), which reference counting cannot free: they wait for the"
        " cyclic garbage collector."
    )


def _collector(results, strong, weak):
    gc, iters = strong.get("gc") or {}, strong.get("iters_done")
    peak, floor = strong.get(F.TRACED_PEAK.name), strong.get(F.FLOOR.name)
    collections = gc.get("collections")
    if not isinstance(collections, list) or not collections or peak is None or not iters:
        return None
    held = f"a {F.TRACED_PEAK.title} of {F.text(F.TRACED_PEAK, peak)}"
    if floor:
        held += f", {peak / floor:.1f}× the {F.text(F.FLOOR, floor)} the loop must hold at once"
    if gc.get("enabled") is False or (results.get("settings") or {}).get("gc_enabled") is False:
        return f"With the collector disabled in this run, nothing frees them: {held}."
    count, threshold = sum(collections), _threshold0(results, strong)
    per_iter = _census(strong).get("gen0_count_per_iter")
    counts = "The collector counts objects, not bytes: it runs when its count of new objects"
    counts += f" passes threshold0 ({threshold})" if threshold else " passes a threshold"
    if per_iter:
        counts += f", here {_n(per_iter)} an iteration"
    every = f", about every {iters / count:.0f} iterations" if count else ""
    return (
        f"{counts}. It ran {count:,} times in {iters:,} iterations{every}, and the graphs of"
        f" the iterations in between pile up: {held}."
    )


def _weak(weak):
    census, peak = _census(weak), weak.get(F.TRACED_PEAK.name)
    garbage, floor = census.get("garbage_objects_per_iter"), weak.get(F.FLOOR.name)
    if garbage is None or peak is None:
        return None
    at = f"its {F.TRACED_PEAK.title} is {F.text(F.TRACED_PEAK, peak)}"
    if floor:
        at += f", against a {F.FLOOR.title} of {F.text(F.FLOOR, floor)}"
    if garbage:
        return f"{weak['name']} leaves {_n(garbage)} objects of cyclic garbage an iteration; {at}."
    return (
        f"{weak['name']} records the same graph with weak references and leaves no cycle: reference"
        f" counting frees each graph as soon as y is rebound, and {at}."
    )
