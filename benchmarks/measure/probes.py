"""What a measured process reads of itself (and its parent of it): RSS now, the kernel's peak,
the iteration reached and every garbage collection. The child script and the pytest memory
probe both use these; they import only the standard library, since the child pays for every
import in its baseline.
"""

import gc
import mmap
import os
import resource
import struct
import sys
import time

MIB = 2**20


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


class GcRecorder:
    """Collections per generation, objects collected, pause and the iteration of each."""

    MAX_EVENTS = 20_000

    def __init__(self, progress):
        self.progress = progress
        self.collections = [0, 0, 0]
        self.collected = 0
        self.pause_s = 0.0
        self.events = []
        self._start = 0.0

    def __call__(self, phase, info):
        if phase == "start":
            self._start = time.perf_counter()
            return
        pause = time.perf_counter() - self._start
        gen = info["generation"]
        self.collections[gen] += 1
        self.collected += info["collected"]
        self.pause_s += pause
        if len(self.events) < self.MAX_EVENTS:
            self.events.append(
                {
                    "iter": self.progress.iter,
                    "generation": gen,
                    "collected": info["collected"],
                    "pause_s": pause,
                }
            )

    def summary(self):
        return {
            "enabled": gc.isenabled(),
            "threshold": list(gc.get_threshold()),
            "collections": self.collections,
            "collected": self.collected,
            "pause_s": self.pause_s,
            "events": self.events,
        }
