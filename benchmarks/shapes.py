"""Declarative checks of JSON documents: a table says each field's expected type or shape, and
one call checks a whole document against it, so every reader can trust what it reads.

A field may be absent unless it is listed as required; a present field must match its shape.
Fields the table does not know are allowed (a newer writer may add some). Numbers must be
finite: JSON has no NaN or infinity, and a value such as 1e400 reads back as one.
"""

import math


class ShapeError(ValueError):
    """A value that does not have its expected shape; the message names the field."""


def _shown(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Shape:
    words = "a value"  # what is expected, for the message

    def check(self, value, where):
        if not self.accepts(value):
            raise ShapeError(f"{where} is {_shown(value)}, expected {self.words}")

    def accepts(self, value):
        return True


class _Number(Shape):
    def __init__(self, whole=False, low=None, high=None):
        self.whole, self.low, self.high = whole, low, high
        self.words = "a whole number" if whole else "a finite number"
        if low is not None and high is not None:
            self.words += f" from {low} to {high}"
        elif low is not None:
            self.words += f" >= {low}"

    def accepts(self, value):
        kinds = int if self.whole else int | float
        return (
            isinstance(value, kinds)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and (self.low is None or value >= self.low)
            and (self.high is None or value <= self.high)
        )


def number(low=None):
    return _Number(low=low)


def whole(low=None, high=None):
    return _Number(whole=True, low=low, high=high)


class _Type(Shape):
    def __init__(self, kind, words):
        self.kind, self.words = kind, words

    def accepts(self, value):
        return isinstance(value, self.kind)


TEXT = _Type(str, "text")
FLAG = _Type(bool, "true or false")
OBJECT = _Type(dict, "an object")  # any keys, any values
ANY = Shape()


class one_of(Shape):  # lower case: reads as a shape in the tables, like the others
    def __init__(self, *values):
        self.values = values
        self.words = "one of " + ", ".join(map(str, values))

    def accepts(self, value):
        return isinstance(value, str) and value in self.values


class nullable(Shape):
    def __init__(self, shape):
        self.shape = shape
        self.words = f"{shape.words} or null"

    def check(self, value, where):
        if value is not None:
            self.shape.check(value, where)


class list_of(Shape):
    def __init__(self, item, length=None):
        self.item, self.length = item, length
        exactly = "" if length is None else f" of {length}"
        self.words = f"a list{exactly} ({item.words} each)"

    def check(self, value, where):
        if not isinstance(value, list) or (self.length is not None and len(value) != self.length):
            raise ShapeError(f"{where} is {_shown(value)}, expected {self.words}")
        for i, item in enumerate(value):
            self.item.check(item, f"{where}[{i}]")


class map_of(Shape):
    """An object whose keys are free and whose values all have one shape."""

    def __init__(self, value):
        self.value = value
        self.words = f"an object ({value.words} each)"

    def check(self, value, where):
        OBJECT.check(value, where)
        for key, item in value.items():
            self.value.check(item, f"{where}.{key}")


class record(Shape):
    """An object with known fields: {name: shape}; `required` names those that must be there."""

    words = "an object"

    def __init__(self, fields, required=()):
        self.fields, self.required = fields, tuple(required)

    def check(self, value, where):
        OBJECT.check(value, where)
        for name in self.required:
            if name not in value:
                raise ShapeError(f"{where} has no '{name}'")
        for name, shape in self.fields.items():
            if name in value:
                shape.check(value[name], f"{where}.{name}" if where else name)
