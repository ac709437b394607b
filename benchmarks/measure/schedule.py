"""Which passes may run side by side, and a window that runs them so through an executor; the
matrix (matrix.py) and the sweep (benchmarks/sweep/) schedule their passes alike.

The traced pass (with the explanation pass it starts) and the native pass count allocations,
which do not depend on what else runs on the machine: they run first, up to `jobs` at a time.
The untraced pass times the loop and samples its RSS, which neighbours do disturb: those run
after every exact pass, never beside one. In the matrix two of them are under way at once when
`jobs` allows: their children start and import side by side, and their loops run one after the
other, each alone (turns.py).
"""

from concurrent.futures import FIRST_COMPLETED, wait

from .runner import NATIVE, TRACED, UNTRACED
from .turns import Turns

# How often the waiting main thread wakes: a stop signal may be delivered to any thread (a
# pass's watcher, say), and Python runs its handler only when the main thread next runs code,
# which an untimed wait would put off until a pass ends, minutes later.
SIGNAL_CHECK_S = 0.1
EXACT = (TRACED, NATIVE)  # independent of load: side by side
ALONE = (UNTRACED,)  # disturbed by neighbours: by themselves
PHASES = (EXACT, ALONE)


def limit(phase, jobs):
    """(how many of `phase`'s passes may be under way at once, the Turns they share or None)."""
    if phase is EXACT:
        return jobs, None
    if jobs < 2:
        return 1, None
    return 2, Turns()  # two children setting up side by side, at most one loop


def phase_of(pass_name):
    return next(i for i, phase in enumerate(PHASES) if pass_name in phase)


def window(tasks, limit, submit):
    """(task, finished future) as they finish, with at most `limit` submitted at once;
    `submit(task)` gives the task's future."""
    queue, pending = iter(tasks), {}
    while True:
        while len(pending) < limit and (task := next(queue, None)) is not None:
            pending[submit(task)] = task
        if not pending:
            return
        done, _ = wait(pending, timeout=SIGNAL_CHECK_S, return_when=FIRST_COMPLETED)
        for future in done:
            yield pending.pop(future), future
