"""Fixtures shared by the tests."""

import functools
import gc
import importlib
import os
import struct
import tempfile
import zlib

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
    folder, which must be empty at the end: the harness cleans up after itself
    (docs/guarantees.md). Files a test makes in its own tmp_path are pytest's to remove."""
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


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# A valid 1x1 white PNG: what an undrawn figure is saved as.
UNDRAWN_PNG = b"\x89PNG\r\n\x1a\n" + b"".join(
    (
        _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)),
        _chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")),
        _chunk(b"IEND", b""),
    )
)
_DRAWING_MODULES = ("plots", "bars", "live_plots", "scaling_plots", "tradeoff")


@pytest.fixture(autouse=True)
def figures_built_not_drawn(request, monkeypatch):
    """Drawing a figure (matplotlib's layout and rasterising) is most of a report's render time,
    and most tests read what the page says. Their figures are built, every artist made from the
    data as for real, but saved as UNDRAWN_PNG. Tests marked `plots` (what a drawing shows) or
    `browser` (the page as a reader sees it) draw for real."""
    if any(request.node.get_closest_marker(m) for m in ("plots", "browser")):
        # Drawn for real even within a module whose shared fixture left them undrawn.
        for module in _drawing_modules():
            monkeypatch.setattr(module, "_png", _real_pngs()[module.__name__])
        return
    undraw(monkeypatch)


@pytest.fixture(scope="module")
def figures_undrawn_in_module():
    """figures_built_not_drawn for a module's shared fixture, which is made before any test's
    own fixtures: for the module's whole life."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        undraw(monkeypatch)
        yield


def _drawing_modules():
    return [importlib.import_module(f"benchmarks.report.{name}") for name in _DRAWING_MODULES]


@functools.cache
def _real_pngs():
    # Taken the first time figures go undrawn (`undraw` asks first), so always the real ones.
    return {module.__name__: module._png for module in _drawing_modules()}


def undraw(monkeypatch):
    _real_pngs()

    def undrawn(fig):
        assert fig.axes, "a figure without axes"
        return UNDRAWN_PNG

    for module in _drawing_modules():
        monkeypatch.setattr(module, "_png", undrawn)
