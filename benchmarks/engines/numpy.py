"""Plain numpy, no graph: the floor every engine's no_grad mode is measured against. Its op is the
ufunc autograd_core's square calls, so a gap between them is the engine's overhead alone
(tests/test_numpy_reference.py holds the two to the same ufuncs)."""

import contextlib

import numpy as np

NAME = "numpy"
ROLE = "reference"  # one variant, called `numpy`: no graph, nothing to switch off
COLOUR = {"no_grad": "#636363"}


def variable(array):
    return array


# `y * y` would be np.multiply, which on some CPUs is 30% slower than np.square on 100,000
# float64: the floor would sit too high.
square = np.square
tanh = np.tanh  # the deep chain's op
no_grad = contextlib.nullcontext


def backward(y):
    raise TypeError("plain numpy records no graph: it has no backward")


def version():
    return np.__version__
