"""Which environment a results file, or one of its variants, was measured in: the machine, the
interpreter and numpy. The strong graph's peak is set by the interpreter's collector (threshold0
700 on CPython 3.11 and 3.12, 2000 on 3.13), so figures from different environments differ for
reasons the code does not control: the gate never calls such a difference a regression, the
report's history compares a run only with one of its own environment, and the report's "Across
environments" table labels every row with its environment.
"""

import platform

from .. import workloads
from . import results

# (key, what the user reads): what must match for two measurements to be comparable as a gate.
FIELDS = (
    ("machine", "machine"),
    ("cpu", "cpu"),
    ("cores", "cores"),
    ("implementation", "implementation"),
    ("python", "Python"),
    ("numpy", "numpy"),
    ("gc_thresholds", "gc thresholds"),
)
# What a variant's own `interpreter` record says, over its file's environment.
_PER_VARIANT = ("implementation", "python", "numpy", "gc_thresholds")


def of(data, variant=None):
    """The identity of the environment `data` (a results dict) was measured in; with `variant`,
    that variant's own interpreter where its record names one (a sweep may mix them)."""
    env = data.get("environment") or {}
    identity = {
        "machine": env.get("machine"),
        "cpu": env.get("cpu"),
        "cores": env.get("cores"),
        "implementation": env.get("python_implementation"),
        "python": env.get("python"),
        "numpy": (env.get("packages") or {}).get("numpy"),
        "gc_thresholds": env.get("gc_thresholds"),
        # Not the environment's, and in no FIELDS: what `newest_of_same` matches besides it,
        # so the report's history and the gate's default baseline are of one workload.
        "workload": workloads.of(data),
    }
    own = (variant or {}).get("interpreter")
    if isinstance(own, dict):
        identity.update({key: own[key] for key in _PER_VARIANT if key in own})
    return identity


def own():
    """The identity of the environment running this code: where the harness measures when
    `--python` names no other interpreter."""
    import numpy

    return {
        "machine": platform.node() or None,
        "implementation": platform.python_implementation(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
    }


def is_own(identity):
    """True when `identity` names this machine's running interpreter and its numpy."""
    mine = own()
    return all(identity.get(k) == mine[k] for k in ("implementation", "python", "numpy")) and (
        identity.get("machine") in (None, mine["machine"])
    )


def _python(identity):
    python = " ".join(str(identity[k]) for k in ("implementation", "python") if identity.get(k))
    return python or "Python ?"


def interpreter(identity):
    """The interpreter and numpy, as a headline names them: `CPython 3.13.0, numpy 2.5.5`."""
    return f"{_python(identity)}, numpy {identity.get('numpy') or '?'}"


def differences(a, b):
    """`Python 3.11.7 -> 3.13.0`-style texts for each field that differs; a field one side does
    not record (files written before it was) is unknown, not different."""
    return [
        f"{title} {_text(a[key])} -> {_text(b[key])}"
        for key, title in FIELDS
        if a.get(key) is not None and b.get(key) is not None and a[key] != b[key]
    ]


def same(a, b):
    return not differences(a, b)


def label(identity):
    """One line naming an environment: `CPython 3.13.0 · numpy 2.5.5 · host (2 cores)`."""
    parts = [_python(identity), f"numpy {identity.get('numpy') or '?'}"]
    machine = identity.get("machine") or identity.get("cpu")
    if machine:
        cores = identity.get("cores")
        parts.append(f"{machine} ({cores} cores)" if cores else str(machine))
    return " · ".join(parts)


def _text(value):
    return " / ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


def newest_of_same(candidates, identity):
    """(path, data) of the first of `candidates` (newest first) that loads, holds a measured
    variant and was measured in the environment `identity`, of its workload; files that do not
    load (or whose run has only reserved its name) are passed over. None when there is none."""
    for path in candidates:
        try:
            data = results.load_measured(path)
        except results.ResultsError:
            continue
        found = of(data)
        if same(found, identity) and found["workload"] == identity.get(
            "workload", found["workload"]
        ):
            return path, data
    return None
