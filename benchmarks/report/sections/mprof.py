"""mprof runs: each memory_profiler .dat file found in the repository root or the reports
folder, with its curve (also written beside the page as a PNG)."""

from ... import figures as F
from .. import plots
from ..section import Section


def build(inputs):
    # Plots of .dat files that are gone would mislead.
    files = {stale.name: None for stale in inputs.reports_dir.glob("mprofile_*.png")}
    drawn = []
    for run in inputs.mprof_runs:
        png = files[f"{run.path.stem}.png"] = plots.mprof_curve(run)
        narrow = plots.mprof_curve(run, narrow=True)
        drawn.append({"run": run, "file": f"{run.path.stem}.png", "png": png, "narrow": narrow})
    if drawn:
        top = max(inputs.mprof_runs, key=lambda r: r.peak_mib)
        summary = (
            f"{len(drawn)} mprof file{'s' if len(drawn) > 1 else ''}; the highest peak"
            f" {F.text(F.PEAK_RSS, top.peak_mib)} ({top.path.name})."
        )
    else:
        summary = "No mprofile_*.dat file: `mprof run` writes one."
    return Section("mprof", "mprof runs", summary, {"runs": drawn}, files)
