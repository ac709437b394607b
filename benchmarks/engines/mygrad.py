"""mygrad 2.5 (PyPI): numpy-backed tensors whose graph is freed by reference counting; backward
clears the graph it ran through (as PyTorch's retain_graph=False does)."""

import functools

NAME = "mygrad"
PACKAGE = "mygrad"
INSTALL = "pip install -e '.[peers]'"
COLOUR = {"backprop": "#01665e", "backward": "#35978f", "no_grad": "#80cdc1"}


@functools.cache
def _mygrad():
    import mygrad

    return mygrad


def setup():
    _mygrad()  # imported before the loop, so its import lands in the baseline, not the loop


def variable(array):
    # Without copy=False mygrad copies every input: an array the other engines do not make.
    return _mygrad().tensor(array, copy=False)


def square(x):
    return _mygrad().square(x)


def tanh(x):
    return _mygrad().tanh(x)


def backward(y):
    y.backward()


def no_grad():
    return _mygrad().no_autodiff
