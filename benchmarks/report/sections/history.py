"""History: each variant against the previous run measured in the same environment, flagged
exactly where `python -m benchmarks compare` would fail (report/history.py)."""

from ... import figures as F
from ...files import folders
from .. import choose, history
from ..section import Section


def build(inputs):
    previous = choose.previous(folders.results_dir(inputs.reports_dir), inputs.path, inputs.data)
    rows = previous and history.compare(previous[1], inputs.data)
    values = {
        "history": rows,
        "previous_path": previous and previous[0],
        "settings_changed": previous and history.settings_changed(previous[1], inputs.data),
        "growth_flag": F.DEFAULT_MAX_GROWTH_PCT,
        "history_figures": history.FIGURES,
    }
    if not previous:
        summary = "No earlier results file of this environment to compare with."
    else:
        flagged = [h.name for h in rows if h.flagged]
        summary = f"Against {previous[0].name}: " + (
            f"{len(flagged)} flagged ({', '.join(flagged)})." if flagged else "nothing flagged."
        )
    return Section("history", "History", summary, values)
