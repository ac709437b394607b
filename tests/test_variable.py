"""The Variable API, the conversion helpers and the package's public names."""

import copy
import pickle

import numpy as np
import pytest

import autograd_core
from autograd_core import (
    Variable,
    as_array,
    as_variable,
    no_grad,
    pow,  # noqa: A004
    square,
    using_config,
)


def test_constructor_and_attributes():
    data = np.array([1.0, 2.0])
    v = Variable(data, name="x")
    assert v.data is data  # wrapped, not copied
    assert v.name == "x"
    assert v.grad is None
    assert v.creator is None
    assert v.generation == 0
    assert Variable(data).name is None


def test_data_may_be_none():
    v = Variable(None)
    assert v.data is None
    assert v.creator is None


@pytest.mark.parametrize(
    ("data", "type_name"),
    [([1.0, 2.0], "list"), (1.0, "float"), (np.float64(1.0), "float64"), ("1.0", "str")],
)
def test_data_that_is_not_an_ndarray_raises_naming_its_type(data, type_name):
    with pytest.raises(TypeError, match=rf"\b{type_name}\b"):
        Variable(data)


@pytest.mark.parametrize(
    ("data", "shape", "ndim", "size", "length"),
    [
        (np.zeros((2, 3), dtype=np.float32), (2, 3), 2, 6, 2),
        (np.arange(5), (5,), 1, 5, 5),
    ],
)
def test_array_properties(data, shape, ndim, size, length):
    v = Variable(data)
    assert v.shape == shape
    assert v.ndim == ndim
    assert v.size == size
    assert v.dtype == data.dtype
    assert len(v) == length


def test_0d_properties():
    v = Variable(np.array(3.0))
    assert (v.shape, v.ndim, v.size, v.dtype) == ((), 0, 1, np.float64)
    with pytest.raises(TypeError):
        len(v)  # like a 0-d ndarray, a 0-d Variable has no length


def test_repr():
    assert repr(Variable(np.array([1.0, 2.0]))) == "variable([1. 2.])"
    assert repr(Variable(None)) == "variable(None)"
    assert repr(Variable(np.array(2.5))) == "variable(2.5)"


def test_repr_indents_continuation_lines_under_the_first():
    r = repr(Variable(np.array([[1, 2, 3], [4, 5, 6]])))
    assert r == "variable([[1 2 3]\n" + " " * 9 + " [4 5 6]])"
    first, second = r.split("\n")
    assert first.index("[1") == second.index("[4")  # the rows line up


def test_as_array():
    a = np.array([1.0])
    assert as_array(a) is a
    for x in (2.0, 3, np.float64(2.0), np.int32(3)):
        r = as_array(x)
        assert type(r) is np.ndarray and r.shape == () and r == x
    assert as_array(np.float32(1.5)).dtype == np.float32  # numpy scalars keep their dtype
    for bad in ("1.0", [1.0], None):
        with pytest.raises(TypeError):
            as_array(bad)


def test_as_variable():
    v = Variable(np.array(1.0))
    assert as_variable(v) is v
    a = np.array([1.0, 2.0])
    w = as_variable(a)
    assert type(w) is Variable and w.data is a and w.creator is None
    n = as_variable(2.0)
    assert type(n) is Variable and type(n.data) is np.ndarray and n.data == 2.0


def test_pow_with_a_variable_exponent_raises():
    x = Variable(np.array(2.0))
    c = Variable(np.array(3.0))
    with pytest.raises(TypeError):
        pow(x, c)
    with pytest.raises(TypeError):
        x**c


def test_square_records_its_creator():
    x = Variable(np.array(3.0))
    y = square(x)
    assert y.creator is not None and y.creator.inputs == [x]
    assert y.creator.outputs[0]() is y


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
@pytest.mark.parametrize("name", ["square", "exp", "tanh", "neg", "add", "mul", "sub", "div"])
def test_an_op_under_no_grad_computes_what_its_recorded_forward_does(name, shape):
    # Under no_grad an op calls its Function's forward without making the Function
    # (docs/semantics.md, "Settings"): the same values and type, an ndarray even for 0-d.
    op = getattr(autograd_core, name)
    rng = np.random.default_rng(0)
    args = [Variable(rng.uniform(0.5, 2.0, shape)) for _ in range(op.__code__.co_argcount)]
    recorded = op(*args)
    with no_grad():
        unrecorded = op(*args)
    assert unrecorded.creator is None and recorded.creator is not None
    assert type(unrecorded.data) is np.ndarray and unrecorded.data.shape == shape
    assert unrecorded.data.tobytes() == recorded.data.tobytes()


def test_a_subclass_that_overrides_forward_keeps_it_under_no_grad():
    class Halve(autograd_core._ops.Square):
        __slots__ = ()

        @staticmethod
        def forward(x):
            return x / 2

    halve = autograd_core._ops.unary(Halve)
    with no_grad():
        assert halve(Variable(np.array([4.0]))).data.tolist() == [2.0]
    assert halve(Variable(np.array([4.0]))).data.tolist() == [2.0]


def test_public_names():
    expected = {
        "Variable",
        "Function",
        "Config",
        "using_config",
        "no_grad",
        "as_array",
        "as_variable",
        "square",
        "exp",
        "add",
        "mul",
        "neg",
        "sub",
        "div",
        "pow",
        "tanh",
        "checkpoint",
        "checkpoint_chain",
        "GRAPHS",
    }
    assert len(autograd_core.__all__) == 19
    assert set(autograd_core.__all__) == expected
    for name in expected:
        assert getattr(autograd_core, name) is not None
    assert autograd_core.GRAPHS == ("strong", "weak")
    namespace = {}
    exec("from autograd_core import *", namespace)
    assert set(namespace) - {"__builtins__"} == expected


# --- copying and pickling (docs/semantics.md, "Copying and pickling") ----------------------


def _pickled(v):
    return pickle.loads(pickle.dumps(v))


COPIERS = [copy.copy, copy.deepcopy, _pickled]
COPIER_IDS = ["copy", "deepcopy", "pickle"]


@pytest.mark.parametrize("graph", ["weak", "strong"])
@pytest.mark.parametrize("copier", COPIERS, ids=COPIER_IDS)
def test_a_copied_variable_is_a_detached_leaf(graph, copier):
    x = Variable(np.array(3.0))
    with using_config("graph", graph):
        y = square(x)
    y.name = "y"
    y.backward(retain_grad=True)
    c = copier(y)
    assert type(c) is Variable
    assert c.creator is None and c.generation == 0
    assert c.name == "y"
    assert c.data == 9.0 and c.data is not y.data
    assert c.grad == 1.0 and c.grad is not y.grad
    # Backward through the copy reaches the copy only; through the original, the original's
    # graph, as before.
    x.cleargrad()
    with using_config("graph", graph):
        z = square(c)
    z.backward()
    assert c.grad == 1.0 + 18.0
    assert x.grad is None
    square(y).backward()
    assert x.grad == 2 * 9.0 * 2 * 3.0
    # And a copy's arrays are its own.
    c.data[...] = 5.0
    assert y.data == 9.0


@pytest.mark.parametrize("copier", COPIERS, ids=COPIER_IDS)
def test_copying_a_leaf_without_grad_or_data(copier):
    for v in (Variable(np.array([1.0, 2.0])), Variable(None, name="empty")):
        c = copier(v)
        assert c.grad is None and c.creator is None and c.name == v.name
        np.testing.assert_array_equal(c.data, v.data)


@pytest.mark.parametrize("graph", ["weak", "strong"])
def test_deepcopy_keeps_sharing_inside_what_it_copies(graph):
    x = Variable(np.array([1.0, 2.0]))
    with using_config("graph", graph):
        y = square(x)
    x2, y2, data2 = copy.deepcopy([x, y, x.data])
    assert x2.data is data2
    assert y2.creator is None
    square(y2).backward()
    np.testing.assert_array_equal(y2.grad, [2.0, 8.0])
    assert x2.grad is None and x.grad is None


@pytest.mark.parametrize("graph", ["weak", "strong"])
@pytest.mark.parametrize("copier", COPIERS, ids=COPIER_IDS)
def test_a_function_refuses_to_be_copied(graph, copier):
    with using_config("graph", graph):
        y = square(Variable(np.array(3.0)))
    with pytest.raises(TypeError, match="Square Function cannot be pickled or copied"):
        copier(y.creator)


# --- bool data (docs/semantics.md, "Recording") -----------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: Variable(np.array([True, False])),
        lambda: Variable(np.array(True)),
        lambda: as_variable(np.array([True])),
        lambda: as_variable(True),
        lambda: as_array(np.bool_(False)),
        lambda: square(np.array([True])),
        lambda: autograd_core.add(Variable(np.array([1.0])), np.array([True])),
        lambda: Variable(np.array([1.0])) * True,
    ],
    ids=["Variable", "0-d", "as_variable", "python bool", "as_array", "op", "operand", "operator"],
)
@pytest.mark.parametrize("recorded", [True, False], ids=["recorded", "no_grad"])
def test_bool_data_is_refused_with_a_message_naming_the_dtype_and_the_cast(make, recorded):
    # numpy adds bools as a logical or: add(x, x) would give a gradient of True, not 2.
    with using_config("enable_backprop", recorded), pytest.raises(TypeError) as info:
        make()
    assert "dtype bool" in str(info.value) and "x.astype(float)" in str(info.value)


def test_integer_and_cast_bool_data_are_accepted():
    x = Variable(np.array([True, False]).astype(float))
    autograd_core.add(x, x).backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    n = Variable(np.array([1, 2]))
    autograd_core.mul(n, n).backward()
    np.testing.assert_array_equal(n.grad, [2, 4])
