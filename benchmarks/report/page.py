"""The HTML page: turns a results dict and its companions into template values and renders
benchmarks/templates/index.html.j2 with autoescape, so text from files can never become markup.
"""

import base64
import datetime as dt
import statistics

import jinja2
from markupsafe import Markup

from .. import figures as F
from ..files import environments
from ..files import results as results_files
from ..workloads.variants import ARRAY_MIB
from . import palette

# Published by a reader of the book: mprof peaks on macOS, 2022 (see the measurement notes).
REFERENCE = {"strong_mib": 539.438, "weak_mib": 75.484, "ratio": 7.15, "how": "mprof on macOS"}
_STATUS = {  # status -> (word in the table, css class)
    "ok": ("ok", "ok"),
    "exceeded_limit": ("exceeded limit", "exceeded"),
    "error": ("failed", "failed"),
    "skipped": ("skipped", "skipped"),
}
# Shown with their min–max over repeats; exact figures have none worth showing.
_RANGED = {f.name for f in F.FIGURES if f.repeated and f.column and not f.deterministic}

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("benchmarks", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,  # a typo in the template fails loudly, not as blank text
    trim_blocks=True,
    lstrip_blocks=True,
)


def mib(value, digits=1):
    return "—" if value is None else f"{value:,.{digits}f}"


def duration(seconds):
    return "—" if seconds is None else F.text(F.FIGURE["seconds"], seconds)


def figure(value, fig):
    """`value` of results figure `fig` in a table cell: MiB to its digits, times with a unit."""
    return duration(value) if fig.unit == "s" else mib(value, fig.digits)


def percent(value):
    return "—" if value is None else f"{value:+.1f}%".replace("-", "−")


def figures(value):
    """About four significant figures, with thousands separators: 13,716 / 158.7 / 1.503."""
    digits = 0 if abs(value) >= 1000 else 1 if abs(value) >= 100 else 2 if abs(value) >= 10 else 3
    return f"{value:,.{digits}f}"


def describe(value, none="—"):
    """A recorded value as one line of text: lists joined, dicts as `key value` pairs."""
    if value is None:
        return none
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return " / ".join(describe(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {describe(v, none)}" for k, v in value.items())
    return str(value)


def ratio(value, digits=3):
    """A time ratio: 1.037×; a dash for one the file does not hold."""
    return "—" if value is None else f"{value:.{digits}f}×"


_env.filters.update(
    mib=mib,
    duration=duration,
    figure=figure,
    percent=percent,
    describe=describe,
    figures=figures,
    ratio=ratio,
)


def data_uri(png):
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def headline(results):
    """The strong/weak peak ratio in one sentence, beside the published reference."""
    ref = Markup(
        "The published reference measured <b>{ratio:.2f}×</b> ({strong} MiB vs {weak} MiB, {how})."
    ).format(
        ratio=REFERENCE["ratio"],
        strong=REFERENCE["strong_mib"],
        weak=REFERENCE["weak_mib"],
        how=REFERENCE["how"],
    )
    variants = results_files.by_name(results)
    strong, weak = variants.get("strong-backprop"), variants.get("weak-backprop")
    if strong and weak and strong.get("status") == "exceeded_limit" and weak.get("peak_rss_mib"):
        limit = (results.get("settings") or {}).get("mem_limit_mib")
        return Markup(
            "Recording the graph with strong references <b>ran out of memory</b>: it was stopped at"
            " the {limit} MiB limit after {done} of {iters} iterations, while weak references"
            " peaked at <b>{weak} MiB</b> (strong-backprop vs weak-backprop). {ref}"
        ).format(
            limit=mib(limit, 0),
            done=strong.get("iters_done", "?"),
            iters=strong.get("iters", "?"),
            weak=mib(weak["peak_rss_mib"]),
            ref=ref,
        )
    missing = [
        f"{name} {_absent_reason(v)}"
        for name, v in (("strong-backprop", strong), ("weak-backprop", weak))
        if not v or v.get("status") != "ok" or not v.get("peak_rss_mib")
    ]
    if missing:
        return Markup("This run has no strong/weak ratio: {why}. {ref}").format(
            why=" and ".join(missing), ref=ref
        )
    s, w = strong["peak_rss_mib"], weak["peak_rss_mib"]
    return Markup(
        "Recording the graph with strong references took <b>{ratio:.2f}×</b> the memory of"
        " recording it with weak references: <b>{s} MiB</b> vs <b>{w} MiB</b> peak RSS"
        " (strong-backprop vs weak-backprop, <b>{where}</b>). {ref}"
    ).format(ratio=s / w, s=mib(s), w=mib(w), where=_interpreter(results, strong), ref=ref)


def _interpreter(results, variant):
    """The interpreter and numpy that measured `variant`: `CPython 3.13.0, numpy 2.5.5`."""
    return environments.interpreter(environments.of(results, variant))


_NOT_MEASURED = {"skipped": "skipped", "error": "failed", "exceeded_limit": "stopped at the limit"}


def shown_from(path, results, pool, lead):
    """The first screen's word on what the report shows: the file, the interpreter and numpy
    that measured it, how many of its variants have figures, and, when files are pooled, why
    this one leads and where the others are."""
    variants = results.get("variants") or []
    statuses = [v.get("status") for v in variants]
    measured = f"{statuses.count('ok')} of its {len(variants)} variants measured"
    for status, word in _NOT_MEASURED.items():
        left = [v for v in variants if v.get("status") == status]
        if left:
            impls = dict.fromkeys(str(v.get("impl") or v["name"]) for v in left)
            measured += f", {len(left)} {word} ({', '.join(impls)})"
    identity = environments.of(results)
    said = Markup(
        "This report shows <b>{file}</b>, measured with <b>{where}</b>: {measured}."
    ).format(file=path.name, where=environments.interpreter(identity), measured=measured)
    others = [(p, d) for p, d in pool if p != path]
    if not others:
        if environments.is_own(identity):
            return said
        return said + Markup(
            " It is the newest results file; the interpreter running this report is {own}"
            " (<code>report --results FILE</code> shows another file)."
        ).format(own=environments.interpreter(environments.own()))
    labels = dict.fromkeys(environments.label(environments.of(d)) for _, d in others)
    why = (
        "it was measured with the interpreter running this report"
        if lead == "own"
        else "it is the newest, and none was measured with the interpreter running this report"
    )
    one = len(others) == 1
    return said + Markup(
        " It leads the {n} pooled results files because {why}; {others} ({labels}) {verb} in"
        ' <a href="#across">Across environments</a>.'
    ).format(
        n=len(pool),
        why=why,
        others="the other file" if one else f"the other {len(others)} files",
        labels="; ".join(labels),
        verb="is" if one else "are",
    )


def _absent_reason(variant):
    if not variant:
        return "was not measured"
    status = variant.get("status")
    reasons = {
        "error": "failed",
        "skipped": "was skipped",
        "exceeded_limit": "was stopped at the memory limit",
    }
    return reasons.get(status, "has no peak figure")


def increments(results):
    """A second sentence on the loop's own memory, above the import baseline."""
    variants = results_files.by_name(results)
    strong, weak = variants.get("strong-backprop") or {}, variants.get("weak-backprop") or {}
    s, w = strong.get("peak_increment_mib"), weak.get("peak_increment_mib")
    if s is None or w is None or strong.get("status") != "ok" or weak.get("status") != "ok":
        return None
    ratio = f" ({s / w:.1f}×)" if w > 0 else ""
    return Markup(
        "Peak RSS counts everything the process holds, imports included; the loop alone added"
        " <b>+{s} MiB</b> vs <b>+{w} MiB</b>{ratio} over the RSS after imports."
    ).format(s=mib(s), w=mib(w), ratio=ratio)


def workload(results):
    st = results.get("settings") or {}
    size, depth = st.get("size"), st.get("depth")
    expr = "x"
    for _ in range(depth if isinstance(depth, int) and 0 < depth <= 8 else 0):
        expr = f"square({expr})"
    array = f" ({size * ARRAY_MIB:.2f} MiB)" if isinstance(size, int) else ""
    size_text = f"{size:,}" if isinstance(size, int) else describe(size)
    gc = "gc disabled" if st.get("gc_enabled") is False else "gc enabled"
    if st.get("gc_threshold"):
        gc += f", thresholds {describe(st['gc_threshold'])}"
    return (
        f"Workload: {describe(st.get('iters'))} iterations of y = {expr} on a fresh array of"
        f" {size_text} float64{array}; RSS sampled every {duration(st.get('interval_s'))}; {gc}."
    )


def time_note(results):
    """What the time per iteration holds, with this file's own time to draw one input; None
    when no variant recorded that time (files written before it was)."""
    variants = [v for v in results.get("variants", []) if v.get("status") == "ok"]
    draws = [v["input_draw_s"] for v in variants if isinstance(v.get("input_draw_s"), float)]
    if not draws:
        return None
    size = (results.get("settings") or {}).get("size")
    draw = F.text(F.FIGURE["input_draw_s"], statistics.median(draws))
    return Markup(
        "Time / iteration is the untraced loop's, as <code>benchmarks/loop.py</code> runs it:"
        " each iteration draws a fresh input of {size} elements, which alone took <b>{draw}</b>"
        " here (the least of five draws after the loop, median over the variants), and writes"
        " its arrays into pages glibc has just mapped or given back. The pytest-benchmark suite"
        " and the speed ratios draw their inputs beforehand and settle the allocator, so they"
        ' time the step alone, a fraction of this (<code>docs/measurement.md</code>, "Time per'
        ' iteration").'
    ).format(size=f"{size:,}" if isinstance(size, int) else describe(size), draw=draw)


def variant_rows(results):
    rows = []
    for v in results.get("variants", []):
        word, css = _STATUS.get(v.get("status"), (str(v.get("status")), "failed"))
        error = v.get("error")
        repeats = v.get("repeats") or {}
        rows.append(
            {
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
            }
        )
    return rows


def render(context):
    """The page as a string; `context` holds what index.html.j2 reads (see report.render)."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return _env.get_template("index.html.j2").render(generated=now, **context)
