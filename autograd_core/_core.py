"""Variable, Function and the generation-ordered backward pass.

The strong and the weak graph share every line here but one: the reference maker a Function
uses for its outputs (`_config.REF_MAKERS`: `weakref.ref`, or a strong holder called the same way).
"""

import copy
import heapq
import itertools

import numpy as np

from ._config import recording


def as_array(x):
    """`x` as an ndarray: numpy scalars and Python numbers become 0-d arrays. Bools are refused."""
    if isinstance(x, np.ndarray):
        return _not_bool(x)
    if isinstance(x, np.generic) or (np.isscalar(x) and not isinstance(x, (str, bytes))):
        return _not_bool(np.asarray(x))
    raise TypeError(f"expected an ndarray or a number, got {type(x).__name__}")


def _not_bool(a):
    # numpy adds bools as a logical or (True + True is True): a gradient summed in bool is
    # wrong, so bool data is refused where it enters rather than promoted behind the user's back.
    if a.dtype.kind == "b":
        raise TypeError(
            "Variable data must be numbers, got an array of dtype bool (numpy adds bools as "
            "logical or, so gradients would be wrong); cast it first, e.g. x.astype(float)"
        )
    return a


def as_variable(x):
    """`x` as a Variable: Variables pass through; ndarrays and numbers are wrapped."""
    if isinstance(x, Variable):
        return x
    return Variable(as_array(x))


class Variable:
    __slots__ = ("__weakref__", "creator", "data", "generation", "grad", "name")
    # Makes `ndarray <op> Variable` defer to the Variable's reflected operator.
    __array_priority__ = 200

    def __init__(self, data, name=None):
        if data is not None:
            if not isinstance(data, np.ndarray):
                raise TypeError(
                    f"Variable data must be a numpy.ndarray or None, got {type(data).__name__}"
                )
            _not_bool(data)
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

    def backward(self, retain_grad=False, grad=None, retain_graph=True):
        """Backpropagate from this Variable, visiting Functions from the highest generation down.

        The pass starts from `grad` (ones of this Variable's shape if None) and carries only its
        own gradients through the graph: what earlier passes left in `.grad` is never fed
        back in. A leaf adds the gradient it receives to its `.grad`; so does every non-leaf
        reached, this one included, with `retain_grad=True`. With `retain_grad=False` their
        `.grad` is set to None instead. With `retain_graph=False` each Function forgets its
        inputs and outputs once its backward has run, so what they held can go during the
        pass, and a later pass through it raises (docs/semantics.md, "Backward").
        """
        seed = _seed(self, grad)
        f = self.creator
        if f is None:
            self.grad = _accumulated(self.grad, seed)
            return
        # This pass's gradient of every non-leaf that has received some and whose creator has
        # not run yet: the creator takes it out when it runs. No name holds a gradient longer
        # than it is needed: at 100,000 elements, one array more at the peak shows.
        grads = {self: seed}
        del seed
        # Functions found and not yet run, keyed by (-generation, insertion order): O(log V)
        # per Function, and ties keep insertion order so runs are deterministic.
        heap, order, seen = [], itertools.count(), {f}
        chain = _chain_path
        while True:
            gys, kept = _output_grads(f, grads, retain_grad)
            inputs = f.inputs
            gxs = f.backward(*gys)
            del gys, kept
            if not retain_graph:
                f.inputs = f.outputs = None  # what f saved can go now; a later pass raises
            # The chain path: f has one input x, and x's creator c has one output. If nothing
            # else is pending, c is the next Function to run (every Function that could still
            # add to x's gradient has a higher generation than c, so it has run) and cannot be
            # found again (whatever runs later has a lower generation than c). So f's gradient
            # goes straight to c, with no table, heap or `seen` set; the general path below
            # would make the same calls in the same order.
            while chain and not heap and len(inputs) == 1 and type(gxs) is not tuple:
                x = inputs[0]
                c = x.creator
                if c is None or c._output_meta is not None or c.outputs is None:
                    break  # a leaf, several outputs or a freed Function: the general path's
                try:
                    if gxs.shape != x.data.shape:
                        break  # the general path raises the error
                except AttributeError:  # None or a Python number: the general path's cases
                    break
                x.grad = _accumulated(x.grad, gxs) if retain_grad else None
                f = c
                inputs = f.inputs
                if not (retain_graph or f.needs_outputs):
                    # x is f's output, and the Function that consumed it has let go of it:
                    # unless f's backward reads it, so must this name (an array less at the peak).
                    del x
                gxs = f.backward(gxs)
                if not retain_graph:
                    f.inputs = f.outputs = None
            _pass_on(f, inputs, gxs, grads, heap, seen, order)
            # The gradients are in `grads` now: a name holding one here would keep it alive
            # through the next Function's backward.
            del inputs, gxs
            if not heap:
                break
            f = heapq.heappop(heap)[2]
        # Every non-leaf's creator has run and taken its gradient: what is left is the leaves'.
        # They receive it only now, so a pass that raises leaves every leaf's .grad as it was.
        for x, g in grads.items():
            x.grad = _accumulated(x.grad, g)

    def __reduce__(self):
        # Pickling (and copy, deepcopy) gives a detached leaf: the graph is never copied. A
        # copied graph would share Functions with the original, or in the weak graph hold
        # weakrefs to the original's outputs, and backpropagate into the wrong Variables.
        return _leaf, (self.data, self.name, self.grad)

    def __copy__(self):
        return _leaf(_copy_array(self.data), self.name, _copy_array(self.grad))

    def __deepcopy__(self, memo):
        return _leaf(copy.deepcopy(self.data, memo), self.name, copy.deepcopy(self.grad, memo))


class Function:
    """An operation that records itself as the creator of its outputs.

    Subclasses write `forward(self, *arrays)` and `backward(self, *grads)`, each returning one
    array or a tuple; in `backward`, `self.inputs` holds the input Variables.
    """

    __slots__ = ("__weakref__", "_output_meta", "generation", "inputs", "outputs")
    # Whether backward reads the outputs (`self.outputs[0]()`). A pass that frees the graph
    # (retain_graph=False) keeps them alive until this Function's backward has run only if it
    # does; otherwise an output goes as soon as the Functions that consumed it have run. True
    # unless a Function says otherwise, so one written in the book's style keeps working.
    needs_outputs = True

    def __call__(self, *inputs):
        inputs = [as_variable(x) for x in inputs]
        ys = self.forward(*[x.data for x in inputs])
        outputs = [_output(y) for y in (ys if isinstance(ys, tuple) else (ys,))]
        ref = recording()
        if ref is None:
            # Keeping nothing lets intermediates die as soon as the next op has consumed them.
            self.inputs = self.outputs = self._output_meta = None
            self.generation = 0
        else:
            self.generation = max([x.generation for x in inputs])
            for y in outputs:
                y.creator = self
                y.generation = self.generation + 1
            self.inputs = inputs
            self.outputs = [ref(y) for y in outputs]
            # A lone output is alive and has a grad whenever backward reaches its Function;
            # only one of several can be missing or freed then, and gets zeros of this shape.
            if len(outputs) == 1:
                self._output_meta = None
            else:
                self._output_meta = [(y.data.shape, y.data.dtype) for y in outputs]
        return outputs[0] if len(outputs) == 1 else outputs

    def __reduce_ex__(self, protocol):
        # Copying a Function would copy (or, in the weak graph, alias) part of a graph.
        raise TypeError(
            f"a {type(self).__name__} Function cannot be pickled or copied; copy or pickle "
            "its Variables instead (each comes back as a leaf, detached from the graph)"
        )

    def forward(self, *xs):
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def backward(self, *gys):
        raise NotImplementedError(f"{type(self).__name__} must implement backward()")


def _leaf(data, name, grad):
    """A Variable with no creator: what a copied or unpickled Variable becomes."""
    v = Variable(data, name)
    v.grad = grad
    return v


def _copy_array(a):
    return None if a is None else a.copy()


def _seed(y, grad):
    """The gradient a pass starts from: ones of y's shape, or `grad` if it has that shape."""
    if grad is None:
        # Ones as a read-only view of one number: 8 bytes where `ones_like` makes a whole
        # array, one array less at the peak of backward. `_accumulated` copies it before any
        # `.grad` can hold it.
        return np.broadcast_to(np.ones((), y.data.dtype), y.data.shape)
    grad = as_array(grad)
    if grad.shape != y.data.shape:
        raise ValueError(
            f"backward: grad has shape {grad.shape}, but the Variable has shape {y.data.shape}"
        )
    return grad


def _accumulated(old, g):
    """What `.grad` holds after receiving `g`: an ndarray that may be written to, never a numpy
    scalar or a read-only view."""
    if old is not None:
        g = old + g  # `+`, never `+=`: the old array may also be another Variable's grad
    elif type(g) is np.ndarray and not g.flags.writeable:
        g = g.copy()  # the seed (see _seed), or a read-only array a Function returned
    return g if type(g) is np.ndarray else as_array(g)


def _output_grads(f, grads, retain_grad):
    """This pass's gradients of f's outputs, taken out of `grads`, and the outputs themselves
    if f's backward reads them (else None: see Function.needs_outputs). Each output's `.grad`
    gets its gradient added (`retain_grad`) or set to None."""
    if f.outputs is None:
        raise RuntimeError(
            f"backward reached a {type(f).__name__} whose saved inputs and outputs were freed "
            "by an earlier backward(retain_graph=False); to run backward through a graph "
            "again, pass retain_graph=True to the passes before the last"
        )
    ys = [ref() for ref in f.outputs]
    gys = []
    for i, y in enumerate(ys):
        g = None if y is None else grads.pop(y, None)
        if g is None:
            # Only an output of several can get no gradient or be freed by the weak graph
            # (a lone output is alive and has one whenever its creator is reached): zeros.
            shape, dtype = f._output_meta[i]
            g = np.zeros(shape, dtype)
        else:
            y.grad = _accumulated(y.grad, g) if retain_grad else None
        gys.append(g)
    return gys, ys if f.needs_outputs else None


def _pass_on(f, inputs, gxs, grads, heap, seen, order):
    """Add each of f's inputs' gradients from `gxs` to this pass's `grads`; the creator of an
    input joins the heap the first time."""
    if type(gxs) is not tuple:
        gxs = (gxs,)
    if len(gxs) != len(inputs):
        raise ValueError(
            f"{type(f).__name__}.backward returned {len(gxs)} gradients for {len(inputs)} inputs"
        )
    for i, (x, gx) in enumerate(zip(inputs, gxs, strict=True)):
        if gx is None:
            continue
        gx = _checked_grad(f, i, x, gx)
        # `+`, never `+=`: the old array may also be another Variable's grad.
        grads[x] = grads[x] + gx if x in grads else gx
        creator = x.creator
        if creator is not None and creator not in seen:
            seen.add(creator)
            heapq.heappush(heap, (-creator.generation, next(order), creator))


def _checked_grad(f, i, x, gx):
    """`gx`, checked to have the shape of `f`'s input `i`, `x` (broadcasting ops sum their
    gradients back to their inputs' shapes first: the check comes after)."""
    try:
        shape = gx.shape
    except AttributeError:  # a Python number
        gx = as_array(gx)
        shape = gx.shape
    if shape != x.data.shape:
        raise ValueError(
            f"{type(f).__name__}.backward returned a gradient of shape {shape} for input {i}, "
            f"whose shape is {x.data.shape}"
        )
    return gx


# Whether backward may take its chain path; the tests turn it off to compare the two paths.
_chain_path = True


def _output(y):
    """A Function's result as a Variable: Variable() without its checks of user input, which
    the engine's own results need not pass."""
    v = Variable.__new__(Variable)
    v.data = y if type(y) is np.ndarray else _as_array(y)
    v.name = v.grad = v.creator = None
    v.generation = 0
    return v


def _as_array(y):
    # numpy's ufuncs give scalars for 0-d inputs: asarray is all they need (as_array, for any
    # other type a Function returns, raises on what is not a number).
    return np.asarray(y) if isinstance(y, np.generic) else as_array(y)
