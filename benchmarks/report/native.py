"""What the report says of the native pass (memray): why a native peak is missing, said once;
which engines tracemalloc does not see, and the native peak to read for them instead; and the
flame graph of each peak whose stacks the file holds (`flamegraph.svg`), one SVG file each."""

from .. import engines
from .. import figures as F
from ..files import folders
from ..workloads import variants as V
from . import flamegraph

NATIVE = F.NATIVE_PEAK


def _measured(results):
    return [v for v in results.get("variants") or [] if v.get("status") == "ok"]


def why_missing(results):
    """One sentence on why the file's measured variants lack a native peak, or None when none
    lacks one. Built on the results file's `environment.native` ({"enabled", "why"})."""
    lacking = [v["name"] for v in _measured(results) if v.get(NATIVE.name) is None]
    if not lacking:
        return None
    state = (results.get("environment") or {}).get("native")
    if not isinstance(state, dict):
        return f"No {NATIVE.title}: no native pass in this file."
    why = state.get("why")
    if not state.get("enabled"):
        return f"No {NATIVE.title}: the native pass did not run ({why or 'no reason recorded'})."
    some = "" if len(lacking) == len(_measured(results)) else f" for {', '.join(lacking)}"
    return f"No {NATIVE.title}{some}" + (f": {why}." if why else " (see each row's notes).")


def _engine(variant):
    found = engines.builtin().get(variant.get("engine"))
    known = V.ANY_WORKLOAD.get(variant.get("name"))
    return found or (known.engine if known else None)


def blind(variant):
    """Whether tracemalloc does not see the memory of `variant`'s engine (`Engine.traced`)."""
    engine = _engine(variant)
    return engine is not None and not engine.traced


def untraced(results):
    """A sentence per engine whose memory tracemalloc does not see (`Engine.traced` False): its
    native peaks, the figures to read, or why the file has none."""
    found = {}
    for v in _measured(results):
        if blind(v):
            found.setdefault(_engine(v).name, []).append(v)
    said = []
    for name, variants in found.items():
        unseen = (
            f"tracemalloc sees only Python's allocators, and {name} allocates its own memory in"
            f" native code: its {F.TRACED_PEAK.title} is not its memory"
        )
        peaks = [(v["name"], v.get(NATIVE.name)) for v in variants]
        if all(peak is not None for _, peak in peaks):
            read = "; ".join(f"{n} {F.text(NATIVE, p)}" for n, p in peaks)
            said.append(f"{unseen}. Read its {NATIVE.title} instead: {read}.")
        else:
            said.append(
                f"{unseen}, and this file has no {NATIVE.title} for it: compare it by its"
                f" {F.INCREMENT.title} over its own import baseline."
            )
    return said


def flame_graphs(results):
    """({variant name: (file name, SVG bytes)}, [problems]) for every record whose native pass
    kept the stacks alive at its peak (`native.peak_stacks`)."""
    drawn, problems = {}, []
    for v in results.get("variants") or []:
        native = v.get("native")
        summary = native.get("peak_stacks") if isinstance(native, dict) else None
        if summary is None:
            continue
        try:
            name = folders.file_name(v["name"], "flamegraph_", ".svg")
            title = f"{v['name']}: allocations alive at the {NATIVE.title}"
            drawn[v["name"]] = (name, flamegraph.svg(summary, title).encode("utf-8"))
        except (ValueError, TypeError) as e:
            problems.append(f"{v['name']}: no flame graph ({e})")
    return drawn, problems
