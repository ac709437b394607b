"""The classic loop's engine written the way "Deep Learning from Scratch 3" writes it in steps 16
and 17: plain classes whose attributes live in per-instance dicts, a Function that keeps its
inputs as the tuple `*inputs` made and its outputs in a list. It is a reference for the report,
not a second engine: `autograd_core` is the engine, this shows what its design choices change.

Step 16 (`book-strong`) keeps the output Variables themselves, so every op is a reference cycle;
step 17 (`book-weak`) keeps `weakref.ref`s to them. Nothing else differs.
"""

import weakref

import numpy as np


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


SQUARES = {"strong": StrongSquare, "weak": Square}


def square_op(graph):
    """The book's `square(x)` for `graph` ("strong": step 16, "weak": step 17)."""
    try:
        cls = SQUARES[graph]
    except KeyError:
        raise ValueError(f"graph must be one of {', '.join(SQUARES)}, not {graph!r}") from None
    return lambda x: cls()(x)
