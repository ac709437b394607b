"""The "Across environments" plot: for one workload, each variant's peaks as bars, one bar per
environment, in three panels (tracemalloc peak, kernel peak, increment). Drawn from the rows of
`across.tables` alone, with the other plots' style."""

import matplotlib as mpl
from matplotlib.patches import Patch

from . import plots
from .across import FIGURES

# One colour per environment, apart from the variants' reds and blues: a table's first
# environment is always green, its second orange...
COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666")


def colour(index):
    return COLOURS[index % len(COLOURS)]


def peaks(table, narrow=False):
    """PNG bytes of `table` (an across.Table), or None when no row has a figure."""
    rows = [r for r in table.rows if any(v is not None for v in r.values.values())]
    if not rows:
        return None
    names = list(dict.fromkeys(r.variant for r in rows))
    per_variant = {n: [r for r in rows if r.variant == n] for n in names}
    with mpl.rc_context(plots._STYLE):
        fig = plots._figure(1, narrow)
        panels = fig.subplots(len(FIGURES), 1) if narrow else fig.subplots(1, len(FIGURES))
        for ax, figure in zip(panels, FIGURES, strict=True):
            values = [r.values[figure.name] or 0 for r in rows]
            # A sampled increment can come out below zero (RSS fell under its baseline).
            top, low = max(max(values), 0), min(min(values), 0)
            span = (top - low) or 1
            for y, name in enumerate(names):
                group = per_variant[name]
                height = 0.8 / len(group)
                for i, r in enumerate(group):
                    value = r.values[figure.name]
                    if value is None:
                        continue
                    at = y - 0.4 + height * (i + 0.5)
                    ax.barh(at, value, height=height * 0.9, color=colour(r.index))
                    label = f" {value:,.{figure.digits}f}"
                    # Clipped: a label past the axes would make the layout squeeze them away.
                    ax.text(max(value, 0), at, label, va="center", fontsize=7, clip_on=True)
            ax.set_yticks(
                range(len(names)), names if ax is panels[0] or narrow else [""] * len(names)
            )
            ax.set_ylim(len(names) - 0.5, -0.5)
            ax.set_xlim(low - 0.05 * span if low < 0 else 0, top + 0.35 * span)
            ax.grid(axis="y", visible=False)
            ax.set_title(f"{figure.title} ({figure.unit})", fontsize=10)
        handles = [Patch(color=colour(i), label=env) for i, env in enumerate(table.environments)]
        per_panel = 0.9 + 0.3 * len(rows)
        fig.set_figheight(per_panel * (len(FIGURES) if narrow else 1) + 0.3 * len(handles))
        fig.legend(handles=handles, loc="outside lower center", ncol=1)
        return plots._png(fig)
