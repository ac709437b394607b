"""Scaling: how each variant's peaks and time grow along a sweep's axes (report/scaling.py)."""

from ...workloads import variants as V
from .. import scaling
from ..section import Section


def build(inputs):
    files = {}
    values = scaling.section(inputs.reports_dir, files, inputs.sweep)
    values.update(columns=scaling.COLUMNS, pair=V.HEADLINE)
    return Section("scaling", "Scaling", _summary(values), values, files)


def _summary(values):
    if not values["sweeps"]:
        return "No sweep in reports/sweeps/ yet."
    said = []
    for shown in values["sweeps"]:
        variants = dict.fromkeys(row["variant"] for row in shown["rows"])
        said.append(f"{' × '.join(shown['axes'])} ({len(shown['rows'])} points of"
                    f" {', '.join(variants)})")  # fmt: skip
    return "Sweeps of " + "; ".join(said) + "."
