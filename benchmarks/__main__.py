"""`python -m benchmarks [run|speed|report|compare]`: with no subcommand, measure the default
matrix, time the pytest-benchmark suite and render the report (the main job)."""

import argparse
import sys

from . import results
from . import variants as V
from .argtypes import positive_float, positive_int

SUBCOMMANDS = ("run", "speed", "report", "compare", "all")


def _add_run_options(p):
    from .engine import Settings

    d = Settings()
    p.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="variants to run: names (weak-backprop), implementations (strong) or modes",
    )
    p.add_argument("--iters", type=positive_int, default=d.iters)
    p.add_argument("--size", type=positive_int, default=d.size, help="elements per array")
    p.add_argument("--depth", type=positive_int, default=d.depth, help="squares per iteration")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument(
        "--repeat",
        type=positive_int,
        default=d.repeat,
        help="measure each variant N times; keep median, min and max",
    )
    p.add_argument("--retain-grad", action="store_true", help="backward(retain_grad=True)")
    p.add_argument("--no-gc", action="store_true", help="disable the cyclic GC in every child")
    p.add_argument(
        "--gc-threshold", type=positive_int, metavar="N", help="gc threshold0 in every child"
    )
    p.add_argument(
        "--mem-limit",
        type=positive_float,
        metavar="MIB",
        default=d.mem_limit_mib,
        help=f"kill a child whose RSS passes this (default half the RAM: {d.mem_limit_mib:.0f})",
    )
    p.add_argument(
        "--interval",
        type=positive_float,
        metavar="SECONDS",
        default=d.interval_s,
        help=f"RSS sampling period (default {d.interval_s})",
    )
    p.add_argument(
        "--timeout",
        type=positive_float,
        metavar="SECONDS",
        default=d.timeout_s,
        help="kill a child that runs longer than this",
    )
    p.add_argument(
        "--no-peers",
        action="store_true",
        help="leave torch, dezero and autograd out of the default matrix (and of the speed step)",
    )
    p.add_argument("--results-dir", default=results.RESULTS_DIR)
    p.add_argument("--reports-dir", default="reports", help="where `all` writes the report")


def make_parser():
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    sub = p.add_subparsers(dest="command", metavar="{run,speed,report,compare}")
    run = sub.add_parser("run", help="measure a matrix of variants into reports/results/")
    _add_run_options(run)
    speed = sub.add_parser(
        "speed", help="time the pytest-benchmark suite into reports/speed/ (a few minutes)"
    )
    speed.add_argument("--no-peers", action="store_true", help="leave the peers out")
    speed.add_argument("--reports-dir", default="reports")
    report = sub.add_parser("report", help="render reports/index.html from a results file")
    report.add_argument("--results", metavar="FILE", help="results file (default: the newest)")
    report.add_argument("--reports-dir", default="reports")
    report.add_argument(
        "--benchmark-json",
        metavar="FILE",
        help="pytest-benchmark JSON to show (default: the newest in .benchmarks/)",
    )
    sub.add_parser(
        "compare", help="fail when a variant's peak grew (see its --help)", add_help=False
    )
    everything = sub.add_parser("all", help="run, speed, then report (what no subcommand does)")
    _add_run_options(everything)
    everything.add_argument(
        "--no-speed",
        action="store_true",
        help="skip the speed step (skipped too with --only: it times the whole suite)",
    )
    return p


def _run(args, parser):
    from . import engine, matrix

    if args.no_gc and args.gc_threshold:
        parser.error("--no-gc and --gc-threshold contradict each other: choose one")
    try:
        if args.only:
            chosen = V.select(args.only)
        else:  # peers that are not installed are recorded as skipped, with the reason
            chosen = list(V.DEFAULT_MATRIX if args.no_peers else V.ALL_VARIANTS)
    except ValueError as e:
        parser.error(str(e))
    settings = engine.Settings(
        iters=args.iters,
        size=args.size,
        depth=args.depth,
        seed=args.seed,
        repeat=args.repeat,
        interval_s=args.interval,
        gc_enabled=not args.no_gc,
        gc_threshold=args.gc_threshold,
        mem_limit_mib=args.mem_limit,
        retain_grad=args.retain_grad,
        timeout_s=args.timeout,
    )
    path, _ = matrix.run(chosen, settings, args.results_dir)
    print(f"results: {path}")
    return path


def _report(results_path, reports_dir, benchmark_json=None):
    from .report import ReportError, render

    try:
        index = render(results=results_path, reports_dir=reports_dir, benchmark_json=benchmark_json)
    except ReportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"report: {index}")
    return 0


def _speed(reports_dir, peers):
    from . import speed

    print("speed: pytest --benchmark-only, every group (a few minutes)", flush=True)
    path, code = speed.run(reports_dir, peers=peers)
    if path is None:
        print(f"error: the benchmark suite wrote no results (pytest exit {code})", file=sys.stderr)
    elif code != 0:
        print(
            f"warning: some benchmarks failed (pytest exit {code}); {path} holds those that ran",
            file=sys.stderr,
        )
    else:
        print(f"speed: {path}")
    return path, code


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["compare"]:
        from . import compare

        return compare.main(argv[1:])
    if not argv or argv[0] not in (*SUBCOMMANDS, "-h", "--help"):
        argv.insert(0, "all")
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.command == "report":
        return _report(args.results, args.reports_dir, args.benchmark_json)
    if args.command == "speed":
        return 0 if _speed(args.reports_dir, peers=not args.no_peers)[1] == 0 else 1
    path = _run(args, parser)
    if args.command != "all":
        return 0
    bench, speed_code = None, 0
    if not (args.no_speed or args.only):
        bench, speed_code = _speed(args.reports_dir, peers=not args.no_peers)
    code = _report(str(path), args.reports_dir, bench)
    # The report shows whatever was measured; a failed speed step still fails the command.
    return code or (1 if speed_code != 0 else 0)


if __name__ == "__main__":
    sys.exit(main())
