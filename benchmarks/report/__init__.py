"""`python -m benchmarks report`: one self-contained HTML page and its plots as PNG files, rendered
only from files already on disk (a results JSON, mprof .dat files, pytest-benchmark JSON).
"""

import logging
from pathlib import Path

from .. import figures as F
from ..errors import HarnessError
from ..files import environments, folders, mprof, store
from ..files import results as results_files
from . import across, across_plot, history, page, plots, pytest_bench, scaling, why
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
    reports_dir=folders.REPORTS_DIR,
    repo_root=".",
    benchmark_json=None,
    sweep=None,
    ratios=None,
):
    """Render <reports_dir>/index.html and the plot PNGs next to it; returns the page's path.
    A HarnessError says why it cannot.

    results: a results file to show; None picks the newest valid one in <reports_dir>/results,
        noting on the page any newer file that could not be read, and pools with it the files
        measured by the same command under other interpreters. Several files or folders are
        pooled into the "Across environments" section (files that cannot be read are named and
        passed over); the other sections show the newest of them.
    benchmark_json: a `pytest --benchmark-json` file; None picks the newest one autosaved under
        <repo_root>/.benchmarks/ or written by the speed step into <reports_dir>/speed/.
    sweep: a sweep file for the Scaling section; None picks the newest in <reports_dir>/sweeps.
    ratios: a ratios file (the speed step's side-by-side ratios); None picks the newest valid
        one in <reports_dir>/ratios/.
    Notices and warnings also go to the `benchmarks.report` logger, so the terminal shows them.
    """
    reports_dir = Path(reports_dir)
    path, data, notices, pool, lead = _choose_results(results, folders.results_dir(reports_dir))
    runs, warnings = mprof.load_all(repo_root, reports_dir)
    bench, bench_warnings = pytest_bench.newest(
        repo_root, benchmark_json, folders.speed_dir(reports_dir)
    )
    warnings += bench_warnings
    ratio_run, ratio_warnings = ratios_view.newest(ratios, folders.ratios_dir(reports_dir))
    warnings += ratio_warnings
    for text in notices + warnings:
        log.warning("%s", text)

    outputs = {}  # file name in reports_dir -> its bytes, or None to remove it
    previous = _previous(folders.results_dir(reports_dir), path, data)
    across_tables = across.tables(pool)
    html = page.render(
        {
            "results_path": path,
            "results": data,
            "notices": notices,
            "warnings": warnings,
            "headline": page.headline(data),
            "shown_from": page.shown_from(path, data, pool, lead),
            "increments": page.increments(data),
            "workload": page.workload(data),
            "rows": page.variant_rows(data),
            "time_note": page.time_note(data),
            "figures": _draw_results(data, outputs),
            "why": _why(data, path, reports_dir, outputs),
            "mprof_runs": _draw_mprof(runs, reports_dir, outputs),
            "scaling": scaling.section(reports_dir, outputs, sweep),
            "bench": bench,
            "ratios": ratio_run,
            "previous_path": previous and previous[0],
            "history": previous and history.compare(previous[1], data),
            "settings_changed": previous and history.settings_changed(previous[1], data),
            "growth_flag": F.DEFAULT_MAX_GROWTH_PCT,
            "history_figures": history.FIGURES,
            "table_figures": [f for f in F.FIGURES if f.column],
            "across": _draw_across(across_tables, reports_dir, outputs, len(pool) > 1),
            "across_pool": pool,
            "across_settings": across.differing_settings(across_tables),
            "across_figures": across.FIGURES,
            "across_model": across.MODEL,
            "across_modelled": across.MODELLED,
            "across_colour": across_plot.colour,
            "data_uri": page.data_uri,
            "shown": lambda p: _relative(p, repo_root),
        }
    )
    outputs["index.html"] = _utf8(html)
    # Every file or none: a half-written page, or new plots beside an old page, would mislead.
    try:
        store.write_files_atomic({reports_dir / n: c for n, c in outputs.items()})
    except store.NotRemoved as e:
        raise HarnessError(
            f"the report in {reports_dir} is new, but {e.filename}, from an earlier one, could"
            f" not be removed ({e.strerror}): remove it by hand"
        ) from None
    except OSError as e:
        raise HarnessError(
            f"cannot write the report into {reports_dir} ({e}); nothing was changed there"
        ) from None
    return reports_dir / "index.html"


def _choose_results(results, results_dir):
    """(path, data, notices, pool, lead): the results file to show, the files pooled with it
    for the "Across environments" section, and why it leads them (`_lead`); ResultsError when
    there is none."""
    if isinstance(results, str | Path):
        results = [results]
    pool_notices = []
    if results is None:
        path, data, skipped = results_files.newest_valid(results_dir)
        pool = [(path, data), *_same_batch(results_dir, path, data)]
        if skipped:
            pool_notices.append(
                f"The newest results could not be read, so this report shows the newest valid"
                f" file, {path.name}{' and those measured with it' if len(pool) > 1 else ''}."
                f" Skipped: {'; '.join(skipped)}"
            )
    elif len(results) == 1 and not Path(results[0]).is_dir():
        path, data = Path(results[0]), results_files.load(results[0])
        pool = [(path, data)]
    else:
        pool, pool_notices = _pooled(results)
    path, data, lead = _lead(pool)
    notices = pool_notices
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
    return path, data, notices, pool, lead


def _lead(pool):
    """(path, data, why) of the file the report's sections show, of the files in `pool`: the
    newest measured with the interpreter running the harness ("own"), else the newest."""

    def newest(source):
        return str(source[1]["environment"].get("started")), source[0].name

    own = [s for s in pool if environments.is_own(environments.of(s[1]))]
    path, data = max(own or pool, key=newest)
    return path, data, "own" if own else "newest"


def _pooled(given):
    """(pool, notices) for several files or folders: every file that loads; each file that
    does not load named in a notice and passed over."""
    files = []
    for item in map(Path, given):
        files += store.json_files(item) if item.is_dir() else [item]
    pool, notices = [], []
    for file in dict.fromkeys(files):
        try:
            pool.append((file, results_files.load(file)))
        except results_files.ResultsError as e:
            notices.append(f"Left out of this report: {e}")
    if not pool:
        raise results_files.ResultsError(
            f"no valid results file in {', '.join(map(str, given))}"
            + (f" ({'; '.join(notices)})" if notices else "")
        )
    return pool, notices


def _same_batch(results_dir, shown, data):
    """The other files one `run --python A --python B` wrote with `shown`, valid ones only."""
    batch = data["environment"].get("batch")
    if not batch:
        return []
    found = []
    for file in store.json_files(results_dir):
        if file.resolve() == Path(shown).resolve():
            continue
        try:
            other = results_files.load(file)
        except results_files.ResultsError:
            continue  # the newest-file scan already named unreadable newer files
        if other["environment"].get("batch") == batch:
            found.append((file, other))
    return found


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
    folder = folders.mprof_dir(reports_dir)
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
            outputs[str(mprof_subdir / mprof.dat_name(v["name"]))] = _utf8(text)
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


def _previous(results_dir, shown, data):
    """(path, data) of the newest valid results file named before `shown` and measured in its
    environment, or None: another interpreter's peaks differ by its collector, not by the code."""
    older = [
        p
        for p in reversed(store.json_files(results_dir))
        if p.name < shown.name and p.resolve() != shown.resolve()
    ]
    # An unreadable old run only means less history.
    return environments.newest_of_same(older, environments.of(data))


def _draw_across(tables, reports_dir, outputs, shown):
    """Each workload's table with its plot; one PNG per table beside the page, into `outputs`,
    when the section `shown` draws them (it shows only text for a single file)."""
    for stale in reports_dir.glob("across_environments*.png"):
        outputs[stale.name] = None  # tables of an earlier pool would describe other files
    drawn = []
    for n, table in enumerate(tables, start=1):
        filename = f"across_environments{'' if n == 1 else f'_{n}'}.png"
        png = narrow = None
        if shown:
            png = outputs[filename] = across_plot.peaks(table)
            narrow = png and across_plot.peaks(table, narrow=True)
        drawn.append({"table": table, "file": filename, "png": png, "narrow": narrow})
    return drawn


def _utf8(text):
    # `load` refuses text that is not valid Unicode, but a file's name is not its content: a
    # name with a byte that is not UTF-8 reaches the page as a lone surrogate, shown escaped.
    return text.encode("utf-8", "backslashreplace")


def _relative(path, root):
    # Paths on the page read from the repository root, where the commands run.
    try:
        return Path(path).resolve().relative_to(Path(root).resolve())
    except ValueError:
        return Path(path)
