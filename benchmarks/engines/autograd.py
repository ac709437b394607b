"""HIPS autograd (PyPI `autograd`): numpy functions traced inside a `grad` or `make_vjp` call. It
records a graph only inside such a call, so it has one mode, backward, and brings its own loop
step and recording: each iteration is one `grad` call, and the loop keeps only the gradient."""

import numpy as np

NAME = "autograd"
PACKAGE = "autograd"
INSTALL = "pip install -e '.[peers]'"
MODES = ("backward",)
COLOUR = {"backprop": "#762a83", "backward": "#9970ab", "no_grad": "#c2a5cf"}


def setup():
    import autograd.numpy  # noqa: F401 - imported before the loop, so it lands in the baseline


def variable(array):
    return array  # a graph starts inside `grad`, from a plain array


def square(x):
    import autograd.numpy as anp

    return anp.square(x)


class _Recorded:
    """A forward pass recorded by make_vjp, backpropagated by `backward`."""

    def __init__(self, vjp, out):
        self.vjp, self.out = vjp, out

    def backward(self):
        return self.vjp(np.ones_like(self.out))


def record(fn, x):
    import autograd

    return _Recorded(*autograd.make_vjp(fn)(np.asarray(x)))


def backward(recorded):
    return recorded.backward()


def loop_step(mode, depth):
    import autograd
    import autograd.numpy as anp

    def total(x):
        for _ in range(depth):
            x = anp.square(x)
        return anp.sum(x)

    return autograd.grad(total)


def floor_arrays(mode, depth, iters, retain_grad):
    # The loop keeps only the gradient: the chain the tape records and the gradient being made,
    # and from the second iteration on the previous gradient.
    return depth + 2 + (1 if iters > 1 else 0)
