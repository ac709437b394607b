"""The measurement harness: run variants in fresh processes, write results JSON, render reports.

Exports load lazily: `benchmarks/loop.py` runs inside every measured child process, and what
this package imports there would land in every variant's baseline.
"""

import importlib

_EXPORTS = {
    "Settings": "engine",
    "measure": "engine",
    "run_pass": "engine",
    "run_matrix": ("matrix", "run"),
    "Variant": "variants",
    "DEFAULT_MATRIX": "variants",
    "parse_variant": ("variants", "parse"),
    "select_variants": ("variants", "select"),
    "load_results": ("results", "load"),
    "write_results": ("results", "write_atomic"),
}
__all__ = list(_EXPORTS)


def __getattr__(name):
    try:
        target = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'benchmarks' has no attribute {name!r}") from None
    module, attr = target if isinstance(target, tuple) else (target, name)
    return getattr(importlib.import_module(f"{__name__}.{module}"), attr)
