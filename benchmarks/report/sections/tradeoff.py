"""Memory against time: every variant of the newest classic and deep-chain results files as a
point, with each workload's Pareto front, the designs that save memory (freeing, checkpointing)
beside the plain variants (report/tradeoff.py), and the plot beside the page."""

from ... import workloads as W
from ...files import environments, folders, results, store
from .. import tradeoff
from ..section import Section

PLOT = "tradeoff.png"


def sources(inputs):
    """The results dicts the chart shows: the file the report shows, and the newest file of each
    other workload measured in its environment (the main job writes one of each)."""
    identity = environments.of(inputs.data)
    found = {W.of(inputs.data): inputs.data}
    for path in reversed(store.json_files(folders.results_dir(inputs.reports_dir))):
        if len(found) == len(W.WORKLOADS):
            break
        try:
            data = results.load_measured(path)
        except results.ResultsError:
            continue  # the report names unreadable files elsewhere; they only mean fewer points
        if environments.same(environments.of(data), identity):
            found.setdefault(W.of(data), data)
    return [found[w] for w in W.WORKLOADS if w in found]


def build(inputs):
    shown = sources(inputs)
    found, left = tradeoff.points(shown)
    caption = tradeoff.caption(shown)
    png = tradeoff.plot(found, caption)
    values = {
        "png": png,
        "narrow": png and tradeoff.plot(found, caption, narrow=True),
        "file": PLOT,
        "caption": caption,
        "sentences": tradeoff.sentences(found, _side_by_side(inputs.ratios)),
        "left": left,
        "workloads": [W.of(data) for data in shown],
    }
    return Section("tradeoff", "Memory against time", _summary(found), values, {PLOT: png})


def _side_by_side(run):
    """{name: record} of the newest ratios file the report shows, for the designs' time ratios."""
    return {} if run is None else {row.record.get("name"): row.record for row in run.rows}


def _summary(found):
    if not found:
        return "No variant with both a peak and a time per iteration yet."
    said = []
    for workload, group in tradeoff.by_workload(found).items():
        on = tradeoff.front(group)
        names = ", ".join(p.name for p in on) or "no variant that computes the gradient"
        said.append(f"{workload}: {len(group)} variants, on the front {names}")
    return "; ".join(said) + "."
