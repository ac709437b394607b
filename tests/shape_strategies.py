"""Hypothesis strategies drawn from the harness's shape tables (benchmarks/shapes.py): one walk
over a table's Shape objects gives documents of every shape it accepts, so a field added to a
table is drawn from then on, with no change here. Test-only: hypothesis is a dev dependency.

Text holds MARK, markup the page must escape, in some draws; numbers reach the bounds of their
shape.
"""

import json
import math

from hypothesis import strategies as st

from benchmarks.files import shapes
from benchmarks.workloads import variants as V

MARK = '<i class="injected">'  # found verbatim in a page: a text went in unescaped
SMALL = 3  # items per list or object: enough for pairs, duplicates and order

_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=4)
)
JSON = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=SMALL) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)


def text():
    """Any valid text (hypothesis draws no lone surrogate), markup among it."""
    return st.one_of(
        st.text(max_size=8),
        st.just(MARK),
        st.builds(lambda a, b: a + MARK + b, st.text(max_size=3), st.text(max_size=3)),
    )


def _number(shape):
    """Numbers `shape` accepts, its bounds (and LARGEST, the bound of every number) drawn often."""
    low = shape.low if shape.low is not None else shape.above
    low = -shapes.LARGEST if low is None else low
    high = shapes.LARGEST if shape.high is None else shape.high
    ends = [v for v in (low, high, 0, 1, 1e-9, 1e9) if shape.accepts(v)]
    if shape.whole:
        ends = [int(v) for v in ends if shape.accepts(int(v))]
        drawn = st.integers(min_value=int(low), max_value=int(high))
    else:
        drawn = st.floats(low, high, allow_nan=False, exclude_min=shape.above is not None)
    return st.one_of(drawn, st.sampled_from(ends)) if ends else drawn


def _fits(shape, value):
    return value is not None and shape.accepts(value)


def _record(shape, fixed=None):
    fields = {name: of_shape(inner) for name, inner in shape.fields.items()}
    fields.update({name: st.just(value) for name, value in (fixed or {}).items()})
    required = {n: s for n, s in fields.items() if n in shape.required or n in (fixed or {})}
    optional = {n: s for n, s in fields.items() if n not in required}
    return st.fixed_dictionaries(required, optional=optional)


def of_shape(shape):
    """A strategy for the values `shape` describes (and, for text, some it refuses)."""
    if isinstance(shape, shapes._Number):
        return _number(shape)
    if shape is shapes.TEXT:
        return text()
    if shape is shapes.FLAG:
        return st.booleans()
    if shape is shapes.OBJECT:
        return st.dictionaries(st.text(max_size=4), JSON, max_size=SMALL)
    if isinstance(shape, shapes.one_of):
        return st.sampled_from(shape.values)
    if shape is shapes.NAME:  # the names readers look for (strong-backprop...), and others
        known = st.sampled_from(sorted(V.BY_NAME))
        return known | st.from_regex(shape.pattern, fullmatch=True).filter(lambda t: len(t) < 24)
    if isinstance(shape, shapes.matching):
        return st.from_regex(shape.pattern, fullmatch=True).filter(lambda t: len(t) < 24)
    if isinstance(shape, shapes.nullable):
        return st.none() | of_shape(shape.shape)
    if isinstance(shape, shapes.list_of):
        n = shape.length
        key = shape.key
        unique = (lambda item: item[key]) if key else (json.dumps if shape.unique else None)
        return st.lists(
            of_shape(shape.item),
            min_size=n or 0,
            max_size=n if n is not None else SMALL,
            unique_by=unique,
        )
    if isinstance(shape, shapes.map_of):
        return st.dictionaries(st.text(max_size=4), of_shape(shape.value), max_size=SMALL)
    if isinstance(shape, shapes.record):
        return _record(shape)
    if isinstance(shape, shapes.cases):
        return st.one_of([_record(r, {shape.field: tag}) for tag, r in shape.records.items()])
    if type(shape) is shapes.Shape:  # ANY
        return JSON
    raise TypeError(f"no strategy for {shape!r}: teach of_shape this kind of shape")


def dumps(document):
    """`document` as the JSON text a file would hold; None where JSON cannot hold it."""
    try:
        return json.dumps(document, allow_nan=False)
    except ValueError:
        return None


def finite(value):
    return isinstance(value, int | float) and math.isfinite(value)
