"""Each variant against the previous run: percent change per figure, and a flag on exactly the
variants that make `python -m benchmarks compare` fail: a grown peak (`F.regressed`), or
one the previous run measured that this run lost. Its verdict on each variant is compare's own.

Wall time is shown, never flagged: it is too noisy on shared machines to gate on.
"""

from dataclasses import dataclass, field

from .. import figures as F
from ..files import results
from ..gates import memory as gate

FIGURES = tuple(f for f in F.FIGURES if f.compared)
# Settings that change what a variant measures: when they differ the comparison is flagged.
WORKLOAD = ("workload", "iters", "size", "depth", "gc_enabled", "gc_threshold", "retain_grad")


@dataclass
class Change:
    figure: F.Figure
    before: float | None
    now: float | None

    @property
    def percent(self):
        return F.growth_pct(self.before, self.now)

    @property
    def grew_too_much(self):
        return F.regressed(self.figure, self.before, self.now)


@dataclass
class VariantHistory:
    name: str
    presence: str  # "both", "new" (only now) or "gone" (only before)
    changes: list = field(default_factory=list)
    lost: list = field(default_factory=list)  # why compare cannot vouch for it now
    not_compared: str | None = None  # why it has no figures to compare (never flagged)

    @property
    def comparable(self):
        return any(c.percent is not None for c in self.changes)

    @property
    def flagged(self):
        return bool(self.lost) or any(c.grew_too_much for c in self.changes)


def compare(previous, current):
    """VariantHistory per variant in `current` (in its order), then those only in `previous`."""
    before, now = results.by_name(previous), results.by_name(current)
    verdict = gate.compare(previous, current)
    lost = {}
    for name, reason in verdict.lost:
        lost.setdefault(name, []).append(reason)
    rows = []
    for name in [*now, *(n for n in before if n not in now)]:
        old, new = before.get(name), now.get(name)
        presence = "both" if old and new else ("new" if new else "gone")
        changes = (
            [Change(f, _figure(old, f.name), _figure(new, f.name)) for f in FIGURES]
            if presence == "both"
            else []
        )
        rows.append(
            VariantHistory(
                name, presence, changes, lost.get(name, []), verdict.not_compared.get(name)
            )
        )
    return rows


def _figure(variant, name):
    # Only completed passes compare: a killed run's figures describe a different workload.
    if not variant or variant.get("status") != "ok":
        return None
    value = variant.get(name)
    return float(value) if isinstance(value, int | float) else None


# Settings that move the time but not the memory: said when they differ, never keeping files
# apart. Absent from a file, each has the value its files were made with.
TIMING = {"input": "draw"}


def settings_changed(previous, current):
    """`iters: 1000 → 500`-style notes for the workload settings that differ between the runs."""
    old, new = previous.get("settings", {}), current.get("settings", {})
    found = [f"{k}: {old.get(k)} → {new.get(k)}" for k in WORKLOAD if old.get(k) != new.get(k)]
    for k, absent in TIMING.items():
        if old.get(k, absent) != new.get(k, absent):
            found.append(f"{k}: {old.get(k, absent)} → {new.get(k, absent)}")
    return found
