"""The report's plots, drawn with matplotlib's Agg renderer from a results dict (or a parsed
mprof run) and returned as PNG bytes. Nothing here measures anything.

Figures are built with `matplotlib.figure.Figure`, not pyplot, so no GUI backend is chosen and
no figure outlives its call. Each plot comes wide (screens) or narrow (phones, where the wide one
would shrink its text below reading size).
"""

import io
import warnings

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

from . import palette

MAX_POINTS = 2000  # per curve; more only blurs into the same pixels
MAX_MARKERS = 300  # GC events per variant and generation; more hide the curve
LOG_SCALE_RATIO = 30  # peaks further apart than this: a linear axis flattens the small ones
DPI = 150
WIDE, NARROW = 10.0, 5.0  # figure widths, inches
_STYLE = {
    "text.parse_math": False,  # names and command lines may contain `$`
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e5e5e5",
    "grid.linewidth": 0.8,
    "axes.axisbelow": True,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "legend.frameon": False,
    "savefig.facecolor": "white",
}
_GC_MARKERS = {0: ("o", 3.5), 1: ("^", 6), 2: ("D", 7)}  # generation -> (marker, size)
_STATUS_WORDS = {"error": "failed", "skipped": "skipped", "exceeded_limit": "exceeded limit"}


def downsample(x, y, max_points=MAX_POINTS):
    """At most about `max_points` points of the curve (x, y), keeping each bucket's lowest and
    highest point so peaks and dips survive (a plain stride would drop a short peak)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) <= max_points:
        return x, y
    keep = []
    for b in np.array_split(np.arange(len(x)), max_points // 2):
        keep += sorted({b[np.argmin(y[b])], b[np.argmax(y[b])]})
    return x[keep], y[keep]


def _png(fig):
    buf = io.BytesIO()
    with warnings.catch_warnings():
        # A character the font lacks (in a name or command read from a file) draws as a box;
        # saying so on the terminal would tell the reader nothing they can act on.
        warnings.filterwarnings("ignore", r"Glyph \d+ .* missing from font", UserWarning)
        fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _figure(height, narrow):
    # Called inside rc_context(_STYLE): artists take the style when they are created.
    return Figure(figsize=(NARROW if narrow else WIDE, height), layout="constrained")


def _legend(fig, handles, narrow, height):
    """A legend under the plot; the figure grows by the legend's rows so the plot keeps `height`."""
    columns = 2 if narrow else min(len(handles), 5)
    fig.set_figheight(height + 0.25 * -(-len(handles) // columns))
    fig.legend(handles=handles, loc="outside lower center", ncol=columns)


def _timeline(variant):
    """(t, rss, iter) arrays of a variant's samples, or None without a usable timeline."""
    line = variant.get("timeline") or {}
    t, rss, it = (line.get(k) or [] for k in ("t", "rss_mib", "iter"))
    n = min(len(t), len(rss), len(it))
    if n == 0:
        return None
    try:
        arrays = [np.asarray(a[:n], dtype=float) for a in (t, rss, it)]
    except (TypeError, ValueError):
        return None  # nulls or text in a timeline: nothing trustworthy to draw
    ok = np.all([np.isfinite(a) for a in arrays], axis=0)
    return tuple(a[ok] for a in arrays) if ok.any() else None


def _curves(results):
    return [(v, tl) for v in results.get("variants", []) if (tl := _timeline(v))]


def _mib_axis(ax, peaks):
    peaks = [p for p in peaks if p > 0]
    if peaks and max(peaks) / min(peaks) > LOG_SCALE_RATIO:
        ax.set_yscale("log")
        plain = ScalarFormatter()
        plain.set_scientific(False)
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_ylabel("RSS (MiB, log scale)")
    else:
        ax.set_ylabel("RSS (MiB)")


def _limit_line(ax, results):
    # Only when a variant hit it: an unreached 12 GiB line would flatten every curve.
    limit = (results.get("settings") or {}).get("mem_limit_mib")
    exceeded = any(v.get("status") == "exceeded_limit" for v in results.get("variants", []))
    if limit and exceeded:
        ax.axhline(limit, color="#b2182b", lw=1, ls=(0, (4, 3)), label="memory limit")


def _curve(ax, name, x, y):
    ax.plot(
        *downsample(x, y),
        color=palette.colour(name),
        ls=palette.linestyle(name),
        lw=1.5,
        label=name,
    )


def _gc_markers(ax, events, it, rss, colour):
    """Mark each collection on the curve at the iteration where it ran; returns the generations
    drawn and whether some events were left out to keep the curve visible."""
    drawn, thinned = set(), False
    for gen, (marker, size) in _GC_MARKERS.items():
        at = [e.get("iter") for e in events if isinstance(e, dict) and e.get("generation") == gen]
        at = np.array([i for i in at if isinstance(i, int | float) and i >= 0], dtype=float)
        if not len(at):
            continue
        if len(at) > MAX_MARKERS:
            at, thinned = at[np.linspace(0, len(at) - 1, MAX_MARKERS).astype(int)], True
        edge = "black" if gen == 2 else colour
        ax.plot(
            at,
            np.interp(at, it, rss),
            ls="none",
            marker=marker,
            ms=size,
            color=colour,
            mec=edge,
            mew=0.8,
        )
        drawn.add(gen)
    return drawn, thinned


def rss_over_iterations(results, narrow=False):
    """RSS against the loop's iteration for every variant, GC collections marked on the curves."""
    curves = [(v, (rss, it)) for v, (_, rss, it) in _curves(results) if (it >= 0).any()]
    if not curves:
        return None
    with mpl.rc_context(_STYLE):
        fig = _figure(1, narrow)
        ax = fig.add_subplot()
        gens, thinned = set(), False
        for v, (rss, it) in curves:
            it, rss = it[it >= 0], rss[it >= 0]  # samples before the loop have no iteration
            _curve(ax, v["name"], it, rss)
            events = (v.get("gc") or {}).get("events") or []
            drawn, th = _gc_markers(ax, events, it, rss, palette.colour(v["name"]))
            gens, thinned = gens | drawn, thinned or th
        _limit_line(ax, results)
        _mib_axis(ax, [rss.max() for _, (rss, _) in curves])
        ax.set_xlabel("iteration")
        ax.set_title("RSS over iterations")
        handles, _ = ax.get_legend_handles_labels()
        for gen in sorted(gens):
            marker, size = _GC_MARKERS[gen]
            label = f"gen{gen} collection" + (" (some omitted)" if thinned else "")
            handles.append(
                Line2D(
                    [],
                    [],
                    ls="none",
                    marker=marker,
                    ms=size,
                    color="#999",
                    mec="black" if gen == 2 else "#999",
                    label=label,
                )
            )
        _legend(fig, handles, narrow, 3.6 if narrow else 4.6)
        return _png(fig)


def rss_over_time(results, narrow=False):
    """RSS against wall time from each child's start, imports included."""
    curves = _curves(results)
    if not curves:
        return None
    with mpl.rc_context(_STYLE):
        fig = _figure(1, narrow)
        ax = fig.add_subplot()
        for v, (t, rss, _) in curves:
            _curve(ax, v["name"], t, rss)
            if v.get("status") == "exceeded_limit":
                ax.plot(
                    t[-1], rss[-1], marker="X", ms=9, color=palette.colour(v["name"]), mec="black"
                )
        _limit_line(ax, results)
        _mib_axis(ax, [rss.max() for _, (_, rss, _) in curves])
        ax.set_xlabel("seconds since the variant's process started")
        ax.set_title("RSS over wall time")
        handles, _ = ax.get_legend_handles_labels()
        _legend(fig, handles, narrow, 3.4 if narrow else 4.2)
        return _png(fig)


def mprof_curve(run, narrow=False):
    """One mprof run: its RSS curve, children dashed, the peak marked, function spans shaded."""
    with mpl.rc_context(_STYLE):
        fig = _figure(3.2 if narrow else 3.6, narrow)
        ax = fig.add_subplot()
        ax.plot(*downsample(run.t_s, run.mem_mib), color="#2166ac", lw=1.5, label="process")
        for child, (ct, cm) in run.children.items():
            ax.plot(*downsample(ct, cm), lw=1, ls="--", label=f"child {child}")
        at = int(np.argmax(run.mem_mib))
        ax.plot(run.t_s[at], run.mem_mib[at], "o", color="#b2182b")
        ax.annotate(
            f"peak {run.peak_mib:,.1f} MiB",
            (run.t_s[at], run.mem_mib[at]),
            xytext=(6, 4),
            textcoords="offset points",
            color="#b2182b",
        )
        names = list(dict.fromkeys(f.name for f in run.functions))[:8]
        colours = dict(zip(names, mpl.colormaps["tab10"].colors, strict=False))
        for f in run.functions:
            if f.name in colours:
                ax.axvspan(f.start_s, f.end_s, color=colours[f.name], alpha=0.12, lw=0)
        handles, _ = ax.get_legend_handles_labels()
        handles += [Patch(color=c, alpha=0.3, label=n) for n, c in colours.items()]
        if len(handles) > 1:
            ax.legend(handles=handles, loc="upper left", fontsize=8)
        ax.set_ylim(0, run.peak_mib * 1.12 or 1)
        ax.set_xlabel("seconds since the first sample")
        ax.set_ylabel("memory (MiB)")
        return _png(fig)
