"""The memory-time trade-off: every variant of one or more results files (a classic one and a
deep-chain one, say) as a point, time per iteration against peak, grouped by workload, with
each workload's Pareto front and sentences computed from the points; `plot` draws them.

Pure functions of results dicts: nothing here reads a file or measures. The peak is the
tracemalloc peak, or for an engine tracemalloc cannot see (PyTorch's tensors live in C++) the
native peak where its record has one, marked; a variant with neither gives no point, and says
why. The front is drawn through the variants that compute the gradient (mode backward), which
do the same work: numpy and the other modes, which do less, are drawn beside it, not on it.
"""

from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
from matplotlib.lines import Line2D

from .. import engines
from .. import figures as F
from .. import workloads as W
from ..files import environments
from ..workloads import deep_chain
from . import palette
from .plots import _STYLE, _figure, _png
from .scaling_plots import _plain_log, spans_decades

TRACED, NATIVE = "traced", "native"
# A design's marker, the same in every panel: plain circles, freed squares, checkpoints
# triangles, both diamonds.
MARKERS = {"": "o", "free": "s", "checkpoint": "^", "checkpoint-free": "D"}


@dataclass(frozen=True)
class Point:
    workload: str
    name: str
    plain: str  # the variant without its design, which its ratios compare with
    design: str
    gradient: bool  # computes the gradient (mode backward): the variants the front compares
    seconds_per_iter: float
    peak_mib: float
    peak: str  # TRACED, or NATIVE for an engine tracemalloc cannot see
    extra: dict  # the record's `extra`: a checkpoint's length, forward and backward times
    depth: int | None  # the settings' ops per iteration
    collections: int | None = None  # the cyclic GC's collections in the untraced pass

    @property
    def label(self):
        return self.name + (f" ({F.NATIVE_PEAK.title})" if self.peak == NATIVE else "")


def _untraced(record):
    """Whether tracemalloc misses the engine's arrays: a built-in engine that says so."""
    engine = engines.builtin().get(record.get("engine"))
    return engine is not None and not engine.traced


def _point(workload, depth, record):
    """(Point, None), or (None, why the record gives no point)."""
    if record.get("status") != "ok":
        return None, f"{record.get('status')}: no figures"
    peak, kind = record.get(F.TRACED_PEAK.name), TRACED
    if _untraced(record):
        peak, kind = record.get(F.NATIVE_PEAK.name), NATIVE
        if peak is None:
            return None, (
                "tracemalloc cannot see its engine's memory, and its record has no native peak"
            )
    seconds = record.get(F.PER_ITER.name)
    if peak is None or seconds is None:
        missing = F.TRACED_PEAK.title if peak is None else F.PER_ITER.title
        return None, f"no {missing} in its record"
    design = record.get("design") or ""
    name = record["name"]
    plain = name[: -len(design) - 1] if design and name.endswith("-" + design) else name
    collections = (record.get("gc") or {}).get("collections")
    point = Point(
        workload, name, plain, design, record.get("mode") == "backward", seconds, peak, kind,
        dict(record.get("extra") or {}), depth, sum(collections) if collections else None,
    )  # fmt: skip
    return point, None


def newest_of_each_workload(files):
    """The results dicts the chart shows, of `files` [(path, results dict)]: the newest of each
    workload (the main job writes a classic and a deep-chain file), in the newest file's
    environment, the classic loop first."""
    if not files:
        return []

    def started(item):
        return str((item[1].get("environment") or {}).get("started")), Path(item[0]).name

    ordered = sorted(files, key=started, reverse=True)
    identity = environments.of(ordered[0][1])
    chosen = {}
    for _, data in ordered:
        if environments.same(environments.of(data), identity):
            chosen.setdefault(W.of(data), data)
    return [chosen[w] for w in W.WORKLOADS if w in chosen]


def points(sources):
    """(points, left out) of `sources`, results dicts: one Point per measured variant, and
    (workload, name, why) for each variant that gives none."""
    found, left = [], []
    for data in sources:
        workload = W.of(data)
        depth = (data.get("settings") or {}).get("depth")
        for record in data.get("variants", []):
            point, why = _point(workload, depth, record)
            if point is None:
                left.append((workload, record.get("name"), why))
            else:
                found.append(point)
    return found, left


def by_workload(found):
    """{workload: [Point]}, in the order the workloads first appear."""
    groups = {}
    for p in found:
        groups.setdefault(p.workload, []).append(p)
    return groups


def _dominates(a, b):
    return (
        a.seconds_per_iter <= b.seconds_per_iter
        and a.peak_mib <= b.peak_mib
        and (a.seconds_per_iter < b.seconds_per_iter or a.peak_mib < b.peak_mib)
    )


def front(found):
    """The Pareto front of the points that compute the gradient, fastest first: those no other
    such point beats on both time and peak."""
    gradient = [p for p in found if p.gradient]
    kept = [p for p in gradient if not any(_dominates(q, p) for q in gradient)]
    return sorted(kept, key=lambda p: (p.seconds_per_iter, p.peak_mib))


def _ms(seconds):
    return F.text(F.PER_ITER, seconds)


def _mib(p):
    return f"{F.text(F.TRACED_PEAK, p.peak_mib)}{' (native)' if p.peak == NATIVE else ''}"


def predicted_time_ratio(point, plain):
    """What recomputing costs, as a model: 1 + r F / (F + B), where r is the share of the
    chain's ops a checkpoint recomputes and F and B are the plain run's own seconds in forward
    and backward; None where it does not apply (no checkpoint, or no times recorded)."""
    every, depth = point.extra.get("checkpoint_every"), point.depth
    forward, backward = plain.extra.get("forward_s"), plain.extra.get("backward_s")
    if not (point.design.startswith("checkpoint") and every and depth and forward and backward):
        return None
    count, _ = deep_chain.segments(depth, every)
    return 1 + count * every / depth * forward / (forward + backward)


def side_by_side_name(point):
    """The name a ratios file gives this design's row against its plain variant (the speed
    step times the deep chain's designs side by side in one process): checkpoint-weak-64."""
    graph = point.name.split("-")[0]
    return f"{point.design}-{graph}-{point.depth}"


def sentences(found, side_by_side=None):
    """{workload: [sentence]}: which variants are on the front, and what each design buys and
    costs as ratios against its plain variant, every number computed from the points.

    `side_by_side` ({name: record} of a ratios file) gives a design's time ratio as the speed
    step measured it, in one process; without its row, the ratio of the two variants' own
    untraced passes stands, and the sentence says it comes from two processes."""
    side_by_side = side_by_side or {}
    said = {}
    for workload, group in by_workload(found).items():
        lines = []
        on = front(group)
        if on:
            names = ", ".join(f"{p.label} ({_mib(p)}, {_ms(p.seconds_per_iter)})" for p in on)
            lines.append(
                f"{workload}: on the front, among the variants that compute the gradient (none of"
                f" them both faster and smaller), fastest first: {names}."
            )
        by_name = {p.name: p for p in group}
        for p in group:
            plain = by_name.get(p.plain)
            if not p.design:
                continue
            if plain is None:
                lines.append(
                    f"{p.label}: {_mib(p)}, {_ms(p.seconds_per_iter)}; {p.plain} gives no point"
                    " to compare it with."
                )
                continue
            peak = _times(p.peak_mib, plain.peak_mib)
            against = f"{_mib(p)} against {_mib(plain)}"
            text = (
                f"{p.label}: its peak is {peak} {plain.name}'s ({against})"
                if peak
                else f"{p.label}: its peak is {against}, {plain.name}'s"
            )
            text += f", {_time_ratio(p, plain, side_by_side)}"
            model = predicted_time_ratio(p, plain)
            if model is not None:
                text += (
                    f" (recomputing the checkpointed segments' forward, the model"
                    f" 1 + r F/(F+B) predicts {model:.2f}x from {plain.name}'s own forward and"
                    f" backward times"
                )
                if plain.collections and (p.collections or 0) < plain.collections:
                    text += (
                        f"; it leaves out the collector, which ran {plain.collections} times"
                        f" in {plain.name}'s loop and {p.collections or 0} in this one"
                    )
                text += ")"
            beaten = [q.name for q in on if _dominates(q, p)]
            if beaten:
                text += f"; off the front: {beaten[0]} is both faster and smaller"
            lines.append(text + ".")
        said[workload] = lines
    return said


def _time_ratio(p, plain, side_by_side):
    row = side_by_side.get(side_by_side_name(p)) or {}
    if row.get("status") == "ok" and row.get("ratio") is not None:
        return f"at {row['ratio']:.2f}x its time, timed side by side in one process"
    time = _times(p.seconds_per_iter, plain.seconds_per_iter)
    if time is None:
        return f"with no time ratio ({plain.name} took no time per iteration)"
    return f"at {time} its time per iteration (two processes' untraced passes)"


def _times(a, b):
    """a / b as "1.23x", or None when b is 0: a ratio to nothing says nothing."""
    return f"{a / b:.2f}x" if b else None


def caption(sources):
    """Where and when the times were taken, one clause per workload: they compare only within
    one run on one machine."""
    parts = []
    for data in sources:
        env = data.get("environment") or {}
        machine = env.get("machine") or env.get("cpu") or "an unnamed machine"
        when = str(env.get("started") or "an unknown date")[:10]
        parts.append(f"{W.of(data)}: {machine}, {when}")
    return "Times from one run on one machine: " + "; ".join(parts) + "."


def plot(found, caption_text, narrow=False):
    """PNG bytes of `draw`; None without a point."""
    with mpl.rc_context(_STYLE):
        fig = draw(found, caption_text, narrow)
        return None if fig is None else _png(fig)


def draw(found, caption_text, narrow=False):
    """The figure: one panel per workload, time per iteration against peak, the front drawn as
    a staircase, `caption_text` under it; None without a point. Call it inside
    rc_context(_STYLE), as `plot` does."""
    groups = by_workload(found)
    if not groups:
        return None
    fig = _figure(1, narrow)
    rows, cols = (len(groups), 1) if narrow else (1, len(groups))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, (workload, group) in zip(axes, groups.items(), strict=True):
        _panel(ax, workload, group)
    fig.suptitle("Memory against time", x=0.01, ha="left", fontweight="bold")
    handles = _handles(found)
    columns = 2 if narrow else 4
    fig.set_figheight((4.0 * len(groups) if narrow else 4.8) + 0.3 * -(-len(handles) // columns))
    fig.legend(handles=handles, loc="outside lower center", ncol=columns)
    fig.text(0.01, 0.0, caption_text, fontsize=8, color="#555", ha="left", va="bottom")
    return fig


def _panel(ax, workload, group):
    for p in group:
        colour = palette.colour(p.name)
        ax.plot(
            p.seconds_per_iter * 1e3, p.peak_mib, MARKERS.get(p.design, "o"), ms=7,
            color=colour, mfc="white" if p.peak == NATIVE else colour,
            alpha=1.0 if p.gradient else 0.5,
        )  # fmt: skip
        ax.annotate(
            p.name, (p.seconds_per_iter * 1e3, p.peak_mib), xytext=(4, 3),
            textcoords="offset points", fontsize=7, color="#333",
        )  # fmt: skip
    on = front(group)
    if len(on) > 1:
        xs = [p.seconds_per_iter * 1e3 for p in on]
        ys = [p.peak_mib for p in on]
        ax.step(xs, ys, where="post", color="black", lw=1, ls=(0, (4, 2)))
    for axis, values in (
        (ax.xaxis, [p.seconds_per_iter for p in group]),
        (ax.yaxis, [p.peak_mib for p in group]),
    ):
        if spans_decades(values):
            (ax.set_xscale if axis is ax.xaxis else ax.set_yscale)("log")
            _plain_log(axis)
    ax.set_title(workload)
    ax.set_xlabel("time per iteration, ms (untraced pass)")
    ax.set_ylabel("peak, MiB (tracemalloc, exact)")


def _handles(found):
    designs = dict.fromkeys(p.design for p in found)
    handles = [
        Line2D([], [], ls="", marker=MARKERS.get(d, "o"), color="#555", label=d or "plain")
        for d in designs
    ]
    handles.append(Line2D([], [], color="black", lw=1, ls=(0, (4, 2)), label="Pareto front"))
    if any(p.peak == NATIVE for p in found):
        handles.append(
            Line2D([], [], ls="", marker="o", mfc="white", color="#555", label=F.NATIVE_PEAK.title)
        )
    if any(not p.gradient for p in found):
        handles.append(
            Line2D([], [], ls="", marker="o", alpha=0.5, color="#555", label="no gradient")
        )
    return handles
