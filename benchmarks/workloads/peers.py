"""The classic workload written for each peer framework, imported only in that peer's own
process (a peer's import would otherwise land in every baseline)."""

import contextlib
import importlib
import operator

import numpy as np

from . import graphs
from .classic import dezero_style_step

# dezero 0.0.13 evaluates `np.int` (removed in numpy 1.24) as a default argument in
# dezero/transforms.py at import time; its other uses run only inside dataset code.
DEZERO_SHIM = "numpy.int = int while `import dezero` runs (removed in numpy 1.24; used at import)"


def import_dezero():
    """dezero 0.0.13 on a modern numpy: the one alias it needs at import, nothing else."""
    if hasattr(np, "int") or "int" in np.__dict__:
        return importlib.import_module("dezero"), None
    np.int = int
    try:
        dezero = importlib.import_module("dezero")
    finally:
        del np.int
    return dezero, DEZERO_SHIM


def import_torch():
    import torch

    # One thread: our core and numpy run on one, and the comparison should be like for like.
    torch.set_num_threads(1)
    return torch


def _torch(mode, depth):
    torch = import_torch()

    def forward(a):
        y = torch.from_numpy(a).requires_grad_(mode != "no_grad")
        for _ in range(depth):
            y = torch.square(y)
        return y

    def backward(a):
        y = forward(a)
        y.backward(torch.ones_like(y))
        return y

    step = backward if mode == "backward" else forward
    # torch's tensor memory never reaches tracemalloc: its traced peak counts the numpy inputs only.
    step.extra = {"torch_threads": torch.get_num_threads(), "tracemalloc_sees_tensors": False}
    settings = torch.no_grad if mode == "no_grad" else contextlib.nullcontext
    return settings, step


def _dezero_square(dezero):
    # dezero's package has no square (the book defines it in an early step): the book's Square
    # on dezero's own Function, so dezero's machinery records and runs it.
    class Square(dezero.Function):
        def forward(self, x):
            return x**2

        def backward(self, gy):
            (x,) = self.inputs
            return 2 * x * gy

    return lambda x: Square()(x)


def _dezero(mode, depth, retain_grad):
    dezero, shim = import_dezero()
    step = dezero_style_step(dezero.Variable, _dezero_square(dezero), mode, depth, retain_grad)
    step.extra = {"dezero_import_shim": shim}
    settings = dezero.no_grad if mode == "no_grad" else contextlib.nullcontext
    return settings, step


def _autograd(mode, depth):
    import autograd
    import autograd.numpy as anp

    def total(x):
        for _ in range(depth):
            x = anp.square(x)
        return anp.sum(x)

    # HIPS autograd records a graph only inside grad(): each iteration is one grad call.
    step = autograd.grad(total)
    return contextlib.nullcontext, step


class _AutogradChain:
    """A recorded HIPS autograd forward pass (make_vjp), backpropagated by `.backward()`."""

    def __init__(self, vjp, out):
        self.vjp, self.out = vjp, out

    def backward(self):
        return self.vjp(np.ones_like(self.out))


def autograd_graph(shape, size, x=graphs.SCALAR):
    """Graph `shape` (see `graphs`) recorded by HIPS autograd's make_vjp, ready for `.backward()`:
    recording is done here, so timing `.backward()` times its backward pass alone."""
    import autograd
    import autograd.numpy as anp

    record = autograd.make_vjp(graphs.function(shape, size, anp.square, anp.add))
    return _AutogradChain(*record(np.array(x)))


def neg_chain(impl, ops, x=graphs.SCALAR):
    """y = -(-(...(-x))) with `ops` negations recorded by peer `impl`, ready for `.backward()`."""
    if impl == "autograd":
        return autograd_graph("neg", ops, x)
    if impl == "torch":
        torch = import_torch()
        y = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    elif impl == "dezero":
        y = import_dezero()[0].Variable(np.array(x))
    else:
        raise ValueError(f"unknown peer {impl!r}; peers: torch, dezero, autograd")
    return graphs.chain(operator.neg, ops)(y)


def build(variant, depth=3, retain_grad=False):
    if variant.impl == "torch":
        return _torch(variant.mode, depth)
    if variant.impl == "dezero":
        return _dezero(variant.mode, depth, retain_grad)
    if variant.impl == "autograd":
        return _autograd(variant.mode, depth)
    raise ValueError(f"unknown peer {variant.impl!r}; peers: torch, dezero, autograd")
