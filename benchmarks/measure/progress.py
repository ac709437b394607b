"""What a person sees while the matrix runs: a live bar per running pass on a terminal, plain
lines elsewhere; a line for each pass as it ends and one for each variant once measured."""

import contextlib
import sys
import threading

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .. import figures as F


def summary(record):
    """One line on a finished variant."""
    if record["status"] == "skipped":
        return f"{record['name']}: skipped ({record['error']})"
    if record["status"] != "ok":
        return f"{record['name']}: {record['status']}: {record['error']}"

    shown = ", ".join(f"{f.title} {F.text(f, record.get(f.name))}" for f in F.FIGURES if f.column)
    native_error = (record.get("native") or {}).get("error")
    notes = [*(record.get("warnings") or []), *([native_error] if native_error else [])]
    warnings = "".join(f"\n  warning: {w}" for w in notes)
    return f"{record['name']}: {shown}{warnings}"


def pass_summary(record):
    """What one pass measured, in a few words: the figures it gave, or why it gave none."""
    if record["status"] != "ok":
        lines = [line for line in str(record["error"]).splitlines() if line.strip()]
        return f"{record['status']}: {lines[-1].strip() if lines else ''}"
    native_error = (record.get("native") or {}).get("error")
    if native_error:
        return native_error.splitlines()[-1].strip()
    return ", ".join(
        f"{f.title} {F.text(f, record[f.name])}"
        for f in F.FIGURES
        if f.column and record.get(f.name) is not None and f is not F.FLOOR
    )


class _Plain:
    """Lines only; passes run in several threads, so each line is printed whole, under a lock."""

    def __init__(self, passes, stream):
        self.stream = stream
        self.passes = passes
        self.count = 0
        self.lock = threading.Lock()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def print(self, line):
        with self.lock:
            print(line, file=self.stream, flush=True)

    @contextlib.contextmanager
    def running(self, label):
        """Around one pass: a callable that takes the iteration the pass reached, or None."""
        yield None

    def pass_done(self, label, record):
        with self.lock:
            self.count += 1
            count = self.count
        self.print(f"[{count}/{self.passes}] {label}: {pass_summary(record)}")

    def done(self, record):
        self.print("  " + summary(record))


class _Live(_Plain):
    def __init__(self, passes, settings, stream):
        super().__init__(passes, stream)
        self.iters = settings.iters
        self.console = Console(file=stream)
        self.bar = Progress(
            TextColumn("{task.description:<28}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )

    def __enter__(self):
        self.bar.start()
        return self

    def __exit__(self, *exc):
        self.bar.stop()
        return False

    def print(self, line):
        self.console.print(line, markup=False, highlight=False)  # the console has its own lock

    @contextlib.contextmanager
    def running(self, label):
        task = self.bar.add_task(label, total=self.iters)
        try:
            yield lambda i: self.bar.update(task, completed=max(i, 0))
        finally:
            self.bar.remove_task(task)


def make_display(passes, settings, stream=None):
    """The display of a run of `passes` passes in all."""
    stream = stream or sys.stderr
    if stream.isatty():
        return _Live(passes, settings, stream)
    return _Plain(passes, stream)
