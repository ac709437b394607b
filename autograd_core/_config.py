"""Per-thread settings of the autograd core: whether to record a graph, and which kind."""
import contextlib
import threading

GRAPHS = ("weak", "strong")


class _Settings(threading.local):
    # Class attributes are the defaults every new thread starts from.
    enable_backprop = True
    graph = "weak"


_settings = _Settings()


def _check(name, value):
    if name == "enable_backprop":
        if not isinstance(value, bool):
            raise TypeError(f"enable_backprop must be a bool, got {type(value).__name__}: {value!r}")
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
    """Settings for the current thread: `enable_backprop` (bool) and `graph` ("weak" or "strong")."""

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
