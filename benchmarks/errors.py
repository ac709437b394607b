"""The harness's one error type: a message for the user and the exit status the CLI gives it;
and the one way it stops on a signal."""

import contextlib
import signal
import threading


class HarnessError(Exception):
    """Something the user must fix (a missing or broken file, a bad setting); never a bug.

    The CLI prints `error: <message>` and exits with `exit_code`: 2 for a refused input, the
    convention of argparse and of `compare`.
    """

    exit_code = 2

    def __init__(self, message, exit_code=None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class Interrupted(BaseException):
    """A signal (SIGINT, SIGTERM, SIGHUP) asked the harness to stop.

    Raised in the main thread, and not an Exception, so no `except Exception` swallows it and
    every `finally` on the way out runs: children are killed, the results measured so far are
    written as an interrupted run, temporary folders are removed. The CLI exits 128 + signal.
    """

    def __init__(self, signum, note=""):
        self.signum = signum
        self.name = signal.Signals(signum).name
        self.note = note  # what was kept, e.g. the partial results file
        super().__init__(f"interrupted by {self.name}")

    @property
    def exit_code(self):
        return 128 + self.signum


STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@contextlib.contextmanager
def stop_on_signals(signals=STOP_SIGNALS):
    """While active, the first of `signals` raises Interrupted in the main thread; later ones
    are ignored, so the clean-up it starts can finish. The previous handlers come back after."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers; its caller handles signals
        return
    seen = []

    def stop(signum, frame):
        if not seen:
            seen.append(signum)
            raise Interrupted(signum)

    previous = {s: signal.signal(s, stop) for s in signals}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
