"""The report's sections, in the order the page shows them.

Each section is one module here with a `build(inputs)` that returns one `Section` (report/
section.py): its id and title, a one-line summary computed from the figures (what the section
says while it is closed), the values its template reads, and the files it writes beside
index.html. Its template is templates/sections/<id>.html.j2; the page wraps every section but
the first screen in a <details> that opens on the summary.

Adding a section is three steps: a module here with `build(inputs) -> Section`, its template,
and one line in ORDER below.
"""

import multiprocessing
import signal
import threading
from concurrent.futures import ProcessPoolExecutor

from ...errors import STOP_SIGNALS
from . import (
    across,
    benchmarks,
    environment,
    first_screen,
    history,
    mprof,
    plots,
    ratios,
    scaling,
    tradeoff,
    variants,
    why,
)

ORDER = (
    first_screen,
    plots,
    variants,
    why,
    tradeoff,
    across,
    scaling,
    ratios,
    benchmarks,
    mprof,
    history,
    environment,
)


def build(inputs, jobs=1):
    """Every section, in ORDER; with `jobs` > 1, that many at a time in forked processes (a
    section's time is mostly matplotlib drawing its plots, which holds the GIL: threads would
    not help). Forking is only safe with no other thread running: otherwise, one at a time."""
    pool = _pool(jobs, inputs)
    if pool is None:
        return [module.build(inputs) for module in ORDER]
    try:
        return list(pool.map(_build, range(len(ORDER))))
    finally:
        # A stop signal (or a section's error) must not wait for the sections still queued.
        pool.shutdown(wait=False, cancel_futures=True)
        for child in multiprocessing.active_children():
            child.terminate()


def _can_fork():
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _pool(jobs, inputs):
    """`jobs` forked workers that hold `inputs`, or None where they cannot be had: one job,
    another thread running, or no working semaphores (a container without /dev/shm)."""
    if jobs <= 1 or not _can_fork():
        return None
    context = multiprocessing.get_context("fork")
    try:
        return ProcessPoolExecutor(jobs, context, initializer=_worker, initargs=(inputs,))
    except OSError:
        return None


_inputs = None  # a worker's Inputs, inherited from the parent through the fork


def _worker(inputs):
    global _inputs
    _inputs = inputs
    # A stop signal ends a worker at once; the parent says what was stopped.
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)


def _build(index):
    return ORDER[index].build(_inputs)
