"""Engines as plug-ins (docs/engines.md): the walkthrough's own files measured beside the
built-in book design, engine files that are refused and why, a broken engine that does not take
the run down, and the tables derived from the engine files."""

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from benchmarks import __main__ as cli
from benchmarks import engines
from benchmarks.files import results
from benchmarks.measure import interpreters, runner
from benchmarks.measure.settings import Settings
from benchmarks.report import palette
from benchmarks.workloads import variants as V

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "engines.md"
SMALL = ["--iters", "60", "--size", "5000"]


def doc_files(folder):
    """The files docs/engines.md walks through, written into `folder` as the page gives them."""
    blocks = re.findall(r"```python\n# (\S+\.py)\n(.*?)```", DOC.read_text(), flags=re.S)
    assert {name for name, _ in blocks} == {"step17.py", "my_engine.py"}
    for name, code in blocks:
        (folder / name).write_text(code)
    return folder / "my_engine.py"


def traced_peak(*args):
    out = subprocess.run(
        [sys.executable, runner.LOOP, *args, *SMALL, "--tracemalloc"],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(re.search(r"tracemalloc peak ([\d.]+) MiB", out.stdout).group(1)), out.stdout


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory):
    return doc_files(tmp_path_factory.mktemp("mine"))


def test_the_walkthroughs_step_17_peaks_as_the_built_in_book_design_to_the_byte(walkthrough):
    # The loop prints MiB to two decimals; the report file holds every byte.
    folder = walkthrough.parent
    mine = _exact_peak(folder, "--engine", str(walkthrough), "--mode", "backprop")
    book = _exact_peak(folder, "--variant", "book-weak-backprop")
    assert mine == book


def test_step_16_from_the_walkthrough_peaks_as_book_strong_to_the_byte(walkthrough, tmp_path):
    step16 = walkthrough.parent / "step17.py"
    code = step16.read_text()
    # The change the page describes: keep the outputs themselves, not weakrefs to them.
    code = code.replace("weakref.ref(output) for output", "output for output")
    code = code.replace("output().grad", "output.grad")
    (tmp_path / "step17.py").write_text(code)
    engine = tmp_path / "my_engine.py"
    engine.write_text(walkthrough.read_text())
    mine = _exact_peak(tmp_path, "--engine", str(engine), "--mode", "backprop")
    book = _exact_peak(tmp_path, "--variant", "book-strong-backprop")
    assert mine == book
    assert mine > 4 * book_floor()  # cycles piled up: the strong graph, not the weak


def book_floor():
    return V.parse("book-weak-backprop").live_array_floor_mib(5000, 3, iters=60)


def _exact_peak(folder, *args):
    report = folder / f"report-{len(list(folder.iterdir()))}.json"
    subprocess.run(
        [sys.executable, runner.LOOP, *args, *SMALL, "--tracemalloc", "--report-file", report],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return json.loads(report.read_text())["tracemalloc_peak_mib"]


def test_a_users_engine_is_measured_beside_the_matrix_and_named_in_the_file(walkthrough, tmp_path):
    out = tmp_path / "results"
    code = cli.main(["run", "--engine", str(walkthrough), "--only", "numpy", "step17",
                     "--results-dir", str(out), "--iters", "5", "--size", "2000"])  # fmt: skip
    assert code == 0
    data = results.load(next(out.glob("*.json")))
    names = {v["name"]: v for v in data["variants"]}
    assert set(names) == {"numpy", "step17-backprop", "step17-backward"}
    assert names["step17-backward"]["status"] == "ok"
    assert names["step17-backward"]["engine"] == "step17"
    assert data["engines"]["user"] == {"step17": str(walkthrough)}


@pytest.mark.parametrize(
    "source, words",
    [
        ("NAME = 'x'\nvariable = lambda a: a\n", ["lacks square", "square(x)"]),
        ("variable = square = lambda a: a\n", ["lacks NAME"]),
        ("NAME = 'Bad-Name'\nvariable = square = lambda a: a\n", ["NAME is 'Bad-Name'"]),
        ("NAME = 'x'\nvariable = square = 3\n", ["variable is 3, not a function"]),
        ("import no_such_module_here\n", ["fails to import", "ModuleNotFoundError"]),
        ("NAME = 'torch'\nvariable = square = lambda a: a\n", ["built-in engine"]),
    ],
)
def test_an_engine_file_missing_a_part_is_refused_naming_the_file_and_the_part(
    tmp_path, source, words
):
    path = tmp_path / "broken_engine.py"
    path.write_text(source)
    done = subprocess.run(
        [sys.executable, runner.LOOP, "--engine", str(path), *SMALL],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    for word in [str(path), *words]:
        assert word in done.stderr


def test_a_broken_engine_fails_its_variants_and_the_others_are_still_saved(tmp_path, capsys):
    raises = tmp_path / "raises.py"
    raises.write_text(
        "import numpy as np\nNAME = 'flaky'\nvariable = lambda a: a\n"
        "def square(x):\n    raise ZeroDivisionError('no square today')\n"
    )
    unloadable = tmp_path / "unloadable.py"
    unloadable.write_text("NAME = 'half'\n")
    out = tmp_path / "results"
    code = cli.main(["run", "--engine", str(raises), "--engine", str(unloadable), "--only",
                     "weak-backprop", "flaky", "--results-dir", str(out), "--iters", "3",
                     "--size", "1000"])  # fmt: skip
    assert code == 2  # an engine that did not load fails the command, after the others ran
    assert f"{unloadable}: not an engine, it lacks variable, square" in capsys.readouterr().err
    data = results.load(next(out.glob("*.json")))
    by_name = {v["name"]: v for v in data["variants"]}
    assert by_name["weak-backprop"]["status"] == "ok"
    flaky = by_name["flaky-backprop"]
    assert flaky["status"] == "error"
    summary = results.error_summary(flaky["error"])
    assert f"engine flaky ({raises}) raised at iteration 0: ZeroDivisionError" in summary
    assert list(data["engines"]["failed"]) == [str(unloadable)]


def test_the_peers_packages_and_palette_are_the_engine_files_declarations():
    builtin = engines.builtin()
    files = {p.stem for p in Path(engines.__file__).parent.glob("[!_]*.py")}
    assert set(builtin) == files
    peers = [e for e in builtin.values() if e.role == "peer"]
    assert {v.engine.name for v in V.PEER_VARIANTS} <= {e.name for e in peers}
    for e in peers:
        assert e.distribution in interpreters.packages()
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    extra = pyproject["project"]["optional-dependencies"]["peers"]
    assert sorted(re.split(r"[=<>]", r)[0] for r in extra) == sorted(e.distribution for e in peers)
    for v in V.every("scalar"):
        declared = v.engine.colours
        if isinstance(declared, dict) and v.graph in declared:
            declared = declared[v.graph]
        if isinstance(declared, str):  # one colour, shaded lighter for the other modes
            assert v.mode != "backprop" or palette.colour(v.name) == declared
        else:
            assert palette.colour(v.name) == declared[v.mode]


def test_each_peer_is_named_in_its_engine_file_alone():
    # Adding or removing a peer is one file: no other module of the harness spells its name.
    sources = {p: p.read_text() for p in (REPO / "benchmarks").rglob("*.py")}
    for peer in ("dezero", "mygrad", "micrograd"):
        naming = [str(p.relative_to(REPO)) for p, text in sources.items() if peer in text]
        assert naming == [f"benchmarks/engines/{peer}.py"]


def test_a_scalar_engine_says_what_it_cannot_run(capsys):
    with pytest.raises(SystemExit):
        cli_loop(["--impl", "micrograd"])
    assert "micrograd cannot run this loop: micrograd's Values are single Python floats" in (
        capsys.readouterr().err
    )
    assert "micrograd-backward" in {v.name for v in V.every("scalar")}
    assert "micrograd" in V.CANNOT


def cli_loop(argv):
    from benchmarks import loop

    return loop.parse_args(argv)


def test_a_variant_crosses_to_a_pool_worker_as_its_engine_and_name(walkthrough):
    import pickle

    mine = V.of(engines.load(str(walkthrough)))[0]
    assert pickle.loads(pickle.dumps(mine)) == mine
    torch = V.parse("torch-backward")
    assert pickle.loads(pickle.dumps(torch)) == torch
    assert runner.loop_command(mine, Settings())[2:6] == [
        "--variant",
        "step17-backprop",
        "--engine",
        str(walkthrough.resolve()),
    ]
