"""The report's side-by-side ratios: a ratios file (the speed step's, `ratio_files`) as tables,
one per reference, each ratio beside its target and whether it holds."""

from dataclasses import dataclass, field
from pathlib import Path

from ..files import ratios as ratio_files


@dataclass
class Row:
    record: dict
    meets: bool | None  # None: no ratio (a peer missing, a failure)
    ours_per_op_s: float | None
    reference_per_op_s: float | None


@dataclass
class RatiosRun:
    path: Path
    data: dict
    tables: list[tuple[str, list[Row]]] = field(default_factory=list)  # (title, rows), in order

    @property
    def rows(self):
        return [row for _, rows in self.tables for row in rows]

    def count(self, meets):
        return sum(row.meets is meets for row in self.rows)

    @property
    def without_ratio(self):
        return sum(row.record.get("ratio") is None for row in self.rows)


def _per_op(seconds, ops):
    return None if seconds is None or not ops else seconds / ops


def view(path, data):
    """The tables of a loaded ratios file, in the file's order."""
    run = RatiosRun(path=Path(path), data=data)
    tables = {}
    for record in data.get("comparisons", []):
        row = Row(
            record=record,
            meets=ratio_files.meets_target(record),
            ours_per_op_s=_per_op(record.get("ours_best_s"), record.get("ops")),
            reference_per_op_s=_per_op(record.get("reference_best_s"), record.get("ops")),
        )
        tables.setdefault(record.get("table") or "other", []).append(row)
    run.tables = list(tables.items())
    return run


def newest(explicit=None, folder=None):
    """(run or None, warnings): `explicit` if given (errors raise), else the newest readable
    ratios file in `folder`, with a warning per newer file that could not be read."""
    if explicit is not None:
        return view(explicit, ratio_files.load(explicit)), []
    path, data, skipped = ratio_files.newest_valid(folder)
    warnings = [f"skipped ratios file {e}" for e in skipped]
    return (None if path is None else view(path, data)), warnings
