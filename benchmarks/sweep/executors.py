"""Where a sweep's passes run: a local process pool, or a Dask cluster. Both are
`concurrent.futures` executors, so the sweep submits and waits the same way on either; each pass
still starts its own fresh `loop.py` process wherever it lands."""

import contextlib
import multiprocessing
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

from ..errors import HarnessError
from ..measure import children, runner

LOCAL = "local"
SCHEDULER = re.compile(r"^[a-z][a-z0-9+]*://\S+$")  # tcp://HOST:PORT, tls://..., inproc://...
CONNECT_TIMEOUT_S = 30
STOP_GRACE_S = 2  # a worker that SIGTERM has not ended by then gets SIGKILL


def measure_pass(variant, settings, pass_name, census=None):
    """One pass of one point wherever the executor runs it: (variant record, where it ran).
    `census`: the traced pass's, taken already (runner.explain)."""
    return runner.measure(variant, settings, passes=(pass_name,), census=census), _where()


def _where():
    # Only a Dask worker has imported distributed; a local pool worker answers "local".
    distributed = sys.modules.get("distributed")
    if distributed is not None:
        try:
            return distributed.get_worker().address
        except ValueError:  # distributed imported, but this is not a worker's task
            pass
    return LOCAL


@contextlib.contextmanager
def make(workers, scheduler=None):
    """(executor, description): a pool of `workers` processes, or the Dask cluster at
    `scheduler`. Pending passes are cancelled on the way out, interrupted or not."""
    if scheduler is None:
        with _local_pool(workers) as pool:
            yield pool, f"a local pool of {workers} process{'es' if workers > 1 else ''}"
        return
    client = _connect(scheduler)
    try:
        # pure=False: two passes with the same arguments are two measurements, not one cached.
        executor = client.get_executor(pure=False)
        try:
            yield executor, f"the Dask cluster at {scheduler}"
        finally:
            executor.shutdown(wait=True)
    finally:
        client.close()


class _Pool(ProcessPoolExecutor):
    def submit(self, *args, **kwargs):
        # A worker may start here: it must not see a Ctrl-C before it ignores one. Blocked, a
        # signal waits, here as in the worker (which unblocks it once it ignores it).
        with children.stop_signals_blocked():
            return super().submit(*args, **kwargs)


@contextlib.contextmanager
def _local_pool(workers):
    """A process pool whose workers (children.become_worker) make their temporary folders in
    one folder of ours. Left by an error or a signal, it stops the workers itself rather than
    wait on them: a worker stopped while it held a queue's lock would keep a waiting
    `shutdown` forever. Then that folder goes, whatever the workers left in it."""
    scratch = tempfile.mkdtemp(prefix="agbench-pool-")
    try:
        # spawn: a forked copy of a parent with threads (progress bars, pytest) can deadlock.
        pool = _Pool(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=children.become_worker,
            initargs=(scratch,),
        )
        try:
            yield pool
        except BaseException:
            _stop_workers(pool)
            pool.shutdown(wait=False, cancel_futures=True)
            _let_the_pool_thread_end(pool)
            raise
        pool.shutdown(wait=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _stop_workers(pool, grace_s=STOP_GRACE_S):
    """SIGTERM to every worker, and SIGKILL to any still there after `grace_s`; reaped."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + grace_s
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()
    # A worker killed while it sent a result leaves half a message, which the pool's own
    # thread would wait for forever (and the interpreter for that thread at exit): with every
    # writer of that pipe closed, it reads the pipe's end instead, and stops.
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
    if writer is not None:
        writer.close()


def _let_the_pool_thread_end(pool, grace_s=STOP_GRACE_S):
    """Wait (at most `grace_s`) for the pool's own thread, which ends once its workers are gone.
    Left running, it closes its wake-up pipe while the interpreter's exit writes to it (3.11's
    concurrent.futures takes no lock there), and the exit prints an OSError traceback."""
    thread = getattr(pool, "_executor_manager_thread", None)
    if thread is not None:
        thread.join(grace_s)


def _connect(scheduler):
    if not SCHEDULER.match(scheduler):
        raise HarnessError(
            f"--scheduler {scheduler!r}: expected an address such as tcp://HOST:PORT"
        )
    try:
        from distributed import Client
    except ImportError:
        raise HarnessError(
            "--scheduler needs dask.distributed: pip install -e '.[cluster]'"
        ) from None
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as e:
        raise HarnessError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from None
