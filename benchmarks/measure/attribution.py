"""Peak attribution: the source lines that allocated what was alive at the peak, from the
tracemalloc snapshot the explanation pass takes where the traced pass saw the most alive."""

import ast
import functools
import sys
import tracemalloc
from pathlib import Path

from .probes import MIB

TOP = 10
_ROOT = Path(__file__).resolve().parents[2]  # the project root


_LIBRARIES = ("site-packages", "dist-packages")


def _home(path):
    """The folder a file is named from: the innermost site-packages that holds it (a virtual
    environment may lie inside the project), else the project root, else the deepest folder on
    sys.path that holds it (the standard library's), or None."""
    libraries = [i for i, part in enumerate(path.parts) if part in _LIBRARIES]
    if libraries:
        return Path(*path.parts[: libraries[-1] + 1])
    if path.is_relative_to(_ROOT):
        return _ROOT
    homes = [Path(p) for p in sys.path if p and path.is_relative_to(p)]
    return max(homes, key=lambda p: len(p.parts)) if homes else None


def shown(filename):
    """A file as the report names it: from the project root, or from the folder on sys.path
    that holds it (numpy/..., not a machine's install path)."""
    path = Path(filename)
    if not path.is_absolute():
        return filename
    home = _home(path)
    return path.relative_to(home).as_posix() if home else path.name


def in_project(filename):
    """Whether a file is the project's own source, not a library's or the interpreter's."""
    path = Path(filename)
    return path.is_absolute() and _home(path) == _ROOT


@functools.cache
def _functions(filename):
    """(first line, last line, qualified name) of every function in a source file."""
    try:
        tree = ast.parse(Path(filename).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return ()
    found = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    found.append((child.lineno, child.end_lineno, name))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return tuple(found)


def function_at(filename, line):
    """The innermost function whose source holds `line`, or "<module>"."""
    inside = [f for f in _functions(filename) if f[0] <= line <= f[1]]
    return max(inside, key=lambda f: f[0])[2] if inside else "<module>"


def attribute(snapshot, top=TOP):
    """The `top` source lines by bytes alive in `snapshot`, and what the snapshot holds."""
    snapshot = snapshot.filter_traces((tracemalloc.Filter(False, tracemalloc.__file__),))
    stats = snapshot.statistics("lineno")
    lines = []
    for stat in stats[:top]:
        frame = stat.traceback[0]
        lines.append(
            {
                "file": shown(frame.filename),
                "line": frame.lineno,
                "function": function_at(frame.filename, frame.lineno),
                "mib": stat.size / MIB,
                "blocks": stat.count,
            }
        )
    return {
        "total_mib": sum(s.size for s in stats) / MIB,
        "blocks": sum(s.count for s in stats),
        "lines": lines,
    }
