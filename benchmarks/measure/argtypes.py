"""argparse types for every command here: a bad number names itself and what is allowed.

Every numeric flag has bounds, so a value no child could run (a negative seed, a size past what
a float can count) is refused while parsing, not met as a traceback in every variant.
`python -m benchmarks run` and `benchmarks/loop.py` share the workload's types below.
"""

import argparse
import math


def _number(kind, text, allowed, ok):
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not ok(value):
        raise argparse.ArgumentTypeError(f"expected {allowed}, got {text}")
    return value


def _whole(text):
    # Sizes read best in powers of ten: 2e4 is 20000, while 2.5 or 2.5e0 is no whole number.
    try:
        return int(text)
    except ValueError:
        value = float(text)
        if not value.is_integer():
            raise
        return int(value)


def whole_number(low, high):
    """An argparse type for a whole number from `low` to `high`, both allowed (`low` and `high`
    are kept on it, for the tables that check the same values in files)."""

    def parse(text):
        return _number(
            _whole, text, f"a whole number from {low} to {high}", lambda v: low <= v <= high
        )

    parse.__name__ = f"whole number from {low} to {high}"
    parse.low, parse.high = low, high
    return parse


def bounded_float(low, high):
    """An argparse type for a number above `low` and at most `high`."""

    def parse(text):
        return _number(
            float, text, f"a number > {low:g} and <= {high:g}", lambda v: low < v <= high
        )

    parse.__name__ = f"number > {low:g} and <= {high:g}"
    return parse


MAX_COUNT = 10**9  # iterations or elements: more would run for days or need GiBs per array
iters = whole_number(1, MAX_COUNT)
size = whole_number(1, MAX_COUNT)  # elements per array; 10**9 float64 are 7.5 GiB each
depth = whole_number(1, 1000)  # ops per iteration
seed = whole_number(0, 2**32 - 1)  # numpy's generators take no negative seed
gc_threshold = whole_number(1, 2**31 - 1)  # gc.set_threshold takes a C int
repeat = whole_number(1, 1000)
interval = bounded_float(0, 3600)  # seconds between RSS samples
positive_int = whole_number(1, MAX_COUNT)
rounds = whole_number(1, 1000)  # interleaved rounds of a speed ratio


def positive_float(text):
    return _number(float, text, "a number > 0", lambda v: math.isfinite(v) and v > 0)


def percentage(text):
    return _number(float, text, "a percentage >= 0", lambda v: math.isfinite(v) and v >= 0)


def add_loop_options(p, defaults):
    """--workload, --iters, --size, --depth and --seed, each with its default (from a Settings)
    in its help: the loop's shape, for `python -m benchmarks run` and `benchmarks/loop.py`
    alike. --iters and --depth default to the workload's own: `resolve_loop_options` fills
    them in once the workload is known."""
    from ..workloads import WORKLOADS

    d = defaults
    others = [w for w in WORKLOADS.values() if w.name != d.workload]

    def default(name):
        own = f"(default {getattr(d, name)})"
        return ", or ".join(
            [own, *(f"{getattr(w, name)} with --workload {w.name}" for w in others)]
        )

    p.add_argument(
        "--workload",
        choices=list(WORKLOADS),
        help="what an iteration does: "
        + "; ".join(f"{w.name}: {w.what}" for w in WORKLOADS.values())
        + f" (default {d.workload})",
    )
    p.add_argument("--iters", type=iters, help=f"iterations {default('iters')}")
    p.add_argument(
        "--size", type=size, default=d.size, help=f"elements per array (default {d.size:,})"
    )
    p.add_argument("--depth", type=depth, help=f"ops per iteration {default('depth')}")
    p.add_argument(
        "--seed", type=seed, default=d.seed, help=f"seed of the input arrays (default {d.seed})"
    )
    from ..workloads.classic import INPUTS

    p.add_argument(
        "--input",
        choices=list(INPUTS),
        default=d.input,
        help="each iteration's new input array: "
        + "; ".join(f"{k}: {v}" for k, v in INPUTS.items())
        + f" (default {d.input}: the same memory, without timing the generator)",
    )


def resolve_loop_options(args):
    """Fill in what `add_loop_options` left to the workload: its name, iterations and depth."""
    from ..workloads import get

    workload = get(args.workload)
    args.workload = workload.name
    if args.iters is None:
        args.iters = workload.iters
    if args.depth is None:
        args.depth = workload.depth
    return args
