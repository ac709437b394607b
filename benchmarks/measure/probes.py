"""What a measured process reads of itself (and its parent of it): RSS now, the kernel's peak,
the iteration reached and every garbage collection. The child script and the pytest memory
probe both use these; they import only the standard library, since the child pays for every
import in its baseline.
"""

import array
import gc
import mmap
import os
import resource
import struct
import sys
import time
import tracemalloc

MIB = 2**20
# The variables that size numpy's BLAS thread pool (OpenBLAS, an OpenMP build, MKL), which
# loop.py sets before importing numpy.
THREAD_LIMITS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def current_rss_mib():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MIB
    except OSError:  # not Linux
        import psutil

        return psutil.Process().memory_info().rss / MIB


def memory_status_mib(pid="self"):
    """(RSS, high-water mark of RSS) in MiB of process `pid` from /proc/<pid>/status (VmRSS,
    VmHWM), or None off Linux or once the process has ended. The high-water mark is the
    process's own since its exec: it does not count what the parent held when it started it."""
    found = {}
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith((b"VmRSS:", b"VmHWM:")):
                    found[line[:5]] = int(line.split()[1]) / 1024  # kB
    except (OSError, ValueError):
        return None
    if len(found) != 2:  # a zombie: its memory is gone
        return None
    return found[b"VmRSS"], found[b"VmHWM"]


# What kernel_peak_rss_mib counts here, for the results file's environment.
KERNEL_PEAK = (
    "VmHWM: the child's own peak RSS since its exec (/proc/<pid>/status)"
    if sys.platform.startswith("linux")
    else "ru_maxrss of the child: may include what the parent held when it started the child"
)


def kernel_peak_rss_mib():
    """The kernel's high-water mark of this process's RSS (see KERNEL_PEAK for which figure)."""
    status = memory_status_mib()
    if status is not None:
        return status[1]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / MIB if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


# The progress page of a child set up and waiting for its loop's turn (turns.py); -1 before.
READY = -2


class Progress:
    """The iteration reached, for the gc callback and (through a shared page) the parent."""

    def __init__(self, path=None):
        self.iter = -1
        self._map = None
        if path:
            with open(path, "r+b") as f:
                self._map = mmap.mmap(f.fileno(), 8)

    def set(self, i):
        self.iter = i
        if self._map is not None:
            struct.pack_into("q", self._map, 0, i)


class LiveProbe:
    """What is alive, read at checkpoints: the end of every iteration and the start and stop of
    every collection. tracemalloc's current bytes (0 when not tracing) and the gen0 count at the
    end of each iteration, and the checkpoint where the most was alive.

    Every pass reads the same way, traced or not, and stores into preallocated arrays, so no
    pass allocates a tracked object the other does not: their collections fall on the same
    iterations. With `snapshot_at`, a tracemalloc snapshot is taken at that checkpoint (the
    explanation pass, which reruns the traced pass up to its peak).
    """

    KINDS = ("iteration end", "collection start", "collection stop")
    END, START, STOP = range(3)

    def __init__(self, iters, snapshot_at=None):
        self.bytes = array.array("q", bytes(8 * iters))
        self.counts = array.array("q", bytes(8 * iters))
        # most alive: bytes, checkpoint number, kind, iteration; then the checkpoints so far;
        # then tracemalloc's peak at the last checkpoint, the highest seen at an iteration's
        # end and the iteration it was reached in
        self._most = array.array("q", [-1, -1, 0, -1, 0, 0, 0, -1])
        self.snapshot_at = snapshot_at
        # Set once armed (loop.py --explain-else): (low, high), the snapshot at the first
        # checkpoint with between low and high bytes alive, whichever its number.
        self.snapshot_range = None
        self.snapshot = None
        self.snapshot_where = None  # (event, function) of a snapshot taken by `watch`
        self.snapshot_checkpoint = None  # (kind, iteration) of one taken at a checkpoint
        self.iter = -1

    def checkpoint(self, kind):
        """Bytes alive now; takes the snapshot when this is the checkpoint asked for."""
        current, peak = tracemalloc.get_traced_memory()
        most, n = self._most, self._most[4]
        if current > most[0]:  # one store a line: unpacking four would make a tracked tuple
            most[0] = current
            most[1] = n
            most[2] = kind
            most[3] = self.iter
        most[4] = n + 1
        most[5] = peak
        within = self.snapshot_range is not None and (
            self.snapshot_range[0] <= current <= self.snapshot_range[1]
        )
        wanted = n == self.snapshot_at or within
        if wanted and self.snapshot is None and tracemalloc.is_tracing():
            self.snapshot = tracemalloc.take_snapshot()
            self.snapshot_at, self.snapshot_checkpoint = n, (kind, self.iter)
        return current

    def iteration_end(self, i):
        """Record iteration `i`'s end; True once the snapshot asked for has been taken."""
        self.iter = i
        self.bytes[i] = self.checkpoint(self.END)
        self.counts[i] = gc.get_count()[0]
        most = self._most
        if most[5] > most[6]:  # the traced peak rose during this iteration
            most[6] = most[5]
            most[7] = i
        return self.snapshot is not None

    def watch(self, target):
        """A trace function (`sys.settrace`) that takes the snapshot at the first bytecode, call
        or return at which tracemalloc's current bytes reach `target`.

        A peak inside an iteration lies inside an op: numpy's output made while its input is
        alive, before the bytecode that drops the input runs. No checkpoint is there, but a
        bytecode event is. Only the explanation pass sets it: the frame objects it is handed
        would move the collections of a measured pass.
        """

        def trace(frame, event, arg):
            if self.snapshot is not None:
                return None  # stop tracing this frame
            if tracemalloc.get_traced_memory()[0] >= target:
                self.snapshot = tracemalloc.take_snapshot()
                sys.settrace(None)
                code = frame.f_code
                self.snapshot_where = (event, code.co_qualname, code.co_filename, frame.f_lineno)
                return None
            frame.f_trace_opcodes = True
            return trace

        return trace

    def summary(self, done):
        """The JSON-ready readings of `done` iterations (traced passes only)."""
        most = self._most
        return {
            "iter_mib": [round(b / MIB, 4) for b in self.bytes[:done]],
            "gen0_count": list(self.counts[:done]),
            "most_alive": {
                "checkpoint": most[1],
                "kind": self.KINDS[most[2]],
                "iter": most[3],
                "mib": most[0] / MIB,
            },
            "peak_iter": most[7],  # the iteration tracemalloc's peak was reached in
        }


class GcRecorder:
    """Collections per generation, objects collected, pause and the iteration of each; with a
    LiveProbe, also the bytes alive before and after each (traced passes)."""

    MAX_EVENTS = 20_000

    def __init__(self, progress, live=None):
        self.progress = progress
        self.live = live
        self._before = 0
        self.collections = [0, 0, 0]
        self.collected = 0
        self.pause_s = 0.0
        self.events = []
        self._start = 0.0

    def __call__(self, phase, info):
        if phase == "start":
            if self.live is not None:
                self._before = self.live.checkpoint(LiveProbe.START)
            self._start = time.perf_counter()
            return
        pause = time.perf_counter() - self._start
        after = self.live.checkpoint(LiveProbe.STOP) if self.live is not None else 0
        gen = info["generation"]
        self.collections[gen] += 1
        self.collected += info["collected"]
        self.pause_s += pause
        if len(self.events) < self.MAX_EVENTS:
            event = {
                "iter": self.progress.iter,
                "generation": gen,
                "collected": info["collected"],
                "pause_s": pause,
            }
            if self.live is not None:  # the same keys traced or not: the same allocations
                traced = tracemalloc.is_tracing()
                before, after = (self._before / MIB, after / MIB) if traced else (None, None)
                event["live_before_mib"] = before
                event["live_after_mib"] = after
                event["freed_mib"] = before - after if traced else None
            self.events.append(event)

    def summary(self):
        return {
            "enabled": gc.isenabled(),
            "threshold": list(gc.get_threshold()),
            "collections": self.collections,
            "collected": self.collected,
            "pause_s": self.pause_s,
            "events": self.events,
        }
