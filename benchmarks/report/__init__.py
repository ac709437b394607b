"""`python -m benchmarks report`: one self-contained HTML page and its plots as PNG files, rendered
only from files already on disk (a results JSON, mprof .dat files, pytest-benchmark JSON).
"""

import logging
from pathlib import Path

from ..errors import HarnessError
from ..files import folders, mprof, store
from . import choose, page, pytest_bench, sections
from . import ratios as ratios_view
from .section import Inputs

__all__ = ["render"]

log = logging.getLogger(__name__)


def render(
    results=None,
    reports_dir=folders.REPORTS_DIR,
    repo_root=".",
    benchmark_json=None,
    sweep=None,
    ratios=None,
    jobs=1,
):
    """Render <reports_dir>/index.html and the files its sections write beside it (plots, flame
    graphs, mprof timelines); returns the page's path. A HarnessError says why it cannot.

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
    jobs: sections built side by side, in that many processes (sections.build).
    Notices and warnings also go to the `benchmarks.report` logger, so the terminal shows them.
    """
    reports_dir = Path(reports_dir)
    path, data, notices, pool, lead = choose.shown(results, folders.results_dir(reports_dir))
    runs, warnings = mprof.load_all(repo_root, reports_dir)
    bench, bench_warnings = pytest_bench.newest(
        repo_root, benchmark_json, folders.speed_dir(reports_dir)
    )
    ratio_run, ratio_warnings = ratios_view.newest(ratios, folders.ratios_dir(reports_dir))
    warnings += bench_warnings + ratio_warnings
    for text in notices + warnings:
        log.warning("%s", text)
    inputs = Inputs(
        path, data, pool, lead, reports_dir, Path(repo_root), runs, bench, ratio_run, sweep, notices
    )
    built = sections.build(inputs, jobs)
    outputs = {}  # file name in reports_dir -> its bytes, or None to remove it
    for section in built:
        for name, content in section.files.items():
            if outputs.get(name) is not None and content is not None:
                raise AssertionError(f"two sections write {name}")
            if content is not None or name not in outputs:
                outputs[name] = content
    html = page.render(inputs, built, warnings)
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


def _utf8(text):
    # `load` refuses text that is not valid Unicode, but a file's name is not its content: a
    # name with a byte that is not UTF-8 reaches the page as a lone surrogate, shown escaped.
    return text.encode("utf-8", "backslashreplace")
