"""`python -m benchmarks compare [OLD] [NEW]`: the memory regression gate between two results files,
and with `--ratios` (or given two ratios files) the speed gate between two ratios files.

Prints every compared memory figure per variant, old -> new, and exits 1 when a gated figure
(`results.FIGURES`) grew by more than `--max-growth` percent or when the gate cannot vouch for
a variant measured in OLD (failed, killed, skipped or missing in NEW, or a gated figure null),
2 when a file cannot be compared. The speed gate (`ratio_gate`) does the same for each
side-by-side ratio and `--max-worsening`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from . import environments, paths, ratio_files, ratio_gate, results
from .errors import HarnessError
from .measure.argtypes import percentage
from .pairing import Pairing, pair

# The memory figures compared, gated ones first and exact before sampled: tracemalloc counts
# arrays to the byte and the kernel's peak is exact, while sampled RSS can miss short peaks.
FIGURES = sorted(
    (f for f in results.FIGURES if f.compared and f.unit == "MiB"),
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


def compare(old, new, max_growth=results.DEFAULT_MAX_GROWTH_PCT):
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
            change = results.growth_pct(a, b)
            gated = results.regressed(figure, a, b, max_growth)
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


def _differences(old, new, environment_keys):
    """Settings and environment that differ: figures from different workloads, interpreters or
    machines are not comparable as they stand."""
    notes = []
    for section, keys in (("settings", None), ("environment", environment_keys)):
        a, b = old.get(section, {}), new.get(section, {})
        for key in keys or sorted(a.keys() | b.keys()):
            if a.get(key) != b.get(key):
                notes.append(f"note: {key} differs: {a.get(key)!r} -> {b.get(key)!r}")
    return notes


def add_arguments(p):
    p.description = (
        f"Exit 1 when a variant's {GATED} grew by more than --max-growth "
        "percent from OLD to NEW (with --ratios: when a side-by-side ratio grew by more than "
        "--max-worsening percent), 2 when a file cannot be read."
    )
    p.add_argument("old", nargs="?", metavar="OLD", help="default: the second newest results file")
    p.add_argument(
        "new", nargs="?", metavar="NEW", help="default: the newest results file in --results-dir"
    )
    p.add_argument(
        "--max-growth",
        type=percentage,
        default=results.DEFAULT_MAX_GROWTH_PCT,
        metavar="PERCENT",
        help=f"allowed growth of a gated peak (default {results.DEFAULT_MAX_GROWTH_PCT:g})",
    )
    p.add_argument(
        "--results-dir",
        default=paths.RESULTS_DIR,
        help=f"where OLD and NEW default from (default {paths.RESULTS_DIR})",
    )
    p.add_argument(
        "--ratios",
        action="store_true",
        help="compare ratios files (the speed step's, default: the two newest in --ratios-dir); "
        "automatic when OLD and NEW are ratios files",
    )
    p.add_argument(
        "--max-worsening",
        type=percentage,
        default=ratio_files.DEFAULT_MAX_WORSENING_PCT,
        metavar="PERCENT",
        help="allowed growth of a ratio, ours against its reference "
        f"(default {ratio_files.DEFAULT_MAX_WORSENING_PCT:g})",
    )
    p.add_argument(
        "--ratios-dir",
        default=str(paths.ratios_dir()),
        help=f"where ratios files default from (default {paths.ratios_dir()})",
    )


@dataclass(frozen=True)
class _Gate:
    noun: str  # "results" or "ratios"
    folder: str
    makes_them: str  # the command that writes such files
    load: Callable[[str], dict]  # raises a HarnessError that names the file
    threshold: float
    threshold_word: str
    environment_keys: tuple


def _gate(args):
    given = [p for p in (args.old, args.new) if p]
    if args.ratios or (given and all(ratio_files.is_ratios_file(p) for p in given)):
        return _Gate(
            "ratios", args.ratios_dir, "python -m benchmarks speed", ratio_files.load,
            args.max_worsening, "worsening", ("python", "cpu", "packages"),
        )  # fmt: skip
    return _Gate(
        "results", args.results_dir, "python -m benchmarks run", results.load,
        args.max_growth, "growth", ("python", "gc_thresholds"),
    )  # fmt: skip


def _pick_files(args, gate):
    """(old, new) paths: the ones given; a missing NEW defaults to the newest file, a missing
    OLD to the newest earlier results file from NEW's environment (else the second newest)."""
    if args.old and args.new:
        return args.old, args.new
    files = paths.json_files(gate.folder)
    wanted = 1 if args.old else 2
    if len(files) < wanted:
        raise HarnessError(
            f"{gate.folder}: {len(files)} {gate.noun} file(s), {wanted} needed "
            f"{'besides OLD ' if args.old else ''}to compare; "
            f"run `{gate.makes_them}`, or name the files"
        )
    if args.old or gate.noun != "results":
        return (args.old, files[-1]) if args.old else (files[-2], files[-1])
    # After `run --python 3.12 --python 3.13` the two newest files are two interpreters: the
    # gate's baseline is the previous run of the newest file's own environment.
    identity = environments.of(results.load(files[-1]))
    same = environments.newest_of_same(reversed(files[:-1]), identity)
    if same is None:
        print(f"note: no earlier file from {files[-1].name}'s environment; using the second newest")
    return (same[0] if same else files[-2]), files[-1]


def run(args):
    """The gate's exit status: 0 when every record measured in OLD was measured in NEW and
    nothing grew too much; 1 otherwise (2, through HarnessError, for a refused file)."""
    gate = _gate(args)
    old_path, new_path = _pick_files(args, gate)
    # Both loaders refuse a figure that is not a number (or null), naming the file.
    old, new = gate.load(old_path), gate.load(new_path)
    print(
        f"comparing {old_path} (old) -> {new_path} (new), "
        f"max {gate.threshold_word} {gate.threshold:g}%"
    )
    for path, data in ((old_path, old), (new_path, new)):
        if data.get("complete") is False:
            how = (
                f"interrupted by {data['interrupted']}"
                if data.get("interrupted")
                else ("still running, or stopped without a word")
            )
            print(f"note: {path} is incomplete: its run was {how}")
    for note in _differences(old, new, gate.environment_keys):
        print(note)
    if gate.noun == "ratios":
        comparison = ratio_gate.compare(old, new, gate.threshold)
        print(ratio_gate.format_comparison(comparison))
        return 1 if comparison.failed else 0
    comparison = compare(old, new, gate.threshold)
    across = environments.differences(environments.of(old), environments.of(new))
    if across:
        return _across_environments(comparison, across)
    print(format_comparison(comparison))
    return 1 if comparison.failed else 0


def _across_environments(comparison, across):
    """Exit 2 and say why: peaks from two environments differ by the interpreter's collector
    or numpy as much as by the code, so no difference between them is a regression."""
    for row in comparison.rows:
        row.regression = False
    # The gate's verdict on peaks does not apply; a variant lost or failed is still said.
    lines = [
        line for line in format_comparison(comparison).splitlines() if not line.startswith("OK:")
    ]
    print("\n".join(lines))
    print(
        f"NOT GATED: the files come from different environments ({'; '.join(across)}); "
        "a difference here is the environment's as much as the code's, not a regression. "
        "Gate files from one environment (`compare` without OLD picks one), or pool them with "
        "`python -m benchmarks report --results OLD NEW`."
    )
    return 2
