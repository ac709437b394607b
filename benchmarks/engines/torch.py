"""PyTorch, the engine most users know. Its saved tensors are packed without their grad_fn, so its
graph has no reference cycles, and backward frees what the graph saved (retain_graph=False, its
default): `torch-backward` is already what our `-free` variants measure, so PyTorch has no
`-free` variant of its own (its backward here takes no retain_graph). Checkpoints are
`torch.utils.checkpoint`'s, without the reentrant autograd (PyTorch's recommendation). Its
tensors are allocated in C++: tracemalloc sees only the numpy arrays given to it."""

import functools

import numpy as np

NAME = "torch"
PACKAGE = "torch"
INSTALL = "pip install -e '.[peers]'"
TRACED = False
COLOUR = {"backprop": "#d95f02", "backward": "#f29e4c", "no_grad": "#fdd0a2"}


@functools.cache
def _torch():
    import torch

    return torch


def setup():
    # One thread: our core and numpy run on one, and the comparison should be like for like.
    _torch().set_num_threads(1)


def warm_up():
    # The first backward() given a gradient imports sympy and torch.fx (30 MiB alive, seconds
    # of CPU): once, before the loop, so a backward loop measures the graph and not that import.
    backward(square(variable(np.ones(2))))


def facts():
    return {"torch_threads": _torch().get_num_threads()}


def variable(array):
    return _torch().from_numpy(array).requires_grad_()


def square(x):
    return _torch().square(x)


def tanh(x):
    return _torch().tanh(x)


def backward(y):
    y.backward(_torch().ones_like(y))


def no_grad():
    return _torch().no_grad()


def checkpoint(fn, x):
    from torch.utils.checkpoint import checkpoint as recompute

    return recompute(fn, x, use_reentrant=False)
