"""micrograd 0.1.0 (PyPI), Karpathy's scalar engine: a `Value` holds one Python float, and each
node's `_backward` closure holds the node itself, so every op is a reference cycle that only the
cyclic GC frees, as in our strong graph. It has no no_grad mode, and its backward sorts the graph
with a recursive function, one call deep per node."""

import functools
import sys

NAME = "micrograd"
PACKAGE = "micrograd"
INSTALL = "pip install -e '.[peers]'"
INPUTS = "scalars"
COLOUR = {"backprop": "#8c510a", "backward": "#bf812d", "no_grad": "#dfc27d"}
CANNOT = {
    "classic": "micrograd's Values are single Python floats: it has no arrays of 100,000"
    " elements to square",
}
# Its recursive topological sort goes one call deeper per node: enough for the suite's chains
# of 100,000 ops (Python 3.11+ keeps such calls off the C stack).
RECURSION_LIMIT = 250_000


@functools.cache
def _value():
    from micrograd.engine import Value

    return Value


def setup():
    sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))
    _value()  # imported before the loop, so its import lands in the baseline, not the loop


def variable(x):
    return _value()(float(x))


def square(x):
    return x**2


def backward(y):
    y.backward()
