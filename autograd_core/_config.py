"""Per-thread settings of the autograd core: whether to record a graph, and which kind."""

import contextlib
import threading
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


class _Settings(threading.local):
    # Class attributes are the defaults every new thread starts from.
    enable_backprop = True
    graph = "weak"
    ref = weakref.ref  # REF_MAKERS[graph], kept beside it so Function calls skip a lookup

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        if name == "graph":
            super().__setattr__("ref", REF_MAKERS[value])


_settings = _Settings()


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
        known = ", ".join(("enable_backprop", "graph"))
        raise ValueError(f"unknown setting {name!r}; known settings: {known}")


class _ConfigMeta(type):
    # Properties on the metaclass make `Config.graph = "strong"` (the book's style) act on the
    # calling thread only, like PyTorch's grad mode.
    @property
    def enable_backprop(cls):
        return _settings.enable_backprop

    @enable_backprop.setter
    def enable_backprop(cls, value):
        _check("enable_backprop", value)
        _settings.enable_backprop = value

    @property
    def graph(cls):
        return _settings.graph

    @graph.setter
    def graph(cls, value):
        _check("graph", value)
        _settings.graph = value


class Config(metaclass=_ConfigMeta):
    """Settings of the current thread: `enable_backprop` (bool), `graph` ("weak" or "strong")."""

    __slots__ = ()


@contextlib.contextmanager
def using_config(name, value):
    """Set one setting for the current thread inside a `with` block (or a decorated function)."""
    _check(name, value)
    old = getattr(_settings, name)
    setattr(_settings, name, value)
    try:
        yield
    finally:
        setattr(_settings, name, old)


def no_grad(func=None):
    """Record no graph: `with no_grad():`, `@no_grad()` or `@no_grad`."""
    cm = using_config("enable_backprop", False)
    return cm if func is None else cm(func)
