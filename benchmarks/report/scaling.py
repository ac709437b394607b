"""The report's Scaling section: how each variant's peaks and time grow along a sweep's axes,
read from a sweep file alone. The curves, their log-log slopes and the sentences that state them.

A model of the peak enters through `series(..., predict=...)`: a function (params, record) that
gives its prediction in MiB for a point, drawn dashed beside the measured curve. The section
uses the GC model's prediction that each point's record carries (`F.MODEL_PEAK`, from the
explanation pass); points without one (schema 1) leave only the live-array floor beside them.
"""

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import figures as F
from ..files import folders, store
from ..files import results as results_files
from ..sweep import axes as A
from ..sweep import files as sweep_files
from . import scaling_plots

FLAT_SLOPE = 0.05  # a log-log slope closer to 0 than this: the figure does not grow
STRAIGHT_R2 = 0.95  # below it the points bend: one slope only averages them
# Series fields -> the results figure each holds.
FIGURES = {
    "traced": F.TRACED_PEAK.name,
    "kernel": F.KERNEL_PEAK.name,
    "per_iter": F.PER_ITER.name,
}
# The table's columns, after the axes, the variant and its status.
COLUMNS = (F.TRACED_PEAK, F.KERNEL_PEAK, F.FLOOR, F.PER_ITER)


@dataclass
class Series:
    """One variant's figures along one axis, the other axes held at `fixed`."""

    variant: str
    fixed: dict
    x: list = field(default_factory=list)
    traced: list = field(default_factory=list)  # tracemalloc peak, MiB (None: not measured)
    kernel: list = field(default_factory=list)  # the kernel's peak RSS, MiB
    per_iter: list = field(default_factory=list)  # seconds per iteration
    floor: list = field(default_factory=list)  # the live-array floor, MiB
    predicted: list | None = None  # a model's peak, MiB, when one is given

    @property
    def label(self):
        return self.variant + (f" ({A.label(self.fixed)})" if self.fixed else "")


def _ok(record, name):
    # Figures of a pass that failed or hit the limit describe a stopped loop, not the point.
    return record.get(name) if record.get("status") == "ok" else None


def series(data, axis, predict=None):
    """[Series] of every variant along `axis`, one per combination of the other axes."""
    groups = {}
    for point in data["points"]:
        params, record = point["params"], point["record"]
        fixed = {k: v for k, v in params.items() if k != axis}
        key = (point["variant"], tuple(fixed.items()))
        s = groups.setdefault(key, Series(point["variant"], fixed))
        s.x.append(params[axis])
        for name, figure in FIGURES.items():
            getattr(s, name).append(_ok(record, figure))
        s.floor.append(record.get(F.FLOOR.name))
        if predict is not None:
            s.predicted = [*(s.predicted or []), predict(params, record)]
    for s in groups.values():
        if s.predicted is not None and all(p is None for p in s.predicted):
            s.predicted = None  # nothing predicted: no dashed line, no legend entry
    for s in groups.values():  # in the axis's order, whatever order the points ran in
        order = sorted(range(len(s.x)), key=lambda i: _sort_key(s.x[i]))
        for name in ("x", *FIGURES, "floor", "predicted"):
            if getattr(s, name) is not None:
                setattr(s, name, [getattr(s, name)[i] for i in order])
    return list(groups.values())


def _sort_key(value):
    return (0, value, "") if isinstance(value, int | float) else (1, 0, str(value))


def fit(x, y):
    """(slope, r², points) of log y against log x over the points where both are positive
    numbers; None with fewer than two distinct x."""
    pairs = [
        (math.log(a), math.log(b))
        for a, b in zip(x, y, strict=True)
        if isinstance(a, int | float) and a > 0 and b is not None and b > 0
    ]
    if len({a for a, _ in pairs}) < 2:
        return None
    lx, ly = np.array(pairs).T
    slope, intercept = np.polyfit(lx, ly, 1)
    residual = ly - (slope * lx + intercept)
    spread = ((ly - ly.mean()) ** 2).sum()
    r2 = 1.0 if spread == 0 else 1 - (residual**2).sum() / spread
    return float(slope), float(r2), len(pairs)


def sentence(s, axis, name, what):
    """One plain sentence on how `what`, the series' figure `name`, grows along `axis`."""
    figure = F.FIGURE[FIGURES[name]]
    values = getattr(s, name)
    got = fit(s.x, values)
    if got is None:
        return None
    slope, r2, n = got
    pairs = [(a, b, f) for a, b, f in zip(s.x, values, s.floor, strict=True) if b and b > 0]
    (x0, y0, _), (x1, y1, floor) = pairs[0], pairs[-1]
    span = f"{axis} {x0:,} to {x1:,}"
    first, last = F.text(figure, y0), F.text(figure, y1)
    if abs(slope) < FLAT_SLOPE:
        level = first if first == last else f"between {first} and {last}"
        text = (
            f"{s.label}: {what} stays {'at ' if first == last else ''}{level} over {span}"
            f" (log-log slope {abs(slope) if round(slope, 2) == 0 else slope:.2f}, {n} points)."
        )
    else:
        text = (
            f"{s.label}: {what} {'grows' if slope > 0 else 'falls'} from {first} to {last} over"
            f" {span}, about as {axis} to the power {slope:.2f} (log-log slope over {n} points):"
            f" each doubling of {axis} multiplies it by {2**slope:.2f}."
        )
    if n > 2 and r2 < STRAIGHT_R2 and abs(slope) >= FLAT_SLOPE:  # a flat series has no bend
        text += (
            f" The points bend away from a straight line on log-log axes (r² {r2:.2f}), so the"
            " slope only averages them: read the curve."
        )
    if name == "traced" and floor:
        text += f" At {axis} {x1:,} it is {y1 / floor:.1f}x the live-array floor."
    return text


def newest(sweeps_dir, sweep=None):
    """([(path, data)], notices): `sweep` (a path) alone, or the newest readable sweep in
    `sweeps_dir` of each set of axes, newest first: a size sweep run after the main job's
    threshold sweep does not hide it. A file that cannot be read, newer than a sweep shown, is
    named in a notice."""
    if sweep is not None:
        return [(sweep, sweep_files.load(sweep))], []
    shown, notices, unreadable = {}, [], []
    for path in reversed(store.json_files(sweeps_dir)):
        try:
            data = sweep_files.load(path)
        except results_files.ResultsError as e:
            unreadable.append(str(e))
            continue
        notices += [f"A newer sweep file could not be read: {text}" for text in unreadable]
        unreadable = []
        shown.setdefault(tuple(a["name"] for a in data["axes"]), (path, data))
    if not shown:
        notices += [f"A sweep file could not be read: {text}" for text in unreadable]
    return list(shown.values()), notices


def recorded_model(params, record):
    """The GC model's peak the point's record carries, if its explanation pass ran."""
    return _ok(record, F.MODEL_PEAK.name)


def section(reports_dir, outputs, sweep=None, predict=recorded_model):
    """What the template's Scaling section reads: `sweeps`, one entry per sweep shown (`newest`)
    with its plots (also put into `outputs` as scaling_*.png, to be written beside the page),
    sentences and one row per point and variant; and `notices`."""
    reports_dir = Path(reports_dir)
    for stale in reports_dir.glob("scaling_*.png"):
        outputs[stale.name] = None  # plots of another sweep would mislead
    found, notices = newest(folders.sweeps_dir(reports_dir), sweep)
    return {"sweeps": [_one(p, d, outputs, predict) for p, d in found], "notices": notices}


def _one(path, data, outputs, predict):
    notices = []
    if not data.get("complete"):
        notices.append(
            f"{Path(path).name} is from a sweep that has not finished (or was interrupted): it"
            f" holds {len(data['points'])} of {len(sweep_files.entries(data))} points so far."
            f" `python -m benchmarks sweep --resume {path}` measures the rest."
        )
    names = [a["name"] for a in data["axes"]]
    figures, sentences = [], []
    for axis in data["axes"]:
        name = axis["name"]
        if len(axis["values"]) < 2:
            continue
        along = series(data, name, predict)
        # One file name per sweep and axis: scaling_size.png for a sweep of size alone. Axis
        # names come from the file: each goes through the check that keeps it a file name.
        stem = "scaling_" + "-".join(folders.file_name(n) for n in names)
        stem += "" if names == [name] else f"_{folders.file_name(name)}"
        _figure(figures, outputs, f"{stem}.png", along, name, ("traced", "kernel"), _peak_caption)
        sentences += [sentence(s, name, "traced", "the traced peak") for s in along]
        if name == "size":
            _figure(figures, outputs, f"{stem}_time.png", along, name, ("per_iter",),
                    lambda axis, drawn, along: _time_caption(data))  # fmt: skip
            sentences += [sentence(s, name, "per_iter", "time per iteration") for s in along]
    return {
        "path": path,
        "data": data,
        "notices": notices,
        "figures": figures,
        "sentences": [s for s in sentences if s],
        "axes": names,
        "rows": [_row(point, data) for point in data["points"]],
    }


def _peak_caption(axis, drawn, along):
    """The peak plot's caption, of what it draws alone: a traced-only sweep has no kernel peak,
    and a point without an explanation pass no model's prediction."""
    what = {
        "traced": f"{F.TRACED_PEAK.title} (exact: what the loop itself allocated at once)",
        "kernel": f"{F.KERNEL_PEAK.title} RSS (the whole process, imports included)",
    }
    said = f"Each variant's {' and '.join(what[f] for f in drawn)} at every value of {axis}."
    if "kernel" not in drawn:
        said += " This sweep took the traced pass only: no kernel peak, RSS or time."
    if "traced" in drawn and any(s.predicted is not None for s in along):
        said += " Dashed: the GC model's prediction of the tracemalloc peak."
    return (
        f"{said} Dotted black: the live-array floor, the arrays the loop must hold at once. An"
        " axis is logarithmic where its values span a factor of ten or more."
    )


def _time_caption(data):
    jobs = (data.get("executor") or {}).get("jobs_rss", 1)
    how = "one at a time" if jobs == 1 else f"up to {jobs} side by side"
    return (
        "Seconds per iteration of the untraced loop, each point in its own process, run"
        f" {how}. Points taken apart in time on a shared machine can differ by 10-25% for"
        " reasons unrelated to size; the slope over a decade or more says more than any one point."
    )


def _figure(figures, outputs, filename, along, axis, fields, caption):
    drawn = scaling_plots.drawn(along, fields)
    png = scaling_plots.against(along, axis, fields)
    if png is None:
        return
    outputs[filename] = png
    narrow = scaling_plots.against(along, axis, fields, narrow=True)
    figures.append({"file": filename, "png": png, "narrow": narrow,
                    "caption": caption(axis, drawn, along),
                    "title": f"{', '.join(drawn)} against {axis}"})  # fmt: skip


def _taken(point):
    parts = []
    for name, how in point["passes"].items():
        n = how.get("side_by_side")
        text = f"{name}: {'alone' if n == 1 else f'{n} side by side'}"
        if how.get("worker") not in (None, "local"):
            text += f" on {how['worker']}"
        if how.get("from"):
            text += f", in the run {Path(how['from']).name}"
        parts.append(text)
    return "; ".join(parts)


def _row(point, data):
    record = point["record"]
    return {
        "params": [point["params"].get(a["name"]) for a in data["axes"]],
        "variant": point["variant"],
        "status": record.get("status"),
        "error": record.get("error"),
        "figures": [(f, record.get(f.name)) for f in COLUMNS],
        "taken": _taken(point),
    }
