"""Where a sweep's passes run: a local process pool, or a Dask cluster. Both are
`concurrent.futures` executors, so the sweep submits and waits the same way on either; each pass
still starts its own fresh `loop.py` process wherever it lands."""

import contextlib
import multiprocessing
import re
import sys
from concurrent.futures import ProcessPoolExecutor

from ..errors import HarnessError
from ..measure import children, runner

LOCAL = "local"
SCHEDULER = re.compile(r"^[a-z][a-z0-9+]*://\S+$")  # tcp://HOST:PORT, tls://..., inproc://...
CONNECT_TIMEOUT_S = 30


def measure_pass(variant, settings, pass_name):
    """One pass of one point wherever the executor runs it: (variant record, where it ran)."""
    return runner.measure(variant, settings, passes=(pass_name,)), _where()


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
        # spawn: a forked copy of a parent with threads (progress bars, pytest) can deadlock.
        pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=children.become_worker,
        )
        try:
            yield pool, f"a local pool of {workers} process{'es' if workers > 1 else ''}"
        except BaseException:
            # Interrupted (or failed): a running pass may have minutes to go. SIGTERM makes each
            # worker stop its loop.py child and remove its temporary folder, then exit.
            _terminate_workers(pool)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
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


def _terminate_workers(pool):
    if hasattr(pool, "terminate_workers"):  # Python 3.14
        pool.terminate_workers()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        if process.is_alive():
            process.terminate()


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
