"""`python -m benchmarks compare [OLD] [NEW]`: the memory regression gate between two results files,
and with `--ratios` (or given two ratios files) the speed gate between two ratios files.

Prints every compared memory figure per variant, old -> new, and exits 1 when a gated figure
(`F.FIGURES`) grew by more than `--max-growth` percent or when the gate cannot vouch for
a variant measured in OLD (failed, killed, skipped or missing in NEW, or a gated figure null),
2 when a file cannot be compared. The speed gate (`ratio_gate`) does the same for each
side-by-side ratio and `--max-worsening`.
"""

from collections.abc import Callable
from dataclasses import dataclass

from .. import figures as F
from .. import workloads
from ..errors import HarnessError
from ..files import environments, folders, results, store
from ..files import ratios as ratio_files
from ..measure.argtypes import percentage
from . import memory
from . import speed as ratio_gate


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
        f"Exit 1 when a variant's {memory.GATED} grew by more than --max-growth "
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
        default=F.DEFAULT_MAX_GROWTH_PCT,
        metavar="PERCENT",
        help=f"allowed growth of a gated peak (default {F.DEFAULT_MAX_GROWTH_PCT:g})",
    )
    p.add_argument(
        "--results-dir",
        default=folders.RESULTS_DIR,
        help=f"where OLD and NEW default from (default {folders.RESULTS_DIR})",
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
        default=str(folders.ratios_dir()),
        help=f"where ratios files default from (default {folders.ratios_dir()})",
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
    files = store.json_files(gate.folder)
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
    if gate.noun == "results":
        _refuse_two_workloads(old_path, old, new_path, new)
    for note in _differences(old, new, gate.environment_keys):
        print(note)
    if gate.noun == "ratios":
        comparison = ratio_gate.compare(old, new, gate.threshold)
        print(ratio_gate.format_comparison(comparison))
        return 1 if comparison.failed else 0
    comparison = memory.compare(old, new, gate.threshold)
    across = environments.differences(environments.of(old), environments.of(new))
    if across:
        return _across_environments(comparison, across)
    print(memory.format_comparison(comparison))
    return 1 if comparison.failed else 0


def _refuse_two_workloads(old_path, old, new_path, new):
    """HarnessError (exit 2) when OLD and NEW hold different workloads: a variant's peak in one
    says nothing of its peak in the other, whatever the names they share."""
    a, b = workloads.of(old), workloads.of(new)
    if a != b:
        raise HarnessError(
            f"{old_path} holds the {a} workload and {new_path} the {b} workload: the gate"
            f" compares two runs of one workload. Name two files of one, or leave out OLD:"
            f" `compare` then picks the newest earlier file of NEW's workload and environment."
        )


def _across_environments(comparison, across):
    """Exit 2 and say why: peaks from two environments differ by the interpreter's collector
    or numpy as much as by the code, so no difference between them is a regression."""
    for row in comparison.rows:
        row.regression = False
    # The gate's verdict on peaks does not apply; a variant lost or failed is still said.
    lines = [
        line
        for line in memory.format_comparison(comparison).splitlines()
        if not line.startswith("OK:")
    ]
    print("\n".join(lines))
    print(
        f"NOT GATED: the files come from different environments ({'; '.join(across)}); "
        "a difference here is the environment's as much as the code's, not a regression. "
        "Gate files from one environment (`compare` without OLD picks one), or pool them with "
        "`python -m benchmarks report --results OLD NEW`."
    )
    return 2
