"""The classic loop's engine written the way "Deep Learning from Scratch 3" writes it in steps 16
and 17: plain classes whose attributes live in per-instance dicts, a Function that keeps its
inputs as the tuple `*inputs` made and its outputs in a list. A reference for the report, not a
second engine: `autograd_core` is the engine, this shows what its design choices change.

Step 16 (`book-strong`) keeps the output Variables themselves, so every op is a reference cycle;
step 17 (`book-weak`) keeps `weakref.ref`s to them. Nothing else differs.
"""

import contextlib
import weakref

import numpy as np

NAME = "book"
ROLE = "design"
MODES = ("backprop",)
COLOUR = {"strong": "#67001f", "weak": "#053061"}  # a darker shade of each of ours


def as_array(x):
    if np.isscalar(x):
        return np.array(x)
    return x


class Variable:
    def __init__(self, data):
        if data is not None and not isinstance(data, np.ndarray):
            raise TypeError(f"{type(data).__name__} is not supported")
        self.data = data
        self.grad = None
        self.creator = None
        self.generation = 0

    def set_creator(self, func):
        self.creator = func
        self.generation = func.generation + 1

    def backward(self):
        if self.grad is None:
            self.grad = np.ones_like(self.data)
        funcs = []
        seen = set()

        def add_func(f):
            if f not in seen:
                funcs.append(f)
                seen.add(f)
                funcs.sort(key=lambda x: x.generation)

        add_func(self.creator)
        while funcs:
            f = funcs.pop()
            gys = f.output_grads()
            gxs = f.backward(*gys)
            if not isinstance(gxs, tuple):
                gxs = (gxs,)
            for x, gx in zip(f.inputs, gxs, strict=True):
                x.grad = gx if x.grad is None else x.grad + gx
                if x.creator is not None:
                    add_func(x.creator)


class Function:
    weak = True  # step 17; step 16 keeps the outputs themselves

    def __call__(self, *inputs):
        xs = [x.data for x in inputs]
        ys = self.forward(*xs)
        if not isinstance(ys, tuple):
            ys = (ys,)
        outputs = [Variable(as_array(y)) for y in ys]
        self.generation = max([x.generation for x in inputs])
        for output in outputs:
            output.set_creator(self)
        self.inputs = inputs
        self.outputs = [weakref.ref(output) for output in outputs] if self.weak else outputs
        return outputs if len(outputs) > 1 else outputs[0]

    def output_grads(self):
        if self.weak:
            return [output().grad for output in self.outputs]
        return [output.grad for output in self.outputs]


class Square(Function):
    def forward(self, x):
        return x**2

    def backward(self, gy):
        x = self.inputs[0].data
        return 2 * x * gy


class StrongSquare(Square):
    """Step 16's Square: its Function keeps the list of outputs."""

    weak = False


# The step whose Square the loop uses; a class each, so no instance carries the choice.
_squares = [Square]


@contextlib.contextmanager
def _step(cls):
    _squares.append(cls)
    try:
        yield
    finally:
        _squares.pop()


GRAPHS = {"strong": lambda: _step(StrongSquare), "weak": lambda: _step(Square)}
variable = Variable


def square(x):
    return _squares[-1]()(x)


def backward(y):
    y.backward()


def version():
    return "steps 16 and 17"
