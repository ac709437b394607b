"""`--python`: specs, finding interpreters, environments made once under .envs/, and children
that run under another interpreter and record it (docs/measurement.md, "Interpreters").

The test against a second interpreter skips where the machine has none, unless
AUTOGRAD_BENCH_REQUIRE_OTHER_PYTHON=1 (CI) makes that a failure.
"""

import json
import os
import subprocess
import sys

import pytest

from benchmarks import __main__ as cli
from benchmarks.files import folders, results, store
from benchmarks.measure import interpreters, matrix, runner, venvs
from benchmarks.measure.settings import Settings
from benchmarks.workloads import variants as V

TINY = dict(iters=20, size=1000)  # the workload only has to run; the interpreter is the point
THIS = ".".join(map(str, sys.version_info[:2]))


# --- specs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, base, pins",
    [
        ("3.12", "3.12", ()),
        ("3.13.0", "3.13.0", ()),
        ("3.12:numpy==1.26.4", "3.12", ("numpy==1.26.4",)),
        ("3.12:numpy>=2:psutil~=7.0", "3.12", ("numpy>=2", "psutil~=7.0")),
        ("/opt/py/bin/python3", "/opt/py/bin/python3", ()),
    ],
)
def test_a_spec_is_a_version_or_a_path_with_optional_pins(text, base, pins):
    spec = interpreters.parse(text)
    assert (spec.base, spec.pins, spec.text) == (base, pins, text)
    assert spec.is_path == base.startswith("/")


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "no interpreter"),
        ("python", "'python' is not a version or a path"),
        ("3.12:numpy", "'numpy' is not a pinned package"),
        ("3.12:", "'' is not a pinned package"),
    ],
)
def test_a_bad_spec_names_itself_and_the_allowed_forms(text, message):
    with pytest.raises(interpreters.InterpreterError, match=message) as error:
        interpreters.parse(text)
    assert f"--python {text!r}" in str(error.value)


def test_a_missing_version_names_what_was_found(tmp_path, monkeypatch):
    for version in ("3.97.2", "3.98.1"):
        (tmp_path / "versions" / version / "bin").mkdir(parents=True)
        (tmp_path / "versions" / version / "bin" / "python3").touch()
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    with pytest.raises(interpreters.InterpreterError) as error:
        interpreters.find(interpreters.parse("3.99"))
    text = str(error.value)
    assert "no Python 3.99 found" in text and "pyenv has 3.98.1, 3.97.2" in text


def test_an_interpreter_older_than_the_project_supports_is_refused(monkeypatch):
    old = {"python": "3.9.18", "executable": "/x/python3.9", "version": "3.9.18"}
    monkeypatch.setattr(interpreters, "find", lambda spec: (old["executable"], old))
    with pytest.raises(interpreters.InterpreterError, match=r"3\.9\.18 is older.*>=3\.11"):
        venvs.plan("3.9")


def test_the_environment_key_follows_the_dependency_spec_and_the_pins(monkeypatch, tmp_path):
    spec = sys.executable  # this interpreter, by path: present on every machine
    first = venvs.plan(spec, tmp_path)
    pinned = venvs.plan(f"{spec}:numpy>=1.24", tmp_path)
    monkeypatch.setattr(venvs, "project_dependencies", lambda root: ["numpy>=2.0"])
    changed = venvs.plan(spec, tmp_path)
    assert len({first.folder, pinned.folder, changed.folder}) == 3
    assert pinned.needed[-1] == "numpy>=1.24" and changed.needed[0] == "numpy>=2.0"
    assert first.folder.parent == tmp_path and not first.folder.exists()


# --- an environment for this interpreter, made in a temporary folder ------------------------


@pytest.fixture(scope="module")
def envs(tmp_path_factory):
    return tmp_path_factory.mktemp("envs")


@pytest.fixture(scope="module")
def made(envs):
    lines = []
    interpreter = venvs.resolve(sys.executable, envs, log=lines.append)
    return interpreter, lines


def test_an_environment_holds_numpy_and_not_the_project(made):
    interpreter, lines = made
    assert len(lines) == 1 and "making" in lines[0]
    assert interpreter.facts["packages"]["numpy"] is not None
    # Children import the project from the source tree, so the environment needs no copy of it.
    out = subprocess.run(
        [
            interpreter.executable,
            "-c",
            "import importlib.util as u; print(u.find_spec('benchmarks'))",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=os.path.dirname(interpreter.environment),
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert out.stdout.strip() == "None"


def test_the_environment_is_made_once_and_then_reused(made, envs, monkeypatch):
    interpreter, _ = made
    marker = os.path.join(interpreter.environment, venvs.MARKER)
    before = (os.stat(marker).st_mtime_ns, sorted(os.listdir(envs)))
    with open(marker) as f:
        assert json.load(f)["spec"] == sys.executable

    def must_not_build(*args):
        raise AssertionError("an environment that exists was made again")

    monkeypatch.setattr(venvs, "_build", must_not_build)
    lines = []
    again = venvs.resolve(sys.executable, envs, log=lines.append)
    assert again.executable == interpreter.executable and lines == []
    assert (os.stat(marker).st_mtime_ns, sorted(os.listdir(envs))) == before


def test_a_half_made_environment_is_made_again(made, envs, monkeypatch):
    p = venvs.plan(sys.executable, envs)
    built = []
    monkeypatch.setattr(venvs, "_build", lambda plan, log: built.append(plan.folder))
    os.rename(p.folder / venvs.MARKER, p.folder / "moved-aside.json")
    try:
        venvs.resolve(sys.executable, envs)
    finally:
        os.rename(p.folder / "moved-aside.json", p.folder / venvs.MARKER)
    assert built == [p.folder]


def test_one_missing_interpreter_does_not_stop_the_others(
    made, envs, monkeypatch, tmp_path, capsys
):
    monkeypatch.setattr(folders, "ENVS_DIR", envs)
    argv = ["run", "--only", "weak-no_grad", "--iters", "5", "--size", "1000"]
    argv += ["--python", "3.99", "--python", sys.executable, "--results-dir", str(tmp_path)]
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert code == 2
    assert "--python '3.99': no Python 3.99 found" in err
    (path,) = tmp_path.glob("*.json")
    data = results.load(path)
    assert data["environment"]["interpreter"]["spec"] == sys.executable
    assert data["variants"][0]["status"] == "ok"


# --- another interpreter -------------------------------------------------------------------


def _other_python():
    """A pyenv release the project supports, of another minor version than this one."""
    for version in interpreters.pyenv_versions():
        minor = ".".join(version.split(".")[:2])
        if minor != THIS and tuple(map(int, version.split("."))) >= (3, 11):
            return version
    return None


@pytest.fixture(scope="module")
def other():
    version = _other_python()
    if version is None:
        if os.environ.get("AUTOGRAD_BENCH_REQUIRE_OTHER_PYTHON") == "1":
            pytest.fail("AUTOGRAD_BENCH_REQUIRE_OTHER_PYTHON=1 but pyenv has no other Python")
        pytest.skip(f"pyenv has no Python >= 3.11 other than {THIS}")
    # Made once under the project's .envs/ and kept there: later runs reuse it.
    return venvs.resolve(version)


def test_a_variant_under_another_interpreter_records_it(other):
    settings = Settings(**TINY, python=other.executable)
    assert runner.loop_command(V.parse("strong-backprop"), settings)[0] == other.executable
    child = runner.run_pass(V.parse("strong-backprop"), settings)
    assert child.status == "ok", child.error
    assert (
        child.report["python"] == other.facts["python"] != ".".join(map(str, sys.version_info[:3]))
    )
    record = runner.measure(V.parse("strong-backprop"), settings)
    assert record["status"] == "ok"
    assert record["interpreter"] == {
        "python": other.facts["python"],
        "implementation": other.facts["implementation"],
        "gc_thresholds": other.facts["gc_thresholds"],
        "numpy": other.facts["packages"]["numpy"],
    }
    # The child's own collector settings are that interpreter's.
    assert record["gc"]["threshold"] == other.facts["gc_thresholds"]


def test_a_results_file_names_the_interpreter_it_ran_under(other, tmp_path):
    settings = Settings(**TINY, python=other.executable)
    path, data = matrix.run(
        [V.parse("weak-backprop"), V.parse("torch-backprop")],
        settings,
        tmp_path,
        command="test",
        spec=other.spec,
    )
    env = data["environment"]
    assert (env["python"], env["gc_thresholds"]) == (
        other.facts["python"],
        other.facts["gc_thresholds"],
    )
    assert env["packages"]["numpy"] == other.facts["packages"]["numpy"]
    assert env["interpreter"] == {"spec": other.spec, "executable": other.executable}
    assert "python" not in data["settings"]  # where it ran is the environment, not a setting
    weak, torch = data["variants"]
    assert weak["status"] == "ok"
    # The peers are not installed in the environment: skipped with the way to pin them.
    assert (
        torch["status"] == "skipped"
        and f"--python {other.facts['python']}:torch==" in (torch["error"])
    )
    assert results.load(path)["variants"][0]["interpreter"]["python"] == other.facts["python"]


def test_a_sweep_takes_python_as_an_axis_through_the_same_environments(other, tmp_path):
    # python= resolves each value as `run --python` does (venvs.interpreter_for): a point's
    # record is what a run under that interpreter records, to the tracemalloc byte.
    folder = tmp_path / "sweeps"
    argv = ["sweep", f"python={other.spec}", "--only", "strong-backprop", "--traced-only"]
    argv += ["--iters", "120", "--size", "2000", "--gc-threshold", "50"]
    assert cli.main([*argv, "--sweeps-dir", str(folder)]) == 0
    (path,) = store.json_files(folder)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["axes"] == [{"name": "python", "values": [other.spec]}]
    (point,) = data["points"]
    record = point["record"]
    assert point["params"] == {"python": other.spec} and record["status"] == "ok"
    assert record["interpreter"]["python"] == other.facts["python"]
    settings = Settings(iters=120, size=2000, gc_threshold=50, python=other.executable)
    run = runner.measure(V.parse("strong-backprop"), settings, passes=(runner.TRACED,))
    assert record["tracemalloc_peak_mib"] == run["tracemalloc_peak_mib"] > 0
