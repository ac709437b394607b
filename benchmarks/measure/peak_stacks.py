"""What was alive at a native pass's peak, reduced to a small JSON summary: the stacks that
allocated it (root first) and their bytes, with every frame under a share of the peak merged
into one "other" frame beside its siblings.

The native pass (`benchmarks/measure/native.py`) makes the summary from memray's capture; the
flame graph (`benchmarks/report/flamegraph.py`) is drawn from the summary alone. Plain Python,
no memray: what the summary holds is decided here, and tested without a capture.
"""

import re

from .attribution import function_at, in_project, shown

MIN_SHARE = 0.005  # 6 px of a 1200 px wide graph: narrower frames could not show a label
OTHER = ("other", None, None, "other")
NO_STACK = ("no stack", None, None, "other")  # an allocation memray saw no frame for
LONGEST_NAME = 160

# Frames of the interpreter and the C library that sit between the Python code and the
# allocating library (the call machinery, the eval loop, process start-up): they name no
# decision of the code measured. With debug information memray gives their CPython source file;
# without it only the symbol, hence both lists.
_INTERPRETER_FILE = re.compile(
    r"^(\./)?(Include|Objects|Python|Modules|Parser|Programs)/"  # CPython's sources
    r"|^\.\./(sysdeps|csu)/"  # glibc's: the process's start
)
_INTERPRETER_SYMBOLS = (
    "_PyEval_",
    "PyEval_",
    "_PyObject_Call",
    "PyObject_Call",
    "_PyObject_Vectorcall",
    "PyObject_Vectorcall",
    "_PyObject_MakeTpCall",
    "_PyFunction_Vectorcall",
    "cfunction_",
    "method_vectorcall",
    "trace_call_function",
    "do_call_core",
    "__libc_start",
)


def python_frame(function, filename, line):
    """A Python frame as the summary names it: (function, file, line, kind), the file as the
    report shows files (from the project root or from its folder on sys.path); None for the
    import system's frames. The project's own functions go by their qualified name
    (`Square.forward`, as the peak's attribution names them); a library's by memray's name,
    which spares parsing every library file on a stack."""
    if filename.startswith(_IMPORT_SYSTEM):
        return None
    if not in_project(filename):
        return (function, shown(filename), line, "python")
    qualified = function_at(filename, line)
    if not qualified.endswith(function):  # a lambda or comprehension inside it: memray's name
        qualified = function
    return (qualified, shown(filename), line, "project")


# An import made inside the loop (PyTorch's first backward() imports sympy) stacks six frames
# of the import system per module between one module's body and the next: the modules' chain
# is what tells where the memory went.
_IMPORT_SYSTEM = "<frozen importlib."


def native_frame(symbol, filename, line):
    """A native frame as the summary names it, or None for the interpreter's own frames."""
    if (
        _INTERPRETER_FILE.match(filename or "")
        or symbol.startswith(_INTERPRETER_SYMBOLS)
        or symbol == "_start"
    ):
        return None
    return (short_symbol(symbol), None, None, "native")


def short_symbol(symbol):
    """A C++ symbol without its parameter list and with its template arguments folded:
    `at::native::square(at::Tensor const&)` -> `at::native::square`. Plain C names pass."""
    name = _strip_parameters(symbol)
    name = _fold_templates(name)
    return name if len(name) <= LONGEST_NAME else name[: LONGEST_NAME - 1] + "…"


def _strip_parameters(symbol):
    name = symbol.removesuffix(" const")
    if not name.endswith(")"):
        return symbol
    depth = 0
    for i in range(len(name) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(name[i], 0)
        if depth == 0:
            return name[:i] if i else symbol
    return symbol  # unbalanced: leave it as memray gave it


def _fold_templates(name):
    out, depth = [], 0
    for ch in name:
        if ch == "<":
            if depth == 0:
                out.append("<…>")
            depth += 1
        elif ch == ">" and depth:
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out) if depth == 0 else name  # unbalanced (operator<): leave it


class _Node:
    __slots__ = ("allocations", "bytes", "children", "own_allocations", "own_bytes")

    def __init__(self):
        self.bytes = self.allocations = self.own_bytes = self.own_allocations = 0
        self.children = {}


def summarise(stacks, min_share=MIN_SHARE):
    """The summary of `stacks`: (frames root first, bytes, allocations) for every group of
    allocations alive at the peak, each frame a (function, file, line, kind) tuple.

    Returns {"bytes", "allocations", "min_share", "frames", "stacks"}: `frames` lists each
    distinct frame once ({"function", "file", "line", "kind"}, kind one of "project", "python",
    "native", "other"); each stack is {"frames": [indices, root first], "bytes", "allocations"},
    the bytes allocated by its last frame itself. Frames holding less than `min_share` of the
    bytes merge into one "other" frame under their parent; the bytes always add up.
    """
    if not 0 <= min_share < 1:
        raise ValueError(f"min_share must be at least 0 and below 1, not {min_share!r}")
    root = _Node()
    for frames, size, allocations in stacks:
        node = root
        node.bytes += size
        node.allocations += allocations
        for frame in frames or (NO_STACK,):
            node = node.children.setdefault(frame, _Node())
            node.bytes += size
            node.allocations += allocations
        node.own_bytes += size
        node.own_allocations += allocations
    cutoff = min_share * root.bytes
    found = []
    _fold(root, (), cutoff, found)
    found.sort(key=lambda s: (-s[1], s[0]))
    index, frames, out = {}, [], []
    for path, size, allocations in found:
        ids = []
        for frame in path:
            if frame not in index:
                index[frame] = len(frames)
                frames.append(frame)
            ids.append(index[frame])
        out.append({"frames": ids, "bytes": size, "allocations": allocations})
    return {
        "bytes": root.bytes,
        "allocations": root.allocations,
        "min_share": min_share,
        "frames": [dict(zip(("function", "file", "line", "kind"), f, strict=True)) for f in frames],
        "stacks": out,
    }


def _fold(node, path, cutoff, found):
    """Append (path, bytes, allocations) for `node`'s own bytes and its subtree's; children
    under `cutoff` bytes go into one "other" frame, which never splits further."""
    if node.own_allocations:
        found.append((path, node.own_bytes, node.own_allocations))
    small_bytes = small_allocations = 0
    for frame, child in node.children.items():
        if child.bytes >= cutoff:
            _fold(child, (*path, frame), cutoff, found)
        else:
            small_bytes += child.bytes
            small_allocations += child.allocations
    if small_bytes or small_allocations:
        found.append(((*path, OTHER), small_bytes, small_allocations))
