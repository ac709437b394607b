"""Fixtures shared by the tests."""

import gc
import os
import tempfile

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


@pytest.fixture(scope="session", autouse=True)
def no_temporary_files_left(tmp_path_factory):
    """Every temporary file or folder the suite and the processes it starts make goes in one
    folder, which must be empty at the end: the harness cleans up after itself (README.md,
    "Guarantees"). Files a test makes in its own tmp_path are pytest's to remove."""
    folder = tmp_path_factory.mktemp("tempdir")
    saved = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"] = tempfile.tempdir = str(folder)
    try:
        yield folder
    finally:
        if saved[0] is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved[0]
        tempfile.tempdir = saved[1]
    left = sorted(p.name for p in folder.iterdir())
    assert not left, f"temporary files left behind: {left}"
