"""`python -m benchmarks report`: one self-contained HTML page and its plots as PNG files, rendered
only from files already on disk (a results JSON, mprof .dat files, pytest-benchmark JSON).
"""

import logging
from pathlib import Path

from .. import paths
from .. import results as results_files
from ..errors import HarnessError
from . import history, mprof, page, plots, pytest_bench, scaling, why
from . import ratios as ratios_view

__all__ = ["render"]

log = logging.getLogger(__name__)
PLOTS = {  # file in reports/ -> (title, how to read it, drawing function)
    "peak_mib.png": (
        "Peak memory per variant",
        "Pale: RSS after imports. Coloured: what the loop added. Black tick: the least the loop"
        " could peak at (baseline + the arrays it must hold at once). Hatched: stopped at the"
        " memory limit.",
        plots.peak_bars,
    ),
    "rss_over_iterations.png": (
        "RSS over iterations",
        "Each sample's RSS against the iteration the loop had reached. Markers: garbage"
        " collections, at the iteration they ran (circles gen0, triangles gen1, diamonds gen2).",
        plots.rss_over_iterations,
    ),
    "rss_over_time.png": (
        "RSS over wall time",
        "From each variant's process start, imports included; a cross marks a variant stopped"
        " at the memory limit.",
        plots.rss_over_time,
    ),
}


def render(
    results=None,
    reports_dir=paths.REPORTS_DIR,
    repo_root=".",
    benchmark_json=None,
    sweep=None,
    ratios=None,
):
    """Render <reports_dir>/index.html and the plot PNGs next to it; returns the page's path.
    A HarnessError says why it cannot.

    results: a results file to show; None picks the newest valid one in <reports_dir>/results,
        noting on the page any newer file that could not be read.
    benchmark_json: a `pytest --benchmark-json` file; None picks the newest one autosaved under
        <repo_root>/.benchmarks/ or written by the speed step into <reports_dir>/speed/.
    sweep: a sweep file for the Scaling section; None picks the newest in <reports_dir>/sweeps.
    ratios: a ratios file (the speed step's side-by-side ratios); None picks the newest valid
        one in <reports_dir>/ratios/.
    Notices and warnings also go to the `benchmarks.report` logger, so the terminal shows them.
    """
    reports_dir = Path(reports_dir)
    path, data, notices = _choose_results(results, paths.results_dir(reports_dir))
    runs, warnings = mprof.load_all(repo_root, reports_dir)
    bench, bench_warnings = pytest_bench.newest(
        repo_root, benchmark_json, paths.speed_dir(reports_dir)
    )
    warnings += bench_warnings
    ratio_run, ratio_warnings = ratios_view.newest(ratios, paths.ratios_dir(reports_dir))
    warnings += ratio_warnings
    for text in notices + warnings:
        log.warning("%s", text)

    outputs = {}  # file name in reports_dir -> its bytes, or None to remove it
    previous = _previous(paths.results_dir(reports_dir), path)
    html = page.render(
        {
            "results_path": path,
            "results": data,
            "notices": notices,
            "warnings": warnings,
            "headline": page.headline(data),
            "increments": page.increments(data),
            "workload": page.workload(data),
            "rows": page.variant_rows(data),
            "figures": _draw_results(data, outputs),
            "why": _why(data, path, reports_dir, outputs),
            "mprof_runs": _draw_mprof(runs, reports_dir, outputs),
            "scaling": scaling.section(reports_dir, outputs, sweep),
            "bench": bench,
            "ratios": ratio_run,
            "previous_path": previous and previous[0],
            "history": previous and history.compare(previous[1], data),
            "settings_changed": previous and history.settings_changed(previous[1], data),
            "growth_flag": results_files.DEFAULT_MAX_GROWTH_PCT,
            "history_figures": history.FIGURES,
            "table_figures": [f for f in results_files.FIGURES if f.column],
            "data_uri": page.data_uri,
            "shown": lambda p: _relative(p, repo_root),
        }
    )
    outputs["index.html"] = html.encode("utf-8")
    # Every file or none: a half-written page, or new plots beside an old page, would mislead.
    try:
        results_files.write_files_atomic({reports_dir / n: c for n, c in outputs.items()})
    except OSError as e:
        raise HarnessError(
            f"cannot write the report into {reports_dir} ({e}); nothing was changed there"
        ) from None
    return reports_dir / "index.html"


def _choose_results(results, results_dir):
    """(path, data, notices) of the results file to show; ResultsError when there is none."""
    if results is None:
        path, data, skipped = results_files.newest_valid(results_dir)
    else:
        path, data, skipped = Path(results), results_files.load(results), []
    notices = []
    if data.get("complete") is False:  # the engine rewrites the file after every variant
        how = (
            f"was interrupted by {data['interrupted']}"
            if data.get("interrupted")
            else "has not finished (or was stopped without a word)"
        )
        notices.append(
            f"{path.name} is from a run that {how}: it holds"
            f" {len(data['variants'])} variant(s) so far."
        )
    if skipped:
        notices.append(
            f"The newest results could not be read, so this report shows {path.name},"
            f" the newest valid file. Skipped: {'; '.join(skipped)}"
        )
    return path, data, notices


def _draw_results(data, outputs):
    figures = []
    for filename, (title, caption, draw) in PLOTS.items():
        png = outputs[filename] = draw(data)  # None: no data now, and an old plot would mislead
        if png:
            narrow = draw(data, narrow=True)  # embedded only: phones get a drawing of their own
            figures.append(
                {"title": title, "caption": caption, "file": filename, "png": png, "narrow": narrow}
            )
    return figures


WHY_PLOT = "why_the_peak.png"


def _why(data, path, reports_dir, outputs):
    """The "Why the peak" section's values, its plot, and each variant's timeline in mprof's
    format for <reports_dir>/mprof/ (replacing those of an earlier render), all into `outputs`."""
    png = outputs[WHY_PLOT] = plots.why_the_peak(data)
    folder = paths.mprof_dir(reports_dir)
    mprof_subdir = folder.relative_to(reports_dir)
    for stale in folder.glob("mprofile_*.dat"):
        outputs[str(mprof_subdir / stale.name)] = None
    samplers = why.sampler_rows(data)
    for v in data.get("variants", []):
        line = v.get("timeline") or {}
        if any(r["name"] == v["name"] for r in samplers):
            command = f"benchmarks/loop.py --impl {v.get('impl')} --mode {v.get('mode')}"
            text = mprof.dat_text(
                f"{command} (untraced pass of {path.name})",
                line["t"],
                line["rss_mib"],
                line.get("start_unix") or 0.0,
            )
            outputs[str(mprof_subdir / mprof.dat_name(v["name"]))] = text.encode()
    return {
        "plot": png and {"png": png, "narrow": plots.why_the_peak(data, narrow=True)},
        "plot_file": WHY_PLOT,
        "census": why.census_rows(data),
        "model": why.model_rows(data),
        "attribution": why.attribution_rows(data),
        "samplers": samplers,
        "sentences": why.sentences(data),
        "mprof_dir": folder,
    }


def _draw_mprof(runs, reports_dir, outputs):
    for stale in reports_dir.glob("mprofile_*.png"):
        outputs[stale.name] = None  # plots of .dat files that are gone would mislead
    drawn = []
    for run in runs:
        png = outputs[f"{run.path.stem}.png"] = plots.mprof_curve(run)
        narrow = plots.mprof_curve(run, narrow=True)
        drawn.append({"run": run, "file": f"{run.path.stem}.png", "png": png, "narrow": narrow})
    return drawn


def _previous(results_dir, shown):
    """(path, data) of the newest valid results file named before `shown`, or None."""
    older = [
        p
        for p in reversed(paths.json_files(results_dir))
        if p.name < shown.name and p.resolve() != shown.resolve()
    ]
    # An unreadable old run only means less history.
    path, data, _ = paths.newest_valid(
        older, results_files.load_measured, results_files.ResultsError
    )
    return None if path is None else (path, data)


def _relative(path, root):
    # Paths on the page read from the repository root, where the commands run.
    try:
        return Path(path).resolve().relative_to(Path(root).resolve())
    except ValueError:
        return Path(path)
