"""The speed gate between two ratios files (`python -m benchmarks compare --ratios`; `compare.py`
reads the files and sets the exit status).

Ratios, not seconds: each is ours over a reference timed side by side in one process, so it
moves when the code does and much less when the host does. A ratio worsened when it grew (ours
became slower against its reference) by more than `--max-worsening` percent, by both of its
measures: the best-of-rounds ratio and the ratio of medians. A real slowdown moves both; one
lucky or unlucky round moves the best-of ratio alone (three runs on a shared 2-core host moved
best-of ratios by up to 16% between runs, ratios of medians by up to 17%, and both at once by
up to 15%; docs/measurement.md, "Side-by-side ratios"). Like the memory gate, it also fails
when it cannot vouch for NEW: a comparison OLD measured is missing from NEW or failed there.
"""

from dataclasses import dataclass, field

from .. import figures as F
from ..files import ratios as ratio_files
from .pairing import Pairing, pair


@dataclass
class Row:
    name: str
    old: float
    new: float
    change_pct: float
    median_change_pct: float | None  # None when either file has no ratio of medians
    worsened: bool
    target: float | None
    meets_target: bool | None  # the new ratio against the new file's target


@dataclass
class Comparison:
    max_worsening: float
    rows: list[Row] = field(default_factory=list)
    pairing: Pairing = field(default_factory=Pairing)
    not_compared: dict[str, str] = field(default_factory=dict)  # name: why
    # Why the gate cannot vouch for NEW, as the memory gate says it: a comparison OLD measured
    # that NEW lost (missing, or an error). A peer gone (skipped) is a choice, listed only.
    unchecked: list[str] = field(default_factory=list)

    @property
    def worsened(self):
        return [row for row in self.rows if row.worsened]

    @property
    def failed(self):
        return bool(self.worsened or self.unchecked)


def compare(old, new, max_worsening=ratio_files.DEFAULT_MAX_WORSENING_PCT):
    """Compare two loaded ratios dicts comparison by comparison (by name)."""
    old_by_name = ratio_files.by_name(old)
    pairing = pair(old_by_name, ratio_files.by_name(new))
    c = Comparison(max_worsening=max_worsening, pairing=pairing)
    for side, data in (("OLD", old), ("NEW", new)):
        if not data.get("comparisons"):
            c.unchecked.append(f"{side} holds no comparisons: nothing was compared")
    for name in pairing.only_in_old:
        if old_by_name[name].get("status") == "ok":
            c.unchecked.append(f"{name} is missing from NEW (was its run interrupted?)")
    for name, before, after in pairing.both:
        a, b = before.get("ratio"), after.get("ratio")
        if a is None or b is None:  # a peer missing on one side: no ratio, never a zero
            side, record = ("new", after) if b is None else ("old", before)
            c.not_compared[name] = f"no ratio in {side}: {record.get('reason') or 'not measured'}"
            if a is not None and after.get("status") == "error":
                c.unchecked.append(f"{name} went from ok to error: {after.get('reason')}")
            continue
        change = F.growth_pct(a, b)
        median_change = F.growth_pct(before.get("median_ratio"), after.get("median_ratio"))
        worse = F.grew_more_than(change, max_worsening) and (
            median_change is None or F.grew_more_than(median_change, max_worsening)
        )
        target, meets = after.get("target"), ratio_files.meets_target(after)
        c.rows.append(Row(name, a, b, change, median_change, worse, target, meets))
    return c


def format_comparison(c):
    lines = []
    width = max([len(r.name) for r in c.rows] + [len("comparison")])
    header = (
        f"{'comparison':<{width}}  {'old':>8}    {'new':>8}  {'change':>8}  {'median':>8}  target"
    )
    if c.rows:
        lines += [header, "-" * len(header)]
    for r in c.rows:
        held = {True: "met", False: "missed", None: ""}[r.meets_target]
        target = f"{r.target:g}x {held}" if r.target is not None else ""
        mark = f"  WORSENED (> {c.max_worsening:g}%)" if r.worsened else ""
        median = "" if r.median_change_pct is None else f"{r.median_change_pct:+.1f}%"
        lines.append(
            f"{r.name:<{width}}  {r.old:>7.3f}x -> {r.new:>7.3f}x  {r.change_pct:>+7.1f}%  "
            f"{median:>8}  {target}{mark}".rstrip()
        )
    for name, why in c.not_compared.items():
        lines.append(f"not compared: {name} ({why})")
    lines += c.pairing.lines()
    for reason in c.unchecked:
        lines.append(f"FAIL: {reason}")
    found = c.worsened
    if found:
        names = ", ".join(r.name for r in found)
        lines.append(
            f"FAIL: {len(found)} ratio(s) worsened by more than {c.max_worsening:g}%: {names}"
        )
    elif not c.unchecked:
        lines.append(f"OK: no ratio worsened by more than {c.max_worsening:g}%")
    return "\n".join(lines)
