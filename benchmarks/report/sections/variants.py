"""The table of every measured variant: each figure of the figure table that is a column, with
its range over repeats, the status and the collections; what the time column holds; and what
tracemalloc does not see, with the native peak to read instead. Skipped variants are left out:
the first screen names the engines that are not installed."""

import statistics

from markupsafe import Markup

from ... import figures as F
from ...files import results as results_files
from ...workloads.classic import INPUTS
from .. import history, native, palette
from ..page import capital, describe
from ..section import Section

_STATUS = {  # status -> (word in the table, css class)
    "ok": ("ok", "ok"),
    "exceeded_limit": ("exceeded limit", "exceeded"),
    "error": ("failed", "failed"),
}
# Shown with their min–max over repeats; exact figures have none worth showing.
_RANGED = {f.name for f in F.FIGURES if f.repeated and f.column and not f.deterministic}
COLUMNS = tuple(f for f in F.FIGURES if f.column)


def build(inputs):
    data = inputs.data
    rows = [_row(v) for v in data.get("variants") or [] if v.get("status") != "skipped"]
    impls = {str(r["v"].get("impl")) for r in rows}
    return Section(
        "variants",
        "All variants",
        _summary(rows, len(data.get("variants") or [])),
        {
            "rows": rows,
            "table_figures": COLUMNS,
            "time_note": time_note(data),
            "impls": impls,
            "untraced": native.untraced(data),
            "native_missing": native.why_missing(data),
            "settings": data.get("settings") or {},
        },
    )


def _row(v):
    word, css = _STATUS.get(v.get("status"), (str(v.get("status")), "failed"))
    error = v.get("error")
    repeats = v.get("repeats") or {}
    return {
        "v": v,
        "colour": palette.colour(v["name"]),
        "status_word": word,
        "status_class": css,
        "error": None if error is None else str(error),
        "error_summary": results_files.error_summary(error),
        "gc": (v.get("gc") or {}).get("collections"),
        "ranges": {
            k: (r.get("min"), r.get("max"))
            for k, r in repeats.items()
            if k in _RANGED and isinstance(r, dict)
        },
        "extra": v.get("extra") or {},
        # tracemalloc does not see this engine's memory: its traced figure is not the one to read
        "blind": native.blind(v) and F.TRACED_PEAK.name,
    }


def _summary(rows, recorded):
    statuses = [r["v"].get("status") for r in rows]
    said = f"{statuses.count('ok')} of {recorded} variants measured"
    others = [f"{statuses.count(s)} {word}" for s, (word, _) in _STATUS.items() if s != "ok"]
    others.append(f"{recorded - len(rows)} skipped (not in the table)")
    said += "".join(f", {text}" for text in others if not text.startswith("0 "))
    for figure in (F.TRACED_PEAK, F.NATIVE_PEAK):
        peaks = [
            (r["v"][figure.name], r["v"]["name"])
            for r in rows
            if r["v"].get("status") == "ok" and isinstance(r["v"].get(figure.name), int | float)
        ]
        if peaks:
            (low, a), (high, b) = min(peaks), max(peaks)
            said += f"; {figure.title} {F.text(figure, low)} ({a}) to {F.text(figure, high)} ({b})"
    return said + "."


def time_note(results):
    """What the time per iteration holds, with this file's own time to draw one input; None
    when no variant recorded that time (files written before it was)."""
    variants = [v for v in results.get("variants", []) if v.get("status") == "ok"]
    draws = [v[F.INPUT_DRAW.name] for v in variants if isinstance(v.get(F.INPUT_DRAW.name), float)]
    if not draws:
        return None
    settings = results.get("settings") or {}
    size = settings.get("size")
    how = settings.get("input", history.TIMING["input"])
    draw = F.text(F.INPUT_DRAW, statistics.median(draws))
    return Markup(
        "{title} is the untraced loop's, as <code>benchmarks/loop.py</code> runs it:"
        " each iteration makes a fresh input of {size} elements ({how}),"
        " which alone took <b>{draw}</b> here (the least of five after the loop, median"
        " over the variants), and writes its arrays into pages glibc has just mapped or given"
        " back. The pytest-benchmark suite and the speed ratios take their inputs from a pool"
        " and settle the allocator, so they time the step alone, a fraction of this"
        ' (<code>docs/measurement.md</code>, "Time per iteration").'
    ).format(
        title=capital(F.PER_ITER.title),
        size=f"{size:,}" if isinstance(size, int) else describe(size),
        draw=draw,
        how=INPUTS.get(how, how),
    )
