"""Child processes that never outlive the harness.

On Linux the kernel kills a child the moment its parent dies, however it dies (SIGKILL too):
`PR_SET_PDEATHSIG`, set between fork and exec, survives the exec. A signal the parent can
catch stops the children first (`errors.stop_on_signals` unwinds through `start`'s callers,
which kill the child they started). Elsewhere only the second half holds.
"""

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor

from ..errors import STOP_SIGNALS

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
# Set while a pool of watching threads is stopped: each watcher kills its child, and no new one
# starts (`watchers`).
_STOPPING = threading.Event()


def stopping():
    """Whether the harness is stopping the passes its threads watch: kill the child now."""
    return _STOPPING.is_set()


class Stopped(Exception):
    """A pass that was about to start while the harness stops them all."""


def _parent_death_signal():
    """A preexec function that makes the child die with this process, or None off Linux."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def die_with_parent():
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the line above took effect
            os._exit(1)

    return die_with_parent


@contextlib.contextmanager
def running(cmd, **kwargs):
    """subprocess.Popen(cmd, **kwargs) as a context: a child that dies with this process and is
    killed when the block is left, by an error or a signal's Interrupted alike.

    The stop signals wait while the child starts: one that came then would leave Popen with
    the child started and not yet known to anyone here. It is taken once `child` is set."""
    child = None
    if stopping():
        raise Stopped("the harness is stopping: no new child")
    try:
        with stop_signals_blocked():
            child = subprocess.Popen(cmd, preexec_fn=_parent_death_signal(), **kwargs)
        yield child
    finally:
        if child is not None:
            stop(child)
            if child.stdin is not None:  # a pipe the parent writes (an untraced pass's turn)
                with contextlib.suppress(OSError):
                    child.stdin.close()


@contextlib.contextmanager
def stop_signals_blocked():
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def stop(child):
    """Kill `child` if it still runs, and reap it."""
    if child.returncode is None:
        child.kill()
        child.wait()


@contextlib.contextmanager
def watchers(workers):
    """A pool of `workers` threads, each watching one child process at a time. Left by an error
    or a signal's Interrupted, it stops them: every child they watch is killed, no new one
    starts, and the threads are gone before the exception goes on.

    Threads, not processes: a child dies with the thread that started it (PR_SET_PDEATHSIG
    follows the thread), and these live until the pool is shut down, after their children."""
    pool = ThreadPoolExecutor(workers, thread_name_prefix="pass")
    try:
        yield pool
    except BaseException:
        _STOPPING.set()
        try:
            pool.shutdown(wait=True, cancel_futures=True)
        finally:
            _STOPPING.clear()
        raise
    pool.shutdown(wait=True)


def run(cmd, **kwargs):
    """subprocess.run(cmd, **kwargs) for a child that dies with this process: its exit code."""
    with running(cmd, **kwargs) as child:
        return child.wait()


def become_worker(scratch=None):
    """Make this process a pool worker measuring passes (the initializer of sweep's pool).

    Ctrl-C reaches the whole process group, but only the parent acts on it: the worker
    ignores SIGINT and SIGHUP, and the parent stops it (SIGTERM, then SIGKILL) without waiting
    on it, so no worker prints a traceback or holds the pool's queues when it dies. A worker
    dies at once on SIGTERM, and with its parent (PR_SET_PDEATHSIG): its pass's loop.py dies
    with it, and its temporary folders are made in `scratch`, which the parent owns and
    removes once its workers are gone."""
    for signum in (signal.SIGINT, getattr(signal, "SIGHUP", None)):
        if signum is not None:
            signal.signal(signum, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # blocked while the parent started this worker
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    if scratch is not None:
        os.environ["TMPDIR"] = tempfile.tempdir = scratch
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
