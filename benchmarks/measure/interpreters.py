"""Interpreters to measure under: `--python 3.12`, `--python 3.13:numpy==1.26.4`, or a path.

The strong graph's cost is set by the interpreter's collector, so the same matrix is worth
running under several Pythons. This module reads a `--python` spec, finds the interpreter it
names (pyenv's versions, then PATH) and asks interpreters what they are: version,
implementation, gc thresholds and packages, which results files record. `venvs.py` makes the
environment each spec runs in.
"""

import functools
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import HarnessError

# What a results file records of an interpreter's packages (None: not installed there): the
# harness's own, memray's (the native pass), and every engine's (benchmarks/engines/).
HARNESS_PACKAGES = (
    "numpy",
    "psutil",
    "matplotlib",
    "jinja2",
    "memory-profiler",
    "pytest-benchmark",
    "memray",
)


def packages():
    from .. import engines

    found = [e.distribution for e in engines.builtin().values() if e.distribution]
    return tuple(dict.fromkeys((*HARNESS_PACKAGES, *found)))


VERSION = re.compile(r"\d+(\.\d+){0,2}")
PIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?\s*(===|==|~=|!=|>=|<=|>|<)\S+")
SPEC_FORMS = (
    "a version (3.12, 3.13.0) or a path to an interpreter, optionally with pinned packages "
    "after colons (3.12:numpy==1.26.4)"
)

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


def probe(executable, names=None):
    """What `executable` says of itself (see _PROBE), or None when it does not run."""
    try:
        out = subprocess.run(
            [executable, "-c", _PROBE, *(names or packages())],
            capture_output=True,
            text=True,
            timeout=60,
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
    """Why a variant's engine cannot run under `executable` (its package not installed there),
    or None."""
    facts = describe(executable)
    engine = variant.engine
    if engine.distribution and facts["packages"].get(engine.distribution) is None:
        return (
            f"{engine.distribution} is not installed for Python {facts['python']} ({executable});"
            f" pin it to install it there, e.g. --python {facts['python']}:"
            f"{engine.distribution}==VERSION"
        )
    return None


def _matches(version, wanted):
    return version.split(".")[: len(wanted.split("."))] == wanted.split(".")


def version_key(name):
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
    return dict(sorted(found.items(), key=lambda item: version_key(item[0]), reverse=True))


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
