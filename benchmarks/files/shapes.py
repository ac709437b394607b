"""Declarative checks of JSON documents: a table says each field's expected type or shape, and
one call checks a whole document against it, so every reader can trust what it reads.

A field may be absent unless it is listed as required; a present field must match its shape.
Fields the table does not know are allowed (a newer writer may add some). Numbers must be
finite and at most LARGEST: JSON has no NaN or infinity, a value such as 1e400 reads back as
one, and one near 1e308 overflows as soon as a reader adds to it. Text must be valid Unicode,
and nesting shallow (`readable`).
"""

import math
import re


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


# No figure of the harness comes near this (a petabyte, counted in bytes), while a reader's
# sums and plots of numbers near 1e308 overflow to infinity: such a number is as broken as NaN.
LARGEST = 1e15


class _Number(Shape):
    def __init__(self, whole=False, low=None, high=None, above=None):
        self.whole, self.low, self.high, self.above = whole, low, high, above
        self.words = "a whole number" if whole else "a finite number"
        if low is not None and high is not None:
            self.words += f" from {low} to {high}"
        elif low is not None:
            self.words += f" >= {low}"
        elif above is not None:
            self.words += f" > {above}"

    def check(self, value, where):
        if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > LARGEST:
            raise ShapeError(f"{where} is {_shown(value)}, beyond {LARGEST:g}, which no figure is")
        super().check(value, where)

    def accepts(self, value):
        kinds = int if self.whole else int | float
        return (
            isinstance(value, kinds)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and abs(value) <= LARGEST
            and (self.low is None or value >= self.low)
            and (self.high is None or value <= self.high)
            and (self.above is None or value > self.above)
        )


def number(low=None, above=None):
    """A finite number; `low` the least allowed, or `above` a bound it must pass."""
    return _Number(low=low, above=above)


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
    """One of a few constants (text or numbers); `true` is not 1 here, as it is in Python."""

    def __init__(self, *values):
        self.values = values
        self.words = "one of " + ", ".join(map(str, values))

    def accepts(self, value):
        return any(value == v and type(value) is type(v) for v in self.values)


NULL = one_of(None)
NULL.words = "null"


class matching(Shape):
    """Text that `pattern` (a regular expression) matches whole."""

    def __init__(self, pattern, words):
        self.pattern, self.words = re.compile(pattern), words

    def accepts(self, value):
        return isinstance(value, str) and self.pattern.fullmatch(value) is not None


# A canonical name (a variant's, an axis's): safe as part of a file name, since it holds no
# separator, dot or space. Engines added later follow the same pattern.
NAME = matching(
    r"[a-z][a-z0-9_-]*", "a name of lowercase letters, digits, _ and -, starting with a letter"
)


class nullable(Shape):
    def __init__(self, shape):
        self.shape = shape
        self.words = f"{shape.words} or null"

    def check(self, value, where):
        if value is not None:
            self.shape.check(value, where)


class list_of(Shape):
    """A list of items of one shape. `key`: a field that names each item (a record), which no
    two items may share, for a reader that looks items up by it would see only one of two;
    `unique`: no item (text or a number) may appear twice."""

    def __init__(self, item, length=None, key=None, unique=False):
        assert key is None or key in getattr(item, "required", ()), "a key must be required"
        self.item, self.length, self.key, self.unique = item, length, key, unique
        exactly = "" if length is None else f" of {length}"
        self.words = f"a list{exactly} ({item.words} each)"

    def check(self, value, where):
        if not isinstance(value, list) or (self.length is not None and len(value) != self.length):
            raise ShapeError(f"{where} is {_shown(value)}, expected {self.words}")
        seen = {}
        for i, item in enumerate(value):
            self.item.check(item, f"{where}[{i}]")
            if self.key is None and not self.unique:
                continue
            name = item if self.key is None else item[self.key]
            if name in seen:
                what = "the value" if self.key is None else f"the {self.key}"
                raise ShapeError(
                    f"{where}[{i}] repeats {what} {_shown(name)} of {where}[{seen[name]}]:"
                    " each may appear once"
                )
            seen[name] = i


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
        unknown = set(self.required) - set(fields)
        assert not unknown, f"required but not in the table: {unknown}"

    def check(self, value, where):
        OBJECT.check(value, where)
        for name in self.required:
            if name not in value:
                raise ShapeError(f"{where} has no '{name}'")
        for name, shape in self.fields.items():
            if name in value:
                shape.check(value[name], f"{where}.{name}" if where else name)


class cases(Shape):
    """An object whose fields depend on one of them: {value of `field`: the record that checks
    the object then}, e.g. a measured comparison has a ratio and a skipped one a reason."""

    words = "an object"

    def __init__(self, field, records):
        self.field, self.records = field, records
        # What every case requires (list_of's key must be one of these).
        self.required = tuple(
            set.intersection(*(set(r.required) for r in records.values())) | {field}
        )

    def check(self, value, where):
        OBJECT.check(value, where)
        tag = value.get(self.field)
        if not isinstance(tag, str | int) or isinstance(tag, bool) or tag not in self.records:
            inside = f"{where}.{self.field}" if where else self.field
            allowed = ", ".join(map(str, self.records))
            raise ShapeError(f"{inside} is {_shown(tag)}, expected one of {allowed}")
        try:
            self.records[tag].check(value, where)
        except ShapeError as e:
            raise ShapeError(f"{e} (as its {self.field} is {tag!r})") from None


MAX_DEPTH = 32  # objects and lists within each other; the harness's own files nest under 10 deep


def readable(value, where="", depth=0):
    """ShapeError naming the first place in `value` (a document read from JSON, field names
    included) that no reader could show: text that is not valid Unicode (JSON can spell a lone
    surrogate such as "\\udc80", which no UTF-8 file, page or plot can hold), or objects and
    lists nested more than MAX_DEPTH deep."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            where = where or "the document"
            raise ShapeError(f"{where} holds {value!r}, not valid Unicode") from None
        return
    if not isinstance(value, dict | list):
        return
    if depth >= MAX_DEPTH:
        raise ShapeError(f"{where} nests more than {MAX_DEPTH} objects or lists deep")
    if isinstance(value, dict):
        for key, item in value.items():
            readable(key, f"a field name in {where or 'the document'}")
            readable(item, f"{where}.{key}" if where else str(key), depth + 1)
    else:
        for i, item in enumerate(value):
            readable(item, f"{where}[{i}]", depth + 1)
