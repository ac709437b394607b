"""Fixtures shared by the memory tests."""

import gc

import pytest


@pytest.fixture
def gc_off():
    """The cyclic GC off for one test, from an empty heap, and every cycle freed afterwards.

    "Freed" in such a test means freed by reference counting alone; the strong graph's garbage
    stays until the fixture's final collection, so no test leaves cycles to the next one.
    """
    was_enabled = gc.isenabled()
    gc.collect()  # start from no garbage, so collections counted below are the test's own
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect()
