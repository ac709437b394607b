"""Plots of live memory (tracemalloc's bytes at each iteration's end, from the traced pass) under
the sampled RSS (the untraced pass), on one iteration axis: the first screen's picture of the
strong graph against the weak one, and the "Why the peak" panels, one per variant."""

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .. import figures as F
from . import palette
from .headline import pair
from .plots import _STYLE, _figure, _png, _timeline, downsample

STRONG_VS_WEAK = (7.0, 4.3)  # inches: beside the first screen's sentences
STRONG_VS_WEAK_NARROW = (5.0, 4.2)


def _loop_rss(variant):
    """(iterations, RSS above imports) of the loop's samples, or None without a timeline."""
    line = _timeline(variant)
    if line is None:
        return None
    _, rss, it = line
    # Samples whose iteration is below one already seen are misreads of the shared page
    # (iterations only grow); they would draw lines back to the start.
    keep = (it >= 0) & (it >= np.maximum.accumulate(it))
    return it[keep], rss[keep] - (variant.get(F.BASELINE.name) or 0.0)


def _live(variant):
    live = (variant.get("live") or {}).get("iter_mib")
    return live if variant.get("status") == "ok" and live else None


def _explained_curves(results):
    """(variant, iterations, RSS above imports, live MiB by iteration) for every completed
    variant that recorded a graph and has live figures (schema 2)."""
    found = []
    for v in results.get("variants", []):
        live, rss = _live(v), _loop_rss(v)
        if v.get("mode") != "no_grad" and live and rss is not None:
            found.append((v, *rss, live))
    return found


def _strokes(ax, variant, colour="black"):
    """Each collection as a vertical stroke from the live bytes before it to those after."""
    for e in (variant.get("gc") or {}).get("events") or []:
        at, generation = e.get("iter"), e.get("generation")
        before, after = e.get("live_before_mib"), e.get("live_after_mib")
        if all(isinstance(x, int | float) for x in (at, generation, before, after)):
            ax.plot([at] * 2, [before, after], color=colour, lw=0.8 + generation)


def strong_vs_weak(results, narrow=False):
    """V.HEADLINE's pair on one axis: each one's RSS above imports, pale, and its live bytes at
    every iteration's end, the collections as strokes; None when neither has a curve."""
    drawn = [(v, _loop_rss(v), _live(v)) for v in pair(results) if v.get("status") == "ok"]
    drawn = [(v, rss, live) for v, rss, live in drawn if rss is not None or live]
    if not drawn:
        return None
    with mpl.rc_context(_STYLE):
        fig = Figure(figsize=STRONG_VS_WEAK_NARROW if narrow else STRONG_VS_WEAK,
                     layout="constrained")  # fmt: skip
        ax = fig.add_subplot()
        handles = []
        for v, rss, live in drawn:
            colour = palette.colour(v["name"])
            if rss is not None:
                ax.plot(*downsample(*rss), color=colour, lw=1.4, alpha=0.45)
                handles.append(
                    Line2D([], [], color=colour, lw=1.4, alpha=0.45, label=f"{v['name']}: RSS")
                )
            if live:
                ax.plot(np.arange(len(live)), live, color=colour, lw=1.6)
                handles.append(Line2D([], [], color=colour, lw=1.6, label=f"{v['name']}: live"))
                _strokes(ax, v)
        if any(live for _, _, live in drawn):
            handles.append(Line2D([], [], color="black", lw=0.8, label="a collection"))
        ax.set_ylim(bottom=0)
        ax.set_xlabel("iteration")
        ax.set_ylabel("MiB above the RSS after imports")
        ax.set_title("Live memory under RSS")
        fig.legend(handles=handles, loc="outside lower center", ncol=2 if narrow else 3)
        return _png(fig)


def why_the_peak(results, narrow=False):
    """One panel per variant: RSS above imports and the bytes alive (tracemalloc) on the same
    iteration axis, each collection drawn as a drop from the live bytes before it to after."""
    curves = _explained_curves(results)
    if not curves:
        return None
    columns = 1 if narrow else 2
    rows = -(-len(curves) // columns)
    with mpl.rc_context(_STYLE):
        fig = _figure(1, narrow)
        fig.set_figheight(0.8 + 2.4 * rows)
        axes = fig.subplots(rows, columns, squeeze=False).ravel()
        for ax, (v, it, rss, live) in zip(axes, curves, strict=False):
            colour = palette.colour(v["name"])
            ax.plot(*downsample(it, rss), color="#999", lw=0.8, label="RSS above imports")
            ax.plot(np.arange(len(live)), live, color=colour, lw=1.4, label="live (tracemalloc)")
            _strokes(ax, v)
            ax.set_title(v["name"], fontsize=10)
            ax.set_ylim(bottom=0)
            ax.set_xlabel("iteration")
            ax.set_ylabel("MiB")
        for ax in axes[len(curves) :]:
            ax.set_visible(False)
        handles = [
            Line2D([], [], color="#999", lw=1.2, label="RSS above imports (sampled)"),
            Line2D([], [], color="#555", lw=1.4, label="live bytes at each iteration's end"),
            Line2D([], [], color="black", lw=0.8, label="gen0 collection: live before → after"),
            Line2D([], [], color="black", lw=1.8, label="gen1 collection"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=1 if narrow else 2)
        return _png(fig)
