"""The memory gate: two results files compared variant by variant (by canonical name), every
compared figure old -> new, failing when a gated figure (benchmarks/figures.py) grew by more than
the threshold or when it cannot vouch for a variant OLD measured (failed, killed or missing in
NEW, or a gated figure null). A variant OLD did not measure cannot regress: it is listed as not
compared."""

from dataclasses import dataclass, field, replace

from .. import figures as F
from ..files import results
from .pairing import Pairing, pair

# The memory figures compared, gated ones first and exact before sampled: tracemalloc counts
# arrays to the byte and the kernel's peak is exact, while sampled RSS can miss short peaks.
FIGURES = sorted(
    (f for f in F.FIGURES if f.compared and f.unit == "MiB"),
    key=lambda f: (not f.gated, not f.deterministic),
)

GATED = " or ".join(f.title for f in FIGURES if f.gated)  # "tracemalloc peak or kernel peak"


@dataclass
class Row:
    variant: str
    figure: str
    old: float | None
    new: float | None
    change_pct: float | None  # None when either side is missing or old is 0
    regression: bool


@dataclass
class Comparison:
    max_growth: float
    rows: list[Row] = field(default_factory=list)
    pairing: Pairing = field(default_factory=Pairing)
    # Variants with no figures to compare (not measured in OLD, or not in NEW after a failure
    # there): name -> why. A variant OLD did not measure cannot regress, so these never fail.
    not_compared: dict[str, str] = field(default_factory=dict)
    # A file that holds no variants: nothing was compared.
    empty: list[str] = field(default_factory=list)
    # Why the gate cannot vouch for a variant, beyond a grown peak: (name, reason) for one
    # measured in OLD that NEW lost (failed, killed or missing), or a gated figure left null.
    lost: list[tuple[str, str]] = field(default_factory=list)

    @property
    def regressions(self):
        return [row for row in self.rows if row.regression]

    @property
    def unchecked(self):
        return self.empty + [reason for _, reason in self.lost]

    @property
    def failing(self):
        """The variants that fail the gate: a grown peak, or lost since OLD."""
        return {r.variant for r in self.regressions} | {name for name, _ in self.lost}

    @property
    def failed(self):
        return bool(self.regressions or self.unchecked)


def _not_measured(record, side):
    """Why a record holds no figures (its status in `side`, and the reason), or None."""
    status = record.get("status")
    if status == "ok":
        return None
    summary = results.error_summary(record.get("error"))
    return f"{status} in {side}" + (f": {summary}" if summary else "")


def compare(old, new, max_growth=F.DEFAULT_MAX_GROWTH_PCT):
    """Compare two loaded results dicts variant by variant (by canonical name)."""
    before_by_name = results.by_name(old)
    pairing = pair(before_by_name, results.by_name(new))
    comparison = Comparison(max_growth=max_growth, pairing=pairing)
    for side, found in (("OLD", old), ("NEW", new)):
        if not found.get("variants"):
            comparison.empty.append(f"{side} holds no variants: nothing was compared")
    for name in pairing.only_in_old:
        why = _not_measured(before_by_name[name], "OLD")
        if why is None:  # measured before, not now
            comparison.lost.append((name, f"{name} is missing from NEW (was its run interrupted?)"))
        else:
            comparison.not_compared[name] = f"{why}; not in NEW"
    for name, before, after in pairing.both:
        statuses = (before.get("status"), after.get("status"))
        if statuses != ("ok", "ok"):  # a killed or failed pass has no peaks worth comparing
            comparison.not_compared[name] = f"status {statuses[0]} -> {statuses[1]}"
            if statuses[0] == "ok":  # measured before, not now: the worst regression of all
                summary = results.error_summary(after.get("error"))
                why = f": {summary}" if summary else ""
                comparison.lost.append((name, f"{name} went from ok to {statuses[1]}{why}"))
            continue
        for figure in FIGURES:
            a, b = before.get(figure.name), after.get(figure.name)
            if figure.gated and (a is None or b is None):
                missing = " and ".join(s for s, v in (("OLD", a), ("NEW", b)) if v is None)
                comparison.lost.append((name, f"{name} has no {figure.name} in {missing}"))
            change = F.growth_pct(a, b)
            gated = F.regressed(figure, a, b, max_growth)
            comparison.rows.append(Row(name, figure.name, a, b, change, gated))
    return comparison


def _mib(value):
    return "-" if value is None else f"{value:.2f}"


def _pct(change):
    return "" if change is None else f"({change:+.1f}%)"


def format_comparison(c):
    lines = []
    width = max([len(r.variant) for r in c.rows] + [len("variant")])
    header = f"{'variant':<{width}}  {'figure':<20}  {'old MiB':>9}    {'new MiB':>9}  change"
    if c.rows:
        lines += [header, "-" * len(header)]
    previous = None
    for r in c.rows:
        name = r.variant if r.variant != previous else ""
        previous = r.variant
        mark = f"  REGRESSION (> {c.max_growth:g}%)" if r.regression else ""
        lines.append(
            f"{name:<{width}}  {r.figure:<20}  {_mib(r.old):>9} -> {_mib(r.new):>9}  "
            f"{_pct(r.change_pct)}{mark}".rstrip()
        )
    for name, why in c.not_compared.items():
        lines.append(f"not compared: {name} ({why})")
    # Those only in OLD that OLD never measured are listed above, with their status.
    unlisted = [n for n in c.pairing.only_in_old if n not in c.not_compared]
    lines += replace(c.pairing, only_in_old=unlisted).lines()
    for reason in c.unchecked:
        lines.append(f"FAIL: {reason}")
    found = c.regressions
    if found:
        names = ", ".join(dict.fromkeys(r.variant for r in found))
        lines.append(f"FAIL: {len(found)} peak(s) grew by more than {c.max_growth:g}%: {names}")
    elif not c.unchecked:
        lines.append(f"OK: no {GATED} grew by more than {c.max_growth:g}%")
    return "\n".join(lines)
