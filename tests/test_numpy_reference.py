"""The plain-numpy loop is the floor the other variants are timed against (`time_vs_numpy`, the
no_grad ratios): it must call the very ufuncs our ops call, or the gap is not overhead."""

import numpy as np
import pytest

from benchmarks.suite import ratios
from benchmarks.workloads import variants as V
from benchmarks.workloads.classic import build

DEPTH = 3


CALLS = []  # the ufuncs called on Recorded arrays, in order


class Recorded(np.ndarray):
    """An array that writes down every ufunc called on it, and passes the call on."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        CALLS.append(ufunc.__name__)
        plain = [x.view(np.ndarray) if isinstance(x, Recorded) else x for x in inputs]
        result = getattr(ufunc, method)(*plain, **kwargs)
        # Outputs stay Recorded, so the next op's call is seen too.
        return result.view(Recorded) if isinstance(result, np.ndarray) else result


def ufuncs_of(name):
    """The ufuncs, in order, one iteration of variant `name`'s loop step calls."""
    settings, step = build(V.parse(name), DEPTH)
    x = np.arange(1.0, 6.0).view(Recorded)
    CALLS.clear()
    with settings():
        step(x)
    return list(CALLS)


@pytest.mark.parametrize("name", ["strong-no_grad", "weak-no_grad", "weak-backprop"])
def test_the_numpy_loop_calls_the_ufuncs_our_loop_calls(name):
    assert ufuncs_of("numpy") == ufuncs_of(name) == ["square"] * DEPTH


def test_the_ratio_label_names_the_ufunc_the_numpy_loop_calls():
    (row, *_) = [r for r in ratios.comparisons(ratios.QUICK) if r.table == ratios.NO_GRAD]
    assert row.reference.label == "numpy: np.square x3"
