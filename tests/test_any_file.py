"""Whatever a reader accepts, the report renders: for every kind of file the report reads
(results schemas 1 and 2, sweeps, ratios, pytest-benchmark files, mprof .dat files), documents
drawn from the reader's own shape tables (tests/shape_strategies.py) are either refused with an
error naming the file, or rendered into a page where every text from them appears escaped."""

import itertools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from report_samples import write
from shape_strategies import MARK, dumps, of_shape

from benchmarks.files import mprof, results, shapes
from benchmarks.files import ratios as ratio_files
from benchmarks.report import plots, pytest_bench, render
from benchmarks.sweep import axes as A
from benchmarks.sweep import files as sweep_files


def few(examples):
    """Few examples: a page with its plots takes about a second to render (most of it the
    plots' layout), so each test draws only a handful; hypothesis keeps any failing one it
    finds (.hypothesis/) and tries it first next time, so the search goes on run after run."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )


@pytest.fixture(autouse=True)
def coarse_plots(monkeypatch):
    # The same drawing at a tenth of the pixels: what fails on odd figures fails the same.
    monkeypatch.setattr(plots, "DPI", 20)


RESULTS_NAME = "20261123T120000Z.json"


def plotless_results(reports):
    """A valid results file with no variant, so no plot: the page around the kind under test."""
    empty = {"schema": 2, "complete": True, "variants": []}
    return write(reports / "results" / RESULTS_NAME, empty)


def renders_or_is_refused(path, text, load, error, **render_kwargs):
    """Write `text` to `path`; `load` it: refused, the error names the file; accepted, the
    report renders and no text from it appears unescaped."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    try:
        load(path)
    except error as e:
        assert str(path.name) in str(e)
        return False
    index = render(**render_kwargs)
    assert MARK not in index.read_text(encoding="utf-8")
    return True


@few(3)
@given(document=of_shape(results.RESULTS), previous=of_shape(results.RESULTS))
def test_any_results_file_load_accepts_renders(tmp_path, document, previous):
    # An earlier file from the same environment: the history and the pooled sections too.
    reports = tmp_path / "reports"
    previous["environment"] = document.get("environment", {})
    write(reports / "results" / "20261122T120000Z.json", previous)
    path = reports / "results" / RESULTS_NAME
    renders_or_is_refused(
        path, dumps(document), results.load, results.ResultsError,
        results=path, reports_dir=reports, repo_root=tmp_path,
    )  # fmt: skip


@st.composite
def sweep_documents(draw):
    """A sweep file from the sweep's tables, its points placed on its grid: each point one
    combination of the axes' values (each of its axis's shape) and one of the variants."""
    data = draw(of_shape(sweep_files.SWEEP))
    names = draw(st.lists(st.sampled_from(list(A.AXES)), min_size=1, max_size=2, unique=True))
    data["axes"] = [
        {"name": n, "values": draw(st.lists(of_shape(A.AXES[n].shape), min_size=1, max_size=3,
                                            unique_by=json.dumps))}
        for n in names
    ]  # fmt: skip
    variants = data["variants"] = data["variants"] or ["strong-backprop"]
    passes = data["passes"] = data["passes"] or ["traced"]
    grid = list(itertools.product(*(a["values"] for a in data["axes"]), variants))
    slots = draw(st.lists(st.sampled_from(grid), max_size=len(data["points"]), unique=True))
    for point, (*values, variant) in zip(data["points"], slots, strict=False):
        point["params"] = dict(zip(names, values, strict=True))
        point["variant"] = point["record"]["name"] = variant
        taken = dict(zip(passes, point["passes"].values(), strict=False))
        point["passes"] = taken or {passes[0]: {"side_by_side": 1}}
    data["points"] = data["points"][: len(slots)]
    return data


def _word(value):
    return repr(float(value)) if isinstance(value, int | float) else value


def _line(kind):
    fields = mprof.RECORDS[kind]
    words = st.tuples(*(of_shape(shape) for shape in fields.values()))
    return words.map(lambda ws: " ".join([kind, *map(_word, ws)]))


DAT_LINE = st.one_of(
    *(_line(kind) for kind in mprof.RECORDS),
    st.builds(lambda t: f"CMDLINE {t}", of_shape(shapes.TEXT)),
)
DAT = st.lists(DAT_LINE, max_size=6).map(
    lambda lines: "\n".join(lines).encode("utf-8", "replace").decode("utf-8") + "\n"
)
BESIDE_RESULTS = {  # kind -> (path under reports/, its text, loader, its error, render option)
    "sweep": (
        "sweeps/20261123T130000Z.json", sweep_documents().map(dumps), sweep_files.load,
        sweep_files.SweepError, "sweep",
    ),
    "ratios": (
        "ratios/20261123T130000Z.json", of_shape(ratio_files.RATIOS).map(dumps),
        ratio_files.load, ratio_files.RatiosError, "ratios",
    ),
    "pytest-benchmark": (
        "speed/20261123T130000Z.json", of_shape(pytest_bench.FILE).map(dumps),
        pytest_bench.load, pytest_bench.BenchmarkJsonError, "benchmark_json",
    ),
    # Found by the report itself in reports/, as `mprof run` leaves them
    "mprof .dat": ("mprofile_20261123130000.dat", DAT, mprof.parse, mprof.MalformedDat, None),
}  # fmt: skip


@pytest.mark.parametrize("kind", BESIDE_RESULTS)
@few(6)
@given(draw=st.data())
def test_any_file_shown_beside_the_results_renders(tmp_path, kind, draw):
    name, texts, load, error, option = BESIDE_RESULTS[kind]
    reports = tmp_path / "reports"
    path = reports / name
    renders_or_is_refused(
        path, draw.draw(texts), load, error, results=plotless_results(reports),
        reports_dir=reports, repo_root=tmp_path, **({option: path} if option else {}),
    )  # fmt: skip
