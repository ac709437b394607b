"""The Scaling section's plots: figures of each variant against one sweep axis, with the
live-array floor (and a model's prediction, when given) as lines beside the measurements."""

import matplotlib as mpl
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from .. import figures as F
from . import palette
from .plots import _STYLE, LOG_SCALE_RATIO, _figure, _png

_MARKERS = ("o", "s", "^", "D", "v", "P")  # one per combination of the other axes
_PANELS = {  # series field -> (panel title, y label)
    "traced": (F.TRACED_PEAK.title, f"{F.TRACED_PEAK.unit}, exact, loop only"),
    "kernel": (f"{F.KERNEL_PEAK.title} RSS", f"{F.KERNEL_PEAK.unit}, whole process"),
    "per_iter": (F.PER_ITER.title, F.PER_ITER.unit),
}


def spans_decades(values):
    """Whether positive numbers `values` span a factor of ten or more: a log axis reads them."""
    numbers = [v for v in values if isinstance(v, int | float) and v > 0]
    return len(numbers) > 1 and max(numbers) / min(numbers) >= 10


def _plain_log(axis):
    axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,g}"))
    axis.set_minor_formatter(NullFormatter())


def _scales(ax, xs, ys):
    if spans_decades(xs):
        ax.set_xscale("log")
        _plain_log(ax.xaxis)
    positive = [y for y in ys if y]
    if positive and max(positive) / min(positive) > LOG_SCALE_RATIO:
        ax.set_yscale("log")
        _plain_log(ax.yaxis)


def _points(x, y):
    kept = [(a, b) for a, b in zip(x, y, strict=True) if b is not None]
    return [a for a, _ in kept], [b for _, b in kept]


def _panel(ax, series, field, axis_name):
    title, unit = _PANELS[field]
    ys, markers = [], _markers(series)
    for s in series:
        x, y = _points(s.x, getattr(s, field))
        if not y:
            continue
        marker = markers[tuple(s.fixed.items())]
        colour = palette.colour(s.variant)
        ax.plot(x, y, marker=marker, ms=5, color=colour, ls=palette.linestyle(s.variant), lw=1.5)
        ys += y
        if field == "traced" and s.predicted is not None:
            px, py = _points(s.x, s.predicted)
            ax.plot(px, py, color=colour, ls=(0, (5, 3)), lw=1.2, alpha=0.8)
            ys += py
    floors = set()
    if field == "traced":
        for s in series:  # one line per distinct floor: modes hold different arrays
            x, y = _points(s.x, s.floor)
            if y and tuple(y) not in floors:
                floors.add(tuple(y))
                ax.plot(x, y, color="black", lw=1, ls=(0, (1, 2)))
                ys += y
    _scales(ax, [v for s in series for v in s.x], ys)
    ax.set_title(title)
    ax.set_xlabel(axis_name)
    ax.set_ylabel(unit)
    return bool(ys)


def _markers(series):
    """One marker per combination of the other axes, the same in every panel."""
    combos = list(dict.fromkeys(tuple(s.fixed.items()) for s in series))
    return {c: _MARKERS[i % len(_MARKERS)] for i, c in enumerate(combos)}


def _handles(series, fields):
    handles, markers = [], _markers(series)
    for s in series:
        handles.append(
            Line2D([], [], color=palette.colour(s.variant), ls=palette.linestyle(s.variant),
                   marker=markers[tuple(s.fixed.items())], ms=4, label=s.label)
        )  # fmt: skip
    if "traced" in fields:
        handles.append(Line2D([], [], color="black", lw=1, ls=(0, (1, 2)), label=F.FLOOR.title))
        if any(s.predicted is not None for s in series):
            handles.append(Line2D([], [], color="#777", ls=(0, (5, 3)), label="model's prediction"))
    return handles


def drawn(series, fields):
    """The figures of `fields` that `against` draws: those with a value somewhere."""
    return [f for f in fields if any(v is not None for s in series for v in getattr(s, f))]


def against(series, axis_name, fields, narrow=False):
    """PNG bytes: one panel per figure in `fields` that has a value, against `axis_name`;
    None when no panel has one."""
    fields = drawn(series, fields)
    if not fields:
        return None
    with mpl.rc_context(_STYLE):
        fig = _figure(1, narrow)
        rows, cols = (len(fields), 1) if narrow else (1, len(fields))
        axes = fig.subplots(rows, cols, squeeze=False).ravel()
        for ax, field in zip(axes, fields, strict=True):
            _panel(ax, series, field, axis_name)
        fig.suptitle(f"against {axis_name}", x=0.01, ha="left", fontweight="bold")
        handles = _handles(series, fields)
        long = max(len(h.get_label()) for h in handles) > 24
        columns = 1 if narrow and long else 2 if narrow or long else min(len(handles), 4)
        fig.set_figheight(
            (3.2 * len(fields) if narrow else 4.2) + 0.3 * -(-len(handles) // columns)
        )
        fig.legend(handles=handles, loc="outside lower center", ncol=columns)
        return _png(fig)
