"""Every op and operator's backward pass against central differences, then random DAGs.

The numerical reference is computed from plain numpy twins of each expression, so a wrong
forward in the engine cannot hide a wrong backward (both are checked).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numgrad import assert_grads_close, numerical_grads

from autograd_core import (
    Variable,
    _core,
    add,
    checkpoint,
    div,
    exp,
    mul,
    neg,
    pow,  # noqa: A004 - the engine names it after the book
    square,
    sub,
    tanh,
    using_config,
)

# Constants for the "ndarray on the left" forms. C23 has more dimensions than a (3,) input,
# so the gradient must be summed back over the broadcast axis.
C3 = np.array([0.5, 1.5, 2.5])
C23 = np.array([[0.5, 1.5, 2.5], [1.25, 0.75, 2.0]])

UNARY_SHAPES = [(), (3,), (2, 3)]
# Pairs that exercise no broadcasting, a 0-d operand on either side and a missing leading axis.
BINARY_SHAPES = [((), ()), ((3,), (3,)), ((2, 3), (3,)), ((3,), (2, 3)), ((3,), ()), ((), (2, 3))]

# name: (engine expression, numpy twin, input shapes). Inputs are drawn from [0.5, 2], where
# exp, division and fractional or negative powers are all smooth and well-conditioned.
OPS = {
    "square": (square, np.square, UNARY_SHAPES),
    "exp": (exp, np.exp, UNARY_SHAPES),
    "tanh": (tanh, np.tanh, UNARY_SHAPES),
    "neg": (neg, np.negative, UNARY_SHAPES),
    "pow(x, 3)": (lambda x: pow(x, 3), lambda a: a**3, UNARY_SHAPES),
    "pow(x, 0.5)": (lambda x: pow(x, 0.5), lambda a: a**0.5, UNARY_SHAPES),
    "pow(x, -2)": (lambda x: pow(x, -2), lambda a: a**-2.0, UNARY_SHAPES),
    "add": (add, np.add, BINARY_SHAPES),
    "mul": (mul, np.multiply, BINARY_SHAPES),
    "sub": (sub, np.subtract, BINARY_SHAPES),
    "div": (div, np.divide, BINARY_SHAPES),
}

# Operator forms work on Variables and on ndarrays alike, so each lambda is its own twin.
OPERATORS = {
    "x + y": (lambda x, y: x + y, BINARY_SHAPES),
    "x - y": (lambda x, y: x - y, BINARY_SHAPES),
    "x * y": (lambda x, y: x * y, BINARY_SHAPES),
    "x / y": (lambda x, y: x / y, BINARY_SHAPES),
    "-x": (lambda x: -x, UNARY_SHAPES),
    "x ** 2": (lambda x: x**2, UNARY_SHAPES),
    "x ** 1.5": (lambda x: x**1.5, UNARY_SHAPES),
    "x ** -1": (lambda x: x**-1, UNARY_SHAPES),
    # Python numbers on either side.
    "x + 2": (lambda x: x + 2, UNARY_SHAPES),
    "2 + x": (lambda x: 2 + x, UNARY_SHAPES),
    "x - 2.5": (lambda x: x - 2.5, UNARY_SHAPES),
    "2.5 - x": (lambda x: 2.5 - x, UNARY_SHAPES),
    "x * 3": (lambda x: x * 3, UNARY_SHAPES),
    "3 * x": (lambda x: 3 * x, UNARY_SHAPES),
    "x / 4": (lambda x: x / 4, UNARY_SHAPES),
    "4 / x": (lambda x: 4 / x, UNARY_SHAPES),
    "2 ** x": (lambda x: 2**x, UNARY_SHAPES),
    "0.5 ** x": (lambda x: 0.5**x, UNARY_SHAPES),
    # ndarrays on the left (numpy must defer to the Variable) and as constant exponents.
    "C3 + x": (lambda x: C3 + x, [(3,), ()]),
    "C3 - x": (lambda x: C3 - x, [(3,), ()]),
    "C3 * x": (lambda x: C3 * x, [(3,), ()]),
    "C3 / x": (lambda x: C3 / x, [(3,), ()]),
    "C3 ** x": (lambda x: C3**x, [(3,), ()]),
    "C23 + x": (lambda x: C23 + x, [(3,)]),
    "C23 - x": (lambda x: C23 - x, [(3,)]),
    "C23 * x": (lambda x: C23 * x, [(3,)]),
    "C23 / x": (lambda x: C23 / x, [(3,)]),
    "C23 ** x": (lambda x: C23**x, [(3,)]),
    "x ** C3": (lambda x: x**C3, [(3,), ()]),
    "x ** C23": (lambda x: x**C23, [(3,)]),
    # A chain mixing all of the above, with x used several times.
    "mixed": (lambda x, y: (x * y - 1 / x) ** 2 / (2 + y) + 3**-x, BINARY_SHAPES),
}


def _shapes_list(shapes):
    # Unary cases list bare shapes, binary ones list pairs: normalise to tuples of shapes.
    return [s if s and isinstance(s[0], tuple) else (s,) for s in shapes]


def _cases():
    for name, (fn, twin, shapes) in OPS.items():
        for s in _shapes_list(shapes):
            yield pytest.param(fn, twin, s, id=f"{name}-{s}")
    for name, (fn, shapes) in OPERATORS.items():
        for s in _shapes_list(shapes):
            yield pytest.param(fn, fn, s, id=f"{name}-{s}")


@pytest.mark.parametrize(("fn", "twin", "shapes"), list(_cases()))
def test_grad_matches_central_differences(fn, twin, shapes):
    rng = np.random.default_rng(0)
    arrays = [np.asarray(rng.uniform(0.5, 2.0, size=s)) for s in shapes]
    xs = [Variable(a.copy()) for a in arrays]
    y = fn(*xs)
    assert type(y) is Variable
    np.testing.assert_allclose(y.data, twin(*arrays), rtol=1e-12)
    y.backward()
    assert_grads_close([x.grad for x in xs], numerical_grads(twin, *arrays))


@pytest.mark.parametrize(
    "expr",
    [
        lambda a, v: a + v,
        lambda a, v: a - v,
        lambda a, v: a * v,
        lambda a, v: a / v,
        lambda a, v: a**v,
    ],
    ids=["+", "-", "*", "/", "**"],
)
def test_ndarray_on_the_left_gives_a_variable(expr):
    # Without __array_priority__ numpy would broadcast over the Variable and return an
    # object array of Variables.
    a = np.array([1.0, 2.0])
    v = Variable(np.array([3.0, 4.0]))
    y = expr(a, v)
    assert type(y) is Variable
    assert type(y.data) is np.ndarray and y.data.dtype == np.float64
    np.testing.assert_allclose(y.data, expr(a, v.data))
    assert y.creator is not None


# --- Random expression DAGs -------------------------------------------------------------

ENGINE = {
    "square": square,
    "exp": exp,
    "tanh": tanh,
    "neg": neg,
    "pow": pow,
    "add": add,
    "mul": mul,
    "sub": sub,
    "div": div,
}
NUMPY = {
    "square": np.square,
    "exp": np.exp,
    "tanh": np.tanh,
    "neg": np.negative,
    "pow": np.power,
    "add": np.add,
    "mul": np.multiply,
    "sub": np.subtract,
    "div": np.divide,
}
ARITY = {
    "square": 1,
    "exp": 1,
    "tanh": 1,
    "neg": 1,
    "pow": 1,
    "add": 2,
    "mul": 2,
    "sub": 2,
    "div": 2,
}
EXPONENTS = [2, 3, -1, 0.5, 1.5]
LIMIT = 50.0  # every node's values stay within +-LIMIT


def _apply(table, op, args, c):
    return table[op](*args, c) if op == "pow" else table[op](*args)


def _well_conditioned(op, args, c, result):
    """Whether a step keeps values bounded and away from the ops' singular points."""
    if not np.all(np.isfinite(result)) or np.max(np.abs(result)) > LIMIT:
        return False
    if op == "div":
        return np.min(np.abs(args[1])) >= 0.5
    if op == "pow" and c < 0:
        return np.min(np.abs(args[0])) >= 0.5
    if op == "pow" and c != int(c):
        return np.min(args[0]) >= 0.5  # fractional powers need positive bases
    return True


def _draw_dag(draw, max_leaves, max_steps, operand):
    """Leaf arrays and steps (op, operand node indices, exponent); `operand(last)` draws the
    index of one operand among the nodes 0..last made so far.

    Values are computed while drawing so that a step that would leave the well-conditioned
    range becomes a `neg` of its first operand instead (a substitution, not a rejection: no
    examples are filtered away).
    """
    elements = st.floats(-2.0, 2.0, allow_subnormal=False)
    leaves = [
        draw(hnp.arrays(np.float64, draw(st.sampled_from(UNARY_SHAPES)), elements=elements))
        for _ in range(draw(st.integers(1, max_leaves)))
    ]
    values = list(leaves)
    steps = []
    for _ in range(draw(st.integers(1, max_steps))):
        op = draw(st.sampled_from(sorted(ENGINE)))
        idx = tuple(operand(len(values) - 1) for _ in range(ARITY[op]))
        c = draw(st.sampled_from(EXPONENTS)) if op == "pow" else None
        args = [values[i] for i in idx]
        with np.errstate(all="ignore"):
            result = _apply(NUMPY, op, args, c)
        if not _well_conditioned(op, args, c, result):
            op, idx, c = "neg", idx[:1], None
            result = -args[0]
        steps.append((op, idx, c))
        values.append(result)
    return leaves, steps


@st.composite
def dags(draw):
    """A random DAG: operands are drawn from every node so far, intermediates included, so nodes
    get reused and the graph is a DAG rather than a tree."""
    return _draw_dag(draw, 3, 8, lambda last: draw(st.integers(0, last)))


def _run(table, leaves, steps, checkpointed=()):
    """Replay the steps with `table`'s functions, each step whose index is in `checkpointed`
    as a checkpoint of its own; the output adds up every unused node, so each leaf reaches it."""
    nodes = list(leaves)
    used = set()
    for i, (op, idx, c) in enumerate(steps):
        args = [nodes[j] for j in idx]
        if i in checkpointed:
            # Default arguments: the checkpoint calls this again during backward.
            nodes.append(checkpoint(lambda *a, op=op, c=c: _apply(table, op, a, c), *args))
        else:
            nodes.append(_apply(table, op, args, c))
        used.update(idx)
    sinks = [n for i, n in enumerate(nodes) if i not in used]
    out = sinks[0]
    for n in sinks[1:]:
        out = table["add"](out, n)
    return out


@pytest.mark.parametrize("graph", ["weak", "strong"])
@given(dag=dags())
def test_random_dag_grads_match_central_differences(graph, dag):
    leaves, steps = dag
    xs = [Variable(a.copy()) for a in leaves]
    with using_config("graph", graph):
        y = _run(ENGINE, xs, steps)
    np.testing.assert_allclose(y.data, _run(NUMPY, leaves, steps), rtol=1e-12, atol=1e-12)
    y.backward()
    expected = numerical_grads(lambda *a: _run(NUMPY, a, steps), *leaves)
    assert_grads_close([x.grad for x in xs], expected, rtol=1e-4, atol=1e-5)


# --- The chain path against the general path ----------------------------------------------


@st.composite
def chainy_dags(draw):
    """Like `dags`, with longer runs where each step takes the node just made: the chains the
    backward pass has a path of its own for, between branches and joins."""
    return _draw_dag(draw, 3, 30, lambda last: draw(st.one_of(st.just(last), st.integers(0, last))))


def _replay(leaves, steps):
    """The engine's nodes for `steps` (leaves first) and the output summing the unused ones."""
    nodes = list(leaves)
    for op, idx, c in steps:
        nodes.append(_apply(ENGINE, op, [nodes[i] for i in idx], c))
    return nodes, _run(ENGINE, leaves, steps)


def _grads_after_backward(y, nodes, retain_grad, retain_graph, chain_path, monkeypatch):
    monkeypatch.setattr(_core, "_chain_path", chain_path)
    for v in nodes:
        v.cleargrad()
    y.cleargrad()
    y.backward(retain_grad=retain_grad, retain_graph=retain_graph)
    return [None if v.grad is None else v.grad.copy() for v in [*nodes, y]]


def _assert_same_bits(expected, actual):
    for g, c in zip(expected, actual, strict=True):
        if g is None:
            assert c is None
            continue
        assert type(c) is np.ndarray and c.dtype == g.dtype and c.shape == g.shape
        assert c.tobytes() == g.tobytes()


@pytest.mark.parametrize("graph", ["weak", "strong"])
@given(dag=chainy_dags(), retain_grad=st.booleans(), retain_graph=st.booleans())
def test_chain_path_gives_the_general_paths_gradients_bit_for_bit(
    graph, dag, retain_grad, retain_graph
):
    leaves, steps = dag
    xs = [Variable(a.copy()) for a in leaves]

    def recorded():
        with using_config("graph", graph):
            return _replay(xs, steps)

    # Kept graph: one graph, two passes, so the same Functions run with and without the chain
    # path. Freed graph: a graph for each pass.
    nodes, y = recorded()
    with pytest.MonkeyPatch.context() as mp:
        general = _grads_after_backward(y, nodes, retain_grad, retain_graph, False, mp)
        if not retain_graph:
            nodes, y = recorded()
        chain = _grads_after_backward(y, nodes, retain_grad, retain_graph, True, mp)
    assert _core._chain_path is True
    _assert_same_bits(general, chain)


# --- Freeing the graph (retain_graph=False) changes no gradient ---------------------------


@pytest.mark.parametrize("graph", ["weak", "strong"])
@given(dag=dags(), retain_grad=st.booleans())
def test_freed_runs_give_the_plain_runs_gradients_bit_for_bit(graph, dag, retain_grad):
    # Freeing drops what a Function saved only after its backward has run: the same calls on
    # the same arrays, so the same bits.
    leaves, steps = dag

    def grads(retain_graph):
        xs = [Variable(a.copy()) for a in leaves]
        with using_config("graph", graph):
            nodes, y = _replay(xs, steps)
        y.backward(retain_grad=retain_grad, retain_graph=retain_graph)
        return [v.grad for v in [*nodes, y]]

    _assert_same_bits(grads(True), grads(False))


# --- Edge values: where a formula's factors are 0 and inf, or numpy refuses a power ----------


def test_integer_data_to_the_power_0_has_gradient_0():
    # c * x**(c-1) would raise x to -1, which numpy refuses for integers.
    x = Variable(np.array([1, 2, 3]))
    y = x**0
    np.testing.assert_array_equal(y.data, [1, 1, 1])
    y.backward()
    np.testing.assert_array_equal(x.grad, [0, 0, 0])


@pytest.mark.parametrize("c", [0, 0.0, np.array(0.0), np.array([0.0, 0.0])])
def test_x_to_the_power_0_at_0_has_gradient_0(c):
    x = Variable(np.array([0.0, 1.5]))
    (x**c).backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])  # x**0 is the constant 1, even at 0


def test_an_exponent_array_holding_0_gives_0_there_and_the_usual_gradient_elsewhere():
    x = Variable(np.array([0.0, 3.0, 2.0]))
    (x ** np.array([0.0, 2.0, 0.5])).backward()
    np.testing.assert_array_equal(x.grad, [0.0, 6.0, 0.5 * 2.0**-0.5])


@pytest.mark.parametrize("base", [0.0, 0, np.array(0.0)])
def test_0_to_the_power_x_has_gradient_0_where_x_is_positive(base):
    # 0**x is the constant 0 for x > 0: its gradient is 0, not 0 * log(0) (NaN).
    x = Variable(np.array([1.0, 0.5, 3.0]))
    y = base**x
    np.testing.assert_array_equal(y.data, [0.0, 0.0, 0.0])
    y.backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])


def test_a_base_array_holding_0_gives_0_there_and_the_usual_gradient_elsewhere():
    x = Variable(np.array([1.0, 2.0]))
    (np.array([0.0, 3.0]) ** x).backward()
    np.testing.assert_array_equal(x.grad, [0.0, 3.0**2.0 * np.log(3.0)])


def test_0_to_the_power_x_keeps_its_gradient_where_x_is_not_positive():
    # At x = 0, 0**x jumps from inf to 1 to 0: no derivative; the formula's -inf stays.
    x = Variable(np.array([0.0, -1.0]))
    with np.errstate(divide="ignore"):  # 0**-1 is inf
        y = 0.0**x
    y.backward()
    np.testing.assert_array_equal(x.grad, [-np.inf, -np.inf])


POWERS = [3, 2, 1, -1, -2, 0.5, 1.5, -0.5, np.array([2.0, 0.5, 3.0])]


@pytest.mark.parametrize("c", POWERS, ids=str)
def test_other_exponents_keep_their_gradient_to_the_bit(c):
    # The edge cases change nothing elsewhere: the gradient is c * x**(c-1) * 1, exactly.
    a = np.array([0.7, 1.3, 2.9])
    x = Variable(a.copy())
    (x**c).backward()
    expected = c * a ** (c - 1) * np.ones(3)
    assert x.grad.tobytes() == expected.tobytes()
    assert_grads_close([x.grad], numerical_grads(lambda v: v**c, a))


@pytest.mark.parametrize("c", [2.0, 0.5, 3, np.array([2.0, 0.5, 3.0])], ids=str)
def test_other_bases_keep_their_gradient_to_the_bit(c):
    a = np.array([0.7, -1.3, 2.0])
    x = Variable(a.copy())
    (c**x).backward()
    expected = c**a * np.log(c) * np.ones(3)
    assert x.grad.tobytes() == expected.tobytes()
    assert_grads_close([x.grad], numerical_grads(lambda v: c**v, a))


# --- Checkpointing changes no gradient beyond the rounding of reordered sums -----------------


@pytest.mark.parametrize("graph", ["weak", "strong"])
@given(dag=dags(), data=st.data())
def test_checkpointed_runs_give_the_plain_runs_gradients(graph, dag, data):
    # Some steps are checkpoints of their own; with `whole`, the whole graph is one more
    # checkpoint around them (nested), and the leaves are used inside it and outside.
    leaves, steps = dag
    marked = data.draw(st.sets(st.integers(0, len(steps) - 1)), label="checkpointed steps")
    whole = data.draw(st.booleans(), label="whole graph checkpointed")
    retain_graph = data.draw(st.booleans(), label="retain_graph")

    def grads(checkpointed):
        xs = [Variable(a.copy()) for a in leaves]
        with using_config("graph", graph):
            y = _run(ENGINE, xs, steps, checkpointed)
            if whole:
                inner = checkpoint(lambda *v: _run(ENGINE, v, steps, checkpointed), *xs)
                y = add(y, inner) if checkpointed else add(y, _run(ENGINE, xs, steps))
        y.backward(retain_graph=retain_graph)
        return y.data, [x.grad for x in xs]

    value, plain = grads(())
    checkpointed_value, checkpointed = grads(marked)
    assert checkpointed_value.tobytes() == value.tobytes()  # the forward is the same calls
    # A segment sums its own contributions to an input it uses several times, and the outer
    # pass adds that sum: (a + b) + c becomes a + (b + c). So the gradients agree to the
    # rounding of the largest terms, not always to the bit (chains do: test_backward.py).
    scale = max(1.0, *(float(np.max(np.abs(g))) for g in plain))
    for p, c in zip(plain, checkpointed, strict=True):
        np.testing.assert_allclose(c, p, rtol=1e-12, atol=1e-12 * scale)
