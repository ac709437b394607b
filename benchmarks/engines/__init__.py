"""Every autograd engine the harness measures, one file each, behind one interface.

An engine file declares in one place what the harness needs to run its workloads and show its
figures. Four names are required (docs/engines.md walks through wrapping your own engine):

    NAME = "mine"              # variants: mine-backprop, mine-backward, mine-no_grad
    def variable(array): ...   # wrap the input the graph starts from
    def square(x): ...         # the classic loop's op
    def backward(y): ...       # backpropagate from y

Everything else is optional and has a default (`Engine` below): `no_grad()` (a context manager;
without it the engine has no no_grad mode), `GRAPHS` (graph kinds, each a context manager:
ours has "strong" and "weak"), `PACKAGE` and `INSTALL` (what must be importable, and how to
install it), `version()`, `TRACED` (whether tracemalloc sees the engine's memory), `INPUTS`
("arrays", or "scalars" for an engine of Python floats), `COLOUR`, the ops other workloads
use (`add`, `neg`, `tanh`), and the designs that save memory (DESIGNS below): a `backward`
that takes `retain_graph` (False frees what the graph saved as the pass goes) and
`checkpoint(fn, x)`.

The built-in engines are this package's public modules. Each imports its framework only inside
its functions: every process imports the registry, and a framework's import would land in every
variant's baseline.
"""

import contextlib
import functools
import importlib
import importlib.util
import inspect
import pkgutil
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import HarnessError

MODES = ("backprop", "backward", "no_grad")
# Designs that save memory in backward, and what gives an engine each one. A variant may combine
# them (`weak-backward-checkpoint-free`): its design names them in this order, joined by "-".
DESIGNS = {
    "checkpoint": "checkpoint(fn, x): fn(x), keeping x and the result alone; fn runs again when"
    " backward reaches it (torch.utils.checkpoint's meaning)",
    "free": "backward(y, retain_graph=False): each op drops what it saved once its backward has"
    " run (PyTorch's name and meaning)",
}
# The matrix lists engines in this order: the plain-numpy floor, the project's engine, the
# book's design beside it, the peers (optional installs), and engines the user brings.
ROLES = ("reference", "ours", "design", "peer", "user")
NAME_RULE = re.compile(r"[a-z][a-z0-9_]*\Z")
REQUIRED = {
    "NAME": "the engine's name, lower case: variants are called NAME-backprop, NAME-backward...",
    "variable": "variable(array): the input a graph starts from, wrapping a numpy array",
    "square": "square(x): the classic loop's op, recorded in the graph",
}
_SPECS = "a file (path/to/my_engine.py) or a module and a name (package.module:NAME)"


class EngineError(HarnessError):
    """An engine that cannot be loaded or lacks a part; the message names the file and the part."""


@dataclass(frozen=True)
class Engine:
    """One engine's declarations, read through defaults: the only way the harness touches it."""

    declared: object  # the engine file's module, or the object `module:NAME` names
    source: str  # where it was declared: a module name, or the user's --engine text
    role: str
    # A user's file as a child process, started from another folder, finds it: its absolute
    # path (with :NAME if given); `source` otherwise.
    where: str = ""

    def __reduce__(self):
        # A variant crosses to pool and cluster workers by pickle: an engine goes as where it
        # was declared, and is loaded again there.
        return _restore, (self.where or self.source, self.role)

    def _get(self, name, default=None):
        return getattr(self.declared, name, default)

    # What it is.
    @property
    def name(self):
        return self._get("NAME")

    @property
    def prefix(self):
        """What variant names start with: the name, or nothing for the project's own engine."""
        return self._get("PREFIX", self.name)

    @property
    def graphs(self):
        """Graph kinds, ("",) for an engine that records one kind of graph."""
        return tuple(self._get("GRAPHS") or {}) or ("",)

    @property
    def modes(self):
        declared = self._get("MODES")
        if declared is not None:
            return tuple(declared)
        if self.role == "reference":
            return ("no_grad",)
        return MODES if self._get("no_grad") is not None else MODES[:2]

    @property
    def designs(self):
        """The designs of DESIGNS the engine has, in DESIGNS's order. `free` needs a backward
        with a parameter called retain_graph: one that takes any keyword (**options) says
        nothing of what it does with it."""
        found = {
            "checkpoint": self._get("checkpoint") is not None,
            "free": self._has_parameter("retain_graph"),
        }
        return tuple(d for d in DESIGNS if found[d])

    @property
    def inputs(self):
        return self._get("INPUTS", "arrays")

    @property
    def traced(self):
        """Whether tracemalloc sees the engine's arrays (PyTorch allocates its own in C++)."""
        return bool(self._get("TRACED", True))

    @property
    def package(self):
        return self._get("PACKAGE")

    @property
    def distribution(self):
        """The package's name on the package index, for the versions a results file records."""
        return self._get("DISTRIBUTION", self.package)

    @property
    def install(self):
        return self._get("INSTALL") or (
            f"pip install {self.distribution}" if self.distribution else None
        )

    @property
    def colours(self):
        """{mode: colour}, or one colour for every mode."""
        return self._get("COLOUR")

    @property
    def cannot(self):
        """{workload: why} for workloads this engine cannot run, said in the report."""
        return dict(self._get("CANNOT") or {})

    def missing(self):
        """Why this engine cannot run here (its package is not installed), or None."""
        if self.package and importlib.util.find_spec(self.package) is None:
            return f"{self.package} is not installed ({self.install})"
        return None

    def version(self):
        declared = self._get("version")
        if declared is not None:
            return str(declared())
        if self.distribution:
            # Imported here: every measured child pays for its imports, and this one's 17 ms
            # are most of what the harness adds to numpy's.
            import importlib.metadata

            try:
                return importlib.metadata.version(self.distribution)
            except importlib.metadata.PackageNotFoundError:
                return None
        return None

    # What it does.
    @contextlib.contextmanager
    def settings(self, graph="", mode="backprop"):
        """Held around a whole loop: the graph kind, and no_grad if asked."""
        setup = self._get("setup")
        if setup is not None:  # process-wide choices, e.g. PyTorch's thread count
            setup()
        warm_up = self._get("warm_up")
        if warm_up is not None and mode == "backward":  # a first backward's one-off work
            warm_up()
        with contextlib.ExitStack() as stack:
            if graph:
                stack.enter_context(self._get("GRAPHS")[graph]())
            if mode == "no_grad" and self.role != "reference":
                stack.enter_context(self._get("no_grad")())
            yield

    # The declared functions themselves, not wrappers: a timed loop calls them directly.
    @property
    def variable(self):
        return self.declared.variable

    @property
    def square(self):
        return self.declared.square

    def scalar(self, value):
        """A one-element input as this engine takes it: a 0-d array, or a float."""
        return float(value) if self.inputs == "scalars" else np.array(value)

    def op(self, name):
        """The engine's `name` op (add, neg, tanh...) as a function, or None if it has none.
        `add` and `neg` default to the Python operators, which every engine here defines."""
        declared = self._get(name)
        if declared is not None:
            return declared
        return {"add": lambda a, b: a + b, "neg": lambda x: -x}.get(name)

    def backward(self, **options):
        """The function that backpropagates from y; `options` (retain_grad=True, retain_graph=
        False) go to the engine's backward, which must accept them (see `accepts`)."""
        declared = self._get("backward") or (lambda y, **kw: y.backward(**kw))
        if not options:
            return declared
        return lambda y: declared(y, **options)

    def facts(self):
        """What the engine reports of itself for a variant's record (a peer's threads...)."""
        declared = self._get("facts")
        return dict(declared()) if declared is not None else {}

    def accepts(self, option):
        """Whether the engine's backward takes keyword `option` (retain_grad, retain_graph)."""
        params = self._backward_parameters()
        return option in params or any(p.kind is p.VAR_KEYWORD for p in params.values())

    def _has_parameter(self, option):
        """Whether the engine's backward has a parameter called `option`."""
        return option in self._backward_parameters()

    def _backward_parameters(self):
        declared = self._get("backward")
        if declared is None:
            return {}
        try:
            return inspect.signature(declared).parameters
        except (TypeError, ValueError):
            return {}

    @property
    def checkpoint(self):
        """checkpoint(fn, x), or None for an engine without the checkpoint design."""
        return self._get("checkpoint")

    def record(self, fn, x):
        """What backward starts from after recording fn on input x (an array or a float): the
        output, or the engine's own handle (HIPS autograd records inside a call)."""
        declared = self._get("record")
        if declared is not None:
            return declared(fn, x)
        return fn(self.variable(x))

    def step(self, mode, depth):
        """The engine's own classic-loop step, if it cannot be built from its ops, else None."""
        declared = self._get("loop_step")
        return None if declared is None else declared(mode, depth)

    def floor_arrays(self, mode, depth, iters, retain_grad):
        """The arrays the engine's loop must hold at once, if it declares its own count."""
        declared = self._get("floor_arrays")
        return None if declared is None else declared(mode, depth, iters, retain_grad)


def check(declared, source):
    """EngineError naming `source` and the part, when `declared` lacks one or has a bad value."""
    missing = [name for name in REQUIRED if getattr(declared, name, None) is None]
    if missing:
        parts = "; ".join(f"{name}: {REQUIRED[name]}" for name in missing)
        raise EngineError(
            f"{source}: not an engine, it lacks {', '.join(missing)} ({parts}); see docs/engines.md"
        )
    name = declared.NAME
    if not isinstance(name, str) or not NAME_RULE.match(name):
        raise EngineError(
            f"{source}: NAME is {name!r}; expected lower-case letters, digits and _ , starting "
            "with a letter (variant names are built from it)"
        )
    for part in ("variable", "square", "backward", "no_grad", "record", "loop_step", "checkpoint"):
        value = getattr(declared, part, None)
        if value is not None and not callable(value):
            raise EngineError(f"{source}: {part} is {value!r}, not a function")
    graphs = getattr(declared, "GRAPHS", None) or {}
    if not isinstance(graphs, dict) or not all(
        isinstance(k, str) and NAME_RULE.match(k) and callable(v) for k, v in graphs.items()
    ):
        raise EngineError(
            f"{source}: GRAPHS must map graph kinds (lower-case names) to functions returning a "
            "context manager, e.g. {'strong': ..., 'weak': ...}"
        )
    modes = getattr(declared, "MODES", None)
    if modes is not None and (not modes or not set(modes) <= set(MODES)):
        raise EngineError(f"{source}: MODES is {modes!r}; allowed: {', '.join(MODES)}")
    if getattr(declared, "INPUTS", "arrays") not in ("arrays", "scalars"):
        raise EngineError(f"{source}: INPUTS must be 'arrays' or 'scalars'")


@functools.cache
def builtin():
    """{name: Engine} of the engines this package holds, in the matrix's order."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        check(module, f"benchmarks/engines/{info.name}.py")
        role = getattr(module, "ROLE", "peer")
        found.append(Engine(module, module.__name__, role))
    found.sort(key=lambda e: (ROLES.index(e.role), e.name))
    return {e.name: e for e in found}


@functools.cache
def load(spec):
    """The Engine a user's `--engine` names: a file, or `package.module:NAME`. EngineError
    naming the file and what is wrong when it cannot be used."""
    spec = str(spec)
    path_text, _, attr = spec.partition(":") if not Path(spec).exists() else (spec, "", "")
    path = Path(path_text)
    if path.suffix == ".py" or path.exists():
        module = _load_file(path, spec)
    else:
        if not re.fullmatch(r"[A-Za-z_][\w.]*", path_text):
            raise EngineError(f"--engine {spec!r}: expected {_SPECS}")
        try:
            module = importlib.import_module(path_text)
        except Exception as e:
            raise EngineError(f"--engine {spec!r}: cannot import {path_text}: {_said(e)}") from None
    declared = module
    if attr:
        declared = getattr(module, attr, None)
        if declared is None:
            raise EngineError(f"--engine {spec!r}: {path_text} has no {attr}")
    check(declared, spec)
    if declared.NAME in builtin():
        raise EngineError(
            f"--engine {spec!r}: NAME {declared.NAME!r} is a built-in engine's; choose another"
        )
    where = str(path.resolve()) + (f":{attr}" if attr else "") if path.is_file() else spec
    return Engine(declared, spec, "user", where)


def _load_file(path, spec):
    if not path.is_file():
        raise EngineError(f"--engine {spec!r}: no such file")
    # Run as a script would be: its own folder importable, so it may import its neighbours.
    folder = str(path.resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    name = "_engine_" + re.sub(r"\W", "_", path.stem)
    loader_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[name] = module
    try:
        loader_spec.loader.exec_module(module)
    except Exception as e:
        del sys.modules[name]
        raise EngineError(f"{path}: fails to import: {_said(e)}") from None
    return module


def _said(error):
    return f"{type(error).__name__}: {error}"


def _restore(source, role):
    if role == "user":
        return load(source)
    return next(e for e in builtin().values() if e.source == source)


def resolve(name, user=()):
    """The Engine called `name` among the built-in ones and `user` (loaded Engines)."""
    known = {**builtin(), **{e.name: e for e in user}}
    try:
        return known[name]
    except KeyError:
        raise EngineError(f"unknown engine {name!r}; known: {', '.join(known)}") from None
