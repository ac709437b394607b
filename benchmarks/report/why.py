"""The report's "Why the peak" section, from a results file alone: the cycle census, the GC
model beside the measured figures, the peak's attribution, what a 0.1 s sampler would have
seen, and a few sentences written from those figures. Schema 1 files have none of it."""

import itertools
import statistics

from .. import figures as F
from ..files import mprof
from ..files import results as results_files
from ..workloads import variants as V
from . import rss

MIB = 2**20
MPROF_INTERVAL_S = 0.1  # memory_profiler's default sampling period
TOP_LINES = 5  # attribution lines shown per variant


def _explained(variant):
    explain = variant.get("explain")
    return explain if isinstance(explain, dict) and variant.get("status") == "ok" else None


def _count(value):
    # Per-iteration counts are means over a few iterations: 16.0 reads better as 16.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def census_rows(results):
    rows = []
    for v in results.get("variants", []):
        census = (_explained(v) or {}).get("census")
        if not isinstance(census, dict):
            continue
        rows.append(
            {
                "name": v["name"],
                "tracked": _count(census.get("tracked_left_per_iter")),
                "garbage": {
                    k: _count(n) for k, n in (census.get("garbage_per_iter") or {}).items()
                },
                "objects": _count(census.get("garbage_objects_per_iter")),
                "arrays": _count(census.get("arrays_per_iter")),
                "array_mib": (census.get("array_bytes_per_iter") or 0) / MIB,
                "gen0": _count(census.get("gen0_count_per_iter")),
                "free_lists": census.get("free_lists") or {},
            }
        )
    return rows


def _error_pct(predicted, measured):
    if predicted is None or not measured:
        return None
    return (predicted - measured) / measured * 100


def _measured_gap(variant):
    """Mean iterations between collections in the measured pass (any generation)."""
    events = (variant.get("gc") or {}).get("events") or []
    at = [e["iter"] for e in events if isinstance(e, dict) and isinstance(e.get("iter"), int)]
    gaps = [b - a for a, b in itertools.pairwise(at)][1:]  # the first starts cold
    return statistics.mean(gaps) if gaps else None


def model_rows(results):
    rows = []
    for v in results.get("variants", []):
        model = (_explained(v) or {}).get("model")
        if not isinstance(model, dict):
            continue
        collections = (v.get("gc") or {}).get("collections") or [None, None, None]
        measured = v.get(F.TRACED_PEAK.name)
        rows.append(
            {
                "name": v["name"],
                "gen0": (model.get("gen0_collections"), collections[0]),
                "gen1": (model.get("gen1_collections"), collections[1]),
                "gap": (model.get("mean_gap_iters"), _measured_gap(v)),
                "peak": (model.get("peak_mib"), measured),
                "error_pct": _error_pct(model.get("peak_mib"), measured),
                "promoted": model.get("chains_promoted_per_collection"),
                "inputs": model.get("inputs") or {},
            }
        )
    return rows


def attribution_rows(results):
    rows = []
    for v in results.get("variants", []):
        found = (_explained(v) or {}).get("attribution")
        if not isinstance(found, dict):
            continue
        rows.append(
            {
                "name": v["name"],
                "error": found.get("error"),
                "total_mib": found.get("total_mib"),
                "peak_mib": v.get(F.TRACED_PEAK.name),
                "where": _snapshot_where(v, found),
                "unseen": _unseen(v, found),
                "lines": (found.get("lines") or [])[:TOP_LINES],
            }
        )
    return rows


_EVENTS = {"opcode": "a bytecode of", "line": "a line of", "call": "the call of"}


def _snapshot_where(variant, found):
    """Where the explanation pass took its snapshot, in words: inside the peak's iteration (by
    its trace function) or at the checkpoint where the traced pass saw the most alive."""
    live = variant.get("live") or {}
    where = found.get("where")
    if isinstance(where, dict):
        event = _EVENTS.get(where.get("event"), "the return from")
        return (
            f"at {event} {where.get('function')} ({where.get('file')}:{where.get('line')}) in"
            f" iteration {live.get('peak_iter')}, where the traced peak lies"
        )
    at = found.get("at") or live.get("most_alive") or {}  # files before "at": the traced one
    return f"at the {at.get('kind')} of iteration {at.get('iter')}"


def _unseen(variant, found):
    """Why a snapshot holds less than the peak, when no bytecode of the peak's iteration saw
    the peak: the difference was alive only inside one C call."""
    iteration, total = found.get("peak_unseen_in_iter"), found.get("total_mib")
    peak = variant.get(F.TRACED_PEAK.name)
    if iteration is None or total is None or peak is None:
        return None
    return (
        f"No bytecode, call or return of iteration {iteration} saw the peak: the other"
        f" {peak - total:.2f} MiB were alive only inside one C call (numpy's temporaries), where"
        " no snapshot can be taken."
    )


def sampler_rows(results):
    """Each variant's peak as the kernel saw it, as the 1 ms sampler saw it, and as a 0.1 s
    sampler (mprof's default) would have: every 100th sample of the same timeline."""
    rows = []
    for v in results.get("variants", []):
        line = v.get("timeline") or {}
        t, rss = line.get("t") or [], line.get("rss_mib") or []
        if not t or len(t) != len(rss):
            continue
        rows.append(
            {
                "name": v["name"],
                "kernel": v.get(F.KERNEL_PEAK.name),
                "fine": max(rss),
                "interval_s": line.get("interval_s"),
                "coarse": max(mprof.resample(t, rss, MPROF_INTERVAL_S)[1]),
                "file": mprof.dat_name(v["name"]),
            }
        )
    return rows


def _events(variant):
    """The collections with live bytes both before and after them (schema 2)."""
    events = (variant.get("gc") or {}).get("events") or []
    return [
        e
        for e in events
        if e.get("live_before_mib") is not None and e.get("live_after_mib") is not None
    ]


def sentences(results):
    """A few sentences on RSS against live memory and on the two designs, each built from this
    file's figures; none when the file has no live figures."""
    variants = results_files.by_name(results)
    said = []
    strong, weak = (variants.get(name) or {} for name in V.HEADLINE)
    events, iter_mib = _events(strong), (strong.get("live") or {}).get("iter_mib") or []
    course = rss.course_of(strong)
    if events and iter_mib and course is not None:
        first = events[0]
        rise = statistics.median([b - a for a, b in itertools.pairwise(iter_mib) if b > a] or [0.0])
        said.append(
            f"{strong['name']}'s live memory rises {rise:.2f} MiB an iteration and falls at each "
            f"of its {len(events)} collections (from {first['live_before_mib']:.1f} MiB before "
            f"the first to {first['live_after_mib']:.1f} MiB after it, {first['collected']} "
            f"objects collected)."
        )
        said.append(rss.sentence(strong["name"], course))
        array_mib = (strong.get("size") or 0) * 8 / MIB
        glibc = "glibc" in str((results.get("environment") or {}).get("os"))
        reason = rss.reason(course, array_mib, glibc)
        if reason:
            said.append(reason)
    weak_live = (weak.get("live") or {}).get("iter_mib") or []
    weak_census = ((_explained(weak) or {}).get("census")) or {}
    if weak_live and weak_census:
        low, high = f"{min(weak_live):.2f}", f"{max(weak_live):.2f}"
        level = f"at {low} MiB" if low == high else f"between {low} and {high} MiB"
        garbage = weak_census.get("garbage_objects_per_iter", 0)
        said.append(
            f"{weak['name']}'s live memory stays {level} at every iteration's end: its "
            f"iterations leave {garbage:g} objects of cyclic garbage, so reference counting "
            "frees each graph as soon as y is rebound."
        )
    said += _book_sentence(variants)
    return said


def _book_sentence(variants):
    ours, book = (variants.get(name) or {} for name in V.BOOK_TWIN)
    mine, theirs = (_explained(ours) or {}).get("census"), (_explained(book) or {}).get("census")
    peaks = (ours.get(F.TRACED_PEAK.name), book.get(F.TRACED_PEAK.name))
    if not (mine and theirs) or None in peaks:
        return []
    counts = ("arrays_per_iter", "garbage_objects_per_iter")
    if any(census.get(k) is None for census in (mine, theirs) for k in counts):
        return []  # a census without the counts the sentence states
    gaps = (_measured_gap(ours), _measured_gap(book))
    gap_text = (
        f" ({gaps[1]:.1f} iterations between collections against {gaps[0]:.1f})"
        if None not in gaps
        else ""
    )
    return [
        f"The book's step-16 design peaks at {peaks[1]:.1f} MiB against our strong graph's "
        f"{peaks[0]:.1f} MiB with the same {theirs['arrays_per_iter']:g} arrays an iteration: "
        f"its iteration keeps {theirs['garbage_objects_per_iter']:g} tracked objects against "
        f"our {mine['garbage_objects_per_iter']:g}, and its input tuples come back from a free "
        f"list that holds thousands, so its gen0 count rises more slowly and more garbage piles "
        f"up between collections{gap_text}."
    ]
