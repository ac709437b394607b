"""Settings of the autograd core: whether to record a graph, and which kind.

Each setting is a context variable, so every thread (and every asyncio task) has its own, like
PyTorch's grad mode. It is also read in half the time of a `threading.local` attribute: every op
reads one (`recording`, which the settings determine), and under no_grad that read is a visible
part of an op's cost.
"""

import contextvars
import functools
import inspect
import weakref

import numpy as np


class StrongRef:
    """A plain reference to a Function's output, called like a `weakref.ref` to give it back.
    The strong graph's Functions hold their outputs with it, so a Function and its output keep
    each other alive: the Variable <-> Function reference cycle of the book's step 16."""

    __slots__ = ("output",)

    def __init__(self, output):
        self.output = output

    def __call__(self):
        return self.output


# How a Function holds its outputs, per graph kind: the one difference between the two graphs.
REF_MAKERS = {"strong": StrongRef, "weak": weakref.ref}
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


def recording():
    """What every op asks first: None under no_grad, else how a Function holds its outputs
    (a REF_MAKERS value)."""
    return _recording.get()


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


# The values that entered `using_config` blocks replaced, innermost last, per thread and per
# asyncio task: each exit restores what its own entry saved there, even when several threads or
# tasks enter one object at once. One variable serves every block and object: a variable per
# object would add a key to every context for each `with no_grad():` ever run. A tuple, never
# changed in place, because a new task starts from a copy of its creator's context.
_saved = contextvars.ContextVar("saved_settings", default=())


class using_config:  # lower case: the book calls it as a function
    """Set one setting for the current thread or task inside a `with` block, or around every
    call of a decorated function (for a generator, around each step of its body; for an
    `async def`, around its coroutine).

    One object may be used by several threads or tasks at once, and entered again inside its
    own block: each exit puts back the value that its own entry replaced, in its own thread or
    task.
    """

    __slots__ = ("name", "value")

    def __init__(self, name, value):
        self.value = _checked(name, value)
        self.name = name

    def __enter__(self):
        _saved.set((*_saved.get(), (self, _get(self.name))))
        _set(self.name, self.value)

    def __exit__(self, *exc_info):
        saved = _saved.get()
        # This object's innermost entry: the last one, unless a generator suspended inside a
        # block let blocks end out of order.
        i = len(saved) - 1
        while i >= 0 and saved[i][0] is not self:
            i -= 1
        if i < 0:
            raise RuntimeError(
                f"using_config({self.name!r}, {self.value!r}) is leaving a block it did not "
                "enter in this thread or task (a generator resumed elsewhere?); the setting "
                "stays as it is here"
            )
        _saved.set(saved[:i] + saved[i + 1 :])
        # The old value, not a token reset: a setting assigned inside the block for another
        # name stays as assigned, and only this one goes back.
        _set(self.name, saved[i][1])

    def __call__(self, func):
        if inspect.isasyncgenfunction(func):
            raise TypeError(
                f"using_config and no_grad cannot decorate the async generator function "
                f"{func.__qualname__}: its caller runs between its steps, in the same task; "
                "put the `with` block in its body, around the code between its yields"
            )
        if inspect.isgeneratorfunction(func):

            @functools.wraps(func)
            def generator(*args, **kwargs):
                return (yield from _stepped(self, func(*args, **kwargs)))

            return generator
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def coroutine(*args, **kwargs):
                # The setting belongs to the task: while the coroutine waits, other tasks
                # run in their own contexts, and its awaiter waits for it.
                with self:
                    return await func(*args, **kwargs)

            return coroutine

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return wrapper


def _stepped(config, inner):
    """Run the generator `inner` with `config` set around each step of its body, and unset
    while its caller runs between steps: a `with` block around the whole generator would hold
    the setting in the caller's loop too."""
    resume, value = inner.send, None
    while True:
        try:
            with config:
                item = resume(value)
        except StopIteration as stop:
            return stop.value
        try:
            value = yield item
            resume = inner.send
        except GeneratorExit:
            with config:
                inner.close()
            raise
        except BaseException as exc:  # thrown in by the caller: on to the body, in its setting
            resume, value = inner.throw, exc


def no_grad(func=None):
    """Record no graph: `with no_grad():`, `@no_grad()` or `@no_grad`."""
    cm = using_config("enable_backprop", False)
    return cm if func is None else cm(func)
