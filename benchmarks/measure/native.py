"""The native pass: the classic loop under memray's tracker, which intercepts every allocator in
the process (pymalloc, malloc, mmap; C and C++ alike), so an engine that allocates outside
Python's allocators (PyTorch) gets an exact allocation peak, as numpy and our core get from
tracemalloc.

Imported only in a native pass's child (`loop.py --native CAPTURE_FILE`): memray is the optional
`native` extra. How the tracker is set up, and what its peak is against tracemalloc's:
docs/measurement.md, "The native pass".
"""

import functools
from pathlib import Path

import memray

from .. import figures as F
from . import peak_stacks
from .probes import MIB

TRACKER_OPTIONS = {
    # Every pymalloc block counted on its own, as tracemalloc counts it; without this memray
    # sees pymalloc's 1 MiB arenas, and a Python object counts only when it needs a new one.
    "trace_python_allocators": True,
    # The C and C++ frames under each allocation (PyTorch's allocator, numpy's): the flame
    # graph's native frames, so only where the stacks at the peak are kept. The peak does not
    # depend on it, and unwinding every allocation's stack costs a tenth of the pass.
    "native_traces": True,
}
# Deeper than any stack: with a limit, memray also returns the frames above the one that
# started the tracker (run, main, <module>), which it hides otherwise.
_ALL_FRAMES = 1_000_000
_PYMALLOC = {
    memray.AllocatorType.PYMALLOC_MALLOC,
    memray.AllocatorType.PYMALLOC_CALLOC,
    memray.AllocatorType.PYMALLOC_REALLOC,
}


class NativePass:
    """memray's tracker around the loop alone, writing to `capture_file` (which must not exist).

    `start()` goes where the traced pass starts tracemalloc, before the loop's last collection,
    and `stop()` right after the last iteration: the capture then holds the loop's allocations
    and nothing from before, so no baseline is subtracted.
    """

    def __init__(self, capture_file, keep_stacks=True):
        self.capture_file = Path(capture_file)
        self.keep_stacks = keep_stacks
        self.options = {**TRACKER_OPTIONS, "native_traces": keep_stacks}
        self._tracker = memray.Tracker(self.capture_file, **self.options)

    def start(self):
        self._tracker.__enter__()

    def stop(self):
        self._tracker.__exit__(None, None, None)

    def figures(self, min_share=peak_stacks.MIN_SHARE):
        """The pass's figures for the child's report, read back from the capture; the stacks
        alive at the peak only if kept (reading them takes seconds where the peak holds tens of
        thousands of groups of allocations, as PyTorch's does)."""
        with memray.FileReader(self.capture_file) as reader:
            meta = reader.metadata
            stacks = None
            if self.keep_stacks:
                stacks = peak_stacks.summarise(stacks_at_peak(reader), min_share)
        return {
            # memray's own high-water mark: it replays every record of the capture, as the
            # allocations alive there (the stacks' bytes) add up to, to the byte.
            F.NATIVE_PEAK.name: meta.peak_memory / MIB,
            "native": {
                "capture_file": self.capture_file.name,
                "allocations": meta.total_allocations,
                "tracker": self.options,
                "memray": memray.__version__,
                "peak_stacks": stacks,
            },
        }


def stacks_at_peak(reader):
    """(frames root first, bytes, allocations) of every group of allocations alive at the
    capture's high-water mark, frames as `peak_stacks` names them.

    The Python frames come whole from memray's Python stack. Below the innermost of them, for
    an allocation that did not go through pymalloc, come the native frames from memray's hybrid
    stack: numpy's or PyTorch's code that called the allocator. A pymalloc block is a Python
    object or buffer; its Python line says where it came from, and resolving tens of thousands
    of hybrid stacks (PyTorch's peak holds 69,000 groups) would take seconds for that.
    """
    has_native = reader.metadata.has_native_traces
    for record in reader.get_high_watermark_allocation_records(merge_threads=True):
        python = record.stack_trace(max_stacks=_ALL_FRAMES)  # innermost first
        frames = [f for f in (_python_frame(*raw) for raw in reversed(python)) if f]
        if has_native and record.allocator not in _PYMALLOC:
            below, known = [], set(python)
            for frame in record.hybrid_stack_trace():
                if frame in known:
                    break
                below.append(frame)
            frames += [f for f in (_native_frame(*raw) for raw in reversed(below)) if f]
        yield tuple(frames), record.size, record.n_allocations


# Stacks repeat the same frames thousands of times: name each once.
_python_frame = functools.cache(peak_stacks.python_frame)
_native_frame = functools.cache(peak_stacks.native_frame)
