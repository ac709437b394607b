"""The C allocator of an exact pass: keep what is freed instead of handing it back.

glibc's malloc serves an 800 KB array from a fresh mmap, or trims the heap's top once that much
is free, so a loop that frees its arrays every iteration (the weak graph, numpy, no_grad) faults
every page of every array in again: a third of the pass's time. An exact pass counts allocations
(tracemalloc's bytes, memray's calls), which the allocator's policy does not change, and never
reads RSS, so it tells glibc to keep freed memory. The untraced pass, whose RSS is the figure,
keeps the policy the user's own program gets. docs/measurement.md, "What the exact passes keep".
"""

import sys

# mallopt's parameters (glibc's malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_MAX = 32 * 2**20  # glibc's upper bound on 64-bit: larger blocks still mmap
_NEVER_TRIM = 2**31 - 1


def keep_freed_memory():
    """True when glibc now keeps freed memory for reuse; False where there is no glibc (the
    allocator's own policy stays: the figures are the same, the pass slower)."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(
        mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX) and mallopt(_M_TRIM_THRESHOLD, _NEVER_TRIM)
    )
