"""The report's "Across environments" section: results files pooled from several interpreters
and machines, asv-style (files from another machine are simply copied into the folder), and
each variant's peaks per environment with the collector's threshold0 beside them.

Figures taken with different workload settings are never put side by side: each workload gets
a table of its own, and the section says that the tables differ in it.
"""

from dataclasses import dataclass, field

from .. import figures as F
from ..files import environments
from ..files import results as results_files
from . import history, page

FIGURES = (F.TRACED_PEAK, F.KERNEL_PEAK, F.INCREMENT)
# A prediction, shown only beside the measurement it predicts (schema 2 files carry it).
MODEL = F.MODEL_PEAK
MODELLED = F.TRACED_PEAK.name


@dataclass
class Row:
    variant: str
    environment: str  # environments.label
    index: int  # the environment's number within its table, for the plot's colours
    file: str
    commit: str | None  # the git commit the file was measured at
    status: str
    threshold0: str  # the collector's threshold0 in the loop, or "off"
    values: dict  # figure name -> value or None
    model: float | None = None  # the GC model's predicted tracemalloc peak, where recorded


@dataclass
class Table:
    workload: str  # page.workload's sentence
    settings: dict  # the workload settings that tell this table from the others
    environments: list = field(default_factory=list)  # labels, in the table's order
    rows: list = field(default_factory=list)

    @property
    def modelled(self):
        """True when a row carries the GC model's peak: the table then shows it beside the
        tracemalloc peak it predicts."""
        return any(r.model is not None for r in self.rows)


def _workload(data):
    settings = data.get("settings") or {}
    return tuple((key, settings.get(key)) for key in history.WORKLOAD)


def _threshold0(data, variant):
    gc = variant.get("gc") or {}
    if gc.get("enabled") is False or (data.get("settings") or {}).get("gc_enabled") is False:
        return "off"
    for thresholds in (
        gc.get("threshold"),
        (variant.get("interpreter") or {}).get("gc_thresholds"),
        (data.get("environment") or {}).get("gc_thresholds"),
    ):
        if isinstance(thresholds, list) and thresholds:
            return str(thresholds[0])
    return "?"


def _order(source):
    # Oldest interpreter first, then numpy, machine and time: a reader scans down the versions.
    data = source[1]
    identity = environments.of(data)
    version = tuple(int(p) for p in str(identity["python"] or "0").split(".") if p.isdigit())
    env = data.get("environment") or {}
    return (version, str(identity["numpy"]), str(identity["machine"]), str(env.get("started")))


def tables(sources):
    """One Table per workload among `sources`, a list of (path, results dict)."""
    by_workload = {}
    for source in sorted(sources, key=_order):
        by_workload.setdefault(_workload(source[1]), []).append(source)
    made = []
    for workload, group in by_workload.items():
        table = Table(page.workload(group[0][1]), dict(workload))
        names = list(dict.fromkeys(v["name"] for _, data in group for v in data["variants"]))
        runs = _runs_per_label(group)
        for name in names:
            for path, data in group:
                variant = results_files.by_name(data).get(name)
                if variant is None or variant.get("status") == "skipped":
                    continue  # the first screen names what is not installed, once
                label = environments.label(environments.of(data, variant))
                if runs[label] > 1:  # two runs in one environment: each its own label, colour
                    label += f" · run {path.stem}"
                if label not in table.environments:
                    table.environments.append(label)
                table.rows.append(
                    Row(
                        variant=name,
                        environment=label,
                        index=table.environments.index(label),
                        file=path.name,
                        commit=(data.get("environment") or {}).get("git_commit"),
                        status=variant.get("status") or "?",
                        threshold0=_threshold0(data, variant),
                        values={f.name: variant.get(f.name) for f in FIGURES},
                        model=variant.get(MODEL.name),
                    )
                )
        made.append(table)
    return made


def _runs_per_label(group):
    """How many of the files in `group` measured each environment label."""
    files = {}
    for path, data in group:
        for variant in data["variants"]:
            label = environments.label(environments.of(data, variant))
            files.setdefault(label, set()).add(path)
    return {label: len(paths) for label, paths in files.items()}


def differing_settings(made):
    """`iters: 1000, 200`-style notes on the workload settings that tell the tables apart."""
    keys = [k for k in history.WORKLOAD if len({str(t.settings.get(k)) for t in made}) > 1]
    return [f"{k}: {', '.join(dict.fromkeys(str(t.settings.get(k)) for t in made))}" for k in keys]
