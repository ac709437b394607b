"""Speed ratios: ours against each peer, timed side by side (report/ratios.py). Comparisons
skipped for a peer that is not installed are left out and said once."""

from .. import absent
from ..section import Section

TITLE = "Speed ratios: ours against the peers, side by side"


def build(inputs):
    run = inputs.ratios
    if run is None:
        return Section("ratios", TITLE, "No ratios file: the speed step writes one.", {"run": None})
    tables = []
    for title, rows in run.tables:
        kept = [row for row in rows if row.record.get("status") != "skipped"]
        if kept:
            tables.append((title, kept))
    skipped = [r.record for r in run.rows if r.record.get("status") == "skipped"]
    values = {
        "run": run,
        "tables": tables,
        "failed": sum(r.record.get("ratio") is None for _, rows in tables for r in rows),
        "skipped": len(skipped),
        "absent": absent.lines((r.get("peer") or r.get("name"), r.get("reason")) for r in skipped),
    }
    return Section("ratios", TITLE, _summary(run, values), values)


def _summary(run, values):
    said = f"{run.count(True)} target(s) met, {run.count(False)} missed"
    if values["failed"]:
        said += f", {values['failed']} without a ratio"
    if values["skipped"]:
        said += f"; {values['skipped']} comparisons not made ({'; '.join(values['absent'])})"
    return said + f", from {run.path.name}."
