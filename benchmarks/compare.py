"""`python -m benchmarks compare [OLD] [NEW]`: the memory regression gate between two results files.

Prints every peak figure per variant, old -> new, and exits 1 when a variant's tracemalloc or
kernel peak grew by more than `--max-growth` percent, 2 when a file cannot be compared at all.
"""

import argparse
import math
import sys
from dataclasses import dataclass, field

from . import results
from .argtypes import percentage

# Printed for every variant; GATED decide the exit code. tracemalloc counts arrays to the byte and
# the kernel's peak is exact, while sampled RSS can miss short peaks: it is shown, not gated.
FIGURES = ("tracemalloc_peak_mib", "kernel_peak_rss_mib", "peak_rss_mib", "peak_increment_mib")
GATED = ("tracemalloc_peak_mib", "kernel_peak_rss_mib")
DEFAULT_MAX_GROWTH = 10.0


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
    only_in_old: list[str] = field(default_factory=list)
    only_in_new: list[str] = field(default_factory=list)
    not_ok: dict[str, tuple[str, str]] = field(default_factory=dict)  # name: (old, new status)

    @property
    def regressions(self):
        return [row for row in self.rows if row.regression]


def growth_pct(old, new):
    """Percent change from old to new; None when either is missing, inf when growing from 0."""
    if old is None or new is None:
        return None
    if old == 0:
        return 0.0 if new == 0 else math.inf
    return (new - old) / old * 100


def grew_more_than(change_pct, max_growth):
    # Exactly at the threshold is allowed; isclose absorbs float noise such as 10.000000000000009.
    return (
        change_pct is not None
        and change_pct > max_growth
        and not math.isclose(change_pct, max_growth, rel_tol=1e-9, abs_tol=1e-9)
    )


def compare(old, new, max_growth=DEFAULT_MAX_GROWTH):
    """Compare two loaded results dicts variant by variant (by canonical name)."""
    old_by_name = {v["name"]: v for v in old["variants"]}
    new_by_name = {v["name"]: v for v in new["variants"]}
    comparison = Comparison(
        max_growth=max_growth,
        only_in_old=[n for n in old_by_name if n not in new_by_name],
        only_in_new=[n for n in new_by_name if n not in old_by_name],
    )
    for name, before in old_by_name.items():
        after = new_by_name.get(name)
        if after is None:
            continue
        statuses = (before.get("status"), after.get("status"))
        if statuses != ("ok", "ok"):  # a killed or failed pass has no peaks worth comparing
            comparison.not_ok[name] = statuses
            continue
        for figure in FIGURES:
            a, b = before.get(figure), after.get(figure)
            change = growth_pct(a, b)
            gated = figure in GATED and grew_more_than(change, max_growth)
            comparison.rows.append(Row(name, figure, a, b, change, gated))
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
    for name, (old_status, new_status) in c.not_ok.items():
        lines.append(f"not compared: {name} (status {old_status} -> {new_status})")
    if c.only_in_old:
        lines.append(f"only in old: {', '.join(c.only_in_old)}")
    if c.only_in_new:
        lines.append(f"only in new: {', '.join(c.only_in_new)}")
    found = c.regressions
    if found:
        names = ", ".join(dict.fromkeys(r.variant for r in found))
        lines.append(f"FAIL: {len(found)} peak(s) grew by more than {c.max_growth:g}%: {names}")
    else:
        lines.append(f"OK: no tracemalloc or kernel peak grew by more than {c.max_growth:g}%")
    return "\n".join(lines)


def _differences(old, new):
    """Settings and environment that differ: peaks from different workloads are not comparable."""
    notes = []
    for section, keys in (("settings", None), ("environment", ("python", "gc_thresholds"))):
        a, b = old.get(section, {}), new.get(section, {})
        for key in keys or sorted(a.keys() | b.keys()):
            if a.get(key) != b.get(key):
                notes.append(f"note: {key} differs: {a.get(key)!r} -> {b.get(key)!r}")
    return notes


def make_parser():
    p = argparse.ArgumentParser(
        prog="python -m benchmarks compare",
        description="Exit 1 when a variant's tracemalloc or kernel peak grew by more than "
        "--max-growth percent from OLD to NEW, 2 when a file cannot be read.",
    )
    p.add_argument("old", nargs="?", metavar="OLD", help="default: the second newest results file")
    p.add_argument(
        "new", nargs="?", metavar="NEW", help="default: the newest results file in --results-dir"
    )
    p.add_argument(
        "--max-growth",
        type=percentage,
        default=DEFAULT_MAX_GROWTH,
        metavar="PERCENT",
        help=f"allowed growth of a gated peak (default {DEFAULT_MAX_GROWTH:g})",
    )
    p.add_argument("--results-dir", default=results.RESULTS_DIR)
    return p


def _pick_files(args):
    """(old, new) paths: the ones given; a missing NEW or both default to the newest files."""
    if args.old and args.new:
        return args.old, args.new
    files = results.list_results(args.results_dir)
    wanted = 1 if args.old else 2
    if len(files) < wanted:
        raise results.ResultsError(
            f"{args.results_dir}: {len(files)} results file(s), {wanted} needed "
            f"{'besides OLD ' if args.old else ''}to compare; "
            "run `python -m benchmarks run`, or name the files"
        )
    return (args.old, files[-1]) if args.old else (files[-2], files[-1])


def main(argv=None):
    args = make_parser().parse_args(argv)
    try:
        old_path, new_path = _pick_files(args)
        # results.load refuses a figure that is not a number or null, naming the file.
        old, new = results.load(old_path), results.load(new_path)
    except results.ResultsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"comparing {old_path} (old) -> {new_path} (new), max growth {args.max_growth:g}%")
    for path, data in ((old_path, old), (new_path, new)):
        if data.get("complete") is False:
            print(f"note: {path} is incomplete: its run was interrupted")
    for note in _differences(old, new):
        print(note)
    comparison = compare(old, new, args.max_growth)
    print(format_comparison(comparison))
    return 1 if comparison.regressions else 0
