"""memory_profiler's `mprof run` files (mprofile_*.dat): command line, RSS curve, function spans.

Format, one record a line: `CMDLINE <command>`, `MEM <MiB> <unix time>`,
`FUNC <name> <MiB at start> <start> <MiB at end> <end> [<stack level>]`,
`CHLD <child #> <MiB> <unix time>` (with --include-children --multiprocess).
"""

import math
from dataclasses import dataclass, field
from pathlib import Path

from . import folders
from .shapes import ShapeError, matching, number

# The records this parser reads, field by field (shapes.py's words), as a results table does:
# a line is a kind, then its fields; fields past those listed (FUNC's stack level) are ignored.
WORD = matching(r"\S+", "a word")
MIB, TIME = number(0), number(0)  # MiB; seconds since 1970
RECORDS = {
    "MEM": {"mib": MIB, "time": TIME},
    "FUNC": {"name": WORD, "start_mib": MIB, "start": TIME, "end_mib": MIB, "end": TIME},
    "CHLD": {"child": WORD, "mib": MIB, "time": TIME},
}


class MalformedDat(ValueError):
    """A .dat file this parser cannot read; the message says where and why."""


@dataclass
class FunctionSpan:
    name: str
    start_s: float  # from the first sample
    end_s: float
    start_mib: float
    end_mib: float


@dataclass
class MprofRun:
    path: Path
    command: str
    t_s: list = field(default_factory=list)  # from the first sample
    mem_mib: list = field(default_factory=list)
    functions: list = field(default_factory=list)
    children: dict = field(default_factory=dict)  # child # -> (t_s list, mem_mib list)

    @property
    def peak_mib(self):
        return max(self.mem_mib)

    @property
    def duration_s(self):
        return self.t_s[-1] if self.t_s else 0.0


def dat_name(variant):
    """The mprof-format file written for a variant's untraced timeline (ValueError for a name
    that is not canonical: see folders.file_name)."""
    return folders.file_name(variant, "mprofile_", ".dat")


def resample(t_s, mem_mib, interval_s):
    """The samples a sampler with period `interval_s` would have taken of the curve (t, mem):
    the first sample at or after every multiple of the period from the first."""
    kept_t, kept_mem, due = [], [], 0
    for t, m in zip(t_s, mem_mib, strict=True):
        period = math.floor((t - t_s[0]) / interval_s + 1e-9)  # 1e-9: 0.3 / 0.1 is 2.999...
        if period >= due:
            kept_t.append(t)
            kept_mem.append(m)
            due = period + 1
    return kept_t, kept_mem


def dat_text(command, t_s, mem_mib, start_unix):
    """A timeline in mprof's format (see the module doc): `mprof plot FILE` and `mprof peak FILE`
    read it."""
    lines = [f"CMDLINE {command}"]
    lines += [f"MEM {m:.6f} {start_unix + t:.4f}" for t, m in zip(t_s, mem_mib, strict=True)]
    return "\n".join(lines) + "\n"


def parse(path):
    """The MprofRun in `path`; MalformedDat naming the file and line when it is not one."""
    path = Path(path)
    command, mem, funcs, children = "", [], [], {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise MalformedDat(f"{path.name}: cannot read it ({e})") from None
    for at, line in enumerate(text.splitlines(), 1):
        kind, _, rest = line.partition(" ")
        if not line.strip():
            continue
        if kind == "CMDLINE":
            command = rest.strip()
            continue
        if kind not in RECORDS:
            raise MalformedDat(f"{path.name}, line {at}: not an mprof record: {line[:80]!r}")
        try:
            values = _fields(kind, rest.split())
        except (ValueError, ShapeError):
            expected = " ".join([kind, *(f"<{name}>" for name in RECORDS[kind])])
            raise MalformedDat(
                f"{path.name}, line {at}: expected {expected!r}, found {line[:80]!r}"
            ) from None
        if kind == "MEM":
            mem.append((values["time"], values["mib"]))
        elif kind == "FUNC":
            funcs.append(tuple(values[k] for k in ("name", "start", "end", "start_mib", "end_mib")))
        else:
            children.setdefault(values["child"], []).append((values["time"], values["mib"]))
    if not mem:
        raise MalformedDat(f"{path.name}: no MEM samples (was the profiled run too short?)")
    start = min(t for t, _ in mem)
    mem.sort()
    return MprofRun(
        path=path,
        command=command,
        t_s=[t - start for t, _ in mem],
        mem_mib=[m for _, m in mem],
        functions=[FunctionSpan(n, t0 - start, t1 - start, m0, m1) for n, t0, t1, m0, m1 in funcs],
        children={
            k: ([t - start for t, _ in v], [m for _, m in v]) for k, v in sorted(children.items())
        },
    )


def _fields(kind, words):
    """{field: value} of one record's words, each checked against its shape in RECORDS."""
    fields = RECORDS[kind]
    if len(words) < len(fields):
        raise ValueError(f"{len(words)} fields, expected {len(fields)}")
    values = {}
    for (name, shape), word in zip(fields.items(), words, strict=False):
        values[name] = word if shape is WORD else float(word)
        shape.check(values[name], name)
    return values


def find(*folders):
    """Every mprofile_*.dat directly in `folders`, oldest first (mprof names them by time)."""
    seen, found = set(), []
    for folder in folders:
        for path in sorted(Path(folder).glob("mprofile_*.dat")):
            if path.resolve() not in seen:
                seen.add(path.resolve())
                found.append(path)
    return sorted(found, key=lambda p: p.name)


def load_all(*folders):
    """(runs, warnings): the readable .dat files in `folders`, and one warning per skipped one."""
    runs, warnings = [], []
    for path in find(*folders):
        try:
            runs.append(parse(path))
        except MalformedDat as e:
            warnings.append(f"skipped mprof file {e}")
    return runs, warnings
