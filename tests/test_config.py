"""Config, using_config and no_grad: values, errors, restoring, isolation per thread and task,
and decorated functions, generators and coroutines."""

import asyncio
import contextvars
import inspect
import threading
import weakref

import numpy as np
import pytest

from autograd_core import (
    Config,
    Function,
    Variable,
    add,
    div,
    exp,
    mul,
    neg,
    no_grad,
    square,
    sub,
    using_config,
)


@pytest.fixture(autouse=True)
def restore_config():
    # Tests assign Config in the book's style; put the defaults back even if one fails.
    yield
    Config.enable_backprop = True
    Config.graph = "weak"


class Double(Function):
    def forward(self, x):
        return 2.0 * x

    def backward(self, gy):
        return 2.0 * gy


def leaf():
    return Variable(np.array([1.0, 2.0]))


def recorded_strongly():
    """Whether `square` records its output strongly right now (True in the strong graph).

    Only the creator is kept, so the output outlives this call only if the creator holds it
    by an ordinary reference. Needs no GC: the creator itself stays referenced.
    """
    creator, probe = _record()
    return probe() is not None and creator.outputs[0]() is probe()


def _record():
    # A separate frame, so no caller's name or evaluation stack keeps the output alive.
    y = square(leaf())
    return y.creator, weakref.ref(y)


def run_in_threads(*targets, barrier=None):
    """Run each target in its own thread; re-raise the first error here, in the test."""
    errors = []

    def wrap(target):
        def run():
            try:
                target()
            except BaseException as e:
                errors.append(e)
                if barrier is not None:
                    barrier.abort()  # release the other thread at once instead of timing out

        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]


# --- values and errors --------------------------------------------------------------------


def test_defaults():
    assert Config.enable_backprop is True
    assert Config.graph == "weak"


def test_assign_in_the_books_style():
    Config.enable_backprop = False
    assert Config.enable_backprop is False
    assert square(leaf()).creator is None
    Config.enable_backprop = True
    assert square(leaf()).creator is not None

    Config.graph = "strong"
    assert Config.graph == "strong"
    assert recorded_strongly()
    Config.graph = "weak"
    assert not recorded_strongly()


@pytest.mark.parametrize("value", ["Weak", "weakref", None, 1])
def test_invalid_graph_raises_listing_the_choices(value):
    with pytest.raises(ValueError, match="weak") as info:
        Config.graph = value
    assert "strong" in str(info.value)
    assert Config.graph == "weak"
    with pytest.raises(ValueError, match="strong"), using_config("graph", value):
        pass
    assert Config.graph == "weak"


@pytest.mark.parametrize("value", [1, 0, None, "False", np.int64(1), np.array(True)])
def test_non_bool_enable_backprop_raises(value):
    with pytest.raises(TypeError, match="bool"):
        Config.enable_backprop = value
    assert Config.enable_backprop is True
    with pytest.raises(TypeError), using_config("enable_backprop", value):
        pass
    assert Config.enable_backprop is True


@pytest.mark.parametrize("value", [np.True_, np.False_])
def test_numpy_bool_enable_backprop_is_stored_as_a_python_bool(value):
    Config.enable_backprop = value
    assert Config.enable_backprop is bool(value)
    with using_config("enable_backprop", not value):
        assert Config.enable_backprop is (not value)
    with using_config("enable_backprop", value):
        assert Config.enable_backprop is bool(value)
        assert (square(leaf()).creator is not None) is bool(value)


@pytest.mark.parametrize(
    ("value", "type_name"),
    [(np.int64(1), "numpy.int64"), (np.float64(1.0), "numpy.float64"), (1, "int")],
)
def test_enable_backprop_rejection_names_the_real_type(value, type_name):
    with pytest.raises(TypeError, match=rf"got {type_name}:"):
        Config.enable_backprop = value


@pytest.mark.parametrize("name", ["graf", "enable_grad", "backprop"])
def test_assigning_an_unknown_config_attribute_raises(name):
    with pytest.raises(AttributeError, match=name) as info:
        setattr(Config, name, "strong")
    assert "enable_backprop" in str(info.value) and "graph" in str(info.value)
    assert not hasattr(Config, name)


def test_unknown_setting_raises_naming_the_known_ones():
    with pytest.raises(ValueError, match="enable_grad") as info, using_config("enable_grad", False):
        pass
    assert "enable_backprop" in str(info.value)
    assert "graph" in str(info.value)


# --- using_config and no_grad -------------------------------------------------------------


def test_using_config_sets_and_restores():
    with using_config("graph", "strong"):
        assert Config.graph == "strong"
        with using_config("enable_backprop", False):
            assert Config.enable_backprop is False
            assert Config.graph == "strong"
        assert Config.enable_backprop is True
    assert Config.graph == "weak"


def test_using_config_restores_after_an_exception():
    with pytest.raises(KeyError), using_config("graph", "strong"), no_grad():
        assert (Config.graph, Config.enable_backprop) == ("strong", False)
        raise KeyError("boom")
    assert (Config.graph, Config.enable_backprop) == ("weak", True)


def test_using_config_restores_the_previous_value_not_the_default():
    Config.graph = "strong"
    with using_config("graph", "weak"):
        assert Config.graph == "weak"
    assert Config.graph == "strong"


def test_no_grad_as_with():
    x = leaf()
    with no_grad():
        assert Config.enable_backprop is False
        y = square(square(x))
    assert Config.enable_backprop is True
    assert y.creator is None and y.generation == 0


@no_grad
def _bare(x):
    return square(x), Config.enable_backprop


@no_grad()
def _called(x):
    return square(x), Config.enable_backprop


@no_grad
def _raises():
    raise RuntimeError("inside")


@pytest.mark.parametrize("fn", [_bare, _called], ids=["@no_grad", "@no_grad()"])
def test_no_grad_as_decorator(fn):
    assert Config.enable_backprop is True
    for _ in range(2):  # the decorator must work on every call, not just the first
        y, inside = fn(leaf())
        assert inside is False
        assert y.creator is None
        assert Config.enable_backprop is True
    assert square(leaf()).creator is not None


def test_no_grad_decorator_keeps_the_name_and_restores_after_an_exception():
    assert _bare.__name__ == "_bare"
    with pytest.raises(RuntimeError, match="inside"):
        _raises()
    assert Config.enable_backprop is True


@pytest.mark.parametrize(
    "make",
    [no_grad, lambda: using_config("graph", "strong")],
    ids=["no_grad", "using_config"],
)
def test_one_context_object_can_be_entered_again(make):
    cm = make()
    before = (Config.enable_backprop, Config.graph)
    for _ in range(2):  # one block after another
        with cm:
            inside = (Config.enable_backprop, Config.graph)
            assert inside != before
        assert (Config.enable_backprop, Config.graph) == before
    with cm:  # and nested inside its own block
        with cm:
            assert (Config.enable_backprop, Config.graph) == inside
        assert (Config.enable_backprop, Config.graph) == inside
    assert (Config.enable_backprop, Config.graph) == before

    @cm
    def decorated():
        return Config.enable_backprop, Config.graph

    with cm:  # the object that decorated a function still works as a block, and vice versa
        assert decorated() == inside
    assert decorated() == inside
    assert (Config.enable_backprop, Config.graph) == before


@pytest.mark.parametrize("graph", ["weak", "strong"])
def test_no_grad_records_nothing(graph):
    x = square(square(leaf()))  # generation 2, so a leftover generation would show
    f = Double()
    with using_config("graph", graph), no_grad():
        y = f(x)
    assert y.creator is None
    assert y.generation == 0
    assert f.inputs is None
    assert f.outputs is None
    assert f.generation == 0
    np.testing.assert_array_equal(y.data, [2.0, 32.0])


# Under no_grad the op functions skip the Function object (a faster path of their own): each
# must give what the recorded path gives, for Variables, arrays and numbers, broadcast or 0-d.
OP_CASES = [
    (square, (np.array([1.5, -2.0]),)),
    (exp, (np.array(0.5),)),
    (neg, (np.array([[1.0], [2.0]]),)),
    (add, (np.array([1.0, 2.0]), 3.0)),
    (mul, (np.array([[1.0], [2.0]]), np.array([3.0, 4.0]))),
    (sub, (2.0, np.array([1.0, 5.0]))),
    (div, (np.array(3.0), np.array([2.0, 4.0]))),
]


@pytest.mark.parametrize(("op", "args"), OP_CASES, ids=[op.__name__ for op, _ in OP_CASES])
@pytest.mark.parametrize("wrap", [Variable, lambda a: a], ids=["variables", "raw"])
def test_no_grad_ops_give_what_the_recorded_path_gives(op, args, wrap):
    args = [wrap(np.asarray(a)) if isinstance(a, np.ndarray) else a for a in args]
    recorded = op(*args)
    with no_grad():
        y = op(*args)
    assert type(y) is Variable
    assert y.creator is None and y.generation == 0 and y.grad is None
    assert type(y.data) is np.ndarray  # 0-d results too, not numpy scalars
    assert y.data.shape == recorded.data.shape
    np.testing.assert_array_equal(y.data, recorded.data)


@pytest.mark.parametrize("mode", ["recorded", "no_grad"])
def test_ops_reject_a_bad_input_the_same_way_in_both_modes(mode):
    backprop = mode == "recorded"
    with using_config("enable_backprop", backprop), pytest.raises(TypeError, match="got str"):
        square("2")
    with using_config("enable_backprop", backprop), pytest.raises(TypeError, match="got list"):
        add(leaf(), [1.0])


def test_graph_kind_is_chosen_at_call_time_and_kept():
    with using_config("graph", "strong"):
        creator, probe = _record()
    assert Config.graph == "weak"
    # Still held after the setting went back, and the creator still hands it out.
    assert probe() is not None and creator.outputs[0]() is probe()
    assert not recorded_strongly()


# --- threads ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "context",
    [no_grad, lambda: using_config("graph", "strong")],
    ids=["no_grad", "graph=strong"],
)
def test_a_context_in_one_thread_does_not_leak_into_another(context):
    # Two waits on one barrier: A enters its block, both meet, B records while A is still
    # inside, both meet again, then A leaves. So the two really overlap in time.
    barrier = threading.Barrier(2, timeout=10)
    seen = {}

    def a():
        with context():
            barrier.wait()
            barrier.wait()
            seen["a"] = (Config.enable_backprop, Config.graph)
            seen["a_creator"] = square(leaf()).creator
            if Config.enable_backprop:
                seen["a_strong"] = recorded_strongly()

    def b():
        barrier.wait()
        seen["b"] = (Config.enable_backprop, Config.graph)
        seen["b_creator"] = square(leaf()).creator
        seen["b_strong"] = recorded_strongly()
        barrier.wait()

    run_in_threads(a, b, barrier=barrier)
    assert seen["b"] == (True, "weak")
    assert seen["b_creator"] is not None
    assert seen["b_strong"] is False
    if context is no_grad:
        assert seen["a"] == (False, "weak")
        assert seen["a_creator"] is None
    else:
        assert seen["a"] == (True, "strong")
        assert seen["a_strong"] is True
    assert (Config.enable_backprop, Config.graph) == (True, "weak")  # the main thread too


def test_assigning_config_in_one_thread_does_not_change_another():
    barrier = threading.Barrier(2, timeout=10)
    seen = {}

    def a():
        Config.graph = "strong"
        Config.enable_backprop = False
        barrier.wait()
        barrier.wait()
        seen["a"] = (Config.enable_backprop, Config.graph)

    def b():
        barrier.wait()
        seen["b"] = (Config.enable_backprop, Config.graph)
        seen["b_creator"] = square(leaf()).creator
        barrier.wait()

    run_in_threads(a, b, barrier=barrier)
    assert seen["a"] == (False, "strong")
    assert seen["b"] == (True, "weak")
    assert seen["b_creator"] is not None
    assert (Config.enable_backprop, Config.graph) == (True, "weak")


def test_new_threads_start_at_the_defaults():
    Config.graph = "strong"
    Config.enable_backprop = False
    seen = {}

    def read():
        seen["config"] = (Config.enable_backprop, Config.graph)
        seen["strong"] = recorded_strongly()

    run_in_threads(read)
    assert seen == {"config": (True, "weak"), "strong": False}
    assert (Config.enable_backprop, Config.graph) == (False, "strong")


# --- one object shared by threads and tasks (each exit restores its own entry's value) ------


def test_one_object_shared_by_two_threads_restores_each_threads_own_value():
    # A enters with backprop off, B with it on; A leaves first, then B. Each must get back
    # the value it had, whichever order the two entered and left the shared object in.
    cm = no_grad()
    barrier = threading.Barrier(2, timeout=10)
    ended = {}

    def a():
        Config.enable_backprop = False
        with cm:
            barrier.wait()  # 1: A inside
            barrier.wait()  # 2: both inside
        barrier.wait()  # 3: A out, B still inside
        ended["a"] = Config.enable_backprop

    def b():
        barrier.wait()  # 1
        with cm:
            barrier.wait()  # 2
            barrier.wait()  # 3: leave only after A has left
        ended["b"] = Config.enable_backprop

    run_in_threads(a, b, barrier=barrier)
    assert ended == {"a": False, "b": True}


@pytest.mark.parametrize("first_out", ["a", "b"])
def test_one_object_shared_by_two_asyncio_tasks_restores_each_tasks_own_value(first_out):
    cm = no_grad()
    ended = {}

    async def task(name, start, inside, leave):
        Config.enable_backprop = start
        with cm:
            inside.set()
            await leave.wait()
            assert Config.enable_backprop is False
        ended[name] = Config.enable_backprop, square(leaf()).creator is not None

    async def main():
        inside = {n: asyncio.Event() for n in "ab"}
        leave = {n: asyncio.Event() for n in "ab"}
        tasks = [
            asyncio.create_task(task("a", False, inside["a"], leave["a"])),
        ]
        await inside["a"].wait()  # a entered first
        tasks.append(asyncio.create_task(task("b", True, inside["b"], leave["b"])))
        await inside["b"].wait()
        second_out = "b" if first_out == "a" else "a"
        leave[first_out].set()
        await tasks["ab".index(first_out)]
        leave[second_out].set()
        await asyncio.gather(*tasks)

    asyncio.run(main())
    # Before the fix one saved list per object swapped them: a ended True, b False.
    assert ended == {"a": (False, False), "b": (True, True)}


def test_leaving_a_block_in_a_thread_that_did_not_enter_it_raises():
    cm = using_config("graph", "strong")
    cm.__enter__()
    try:
        seen = {}

        def leave_elsewhere():
            with pytest.raises(RuntimeError, match="did not enter in this thread or task"):
                cm.__exit__(None, None, None)
            seen["graph"] = Config.graph

        run_in_threads(leave_elsewhere)
        assert seen == {"graph": "weak"}  # the other thread's setting is left alone
        assert Config.graph == "strong"
    finally:
        cm.__exit__(None, None, None)
    assert Config.graph == "weak"


def test_blocks_that_end_out_of_order_each_restore_their_own_value():
    # Two generators suspended inside their blocks, closed in the order they were opened.
    def inside(cm):
        with cm:
            yield

    graph, backprop = inside(using_config("graph", "strong")), inside(no_grad())
    next(graph)
    next(backprop)
    assert (Config.graph, Config.enable_backprop) == ("strong", False)
    graph.close()
    assert (Config.graph, Config.enable_backprop) == ("weak", False)
    backprop.close()
    assert (Config.graph, Config.enable_backprop) == ("weak", True)


def test_blocks_add_no_context_variables():
    # One context variable holds every block's saved value: running blocks must not grow the
    # context (a variable per block or object would stay in it for good).
    before = len(contextvars.copy_context())
    for _ in range(100):
        with no_grad(), using_config("graph", "strong"):
            pass
    assert len(contextvars.copy_context()) == before


# --- decorated generators and coroutines -----------------------------------------------------


@no_grad
def _unrecorded_steps(n):
    """Yields, at each step, whether its body records and what it was sent."""
    sent = None
    for _ in range(n):
        sent = yield Config.enable_backprop, square(leaf()).creator, sent
    return "done"


def test_a_decorated_generator_holds_the_setting_in_its_body_only():
    steps = []
    for inside, creator, _ in _unrecorded_steps(3):
        steps.append((inside, creator))
        # Between steps the caller records as before.
        assert Config.enable_backprop is True
        assert square(leaf()).creator is not None
    assert steps == [(False, None)] * 3
    assert _unrecorded_steps.__name__ == "_unrecorded_steps"


def test_a_decorated_generator_passes_send_return_and_throw_through():
    gen = _unrecorded_steps(3)
    assert next(gen)[2] is None
    assert gen.send("x") == (False, None, "x")
    with using_config("graph", "strong"):  # the caller changes a setting between steps
        assert gen.send("y") == (False, None, "y")
        assert Config.graph == "strong" and Config.enable_backprop is True
    with pytest.raises(StopIteration) as stop:
        next(gen)
    assert stop.value.value == "done"

    @no_grad
    def catches():
        while True:
            try:
                yield "waiting"
            except KeyError:
                yield Config.enable_backprop

    gen = catches()
    next(gen)
    assert gen.throw(KeyError("k")) is False
    assert Config.enable_backprop is True
    with pytest.raises(ValueError, match="not caught"):
        gen.throw(ValueError("not caught"))
    assert Config.enable_backprop is True


def test_closing_a_decorated_generator_runs_its_cleanup_in_the_setting():
    seen = []

    @using_config("graph", "strong")
    def cleans_up():
        try:
            yield 1
        finally:
            seen.append(Config.graph)

    gen = cleans_up()
    next(gen)
    gen.close()
    assert seen == ["strong"]
    assert Config.graph == "weak"


def test_a_decorated_generator_method_binds_self():
    class Steps:
        @no_grad()
        def each(self, n):
            for i in range(n):
                yield self, i, Config.enable_backprop

    s = Steps()
    assert list(s.each(2)) == [(s, 0, False), (s, 1, False)]


def test_a_decorated_coroutine_holds_the_setting_for_its_task_only():
    seen = {}

    @no_grad
    async def unrecorded(started, go_on):
        started.set()
        await go_on.wait()
        seen["inside"] = Config.enable_backprop, square(leaf()).creator
        return "result"

    async def recorded(started, go_on):
        await started.wait()  # the decorated coroutine is suspended inside its setting
        seen["other task"] = Config.enable_backprop, square(leaf()).creator is not None
        go_on.set()

    async def main():
        started, go_on = asyncio.Event(), asyncio.Event()
        results = await asyncio.gather(unrecorded(started, go_on), recorded(started, go_on))
        seen["after"] = Config.enable_backprop
        return results

    assert asyncio.run(main())[0] == "result"
    assert seen == {"inside": (False, None), "other task": (True, True), "after": True}
    assert inspect.iscoroutinefunction(unrecorded)


def test_decorating_an_async_generator_is_refused():
    async def batches():
        yield 1

    with pytest.raises(TypeError, match=r"async generator function .*batches"):
        no_grad(batches)
    with pytest.raises(TypeError, match="async generator"):
        using_config("graph", "strong")(batches)
