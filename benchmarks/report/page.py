"""The HTML page: the frame (benchmarks/templates/index.html.j2) around the sections, each
rendered by its own template, with autoescape, so text from files can never become markup; and
the filters the templates share.
"""

import base64
import datetime as dt

import jinja2

from .. import figures as F
from .. import workloads as W
from ..workloads.variants import ARRAY_MIB

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
    return "—" if seconds is None else F.text(F.SECONDS, seconds)


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


def capital(text):
    """`text` with its first letter a capital: a figure's title opening a sentence."""
    return text[:1].upper() + text[1:]


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
    capital=capital,
)


def data_uri(png):
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


_env.globals["data_uri"] = data_uri


def workload(results):
    st = results.get("settings") or {}
    size, depth = st.get("size"), st.get("depth")
    work = W.get(W.of(results))
    ops = depth if isinstance(depth, int) and 0 < depth <= 8 else 0
    expr = "x"
    for _ in range(ops):
        expr = f"{work.op}({expr})"
    loop = f"y = {expr}" if ops else f"a chain of {describe(depth)} {work.op} ops"
    array = f" ({size * ARRAY_MIB:.2f} MiB)" if isinstance(size, int) else ""
    size_text = f"{size:,}" if isinstance(size, int) else describe(size)
    gc = "gc disabled" if st.get("gc_enabled") is False else "gc enabled"
    if st.get("gc_threshold"):
        gc += f", thresholds {describe(st['gc_threshold'])}"
    return (
        f"Workload ({work.name}): {describe(st.get('iters'))} iterations of {loop} on a fresh"
        f" array of {size_text} float64{array}; RSS sampled every"
        f" {duration(st.get('interval_s'))}; {gc}."
    )


def render(inputs, sections, warnings):
    """The page as a string: the header, notices and warnings, then every section in order."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return _env.get_template("index.html.j2").render(
        generated=now,
        inputs=inputs,
        results=inputs.data,
        settings=inputs.data.get("settings") or {},
        sections=sections,
        notices=inputs.notices,
        warnings=warnings,
        sources=_sources(inputs),
        shown=inputs.shown,
    )


def _sources(inputs):
    """The files the page is drawn from, as the footer names them."""
    named = [inputs.shown(inputs.path)]
    named += [inputs.shown(x.path) for x in (inputs.bench, inputs.ratios) if x is not None]
    return [str(p) for p in named] + (["the mprof files above"] if inputs.mprof_runs else [])
