"""The operations, the functions that apply them (recorded, or not under no_grad), and the
Python operators that call those."""

import numpy as np

from ._config import recording
from ._core import (
    Function,
    Variable,
    _as_array,
    _output,
    as_array,
    as_variable,
)

try:
    # numpy >= 2.3: `out=...` makes a ufunc return a 0-d array for 0-d inputs, where it would
    # return a numpy scalar; converting that back made three recorded squares of a scalar
    # take 15 to 20% longer.
    np.negative(np.zeros(()), out=...)
    _ARRAY = ...
except TypeError:  # older numpy: a new array, and the op converts 0-d results
    _ARRAY = None


def _sum_to(gx, shape):
    # Undo numpy broadcasting: a gradient must have the shape of the input it belongs to.
    if gx.shape == shape:
        return gx
    lead = gx.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1)
    gx = gx.sum(axis=axes, keepdims=True)
    return gx.reshape(shape) if lead else gx


class Square(Function):
    __slots__ = ()
    needs_outputs = False

    @staticmethod
    def forward(x):
        return np.square(x, out=_ARRAY)

    def backward(self, gy):
        # `[()]` gives a 0-d array's value as a numpy scalar (any other array as a view of
        # itself): numpy computes on scalars several times faster than on 0-d arrays (a chain
        # of 1,000 squares of a scalar backpropagated 2.5 times as slowly without it), and a
        # gradient passed on inside a pass need not be an ndarray (docs/semantics.md).
        return 2.0 * self.inputs[0].data[()] * gy


class Exp(Function):
    __slots__ = ()

    @staticmethod
    def forward(x):
        return np.exp(x, out=_ARRAY)

    def backward(self, gy):
        y = self.outputs[0]()
        # The output is alive whenever backward reaches this Function; recompute only if not.
        # `[()]`: see Square.backward.
        return (y.data if y is not None else np.exp(self.inputs[0].data))[()] * gy


class Tanh(Function):
    __slots__ = ()

    @staticmethod
    def forward(x):
        return np.tanh(x, out=_ARRAY)

    def backward(self, gy):
        y = self.outputs[0]()
        # As Exp's: the output, or the input's tanh again if the weak graph freed the output.
        y = (y.data if y is not None else np.tanh(self.inputs[0].data))[()]
        return gy * (1 - y * y)


class Add(Function):
    __slots__ = ()
    needs_outputs = False

    @staticmethod
    def forward(x0, x1):
        return np.add(x0, x1, out=_ARRAY)

    def backward(self, gy):
        x0, x1 = self.inputs
        return _sum_to(gy, x0.data.shape), _sum_to(gy, x1.data.shape)


class Mul(Function):
    __slots__ = ()
    needs_outputs = False

    @staticmethod
    def forward(x0, x1):
        return np.multiply(x0, x1, out=_ARRAY)

    def backward(self, gy):
        x0, x1 = self.inputs
        return _sum_to(gy * x1.data, x0.data.shape), _sum_to(gy * x0.data, x1.data.shape)


class Neg(Function):
    __slots__ = ()
    needs_outputs = False

    @staticmethod
    def forward(x):
        return np.negative(x, out=_ARRAY)

    def backward(self, gy):
        return -gy


class Sub(Function):
    __slots__ = ()
    needs_outputs = False

    @staticmethod
    def forward(x0, x1):
        return np.subtract(x0, x1, out=_ARRAY)

    def backward(self, gy):
        x0, x1 = self.inputs
        return _sum_to(gy, x0.data.shape), _sum_to(-gy, x1.data.shape)


class Div(Function):
    __slots__ = ()
    needs_outputs = False

    @staticmethod
    def forward(x0, x1):
        return np.divide(x0, x1, out=_ARRAY)

    def backward(self, gy):
        x0, x1 = self.inputs
        gx0 = gy / x1.data
        gx1 = gy * (-x0.data / x1.data**2)
        return _sum_to(gx0, x0.data.shape), _sum_to(gx1, x1.data.shape)


class Pow(Function):
    """x ** c for a constant c: differentiated with respect to x only."""

    __slots__ = ("c",)
    needs_outputs = False

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        return x**self.c

    def backward(self, gy):
        x, c = self.inputs[0].data, self.c
        # c * x**(c-1), except where c is 0: x**c is the constant 1 there, with gradient 0,
        # where x**-1 would make it 0 * inf = NaN at x = 0 (and numpy cannot raise integers
        # to -1). x**0 in place of x**-1 gives that 0.
        power = np.where(c == 0, 0, c - 1) if np.ndim(c) else (0 if c == 0 else c - 1)
        # An ndarray exponent may broadcast x up: sum the gradient back to x's shape.
        return _sum_to(c * x**power * gy, x.shape)


class _ConstPow(Function):
    """c ** x for a constant base c (the reflected `**`)."""

    __slots__ = ("c",)
    needs_outputs = False

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        return self.c**x

    def backward(self, gy):
        x, c = self.inputs[0].data, self.c
        if np.any(c == 0):
            # For x > 0, 0**x is the constant 0: its gradient is 0, where y * log(0) is
            # 0 * -inf = NaN. (At x <= 0, where 0**x jumps to 1 and inf, y * log(0) is -inf.)
            with np.errstate(divide="ignore", invalid="ignore"):
                y = c**x
                dy = np.where((c == 0) & (y == 0), 0.0, y * np.log(c))
        else:
            dy = c**x * np.log(c)
        # An ndarray base may broadcast x up: sum the gradient back to x's shape.
        return _sum_to(dy * gy, x.shape)


def _data(x):
    # What an op computes on: a Variable's array, or a number or array the caller passed.
    return x.data if isinstance(x, Variable) else as_array(x)


def unary(cls):
    """`cls` as a function of one input, for a Function whose forward is a staticmethod."""
    forward = cls.forward
    new_function = cls.__new__

    def op(x):
        ref = recording()
        if ref is None:
            # No graph: no Function object, and nothing kept. At 100,000 elements that keeps
            # a no_grad op within a few percent of the bare numpy expression.
            return _output(forward(_data(x)))
        # Function.__call__ for one input and one output, written out with _output inlined:
        # through Function.__call__, three recorded squares of a scalar took twice as long.
        if type(x) is not Variable:
            x = as_variable(x)
        y = forward(x.data)
        if type(y) is not np.ndarray:
            y = _as_array(y)
        f = new_function(cls)
        v = Variable.__new__(Variable)
        v.data, v.name, v.grad, v.creator = y, None, None, f
        v.generation = x.generation + 1
        f.inputs, f.outputs, f._output_meta = [x], [ref(v)], None
        f.generation = x.generation
        return v

    return _named(op, cls)


def binary(cls):
    """`cls` as a function of two inputs: `unary`'s counterpart."""
    forward = cls.forward

    def op(x0, x1):
        if recording() is not None:
            return cls()(x0, x1)
        return _output(forward(_data(x0), _data(x1)))

    return _named(op, cls)


def _named(op, cls):
    op.__name__ = op.__qualname__ = cls.__name__.lower()
    op.__doc__ = f"Apply {cls.__name__}: recorded in the graph unless under no_grad."
    return op


# These forwards keep no state (Pow's and _ConstPow's keep c): staticmethods that the no_grad
# path calls without making a Function object.
square, exp, tanh, neg = unary(Square), unary(Exp), unary(Tanh), unary(Neg)
add, mul, sub, div = binary(Add), binary(Mul), binary(Sub), binary(Div)


def pow(x, c):
    if isinstance(c, Variable):
        raise TypeError(
            "pow(x, c) takes a constant exponent c (a number or ndarray), not a Variable"
        )
    return Pow(c)(x)


Variable.__add__ = Variable.__radd__ = add
Variable.__mul__ = Variable.__rmul__ = mul
Variable.__neg__ = neg
Variable.__sub__ = sub
Variable.__rsub__ = lambda self, other: sub(other, self)
Variable.__truediv__ = div
Variable.__rtruediv__ = lambda self, other: div(other, self)
Variable.__pow__ = pow
Variable.__rpow__ = lambda self, base: _ConstPow(base)(self)
