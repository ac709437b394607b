"""Plain numpy, no graph: the floor every engine's no_grad mode is measured against. Its op is the
ufunc autograd_core's square declares, read from the op itself, so a gap between them is the
engine's overhead alone, whatever the op is changed to."""

import contextlib

import numpy as np

import autograd_core as ag

NAME = "numpy"
ROLE = "reference"  # one variant, called `numpy`: no graph, nothing to switch off
COLOUR = {"no_grad": "#636363"}


def declared_ufunc(op):
    """The numpy ufunc an op's Function declares (`Function.ufunc`): what it computes with.

    Read from the Function one recorded call makes, so the reference calls what the op calls.
    """
    with ag.using_config("enable_backprop", True):
        ufunc = type(op(ag.Variable(np.zeros(()))).creator).ufunc
    if ufunc is None:
        raise ValueError(f"{op.__name__} declares no numpy ufunc to compare it with")
    return ufunc


def variable(array):
    return array


# `y * y` would be np.multiply, which on some CPUs is 30% slower than np.square on 100,000
# float64: the floor would sit too high.
square = declared_ufunc(ag.square)
no_grad = contextlib.nullcontext


def backward(y):
    raise TypeError("plain numpy records no graph: it has no backward")


def version():
    return np.__version__
