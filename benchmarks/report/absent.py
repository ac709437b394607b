"""What the report says once, near the top, instead of a row of "skipped" in every chart and
table: the engines that are not installed (with the command that installs them), the engines
that cannot run the classic loop, and the user's engines a file measured or failed to load."""

import re

from .. import workloads as W
from ..workloads import variants as V

# What an engine says when its package is missing (Engine.missing): "torch is not installed
# (pip install -e '.[peers]')".
_NOT_INSTALLED = re.compile(r"(?P<what>\S+) is not installed \((?P<how>[^()]+)\)\Z")


def skipped(results):
    """The variant records of `results` that were skipped."""
    return [v for v in results.get("variants") or [] if v.get("status") == "skipped"]


def lines(items):
    """One line per reason for (engine, reason) pairs, engines in first-seen order: a missing
    package as `not installed: ENGINE, ENGINE: pip install ...`, any other reason as
    `skipped: NAMES (REASON)`."""
    missing, other = {}, {}
    for engine, reason in items:
        found = _NOT_INSTALLED.match(str(reason or ""))
        if found:
            missing.setdefault(found["how"], {})[found["what"]] = None
        else:
            other.setdefault(str(reason or "no reason recorded"), {})[str(engine)] = None
    said = [f"not installed: {', '.join(names)}: {how}" for how, names in missing.items()]
    return said + [f"skipped: {', '.join(names)} ({why})" for why, names in other.items()]


def engine_of(variant):
    """The engine's name a record names, or the part of its name before the mode."""
    known = V.ANY_WORKLOAD.get(variant.get("name"))
    return variant.get("engine") or (known.engine.name if known else variant.get("impl"))


def not_installed(results):
    """The file's skipped variants, said once per reason (`lines`)."""
    return lines((engine_of(v), v.get("error")) for v in skipped(results))


def cannot(workload=W.CLASSIC.name):
    """`NAME (why)` for each built-in engine that cannot run `workload`."""
    return [f"{name} ({why[workload]})" for name, why in V.CANNOT.items() if workload in why]


def user_engines(results):
    """[(name, file, variants measured)] of the users' engines the file names, and
    [(spec, why)] of those that did not load."""
    declared = (results.get("engines") or {}).get("user") or {}
    variants = results.get("variants") or []
    measured = [
        (name, source, [v["name"] for v in variants if v.get("engine") == name])
        for name, source in declared.items()
    ]
    failed = list(((results.get("engines") or {}).get("failed") or {}).items())
    return measured, failed
