"""The peak bar chart: each variant's peak RSS (the import baseline pale, the loop's increment in
the variant's colour, the live-array floor ticked) and, beside it, its exact peaks: tracemalloc's
(Python's allocators) and the native pass's (every allocator). Skipped variants are left out:
the page says once which engines are not installed."""

import matplotlib as mpl
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .. import figures as F
from . import palette
from .plots import _STYLE, _figure, _png

_STATUS_WORDS = {"error": "failed", "exceeded_limit": "exceeded limit"}
EXACT = (F.TRACED_PEAK, F.NATIVE_PEAK)


def shown(results):
    """The variants the chart draws: every one but the skipped."""
    return [v for v in results.get("variants") or [] if v.get("status") != "skipped"]


def peak_bars(results, narrow=False):
    """PNG bytes of the chart, or None without a variant to draw."""
    variants = shown(results)
    if not variants:
        return None
    with mpl.rc_context(_STYLE):
        fig = _figure(1, narrow)
        if narrow:
            rss_ax, exact_ax = fig.subplots(2, 1)
        else:
            rss_ax, exact_ax = fig.subplots(1, 2, sharey=True, width_ratios=(3, 2))
        _rss_panel(rss_ax, variants, narrow)
        natives = _exact_panel(exact_ax, variants, narrow)
        for ax in (rss_ax, exact_ax):
            ax.set_yticks(range(len(variants)), [v["name"] for v in variants])
            ax.set_ylim(len(variants) - 0.4, -0.6)  # top to bottom in the order they ran
            ax.grid(axis="y", visible=False)
        if not narrow:
            exact_ax.tick_params(labelleft=False)
        handles = [
            Patch(color="#999", alpha=0.25, label=f"{F.BASELINE.title} (baseline)"),
            Patch(color="#999", label=f"{F.INCREMENT.title} during the loop"),
            Line2D([], [], color="black", lw=2, label=f"baseline + {F.FLOOR.title}"),
            Patch(color="#999", label=F.TRACED_PEAK.title),
            Patch(facecolor="white", edgecolor="#555", lw=1.2, label=F.NATIVE_PEAK.title)
            if natives
            else Patch(color="none", label=f"no {F.NATIVE_PEAK.title} in this file"),
        ]
        rows = len(variants) * (2 if narrow else 1)
        fig.set_figheight(1.2 + 0.42 * rows + (1.0 if narrow else 0.3))
        fig.legend(handles=handles, loc="outside lower center", ncol=2 if narrow else 3)
        return _png(fig)


def _rss_panel(ax, variants, narrow):
    top = max((v.get(F.PEAK_RSS.name) or 0 for v in variants), default=0) or 1
    for y, v in enumerate(variants):
        name, peak = v["name"], v.get(F.PEAK_RSS.name)
        base = v.get(F.BASELINE.name) or 0
        colour, exceeded = palette.colour(name), v.get("status") == "exceeded_limit"
        if peak is None:
            word = _STATUS_WORDS.get(v.get("status"), "no figure")
            ax.text(top * 0.01, y, word, va="center", color="#777", style="italic")
            continue
        ax.barh(y, base, color=colour, alpha=0.25, height=0.7)
        ax.barh(
            y, peak - base, left=base, color=colour, height=0.7, hatch="//" if exceeded else None
        )
        floor = v.get(F.FLOOR.name)
        if floor is not None:
            ax.plot([base + floor] * 2, [y - 0.42, y + 0.42], color="black", lw=2)
        if narrow:
            label = f" {peak:,.1f}" + (" limit" if exceeded else "")
        else:
            label = f" {peak:,.1f}" + (f" (+{peak - base:,.1f})" if base else "")
            label += " — stopped at limit" if exceeded else ""
        ax.text(peak, y, label, va="center")
    ax.set_xlim(0, top * (1.25 if narrow else 1.35))
    ax.set_xlabel(f"{F.PEAK_RSS.title} ({F.PEAK_RSS.unit})")
    ax.set_title(f"{F.PEAK_RSS.title} per variant")


def _exact_panel(ax, variants, narrow):
    """tracemalloc's peak (filled) and the native peak (outlined) per variant; returns whether
    any variant has a native peak."""
    values = [[v.get(f.name) for f in EXACT] for v in variants]
    top = max((x for pair in values for x in pair if x is not None), default=0) or 1
    for y, (v, pair) in enumerate(zip(variants, values, strict=True)):
        colour = palette.colour(v["name"])
        for offset, value, native in ((-0.18, pair[0], False), (0.18, pair[1], True)):
            if value is None:
                continue
            style = {"facecolor": "white", "edgecolor": colour, "lw": 1.2} if native else {}
            ax.barh(y + offset, value, height=0.34, **(style or {"color": colour}))
            ax.text(value, y + offset, f" {value:,.2f}", va="center", fontsize=8)
    ax.set_xlim(0, top * (1.3 if narrow else 1.4))
    ax.set_xlabel(f"exact peaks, loop only ({F.TRACED_PEAK.unit})")
    ax.set_title("exact peaks")
    return any(pair[1] is not None for pair in values)
