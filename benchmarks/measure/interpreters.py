"""Interpreters to measure under: `--python 3.12`, `--python 3.13:numpy==1.26.4`, or a path.

The strong graph's cost is set by the interpreter's collector, so the same matrix is worth
running under several Pythons. Each `--python` spec becomes a virtual environment under `.envs/`
in the project root (git-ignored), made once and reused while its key holds: the interpreter,
the pinned packages and the project's dependency spec in pyproject.toml. A change to any of them
makes a new environment, as asv and tox do.

The environment holds the project's runtime dependencies (numpy) and the pins, never the
project itself: children run `benchmarks/loop.py` from this source tree, which puts the tree on
sys.path, so every interpreter measures the code the results' git commit names. An installed
copy would go on measuring the code as it was when the environment was made.

`interpreter_for(spec)` is the one way in: the python to start children with.
"""

import fcntl
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .. import paths, results
from ..errors import HarnessError

# What a results file records of an interpreter's packages (None: not installed there).
PACKAGES = (
    "numpy",
    "psutil",
    "matplotlib",
    "jinja2",
    "memory-profiler",
    "pytest-benchmark",
    "torch",
    "dezero",
    "autograd",
)
MARKER = "autograd-env.json"  # written last: an environment without it is half made
VERSION = re.compile(r"\d+(\.\d+){0,2}")
PIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?\s*(===|==|~=|!=|>=|<=|>|<)\S+")
SPEC_FORMS = (
    "a version (3.12, 3.13.0) or a path to an interpreter, optionally with pinned packages "
    "after colons (3.12:numpy==1.26.4)"
)
INSTALL_TIMEOUT_S = 900.0

# Run by each interpreter to describe itself; only the standard library, so it runs anywhere.
_PROBE = """
import gc, json, platform, sys
from importlib import metadata
def version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
print(json.dumps({
    "python": platform.python_version(),
    "implementation": platform.python_implementation(),
    "version": sys.version,
    "gc_thresholds": list(gc.get_threshold()),
    "executable": sys.executable,
    "packages": {name: version(name) for name in sys.argv[1:]},
}))
"""


class InterpreterError(HarnessError):
    """A `--python` spec that names no usable interpreter, or an environment that cannot be made."""


@dataclass(frozen=True)
class PythonSpec:
    text: str  # as the user gave it
    base: str  # a version such as "3.12", or a path
    pins: tuple[str, ...]  # requirement strings, such as "numpy==1.26.4"

    @property
    def is_path(self):
        return not VERSION.fullmatch(self.base)


@dataclass(frozen=True)
class Interpreter:
    spec: str | None  # the --python text; None for the interpreter running the harness
    executable: str  # what children run
    environment: str | None  # the folder under .envs/, None for this interpreter
    facts: dict  # python, implementation, version, gc_thresholds, executable, packages


def parse(text):
    """The PythonSpec in `text`; InterpreterError naming the bad part and the allowed forms."""
    base, *pins = [part.strip() for part in str(text).split(":")]
    if not base:
        raise InterpreterError(f"--python {text!r}: no interpreter; expected {SPEC_FORMS}")
    looks_like_path = os.sep in base or base.startswith((".", "~"))
    if not (VERSION.fullmatch(base) or looks_like_path):
        raise InterpreterError(
            f"--python {text!r}: {base!r} is not a version or a path; expected {SPEC_FORMS}"
        )
    for pin in pins:
        if not PIN.fullmatch(pin):
            raise InterpreterError(
                f"--python {text!r}: {pin!r} is not a pinned package; expected name==version "
                "(or another version specifier: >=, <=, ~=, !=)"
            )
    if looks_like_path:
        base = os.path.expanduser(base)
    return PythonSpec(str(text), base, tuple(pins))


def probe(executable, packages=PACKAGES):
    """What `executable` says of itself (see _PROBE), or None when it does not run."""
    try:
        out = subprocess.run(
            [executable, "-c", _PROBE, *packages], capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    try:
        return json.loads(out.stdout)
    except json.JSONDecodeError:
        return None


def describe(executable=None):
    """The facts of the interpreter children run under (`settings.python`; None: this one),
    asked once per process. InterpreterError if it does not run."""
    return _describe(executable or sys.executable)


@functools.cache
def _describe(executable):
    facts = probe(executable)
    if facts is None:
        raise InterpreterError(f"{executable}: does not run as a Python interpreter")
    return facts


def record_facts(executable=None):
    """What each variant record keeps of its interpreter (`interpreter` in reports/README.md)."""
    facts = describe(executable)
    return {
        "python": facts["python"],
        "implementation": facts["implementation"],
        "gc_thresholds": facts["gc_thresholds"],
        "numpy": facts["packages"].get("numpy"),
    }


def missing_peer(variant, executable):
    """Why a peer variant cannot run under `executable` (not installed there), or None."""
    facts = describe(executable)
    if variant.is_peer and facts["packages"].get(variant.impl) is None:
        return (
            f"{variant.impl} is not installed for Python {facts['python']} ({executable}); "
            f"pin it to install it there, e.g. --python {facts['python']}:{variant.impl}==VERSION"
        )
    return None


def _matches(version, wanted):
    return version.split(".")[: len(wanted.split("."))] == wanted.split(".")


def _version_key(name):
    return tuple(int(part) for part in name.split("."))


def _pyenv_root():
    if os.environ.get("PYENV_ROOT"):
        return Path(os.environ["PYENV_ROOT"])
    pyenv = shutil.which("pyenv")
    if pyenv:
        try:
            out = subprocess.run([pyenv, "root"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            out = None
        if out and out.returncode == 0 and out.stdout.strip():
            return Path(out.stdout.strip())
    return Path.home() / ".pyenv"


def pyenv_versions():
    """{version: its python} for every CPython release pyenv has installed, e.g. 3.12.1."""
    folder = _pyenv_root() / "versions"
    found = {}
    if folder.is_dir():
        for entry in folder.iterdir():
            if re.fullmatch(r"\d+\.\d+\.\d+", entry.name):
                major, minor, _ = entry.name.split(".")
                for name in (f"python{major}.{minor}", f"python{major}", "python"):
                    if (entry / "bin" / name).exists():
                        found[entry.name] = str(entry / "bin" / name)
                        break
    return dict(sorted(found.items(), key=lambda item: _version_key(item[0]), reverse=True))


def find(spec):
    """(python, its facts) for the base interpreter `spec` names: a path as given; a version
    from pyenv (the newest matching release) or PATH. InterpreterError says what was found."""
    if spec.is_path:
        facts = probe(spec.base) if os.access(spec.base, os.X_OK) else None
        if facts is None:
            raise InterpreterError(f"--python {spec.text!r}: {spec.base} is not a runnable Python")
        return spec.base, facts
    pyenv = pyenv_versions()
    candidates = [path for version, path in pyenv.items() if _matches(version, spec.base)]
    major_minor = ".".join(spec.base.split(".")[:2])
    on_path = shutil.which(f"python{major_minor}")
    if on_path:
        candidates.append(on_path)
    seen = []
    for candidate in candidates:
        facts = probe(candidate)
        if facts and _matches(facts["python"], spec.base):
            return candidate, facts
        seen.append(f"{candidate} is {facts['python'] if facts else 'not runnable'}")
    pyenv_text = ", ".join(pyenv) if pyenv else "none"
    path_text = "; ".join(seen) if seen else f"no python{major_minor} on PATH"
    raise InterpreterError(
        f"--python {spec.text!r}: no Python {spec.base} found (pyenv has {pyenv_text}; "
        f"{path_text}). Install it (pyenv install {spec.base}) or give a path to an interpreter"
    )


def _project(root=paths.PROJECT_ROOT):
    pyproject = Path(root) / "pyproject.toml"
    try:
        with pyproject.open("rb") as f:
            return tomllib.load(f)["project"]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as e:
        raise InterpreterError(
            f"{pyproject}: cannot read the project's metadata ({e}); --python needs the "
            "project's source tree, where children run benchmarks/loop.py"
        ) from None


def project_dependencies(root=paths.PROJECT_ROOT):
    """The project's runtime requirements, as pyproject.toml lists them (numpy>=1.24)."""
    return list(_project(root).get("dependencies", []))


def _check_supported(spec, facts, root=paths.PROJECT_ROOT):
    # The core uses 3.11 syntax: an older interpreter would fail in every child, variant by variant.
    floor = re.fullmatch(r">=\s*(\d+(\.\d+)*)", _project(root).get("requires-python", ""))
    if floor and _version_key(facts["python"]) < _version_key(floor.group(1)):
        raise InterpreterError(
            f"--python {spec.text!r}: Python {facts['python']} is older than the project "
            f"supports (requires-python {floor.group(0)})"
        )


def requirements(spec, root=paths.PROJECT_ROOT):
    """What an environment for `spec` installs: the dependencies, then the pins."""
    needed = project_dependencies(root)
    if not sys.platform.startswith("linux"):
        needed.append("psutil")  # the child reads its RSS with psutil where /proc is absent
    return [*needed, *spec.pins]


def key(facts, needed):
    """Twelve hex digits naming an environment: interpreter, pins and dependency spec."""
    identity = {"executable": facts["executable"], "version": facts["version"], "needed": needed}
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:12]


def _venv_python(folder):
    return str(folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python"))


def _ready(folder, wanted_key):
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    return marker.get("key") == wanted_key and os.access(_venv_python(folder), os.X_OK)


def _run(cmd, what, timeout=INSTALL_TIMEOUT_S):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError) as e:
        raise InterpreterError(f"{what} failed: {e}") from None
    if out.returncode != 0:
        tail = (out.stderr or out.stdout).strip()[-1500:]
        raise InterpreterError(f"{what} failed (exit {out.returncode}):\n{tail}")


def _build(p, log):
    folder, base, spec, needed = p.folder, p.base, p.spec, p.needed
    log(f"environment: making {folder.name} for {spec.text} ({', '.join(needed)})")
    shutil.rmtree(folder, ignore_errors=True)  # whatever a broken earlier attempt left
    try:
        _run([base, "-m", "venv", str(folder)], f"{base} -m venv {folder}")
        pip = [_venv_python(folder), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        _run([*pip, *needed], f"pip install {' '.join(needed)} for {spec.text}")
        facts = probe(_venv_python(folder))
        if facts is None:
            raise InterpreterError(f"{folder}: the new environment's python does not run")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    marker = {
        "key": p.key,
        "spec": spec.text,
        "base": base,
        "requirements": needed,
        "python": facts["python"],
        "packages": facts["packages"],
        "made": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    results.write_atomic(folder / MARKER, marker)


@dataclass(frozen=True)
class Plan:
    """Where the environment for a spec lives and what it holds, before anything is made."""

    spec: PythonSpec
    base: str  # the real interpreter the environment is made from, not a shim that finds it
    needed: list  # requirement strings
    key: str
    folder: Path


def plan(text, envs_dir=None):
    """The Plan for `--python text`; InterpreterError when it names no usable interpreter."""
    spec = parse(text)
    _, base_facts = find(spec)
    _check_supported(spec, base_facts)
    needed = requirements(spec)
    wanted_key = key(base_facts, needed)
    name = f"{base_facts['implementation'].lower()}-{base_facts['python']}-{wanted_key}"
    folder = Path(envs_dir or paths.ENVS_DIR) / name
    return Plan(spec, base_facts["executable"], needed, wanted_key, folder)


def resolve(text, envs_dir=None, log=None):
    """The Interpreter for `--python text`: its environment made if it is not there yet."""
    p = plan(text, envs_dir)
    p.folder.parent.mkdir(parents=True, exist_ok=True)
    # One maker at a time per environment: a second run waits, then finds it made.
    with open(p.folder.parent / f".{p.folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _ready(p.folder, p.key):
            _build(p, log or _stderr)
    executable = _venv_python(p.folder)
    return Interpreter(p.spec.text, executable, str(p.folder), describe(executable))


def interpreter_for(text, envs_dir=None):
    """The python to start children with for `--python text` (made once, then reused);
    InterpreterError when it names no interpreter. This is what a sweep's python= axis calls."""
    return resolve(text, envs_dir).executable


def current():
    """The interpreter running the harness, as an Interpreter: the default, no environment."""
    return Interpreter(None, sys.executable, None, describe(None))


def _stderr(line):
    print(line, file=sys.stderr, flush=True)
