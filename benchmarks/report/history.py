"""Each variant against the previous run: percent change per figure, a flag when a peak grew.

Only peaks raise the flag: RSS and tracemalloc peaks are what this harness exists to watch, and
wall time is too noisy on shared machines to gate on.
"""

from dataclasses import dataclass, field

from ..compare import grew_more_than, growth_pct

GROWTH_FLAG = 0.10  # a peak more than 10% above the previous run's is flagged
FIGURES = {  # results field -> column title
    "peak_rss_mib": "peak RSS",
    "kernel_peak_rss_mib": "kernel peak",
    "tracemalloc_peak_mib": "tracemalloc peak",
    "seconds_per_iter": "time / iter",
}
PEAKS = ("peak_rss_mib", "kernel_peak_rss_mib", "tracemalloc_peak_mib")
# Settings that change what a variant measures: when they differ the comparison is flagged.
WORKLOAD = ("iters", "size", "depth", "gc_enabled", "gc_threshold", "retain_grad")


@dataclass
class Change:
    figure: str
    before: float | None
    now: float | None

    @property
    def percent(self):
        return growth_pct(self.before, self.now)

    @property
    def grew_too_much(self):
        # The gate's arithmetic, so the report flags exactly what `compare` would at this limit.
        return self.figure in PEAKS and grew_more_than(self.percent, 100 * GROWTH_FLAG)


@dataclass
class VariantHistory:
    name: str
    presence: str  # "both", "new" (only now) or "gone" (only before)
    changes: list = field(default_factory=list)

    @property
    def comparable(self):
        return any(c.percent is not None for c in self.changes)

    @property
    def flagged(self):
        return any(c.grew_too_much for c in self.changes)


def compare(previous, current):
    """VariantHistory per variant in `current` (in its order), then those only in `previous`."""
    before = {v["name"]: v for v in previous.get("variants", [])}
    now = {v["name"]: v for v in current.get("variants", [])}
    rows = []
    for name in [*now, *(n for n in before if n not in now)]:
        old, new = before.get(name), now.get(name)
        presence = "both" if old and new else ("new" if new else "gone")
        changes = (
            [Change(f, _figure(old, f), _figure(new, f)) for f in FIGURES]
            if presence == "both"
            else []
        )
        rows.append(VariantHistory(name, presence, changes))
    return rows


def _figure(variant, name):
    # Only completed passes compare: a killed run's figures describe a different workload.
    if not variant or variant.get("status") != "ok":
        return None
    value = variant.get(name)
    return float(value) if isinstance(value, int | float) else None


def settings_changed(previous, current):
    """`iters: 1000 → 500`-style notes for the workload settings that differ between the runs."""
    old, new = previous.get("settings", {}), current.get("settings", {})
    return [f"{k}: {old.get(k)} → {new.get(k)}" for k in WORKLOAD if old.get(k) != new.get(k)]
