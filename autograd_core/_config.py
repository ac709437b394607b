"""Settings of the autograd core: whether to record a graph, and which kind.

Each setting is a context variable, so every thread (and every asyncio task) has its own, like
PyTorch's grad mode. It is also read in half the time of a `threading.local` attribute: every op
reads one (`recording`, which the settings determine), and under no_grad that read is a visible
part of an op's cost.
"""

import contextvars
import functools
import operator
import weakref

import numpy as np

# How a Function holds its outputs, per graph kind: the one difference between the two graphs.
# Either way, calling what it holds gives the output back. The weak graph holds a
# `weakref.ref`. The strong graph holds the output's bound method `_self`, which returns the
# output: made in C by attrgetter, with no Python call, and holding the output strongly, so a
# Function and its output keep each other alive, the Variable <-> Function reference cycle of
# the strong graph. (A holder class of our own costs a Python call per op.)
REF_MAKERS = {"strong": operator.attrgetter("_self"), "weak": weakref.ref}
GRAPHS = tuple(REF_MAKERS)

# A new thread starts from the defaults: its context starts empty, unless
# `sys.flags.thread_inherit_context` is set (the default on free-threaded builds since 3.14);
# then it starts with a copy of its starter's settings.
_VARS = {
    "enable_backprop": contextvars.ContextVar("enable_backprop", default=True),
    "graph": contextvars.ContextVar("graph", default="weak"),
}
# What an op needs to know, in one variable: None under no_grad, else REF_MAKERS[graph]. Set
# beside the settings, so a recorded op reads one context variable, not two and a dict.
_recording = contextvars.ContextVar("recording", default=weakref.ref)

recording = _recording.get


def _get(name):
    return _VARS[name].get()


def _set(name, value):
    _VARS[name].set(value)
    _recording.set(REF_MAKERS[_get("graph")] if _get("enable_backprop") else None)


def _type_name(value):
    # numpy's bool is called `bool` too: name a non-builtin type with its module.
    t = type(value)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _checked(name, value):
    """`value` as it is stored for setting `name`, or an error saying what is wrong with it."""
    if name == "enable_backprop":
        if isinstance(value, (bool, np.bool_)):
            return bool(value)  # a Python bool, so `Config.enable_backprop is False` holds
        raise TypeError(f"enable_backprop must be a bool, got {_type_name(value)}: {value!r}")
    if name == "graph":
        if isinstance(value, str) and value in GRAPHS:
            return value
        raise ValueError(f"graph must be one of {', '.join(map(repr, GRAPHS))}, got {value!r}")
    raise ValueError(f"unknown setting {name!r}; known settings: {', '.join(_VARS)}")


class _ConfigMeta(type):
    # Properties on the metaclass make `Config.graph = "strong"` (the book's style) act on the
    # calling thread (or asyncio task) only, like PyTorch's grad mode.
    def __setattr__(cls, name, value):
        # A misspelt setting (`Config.graf = "strong"`) would otherwise become a new class
        # attribute that nothing reads.
        if name not in _VARS:
            raise AttributeError(
                f"Config has no setting {name!r}; known settings: {', '.join(_VARS)}"
            )
        super().__setattr__(name, value)

    @property
    def enable_backprop(cls):
        return _get("enable_backprop")

    @enable_backprop.setter
    def enable_backprop(cls, value):
        _set("enable_backprop", _checked("enable_backprop", value))

    @property
    def graph(cls):
        return _get("graph")

    @graph.setter
    def graph(cls, value):
        _set("graph", _checked("graph", value))


class Config(metaclass=_ConfigMeta):
    """The current thread's or task's settings: `enable_backprop` (bool), `graph` ("weak" or
    "strong")."""

    __slots__ = ()


class using_config:  # lower case: the book calls it as a function
    """Set one setting for the current thread or task inside a `with` block, or around every
    call of a decorated function.

    One object may be entered again, after or inside its own block: each entry keeps the value
    it replaced, and its exit puts that value back. A decorated function enters a new object on
    every call, so concurrent calls in several threads never share one.
    """

    __slots__ = ("_olds", "name", "value")

    def __init__(self, name, value):
        self.value = _checked(name, value)
        self.name = name
        self._olds = []

    def __enter__(self):
        self._olds.append(_get(self.name))
        _set(self.name, self.value)

    def __exit__(self, *exc_info):
        # The old value, not a token reset: a setting assigned inside the block for another
        # name stays as assigned, and only this one goes back.
        _set(self.name, self._olds.pop())

    def __call__(self, func):
        name, value = self.name, self.value

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with using_config(name, value):
                return func(*args, **kwargs)

        return wrapper


def no_grad(func=None):
    """Record no graph: `with no_grad():`, `@no_grad()` or `@no_grad`."""
    cm = using_config("enable_backprop", False)
    return cm if func is None else cm(func)
