"""Plain numpy, no graph: the floor every engine's no_grad mode is measured against. Its op is the
same ufunc autograd_core's Square calls, so a gap between them is the engine's overhead alone
(a test holds the two to the same ufuncs)."""

import contextlib

import numpy as np

NAME = "numpy"
ROLE = "reference"  # one variant, called `numpy`: no graph, nothing to switch off
COLOUR = {"no_grad": "#636363"}


def variable(array):
    return array


square = np.square
no_grad = contextlib.nullcontext


def backward(y):
    raise TypeError("plain numpy records no graph: it has no backward")


def version():
    return np.__version__
