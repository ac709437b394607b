"""What a sweep can vary: one entry per axis, saying how a value is read from the command line
and how it becomes the Settings of a point. A new axis is one more entry in AXES."""

import argparse
import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace

from ..errors import HarnessError
from ..files.shapes import TEXT, Shape, whole
from ..measure import argtypes


class AxisError(HarnessError):
    """An axis the command line names wrongly; the message says what is allowed."""


@dataclass(frozen=True)
class Axis:
    name: str  # as typed: gc_threshold=100,700
    # One value from text: the argparse type of `option` (argtypes), so an axis value is
    # refused where the flag's is, with the flag's message.
    parse: Callable[[str], object]
    apply: Callable[[object, object], object]  # (Settings, value) -> the point's Settings
    doc: str
    option: str  # the single-value option of `run` this axis varies
    shape: Shape  # a value's shape in a sweep file (sweep/files.py)

    def describe(self):
        return f"{self.name} ({self.doc})"


def _setting(field):
    return lambda settings, value: replace(settings, **{field: value})


def _count(name, doc, option):
    """An axis of whole numbers with its flag's bounds (`--size`: argtypes.size)."""
    kind = getattr(argtypes, name)
    return Axis(name, kind, _setting(name), doc, option, whole(kind.low, kind.high))


def _python_spec(text):
    # Kept as the user typed it (3.13, or 3.12:numpy==1.26.4): the file names the spec, and
    # each point's record the interpreter it found (`interpreter`).
    from ..measure import interpreters

    try:
        return interpreters.parse(text).text
    except interpreters.InterpreterError:
        expected = interpreters.SPEC_FORMS
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text}") from None


@functools.cache
def interpreter(spec):
    """The python children run for a python= value: the same environment as `run --python`,
    made once under .envs/; looked up once per process, not once per pass."""
    from ..measure import venvs

    return venvs.interpreter_for(spec)


def _python(settings, spec):
    return replace(settings, python=None if spec is None else interpreter(spec))


AXES = {
    a.name: a
    for a in (
        _count("gc_threshold", "gc threshold0", "--gc-threshold"),
        _count("size", "elements per array", "--size"),
        _count("iters", "iterations", "--iters"),
        _count("depth", "ops per iteration (squares; tanh in the deep chain)", "--depth"),
        Axis("python", _python_spec, _python, "the interpreter, as run --python", "--python", TEXT),
    )
}
EXAMPLE = "gc_threshold=350,700,1400 size=1e4,1e5"


def _allowed():
    return ", ".join(a.describe() for a in AXES.values())


def parse(text):
    """(axis name, values) from `NAME=V1,V2,...`; AxisError naming what is wrong otherwise."""
    name, eq, values = text.partition("=")
    if not eq:
        raise AxisError(f"axis {text!r}: expected NAME=V1,V2,... such as {EXAMPLE}")
    axis = AXES.get(name.strip())
    if axis is None:
        raise AxisError(f"unknown axis {name.strip()!r}; allowed: {_allowed()}")
    parsed = []
    for word in values.split(","):
        try:
            value = axis.parse(word.strip())
        except argparse.ArgumentTypeError as e:
            raise AxisError(f"axis {axis.name} (as {axis.option}): {e}") from None
        if value in parsed:
            raise AxisError(f"axis {axis.name}: {word.strip()} is given twice")
        parsed.append(value)
    return axis.name, parsed


def parse_all(texts):
    """[{"name", "values"}, ...] in the order given; at least one axis, each named once."""
    if not texts:
        raise AxisError(
            f"a sweep needs at least one axis, such as {EXAMPLE}; allowed: {_allowed()}"
        )
    axes = []
    for text in texts:
        name, values = parse(text)
        if any(a["name"] == name for a in axes):
            raise AxisError(f"axis {name} is given twice; give all its values in one NAME=V1,V2")
        axes.append({"name": name, "values": values})
    return axes


def grid(axes):
    """Every point of the grid, as {axis name: value}, the first axis varying slowest."""
    names = [a["name"] for a in axes]
    return [
        dict(zip(names, values, strict=True))
        for values in itertools.product(*(a["values"] for a in axes))
    ]


def settings_at(base, params):
    """The Settings of the point `params` of a sweep whose other settings are `base`."""
    for name, value in params.items():
        base = AXES[name].apply(base, value)
    return base


def label(params):
    """gc_threshold=700 size=100000: a point as one short text."""
    return " ".join(f"{k}={v}" for k, v in params.items())
