"""What a person sees while the matrix runs: a live bar on a terminal, plain lines elsewhere."""

import contextlib
import sys

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
    warnings = "".join(f"\n  warning: {w}" for w in record.get("warnings") or [])
    return f"{record['name']}: {shown}{warnings}"


class _Plain:
    def __init__(self, total, stream):
        self.stream = stream
        self.total = total
        self.count = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    @contextlib.contextmanager
    def variant(self, name):
        self.count += 1
        print(f"[{self.count}/{self.total}] {name} ...", file=self.stream, flush=True)
        yield None

    def done(self, record):
        print("  " + summary(record), file=self.stream, flush=True)


class _Live(_Plain):
    def __init__(self, total, settings, stream):
        super().__init__(total, stream)
        self.iters = settings.iters
        self.console = Console(file=stream)
        self.bar = Progress(
            TextColumn("{task.description:<18}"),
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

    @contextlib.contextmanager
    def variant(self, name):
        self.count += 1
        task = self.bar.add_task(f"[{self.count}/{self.total}] {name}", total=self.iters)
        yield lambda i: self.bar.update(task, completed=max(i, 0))
        self.bar.remove_task(task)

    def done(self, record):
        self.console.print(summary(record), markup=False, highlight=False)


def make_display(total, settings, stream=None):
    stream = stream or sys.stderr
    if stream.isatty():
        return _Live(total, settings, stream)
    return _Plain(total, stream)
