"""Central-difference gradients, the reference the engine's backward pass is checked against."""

import numpy as np


def numerical_grads(f, *arrays, eps=1e-6):
    """Gradients of the scalar `f(*arrays)` with respect to each array, by central differences.

    `f` takes float64 ndarrays (0-d or not) and returns anything numpy can sum: the checked
    function is `sum(f(...))`, which is what `y.backward()` seeds (a ones gradient) computes.
    """
    arrays = [np.array(a, dtype=np.float64) for a in arrays]

    def total():
        return float(np.sum(f(*[a.copy() for a in arrays])))

    grads = []
    for a in arrays:
        g = np.zeros_like(a)
        # np.ndindex(()) yields the single index () of a 0-d array, so scalars work too.
        for idx in np.ndindex(a.shape):
            orig = a[idx]
            # Step relative to the value, so large and small inputs get the same precision.
            h = eps * max(1.0, abs(orig))
            a[idx] = orig + h
            up = total()
            a[idx] = orig - h
            down = total()
            a[idx] = orig
            g[idx] = (up - down) / (2 * h)
        grads.append(g)
    return grads


def assert_grads_close(actual, expected, rtol=1e-5, atol=1e-6):
    """Each analytic gradient has its input's shape and matches the numerical one."""
    assert len(actual) == len(expected)
    for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
        assert a is not None, f"input {i} got no gradient"
        assert isinstance(a, np.ndarray), f"input {i}: grad is {type(a).__name__}"
        assert a.shape == e.shape, f"input {i}: grad shape {a.shape}, input shape {e.shape}"
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=f"input {i}")
