"""What `pytest --benchmark-only` prints, fitted to the terminal (a pytest plugin; the project's
conftest.py loads it): only the benchmarks are collected, the variants left out get one line per
reason, names are short enough for a 100-column terminal, and each group's memory table (the
median time beside the `extra_info` memprobe.py measured) follows pytest-benchmark's timing
tables."""

import textwrap

import pytest

from .. import figures as F
from .memprobe import COLLECTIONS, PEAK

VS_NUMPY = "time_vs_numpy"  # bench_loop.py's key: the median against numpy's, timed alongside

GROUPS = pytest.StashKey[list]()
LEFT_OUT = pytest.StashKey[list]()


def timing(config):
    """True when this session times the benchmarks (`--benchmark-only`, `--benchmark-enable`)."""
    opt = config.option
    return bool(getattr(opt, "benchmark_only", False) or getattr(opt, "benchmark_enable", False))


# --- the hooks --------------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)  # before pytest-benchmark marks each of them skipped
def pytest_collection_modifyitems(config, items):
    if not getattr(config.option, "benchmark_only", False):
        return
    kept, dropped, left_out = [], [], []
    for item in items:
        variant = _left_out(item)
        if "benchmark" not in getattr(item, "fixturenames", ()):
            dropped.append(item)
        elif variant is not None:
            dropped.append(item)
            left_out.append(variant)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
    config.stash[LEFT_OUT] = left_out


def _left_out(item):
    """The variant `item` times, if the suite leaves it out here (not installed...); else None."""
    from ..workloads.variants import Variant

    callspec = getattr(item, "callspec", None)
    for value in callspec.params.values() if callspec else ():
        if isinstance(value, Variant) and value.left_out():
            return value
    return None


@pytest.hookimpl(wrapper=True)
def pytest_report_header(config, start_path):
    headers = yield
    if not timing(config):
        return headers
    # pytest-benchmark's header lists every default on one line of about 180 characters.
    width = config.get_terminal_writer().fullwidth
    fitted = []
    for header in headers:  # a plugin's line, or its list of lines; pytest keeps their order
        lines = [header] if isinstance(header, str) else header
        fitted.append([part for line in lines for part in fit(line, width)])
    return fitted


@pytest.hookimpl(wrapper=True)
def pytest_benchmark_group_stats(config, benchmarks, group_by):
    groups = yield
    for _, group in groups:
        shorten_names(group)
    config.stash[GROUPS] = groups
    return groups


@pytest.hookimpl(wrapper=True, trylast=True)  # inside pytest's own: before its short summary
def pytest_terminal_summary(terminalreporter, config):
    if not timing(config):
        return (yield)
    width = config.get_terminal_writer().fullwidth
    write_line = terminalreporter.write_line

    def fitted(line, **markup):
        # pytest-benchmark's legend is one 109-character line, whatever the terminal.
        for part in fit(str(line), width):
            write_line(part, **markup)

    terminalreporter.write_line = fitted
    try:
        result = yield  # pytest-benchmark's timing tables
        _write_summary(terminalreporter, config, width)
    finally:
        del terminalreporter.write_line  # the class's own again
    return result


def _write_summary(tr, config, width):
    tables = []
    if not config.getoption("benchmark_quiet", False):
        sort = config.getoption("benchmark_sort", "min")
        tables = [memory_table(g, b, sort) for g, b in config.stash.get(GROUPS, [])]
        tables = [t for t in tables if t]
    for table in tables:
        tr.write_line("")
        for line in table:
            tr.write_line(line)
    if tables:
        has_ratio = any("/ numpy" in table[1] for table in tables)
        for line in legend(width, has_ratio):
            tr.write_line(line)
    left_out = left_out_lines(config.stash.get(LEFT_OUT, []))
    if left_out:
        tr.write_line("")
    for line in left_out:
        tr.write_line(line, yellow=True)


# --- what they print --------------------------------------------------------------------------


def shorten_names(benchmarks):
    """Name each benchmark of one group by its parameters alone (`weak-backprop`, not
    `test_classic_loop_iteration[weak-backprop]`): the group's title says what was timed. Names
    stay whole where that would leave two benchmarks (of one source) with the same name."""
    ids = [(b.get("param"), b.get("source")) for b in benchmarks]
    if all(param for param, _ in ids) and len(set(ids)) == len(ids):
        for bench in benchmarks:
            bench["name"] = bench["param"]


def peak_text(mib):
    # A scalar op's peak is a few hundred bytes: in MiB, with the figure's two decimals, 0.00.
    if mib >= 1:
        return F.text(F.TRACED_PEAK, mib)
    return f"{mib * 1024:.1f} KiB"


def memory_table(group, benchmarks, sort="min"):
    """The lines of `group`'s memory table, or [] when none of its benchmarks measured memory.

    One row per benchmark timed in this session (not those read back to compare against), in
    the timing table's order: its median time, and the tracemalloc peak and collections of the
    one traced call memprobe.py makes beside the timed rounds.
    """
    rows = [b for b in benchmarks if not b.get("path") and PEAK in (b.get("extra_info") or {})]
    if not rows:
        return []
    vs_numpy = any(VS_NUMPY in b["extra_info"] for b in rows)
    header = ["Name", "Median", F.TRACED_PEAK.title, "Collections"]
    table = [header + (["/ numpy"] if vs_numpy else [])]
    for bench in sorted(rows, key=lambda b: b[sort]):
        info = bench["extra_info"]
        gens = info.get(COLLECTIONS)
        row = [
            bench["name"],
            F.text(F.PER_ITER, bench["median"]),
            peak_text(info[PEAK]),
            "/".join(str(n) for n in gens) if gens else "n/a",
        ]
        if vs_numpy:
            ratio = info.get(VS_NUMPY)
            row.append(f"{ratio:.3f}x" if ratio is not None else "n/a")
        table.append(row)
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = ["   ".join(_cells(row, widths)) for row in table]
    width = len(lines[0])
    title = f" memory {group!r}: {len(rows)} tests " if group else f" memory: {len(rows)} tests "
    rule = "-" * width
    return [title.center(width, "-"), lines[0], rule, *lines[1:], rule]


def _cells(row, widths):
    first, *rest = row
    return [
        first.ljust(widths[0]),
        *(cell.rjust(w) for cell, w in zip(rest, widths[1:], strict=True)),
    ]


def legend(width, has_ratio=False):
    """What the memory tables hold, wrapped to `width`."""
    lines = [
        "Memory: of one traced call, apart from the timed rounds (benchmarks/suite/memprobe.py).",
        "  tracemalloc peak: the most the call allocated at once, beyond what it started with.",
        "  Collections: the cyclic GC's runs during the call, in generations 0/1/2.",
    ]
    if has_ratio:
        lines.append("  / numpy: the median against plain numpy's, timed in alternate rounds.")
    return [part for line in lines for part in fit(line, width)]


def left_out_lines(variants):
    """One line per reason the suite leaves variants out (`Variant.left_out`): the engines
    that are not installed share one line per way to install them."""
    missing, other = {}, {}
    for v in variants:
        why = v.left_out()
        # --no-peers comes first: a peer left out on purpose is not reported as not installed.
        if why is not None and why == v.missing():
            missing.setdefault(v.engine.install, []).append(v.engine.name)
        else:
            other.setdefault(why, []).append(v.name)
    lines = [f"not installed: {_names(names)}: {how}" for how, names in missing.items()]
    return lines + [f"left out: {_names(names)}: {why}" for why, names in other.items()]


def _names(names):
    return ", ".join(dict.fromkeys(names))


def fit(line, width):
    """`line` wrapped at spaces into lines of at most `width` characters, the continuation lines
    indented two more than the first; a line that fits comes back as it is."""
    if len(line) <= width:
        return [line]
    indent = line[: len(line) - len(line.lstrip())]
    wrapped = textwrap.wrap(
        line.strip(),
        width,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_on_hyphens=False,
    )
    return wrapped or [line]
