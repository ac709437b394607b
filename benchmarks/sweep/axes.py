"""What a sweep can vary: one entry per axis, saying how a value is read from the command line
and how it becomes the Settings of a point. A new axis is one more entry in AXES."""

import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace

from ..errors import HarnessError


class AxisError(HarnessError):
    """An axis the command line names wrongly; the message says what is allowed."""


@dataclass(frozen=True)
class Axis:
    name: str  # as typed: gc_threshold=100,700
    parse: Callable[[str], object]  # one value from text; ValueError saying what is allowed
    apply: Callable[[object, object], object]  # (Settings, value) -> the point's Settings
    doc: str
    option: str  # the single-value option of `run` this axis varies

    def describe(self):
        return f"{self.name} ({self.doc})"


def _count(text):
    # Sizes read best in powers of ten: 1e5 is 100000.
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        value = None
    if value is None or not value.is_integer() or value < 1:
        raise ValueError("a whole number >= 1, such as 20000 or 2e4")
    return int(value)


def _setting(field):
    return lambda settings, value: replace(settings, **{field: value})


def _python_spec(text):
    # Kept as the user typed it (3.13, or 3.12:numpy==1.26.4): the file names the spec, and
    # each point's record the interpreter it found (`interpreter`).
    from ..measure import interpreters

    try:
        return interpreters.parse(text).text
    except interpreters.InterpreterError:
        raise ValueError(interpreters.SPEC_FORMS) from None


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
        Axis("gc_threshold", _count, _setting("gc_threshold"), "gc threshold0", "--gc-threshold"),
        Axis("size", _count, _setting("size"), "elements per array", "--size"),
        Axis("iters", _count, _setting("iters"), "iterations", "--iters"),
        Axis("depth", _count, _setting("depth"), "squares per iteration", "--depth"),
        Axis("python", _python_spec, _python, "the interpreter, as run --python", "--python"),
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
        except ValueError as e:
            raise AxisError(f"axis {axis.name}: {word.strip()!r} is not {e}") from None
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
