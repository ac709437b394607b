"""Benchmarks share one process: nothing one of them leaves behind may land in the next one's
timed rounds or traced peak."""

import gc

import pytest


@pytest.fixture(autouse=True)
def _collect_garbage():
    yield
    # A strong graph is freed only by the cyclic GC; pytest-benchmark skips teardown when
    # benchmarks are disabled, so the last round's graph may still be waiting here.
    gc.collect()
