"""Settings of the autograd core: whether to record a graph, and which kind.

Each setting is a context variable, so every thread (and every asyncio task) has its own, like
PyTorch's grad mode. It is also read in half the time of a `threading.local` attribute: every op
reads `enable_backprop`, and under no_grad that read is a visible part of an op's cost.
"""

import contextlib
import contextvars
import weakref


class _StrongRef:
    """Holds an object the way `weakref.ref` would be called, but keeps it alive.

    A Function holding its outputs this way while each output holds its creator is the
    Variable <-> Function reference cycle of the strong graph.
    """

    __slots__ = ("_obj",)

    def __init__(self, obj):
        self._obj = obj

    def __call__(self):
        return self._obj


# How a Function holds its outputs, per graph kind: the one difference between the two graphs.
REF_MAKERS = {"weak": weakref.ref, "strong": _StrongRef}
GRAPHS = tuple(REF_MAKERS)

# A new thread starts from the defaults: its context starts empty, unless
# `sys.flags.thread_inherit_context` is set (the default on free-threaded builds since 3.14);
# then it starts with a copy of its starter's settings.
_VARS = {
    "enable_backprop": contextvars.ContextVar("enable_backprop", default=True),
    "graph": contextvars.ContextVar("graph", default="weak"),
}
# REF_MAKERS[graph], set beside graph so a recorded call reads one variable, not two and a dict.
_ref = contextvars.ContextVar("ref", default=weakref.ref)

backprop_enabled = _VARS["enable_backprop"].get
ref_maker = _ref.get


def _get(name):
    return _VARS[name].get()


def _set(name, value):
    _VARS[name].set(value)
    if name == "graph":
        _ref.set(REF_MAKERS[value])


def _check(name, value):
    if name == "enable_backprop":
        if not isinstance(value, bool):
            raise TypeError(
                f"enable_backprop must be a bool, got {type(value).__name__}: {value!r}"
            )
    elif name == "graph":
        if value not in GRAPHS:
            raise ValueError(f"graph must be one of {', '.join(map(repr, GRAPHS))}, got {value!r}")
    else:
        known = ", ".join(_VARS)
        raise ValueError(f"unknown setting {name!r}; known settings: {known}")


class _ConfigMeta(type):
    # Properties on the metaclass make `Config.graph = "strong"` (the book's style) act on the
    # calling thread (or asyncio task) only, like PyTorch's grad mode.
    @property
    def enable_backprop(cls):
        return _get("enable_backprop")

    @enable_backprop.setter
    def enable_backprop(cls, value):
        _check("enable_backprop", value)
        _set("enable_backprop", value)

    @property
    def graph(cls):
        return _get("graph")

    @graph.setter
    def graph(cls, value):
        _check("graph", value)
        _set("graph", value)


class Config(metaclass=_ConfigMeta):
    """The current thread's or task's settings: `enable_backprop` (bool), `graph` ("weak" or
    "strong")."""

    __slots__ = ()


@contextlib.contextmanager
def using_config(name, value):
    """Set one setting for the current thread or task inside a `with` block (or a decorated
    function)."""
    _check(name, value)
    old = _get(name)
    _set(name, value)
    try:
        yield
    finally:
        # The old value, not a token reset: a setting assigned inside the block for another
        # name stays as assigned, and only this one goes back.
        _set(name, old)


def no_grad(func=None):
    """Record no graph: `with no_grad():`, `@no_grad()` or `@no_grad`."""
    cm = using_config("enable_backprop", False)
    return cm if func is None else cm(func)
