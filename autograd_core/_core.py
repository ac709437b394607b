"""Variable, Function and the generation-ordered backward pass.

The strong and the weak graph share every line here but one: the reference maker a Function
uses for its outputs (`weakref.ref`, or `_StrongRef` with the same call interface).
"""
import heapq
import itertools
import weakref

import numpy as np

from ._config import _settings


class _StrongRef:
    """Holds an object the way `weakref.ref` would be called, but keeps it alive.

    A Function holding its outputs this way and each output holding its creator is the
    Variable <-> Function reference cycle of the strong graph.
    """

    __slots__ = ("_obj",)

    def __init__(self, obj):
        self._obj = obj

    def __call__(self):
        return self._obj


_REF_MAKERS = {"weak": weakref.ref, "strong": _StrongRef}


def as_array(x):
    """`x` as an ndarray: numpy scalars and Python numbers become 0-d arrays."""
    if isinstance(x, np.ndarray):
        return x
    if np.isscalar(x) and not isinstance(x, (str, bytes)):
        return np.asarray(x)
    raise TypeError(f"expected an ndarray or a number, got {type(x).__name__}")


def as_variable(x):
    """`x` as a Variable: Variables pass through; ndarrays and numbers are wrapped."""
    if isinstance(x, Variable):
        return x
    return Variable(as_array(x))


class Variable:
    __slots__ = ("data", "name", "grad", "creator", "generation", "__weakref__")
    # Makes `ndarray <op> Variable` defer to the Variable's reflected operator.
    __array_priority__ = 200

    def __init__(self, data, name=None):
        if data is not None and not isinstance(data, np.ndarray):
            raise TypeError(f"Variable data must be a numpy.ndarray or None, got {type(data).__name__}")
        self.data = data
        self.name = name
        self.grad = None
        self.creator = None
        self.generation = 0

    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)
    dtype = property(lambda self: self.data.dtype)

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        if self.data is None:
            return "variable(None)"
        return "variable(" + str(self.data).replace("\n", "\n" + " " * 9) + ")"

    def cleargrad(self):
        self.grad = None

    def backward(self, retain_grad=False):
        """Backpropagate from this Variable, visiting Functions from the highest generation down.

        With `retain_grad=False` every non-leaf gradient is dropped once its Function has run.
        """
        if self.grad is None:
            self.grad = np.ones_like(self.data)
        f = self.creator
        if f is None:
            return
        # Heap keyed by (-generation, insertion order): O(log V) per Function, and ties keep
        # insertion order so runs are deterministic.
        order = itertools.count()
        heap = [(-f.generation, next(order), f)]
        seen = {f}
        while heap:
            f = heapq.heappop(heap)[2]
            outputs = [ref() for ref in f.outputs]
            gys = [_grad_or_zeros(y, meta) for y, meta in zip(outputs, f._output_meta)]
            gxs = f.backward(*gys)
            if not isinstance(gxs, tuple):
                gxs = (gxs,)
            if len(gxs) != len(f.inputs):
                raise ValueError(
                    f"{type(f).__name__}.backward returned {len(gxs)} gradients "
                    f"for {len(f.inputs)} inputs"
                )
            for x, gx in zip(f.inputs, gxs):
                if gx is None:
                    continue
                if not isinstance(gx, np.ndarray):
                    gx = as_array(gx)
                # `+`, never `+=`: the old array may also be another Variable's grad.
                x.grad = gx if x.grad is None else x.grad + gx
                creator = x.creator
                if creator is not None and creator not in seen:
                    seen.add(creator)
                    heapq.heappush(heap, (-creator.generation, next(order), creator))
            if not retain_grad:
                for y in outputs:
                    if y is not None:
                        y.grad = None


def _grad_or_zeros(y, meta):
    # An output that got no gradient, or that the weak graph already freed, contributes zeros.
    if y is not None and y.grad is not None:
        return y.grad
    shape, dtype = meta
    return np.zeros(shape, dtype)


class Function:
    """An operation that records itself as the creator of its outputs.

    Subclasses write `forward(self, *arrays)` and `backward(self, *grads)`, each returning one
    array or a tuple; in `backward`, `self.inputs` holds the input Variables.
    """

    __slots__ = ("inputs", "outputs", "generation", "_output_meta", "__weakref__")

    def __call__(self, *inputs):
        inputs = [x if type(x) is Variable else as_variable(x) for x in inputs]
        ys = self.forward(*[x.data for x in inputs])
        if not isinstance(ys, tuple):
            ys = (ys,)
        outputs = [Variable(y if type(y) is np.ndarray else as_array(y)) for y in ys]
        if _settings.enable_backprop:
            self.generation = generation = max([x.generation for x in inputs])
            for y in outputs:
                y.creator = self
                y.generation = generation + 1
            self.inputs = inputs
            ref = _REF_MAKERS[_settings.graph]
            self.outputs = [ref(y) for y in outputs]
            self._output_meta = [(y.data.shape, y.data.dtype) for y in outputs]
        else:
            # Keeping nothing lets intermediates die as soon as the next op has consumed them.
            self.inputs = self.outputs = None
            self.generation = 0
        return outputs if len(outputs) > 1 else outputs[0]

    def forward(self, *xs):
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def backward(self, *gys):
        raise NotImplementedError(f"{type(self).__name__} must implement backward()")
