"""Environments for `--python`: one virtual environment per interpreter and pins, made once
under `.envs/` in the project root (git-ignored) and reused while its key holds: the
interpreter, the pins and the project's dependency spec in pyproject.toml. A change to any of
them makes a new environment, as asv and tox do.

An environment holds the project's runtime dependencies (numpy) and the pins, never the
project itself: children run `benchmarks/loop.py` from this source tree, which puts the tree on
sys.path, so every interpreter measures the code the results' git commit names. An installed
copy would go on measuring the code as it was when the environment was made.

`interpreter_for(spec)` is the one way in: the python to start children with.
"""

import fcntl
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

from ..files import folders, store
from . import interpreters
from .interpreters import InterpreterError, version_key

MARKER = "autograd-env.json"  # written last: an environment without it is half made
INSTALL_TIMEOUT_S = 900.0


@dataclass(frozen=True)
class Interpreter:
    spec: str | None  # the --python text; None for the interpreter running the harness
    executable: str  # what children run
    environment: str | None  # the folder under .envs/, None for this interpreter
    facts: dict  # python, implementation, version, gc_thresholds, executable, packages


def _project(root=folders.PROJECT_ROOT):
    pyproject = Path(root) / "pyproject.toml"
    try:
        with pyproject.open("rb") as f:
            return tomllib.load(f)["project"]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as e:
        raise InterpreterError(
            f"{pyproject}: cannot read the project's metadata ({e}); --python needs the "
            "project's source tree, where children run benchmarks/loop.py"
        ) from None


def project_dependencies(root=folders.PROJECT_ROOT):
    """The project's runtime requirements, as pyproject.toml lists them (numpy>=1.24)."""
    return list(_project(root).get("dependencies", []))


def _check_supported(spec, facts, root=folders.PROJECT_ROOT):
    # The core uses 3.11 syntax: an older interpreter would fail in every child, variant by variant.
    floor = re.fullmatch(r">=\s*(\d+(\.\d+)*)", _project(root).get("requires-python", ""))
    if floor and version_key(facts["python"]) < version_key(floor.group(1)):
        raise InterpreterError(
            f"--python {spec.text!r}: Python {facts['python']} is older than the project "
            f"supports (requires-python {floor.group(0)})"
        )


def requirements(spec, root=folders.PROJECT_ROOT):
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
        facts = interpreters.probe(_venv_python(folder))
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
    store.write_atomic(folder / MARKER, marker)


@dataclass(frozen=True)
class Plan:
    """Where the environment for a spec lives and what it holds, before anything is made."""

    spec: interpreters.PythonSpec
    base: str  # the real interpreter the environment is made from, not a shim that finds it
    needed: list  # requirement strings
    key: str
    folder: Path


def plan(text, envs_dir=None):
    """The Plan for `--python text`; InterpreterError when it names no usable interpreter."""
    spec = interpreters.parse(text)
    _, base_facts = interpreters.find(spec)
    _check_supported(spec, base_facts)
    needed = requirements(spec)
    wanted_key = key(base_facts, needed)
    name = f"{base_facts['implementation'].lower()}-{base_facts['python']}-{wanted_key}"
    folder = Path(envs_dir or folders.ENVS_DIR) / name
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
    return Interpreter(p.spec.text, executable, str(p.folder), interpreters.describe(executable))


def interpreter_for(text, envs_dir=None):
    """The python to start children with for `--python text` (made once, then reused);
    InterpreterError when it names no interpreter. A sweep's python= axis calls this."""
    return resolve(text, envs_dir).executable


def _stderr(line):
    print(line, file=sys.stderr, flush=True)
