"""Repo-wide pytest settings. The plain `python -m pytest` runs the tests in parallel (pytest-xdist,
one worker per core) and each benchmark function once; `pytest --benchmark-only` (or
`--benchmark-enable`) times the benchmarks for real, one at a time in one process, and prints
them as benchmarks/suite/terminal.py says."""

import gc
import os

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = ["benchmarks.suite.terminal"]

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60
)
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")

# What an xdist worker puts in its environment, so its children inherit it.
_WORKER_VARIABLES = ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID")


def pytest_xdist_auto_num_workers(config):
    # `-n auto`: the cores this process may run on (a container's share, not the host's count).
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own reading of the variable
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    # Runs before pytest-benchmark and pytest-xdist read their options.
    from benchmarks.suite.terminal import timing  # imported as a plugin, after this module

    opt = config.option
    if not hasattr(config, "workerinput"):
        # A pytest started by a test (the speed step's) inherits a worker's variables without
        # being one; pytest-benchmark would take it for a worker and refuse to time.
        for name in _WORKER_VARIABLES:
            os.environ.pop(name, None)
    # In this process alone, whatever -n the settings ask for: timings taken beside another
    # worker's tests would measure the neighbour, and what the tests print with -s (the memory
    # limits' figures) reaches the terminal from this process only.
    if (timing(config) or opt.capture == "no") and getattr(opt, "dist", "no") != "no":
        opt.numprocesses, opt.dist, opt.tx = 0, "no", []
    if not timing(config) and hasattr(opt, "benchmark_disable"):
        # A plain `pytest` runs each benchmark function once (fast), untimed.
        opt.benchmark_disable = True


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield
    # A full collection walks every object alive, and the imports alone make 150,000 to 270,000
    # of them (numpy, matplotlib, hypothesis, PyTorch): 70 ms a collection, and the tests and
    # benchmarks collect hundreds of times. Frozen (gc.freeze), what is alive between two tests
    # is out of the collector's sight, so each test's collections walk what that test made, as
    # in the fresh processes the harness measures in. Frozen objects are never collected: the
    # garbage goes first.
    gc.collect()
    gc.freeze()
