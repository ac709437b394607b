"""The backward pass: docs/semantics.md's rules, generation order, deep graphs, custom Functions."""

import gc
import re
import weakref

import numpy as np
import pytest

from autograd_core import (
    Config,
    Function,
    Variable,
    _ops,
    add,
    checkpoint,
    checkpoint_chain,
    exp,
    mul,
    neg,
    no_grad,
    square,
    sub,
    tanh,
    using_config,
)


def scalar(v):
    return Variable(np.array(v, dtype=np.float64))


# --- docs/semantics.md examples ----------------------------------------------------------


def test_diamond():
    x = scalar(2.0)
    a = square(x)
    y = add(square(a), square(a))
    y.backward()
    assert y.data == 32.0
    assert x.grad == 64.0


def test_variable_used_twice_gets_the_sum():
    x = scalar(3.0)
    add(x, x).backward()
    assert x.grad == 2.0
    # numpy makes a scalar of the sum of two 0-d arrays: the grad must stay an ndarray.
    assert type(x.grad) is np.ndarray and x.grad.shape == ()


def test_variable_used_three_times_gets_the_sum():
    x = scalar(3.0)
    add(add(x, x), x).backward()
    assert x.grad == 3.0


def test_grads_accumulate_across_calls_until_cleargrad():
    x = scalar(3.0)
    add(x, x).backward()
    assert x.grad == 2.0
    y = add(add(x, x), x)
    y.backward()
    assert x.grad == 5.0
    x.cleargrad()
    assert x.grad is None
    y.backward()
    assert x.grad == 3.0


def test_accumulating_into_a_grad_keeps_the_seed_intact():
    # add(x, x) hands the same gradient array to x twice; the first one may be y's own seed.
    x = scalar(3.0)
    y = add(x, x)
    y.backward(retain_grad=True)
    assert x.grad == 2.0
    assert y.grad == 1.0


def test_accumulation_never_mutates_a_shared_grad_array():
    x0 = Variable(np.array([1.0, 2.0]))
    x1 = Variable(np.array([3.0, 4.0]))
    add(x0, x1).backward()
    shared = x1.grad
    x0_first = x0.grad
    before = shared.copy()
    mul(x0, 3.0).backward()
    np.testing.assert_array_equal(x0.grad, [4.0, 4.0])
    # Whatever arrays the first pass shared between grads, none of them was written to.
    assert x1.grad is shared
    np.testing.assert_array_equal(shared, before)
    np.testing.assert_array_equal(x0_first, [1.0, 1.0])


def test_accumulation_leaves_an_array_the_user_shared_alone():
    g = np.array([1.0, 1.0])
    a = Variable(np.array([1.0, 2.0]))
    b = Variable(np.array([5.0, 6.0]))
    a.grad = g
    b.grad = g
    square(a).backward()
    np.testing.assert_array_equal(a.grad, [3.0, 5.0])
    assert b.grad is g
    np.testing.assert_array_equal(g, [1.0, 1.0])


def test_retain_grad_false_keeps_only_leaf_grads():
    x0, x1 = scalar(1.0), scalar(1.0)
    t = add(x0, x1)
    y = add(x0, t)
    y.backward()
    assert y.grad is None
    assert t.grad is None
    assert x0.grad == 2.0
    assert x1.grad == 1.0


def test_retain_grad_true_keeps_every_grad():
    x0, x1 = scalar(1.0), scalar(1.0)
    t = add(x0, x1)
    y = add(x0, t)
    y.backward(retain_grad=True)
    assert y.grad == 1.0
    assert t.grad == 1.0
    assert x0.grad == 2.0
    assert x1.grad == 1.0


def test_sum_of_squares():
    x, y = scalar(1.0), scalar(1.0)
    z = x**2 + y**2
    z.backward()
    assert (x.grad, y.grad) == (2.0, 2.0)


def test_matyas():
    x, y = scalar(1.0), scalar(1.0)
    z = 0.26 * (x**2 + y**2) - 0.48 * x * y
    z.backward()
    assert x.grad == pytest.approx(0.04)
    assert y.grad == pytest.approx(0.04)


def test_generations():
    x = scalar(2.0)
    a = square(x)
    b = add(a, x)
    assert (x.generation, a.generation, b.generation) == (0, 1, 2)
    assert x.creator is None
    assert (a.creator.generation, b.creator.generation) == (0, 1)
    assert b.creator.inputs == [a, x]


# --- generation order ---------------------------------------------------------------------


class Logged(Function):
    """x -> k * x, logging each backward call so tests can count and order them."""

    def __init__(self, log, k=2.0):
        self.log = log
        self.k = k

    def forward(self, x):
        return self.k * x

    def backward(self, gy):
        self.log.append(self)
        return self.k * gy


class LoggedSquare(Logged):
    def forward(self, x):
        return x * x

    def backward(self, gy):
        self.log.append(self)
        return 2.0 * self.inputs[0].data * gy


def test_diamond_runs_each_function_once_after_its_consumers():
    log = []
    x = scalar(2.0)
    a = LoggedSquare(log)(x)
    b, c = LoggedSquare(log)(a), LoggedSquare(log)(a)
    y = add(b, c)
    y.backward()
    assert x.grad == 64.0
    assert len(log) == 3 and set(log) == {a.creator, b.creator, c.creator}
    assert log[-1] is a.creator


def test_wide_uneven_graph_runs_each_function_once_in_generation_order():
    # Branches of depths 1..20 all start at `a`, so a's Function has 20 consumers at 20
    # different generations; visiting it before all of them would lose gradient.
    log = []
    x = scalar(1.0)
    a = Logged(log)(x)
    ends = []
    for depth in range(1, 21):
        v = a
        for _ in range(depth):
            v = Logged(log)(v)
        ends.append(v)
    y = ends[0]
    for v in ends[1:]:
        y = add(y, v)
    y.backward()
    assert len(log) == 1 + sum(range(1, 21))
    assert len(set(log)) == len(log)
    gens = [f.generation for f in log]
    assert gens == sorted(gens, reverse=True)
    assert log[-1] is a.creator
    # y = sum_k 2**k * (2 * x) for k = 1..20
    assert x.grad == 2.0 * (2.0**21 - 2.0)


@pytest.mark.parametrize("graph", ["weak", "strong"])
def test_deep_chain_backward_and_delete(graph):
    # 100,000 ops: a recursive backward (or a recursive free) would overflow the stack.
    n = 100_000
    x = Variable(np.array([1.0, -2.0]))
    with using_config("graph", graph):
        y = neg(x)
        first = weakref.ref(y.creator)
        for _ in range(n - 1):
            y = neg(y)
    assert y.generation == n
    np.testing.assert_array_equal(y.data, x.data)  # an even number of negations
    y.backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])
    del y
    if graph == "strong":
        gc.collect()  # the strong graph is 100,000 cycles: only the cyclic GC frees them
    assert first() is None


def test_backward_on_a_leaf_seeds_ones():
    x = Variable(np.array([1.0, 2.0], dtype=np.float32))
    assert x.backward() is None
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def test_backward_on_a_no_grad_output_seeds_ones_only():
    x = Variable(np.array([1.0, 2.0]))
    with no_grad():
        y = square(x)
    assert y.backward() is None
    np.testing.assert_array_equal(y.grad, [1.0, 1.0])
    assert x.grad is None


# --- custom Functions ---------------------------------------------------------------------


class Split(Function):
    """Two outputs of different shapes and dtypes: 2x, and x's first two elements as float32."""

    def __init__(self):
        self.gys = None

    def forward(self, x):
        return 2.0 * x, x[:2].astype(np.float32)

    def backward(self, g0, g1):
        self.gys = (g0, g1)
        gx = 2.0 * g0
        gx[:2] += g1
        return gx


def test_multi_output_function_records_both_outputs():
    x = Variable(np.array([1.0, 2.0, 3.0]))
    f = Split()
    y0, y1 = f(x)
    assert y0.creator is f and y1.creator is f
    assert y0.generation == y1.generation == 1
    assert y1.dtype == np.float32


def test_unused_output_gets_zeros_of_its_shape_and_dtype():
    x = Variable(np.array([1.0, 2.0, 3.0]))
    f = Split()
    y0, y1 = f(x)
    y0.backward()
    g1 = f.gys[1]
    assert g1.shape == (2,) and g1.dtype == np.float32
    assert not g1.any()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])

    x.cleargrad()
    y1.backward()
    g0 = f.gys[0]
    assert g0.shape == (3,) and g0.dtype == np.float64
    assert not g0.any()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0, 0.0])


@pytest.mark.parametrize("graph", ["weak", "strong"])
def test_deleted_output_gets_zeros(graph):
    x = Variable(np.array([1.0, 2.0, 3.0]))
    f = Split()
    with using_config("graph", graph):
        y0, y1 = f(x)
    probe = weakref.ref(y1)
    del y1
    # The weak graph lets the unused output go at once; the strong graph holds it.
    assert (probe() is None) == (graph == "weak")
    y0.backward()
    g1 = f.gys[1]
    assert g1.shape == (2,) and g1.dtype == np.float32 and not g1.any()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


class Add2(Function):
    def __init__(self, n_grads):
        self.n_grads = n_grads

    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        grads = (gy,) * self.n_grads
        return grads[0] if self.n_grads == 1 else grads


@pytest.mark.parametrize("n_grads", [1, 3])
def test_wrong_number_of_gradients_raises(n_grads):
    y = Add2(n_grads)(scalar(1.0), scalar(2.0))
    with pytest.raises(ValueError, match=f"{n_grads} gradients for 2 inputs"):
        y.backward()


class Total(Function):
    def __init__(self, as_float=False):
        self.as_float = as_float

    def forward(self, x):
        s = x.sum()  # a numpy scalar, not an array
        return float(s) if self.as_float else s

    def backward(self, gy):
        return np.ones_like(self.inputs[0].data) * gy


@pytest.mark.parametrize("as_float", [False, True], ids=["numpy-scalar", "python-float"])
def test_scalar_results_become_0d_arrays(as_float):
    x = Variable(np.array([1.0, 2.0, 3.0]))
    y = Total(as_float)(x)
    assert type(y.data) is np.ndarray
    assert y.shape == () and y.data == 6.0
    y.backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0, 1.0])


@pytest.mark.parametrize(
    "op",
    [square, exp, neg, lambda x: add(x, x), lambda x: mul(x, 2.0), lambda x: sub(1.0, x)],
    ids=["square", "exp", "neg", "add", "mul", "sub"],
)
def test_builtin_ops_on_0d_give_0d_arrays(op):
    x = scalar(0.5)
    y = op(x)
    assert type(y.data) is np.ndarray and y.shape == ()
    y.backward()
    assert type(x.grad) is np.ndarray and x.grad.shape == ()


# --- repeated passes and the seed (docs/semantics.md, "Backward") ---------------------------


@pytest.mark.parametrize("graph", ["weak", "strong"])
def test_each_pass_propagates_its_own_gradient_only(graph):
    # y = x**4 at x = 3: dy/dx = 108. A second pass must add 108 again, however much the first
    # pass retained in the intermediates' .grad.
    x = scalar(3.0)
    with using_config("graph", graph):
        a = square(x)
        y = square(a)
    y.backward(retain_grad=True)
    assert (x.grad, a.grad, y.grad) == (108.0, 18.0, 1.0)
    y.backward(retain_grad=True)
    # Retained grads accumulate across passes like the leaves' do, as in PyTorch.
    assert (x.grad, a.grad, y.grad) == (216.0, 36.0, 2.0)
    y.backward()
    assert x.grad == 324.0
    assert a.grad is None and y.grad is None  # retain_grad=False drops the non-leaf grads
    for v in (x, a, y):
        assert type(v.grad) in (np.ndarray, type(None))


def test_a_retained_grad_is_not_fed_into_a_pass_from_another_root():
    x = scalar(3.0)
    a = square(x)
    y = neg(a)
    y.backward(retain_grad=True)
    assert (x.grad, a.grad) == (-6.0, -1.0)
    x.cleargrad()
    a.backward()  # a pass from a starts from ones, not from what a retained
    assert x.grad == 6.0


def test_a_user_set_grad_on_a_non_leaf_is_not_the_seed():
    x = scalar(3.0)
    y = square(x)
    y.grad = np.array(10.0)
    y.backward(retain_grad=True)
    assert x.grad == 6.0
    assert y.grad == 11.0  # retain_grad accumulates the seed into y.grad


@pytest.mark.parametrize("retain_grad", [False, True])
def test_backward_takes_a_seed(retain_grad):
    x = Variable(np.array([1.0, 2.0]))
    y = square(x)
    seed = np.array([3.0, 0.5])
    y.backward(retain_grad=retain_grad, grad=seed)
    np.testing.assert_array_equal(x.grad, [6.0, 2.0])
    if retain_grad:
        np.testing.assert_array_equal(y.grad, seed)
    else:
        assert y.grad is None
    np.testing.assert_array_equal(seed, [3.0, 0.5])  # the caller's array is left alone


def test_a_seed_on_a_leaf_accumulates_into_its_grad():
    x = scalar(2.0)
    x.backward(grad=3.0)
    x.backward(grad=np.float64(0.5))
    assert x.grad == 3.5 and type(x.grad) is np.ndarray


@pytest.mark.parametrize("seed", [np.ones(3), np.ones((2, 1)), np.array(1.0)])
def test_a_seed_of_the_wrong_shape_raises(seed):
    x = Variable(np.array([1.0, 2.0]))
    y = square(x)
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        y.backward(grad=seed)
    assert x.grad is None


# --- gradient shapes ------------------------------------------------------------------------


class WrongShape(Function):
    """x0 * x1 whose gradient for input `bad` has `shape` instead of that input's shape."""

    def __init__(self, bad, shape):
        self.bad = bad
        self.shape = shape

    def forward(self, x0, x1):
        return x0 * x1

    def backward(self, gy):
        x0, x1 = self.inputs
        gxs = [gy * x1.data, gy * x0.data]
        gxs[self.bad] = np.ones(self.shape)
        return tuple(gxs)


@pytest.mark.parametrize(
    ("bad", "shape"), [(0, (2,)), (1, (4,)), (0, ()), (1, (2, 3)), (1, (1, 3))]
)
def test_a_gradient_of_the_wrong_shape_raises_naming_the_function_and_the_input(bad, shape):
    x0 = Variable(np.array([1.0, 2.0, 3.0]))
    x1 = Variable(np.array([4.0, 5.0, 6.0]))
    y = WrongShape(bad, shape)(x0, x1)
    message = rf"WrongShape.backward returned a gradient of shape {re.escape(str(shape))} for "
    message += rf"input {bad}, whose shape is \(3,\)"
    with pytest.raises(ValueError, match=message):
        y.backward()


def test_a_python_number_is_a_0d_gradient():
    class Half(Function):
        def forward(self, x):
            return x / 2

        def backward(self, gy):
            return 0.5

    x = scalar(4.0)
    Half()(x).backward()
    assert x.grad == 0.5 and type(x.grad) is np.ndarray
    y = Variable(np.array([4.0]))
    with pytest.raises(ValueError, match=r"Half.backward.*shape \(\) for input 0"):
        Half()(y).backward()


def test_broadcasting_ops_are_checked_after_summing_back_to_the_input_shape():
    x = Variable(np.array([1.0, 2.0, 3.0]))
    c = Variable(np.array([[1.0], [2.0]]))
    y = mul(add(x, c), 2.0)
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 4.0, 4.0])
    np.testing.assert_array_equal(c.grad, [[6.0], [6.0]])


@pytest.mark.parametrize("array_out", [True, False], ids=["out=...", "numpy<2.3"])
@pytest.mark.parametrize("recorded", [True, False], ids=["recorded", "no_grad"])
def test_0d_results_are_arrays_with_or_without_ufunc_array_output(monkeypatch, array_out, recorded):
    # Before numpy 2.3 ufuncs have no `out=...`: the built-in forwards then give numpy scalars
    # for 0-d inputs, which the ops turn into 0-d arrays.
    if not array_out:
        monkeypatch.setattr(_ops, "_ARRAY", None)
    x = scalar(0.5)
    with using_config("enable_backprop", recorded):
        for y in (square(x), exp(x), tanh(x), neg(x), add(x, x), mul(x, x), sub(x, 1.0), x / 2.0):
            assert type(y.data) is np.ndarray and y.shape == ()
            assert (y.creator is not None) is recorded


# --- retain_graph (docs/semantics.md, "Freeing the graph") --------------------------------


@pytest.mark.parametrize("graph", ["weak", "strong"])
def test_a_second_backward_through_a_freed_graph_raises(graph):
    x = scalar(3.0)
    with using_config("graph", graph):
        y = square(square(x))
    y.backward(retain_graph=False)
    assert x.grad == 108.0
    with pytest.raises(RuntimeError, match=r"freed.*retain_graph=True") as info:
        y.backward()
    assert "Square" in str(info.value)
    assert x.grad == 108.0  # the failed pass changed no gradient


@pytest.mark.parametrize("graph", ["weak", "strong"])
def test_a_pass_that_meets_a_freed_function_leaves_every_leaf_grad_as_it_was(graph):
    # y2 reaches x directly (through add) before it reaches the square that y1's pass freed:
    # x must not keep half of y2's gradient.
    x = scalar(3.0)
    with using_config("graph", graph):
        a = square(x)
        y1 = neg(a)
        y2 = add(exp(a), x)
    y1.backward(retain_graph=False)
    assert x.grad == -6.0
    with pytest.raises(RuntimeError, match="retain_graph"):
        y2.backward()
    assert x.grad == -6.0


@pytest.mark.parametrize("graph", ["weak", "strong"])
def test_retain_graph_true_keeps_the_graph_for_another_pass(graph):
    x = scalar(3.0)
    with using_config("graph", graph):
        y = square(square(x))
    y.backward(retain_graph=True)
    y.backward(retain_graph=False)  # the last pass may free it
    assert x.grad == 216.0


@pytest.mark.parametrize("graph", ["weak", "strong"])
def test_a_freed_pass_keeps_retained_grads_and_drops_what_each_function_saved(graph):
    x = scalar(3.0)
    with using_config("graph", graph):
        a = square(x)
        y = square(a)
    functions = [a.creator, y.creator]
    y.backward(retain_grad=True, retain_graph=False)
    assert (x.grad, a.grad, y.grad) == (108.0, 18.0, 1.0)
    for f in functions:
        assert f.inputs is None and f.outputs is None
    assert a.creator is functions[0]  # the Variables keep their creator: a later pass raises


@pytest.mark.parametrize("graph", ["weak", "strong"])
def test_a_freed_graph_is_freed_by_reference_counting(gc_off, graph):
    # Dropping each Function's inputs and outputs breaks the strong graph's cycles, so after
    # a freeing pass neither graph needs the cyclic GC; intermediates go during the pass.
    with using_config("graph", graph):
        x = Variable(np.random.randn(1000))
        a = square(x)
        b = exp(a)
        y = square(b)
    probes = [weakref.ref(o) for o in (a, b, a.data, b.data, a.creator, b.creator, y.creator)]
    del a, b
    y.backward(retain_graph=False)
    assert [p() for p in probes[:4]] == [None] * 4  # the intermediates, during the pass
    del y
    assert [p() for p in probes] == [None] * len(probes)
    assert x.grad is not None


@pytest.mark.parametrize("graph", ["weak", "strong"])
def test_a_multi_output_function_is_freed_and_refuses_a_second_pass(graph):
    x = Variable(np.array([1.0, 2.0, 3.0]))
    f = Split()
    with using_config("graph", graph):
        y0, y1 = f(x)
    y0.backward(retain_graph=False)
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])
    assert f.inputs is None and f.outputs is None
    with pytest.raises(RuntimeError, match="Split"):
        y1.backward()


def test_a_grad_is_never_the_read_only_seed():
    # The pass starts from a read-only view of a single 1 (docs/semantics.md): whatever
    # reaches a .grad unchanged (a leaf's own seed, add's pass-through, a retained grad) is
    # an array of its own that may be written to.
    x = Variable(np.array([1.0, 2.0]))
    x.backward()
    t = Variable(np.array([1.0, 2.0]))
    y = add(t, x)
    y.backward(retain_grad=True)
    for v in (x, t, y):
        assert v.grad.flags.writeable and v.grad.flags.owndata
        v.grad += 1.0
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    np.testing.assert_array_equal(t.grad, [2.0, 2.0])


# --- checkpoint (docs/semantics.md, "Checkpointing") ----------------------------------------


def tanh_chain(x, n):
    for _ in range(n):
        x = tanh(x)
    return x


@pytest.mark.parametrize("graph", ["weak", "strong"])
@pytest.mark.parametrize("retain_graph", [True, False])
@pytest.mark.parametrize(("n", "every"), [(12, 4), (10, 3), (5, 1), (3, 8), (1, 1), (0, 2)])
def test_a_checkpointed_chain_gives_the_plain_chains_values_and_gradients_bit_for_bit(
    graph, retain_graph, n, every
):
    a = np.array([0.3, -1.2, 2.0])
    plain, checkpointed = Variable(a.copy()), Variable(a.copy())
    with using_config("graph", graph):
        y = tanh_chain(plain, n)
        z = checkpoint_chain(tanh, checkpointed, n, every)
    assert z.data.tobytes() == y.data.tobytes()
    y.backward(retain_graph=retain_graph)
    z.backward(retain_graph=retain_graph)
    assert checkpointed.grad.tobytes() == plain.grad.tobytes()


def test_a_checkpoint_records_one_function_and_keeps_none_of_fns_intermediates(gc_off):
    made = []

    def fn(x):
        a = square(x)
        made.extend([weakref.ref(a), weakref.ref(a.data)])
        return exp(a)

    x = Variable(np.array([0.5, 1.0]))
    y = checkpoint(fn, x)
    assert type(y.creator).__name__ == "Checkpoint" and y.creator.inputs == [x]
    assert [p() for p in made] == [None, None]  # nothing of fn's graph is kept
    y.backward()
    np.testing.assert_array_equal(x.grad, np.exp(x.data**2) * 2 * x.data)
    assert len(made) == 4  # fn ran again during backward
    assert [p() for p in made] == [None] * 4  # and its recomputed graph went afterwards


@pytest.mark.parametrize("graph", ["weak", "strong"])
def test_checkpoint_under_no_grad_calls_fn_and_records_nothing(gc_off, graph):
    calls = []

    def fn(x):
        calls.append(Config.enable_backprop)
        return square(square(x))

    x = Variable(np.array([1.0, 2.0]))
    with using_config("graph", graph), no_grad():
        y = checkpoint(fn, x)
        z = checkpoint_chain(square, x, 4, 2)
    assert calls == [False]
    assert y.creator is None and z.creator is None
    np.testing.assert_array_equal(y.data, [1.0, 16.0])
    np.testing.assert_array_equal(z.data, [1.0, 65536.0])
    probe = weakref.ref(y)
    del y
    assert probe() is None  # no Function holds it: nothing was recorded


@pytest.mark.parametrize("graph", ["weak", "strong"])
def test_a_checkpointed_graph_runs_backward_again_or_raises_once_freed(graph):
    x = scalar(0.5)
    with using_config("graph", graph):
        y = checkpoint(lambda v: square(square(v)), x)
    y.backward()
    y.backward(retain_graph=False)  # each pass recomputes the segment
    assert x.grad == 2 * 4 * 0.5**3
    with pytest.raises(RuntimeError, match=r"Checkpoint.*retain_graph=True"):
        y.backward()


def test_a_checkpoint_of_several_inputs_gives_each_its_gradient():
    x0, x1, c = scalar(2.0), scalar(3.0), scalar(5.0)
    y = checkpoint(lambda a, b, k: mul(add(a, b), k), x0, x1, 4.0)
    y = add(y, mul(x0, c))  # x0 is used inside and outside the segment
    y.backward()
    assert (x0.grad, x1.grad) == (9.0, 4.0)


def test_a_leaf_that_fn_takes_from_elsewhere_gets_its_gradient():
    w = scalar(3.0)
    x = scalar(2.0)
    checkpoint(lambda v: mul(v, w), x).backward()
    assert (x.grad, w.grad) == (3.0, 2.0)


def test_a_non_leaf_that_fn_takes_from_elsewhere_gets_the_segments_share():
    # w's square runs twice: inside the segment's pass with the segment's share of w's
    # gradient, and in the outer pass with the rest. Their sum reaches p.
    p, x = scalar(3.0), scalar(2.0)
    w = square(p)
    z = add(checkpoint(lambda v: mul(v, w), x), w)
    z.backward()
    assert (x.grad, p.grad) == (9.0, 2 * 3.0 * 2.0 + 2 * 3.0)


def test_a_freeing_pass_that_frees_such_a_non_leaf_first_raises():
    # Here the outer pass runs w's square (and frees it) before the segment's pass reaches it.
    p, x = scalar(3.0), scalar(2.0)
    w = square(p)
    z = add(w, checkpoint(lambda v: mul(v, w), x))
    with pytest.raises(RuntimeError, match=r"Square.*retain_graph=True"):
        z.backward(retain_graph=False)


def test_checkpoints_nest():
    x = scalar(0.5)
    y = checkpoint(lambda v: checkpoint(lambda u: square(exp(u)), square(v)), x)
    y.backward()
    # y = exp(x**2)**2 = exp(2 x**2): dy/dx = 4 x exp(2 x**2)
    assert x.grad == pytest.approx(4 * 0.5 * np.exp(2 * 0.25), rel=1e-15)


@pytest.mark.parametrize("result", [lambda v: (v, v), lambda v: [v], lambda v: v.data])
def test_checkpoint_refuses_fn_that_does_not_return_one_variable(result):
    with pytest.raises(TypeError, match="must return one Variable"):
        checkpoint(result, scalar(1.0))


@pytest.mark.parametrize(
    ("n", "every", "error", "message"),
    [
        (-1, 2, ValueError, "n must be at least 0, got -1"),
        (4, 0, ValueError, "every must be at least 1, got 0"),
        (4.0, 2, TypeError, "n must be a whole number, got 4.0"),
        (4, None, TypeError, "every must be a whole number, got None"),
        (True, 2, TypeError, "n must be a whole number, got True"),
    ],
)
def test_checkpoint_chain_refuses_bad_counts_naming_them(n, every, error, message):
    with pytest.raises(error, match=message):
        checkpoint_chain(tanh, scalar(1.0), n, every)


def test_tanh_recomputes_its_output_if_the_weak_graph_freed_it():
    x = Variable(np.array([0.3, -2.0]))
    f = tanh(x).creator  # the output is gone: only the Function is kept
    assert f.outputs[0]() is None
    np.testing.assert_array_equal(f.backward(np.ones(2)), 1 - np.tanh(x.data) ** 2)
