"""dezero 0.0.13, the book's own package (PyPI): weakref outputs (step 17's graph) and a global
Config. Its package has no square (the book defines it in an early step), so the book's Square
is written on dezero's own Function: dezero's machinery records and runs it."""

import functools

import numpy as np

NAME = "dezero"
PACKAGE = "dezero"
INSTALL = "pip install -e '.[peers]'"
COLOUR = {"backprop": "#1b7837", "backward": "#5aae61", "no_grad": "#a6dba0"}
# dezero 0.0.13 evaluates `np.int` (removed in numpy 1.24) as a default argument in
# dezero/transforms.py at import time; its other uses run only inside dataset code.
SHIM = "numpy.int = int while `import dezero` runs (removed in numpy 1.24; used at import)"


@functools.cache
def _dezero():
    """dezero on a modern numpy, the one alias it needs at import and nothing else; and the
    shim's description, or None when numpy still has np.int."""
    import importlib

    if hasattr(np, "int") or "int" in np.__dict__:
        return importlib.import_module("dezero"), None
    np.int = int
    try:
        return importlib.import_module("dezero"), SHIM
    finally:
        del np.int


def setup():
    _dezero()  # imported before the loop, so its import lands in the baseline, not the loop


@functools.cache
def _square_class():
    dezero = _dezero()[0]

    class Square(dezero.Function):
        def forward(self, x):
            return x**2

        def backward(self, gy):
            (x,) = self.inputs
            return 2 * x * gy

    return Square


def facts():
    return {"dezero_import_shim": _dezero()[1]}


def variable(array):
    return _dezero()[0].Variable(array)


def square(x):
    return _square_class()()(x)


def backward(y, retain_grad=False):
    y.backward(retain_grad=retain_grad)


def no_grad():
    return _dezero()[0].no_grad()
