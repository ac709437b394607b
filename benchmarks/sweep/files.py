"""Sweep files: one per sweep under reports/sweeps/, plain JSON written whole after every pass, so
an interrupted sweep keeps what it measured and `--resume` can measure the rest."""

import json
from pathlib import Path

from .. import paths, results
from ..measure import runner
from . import axes as A

SCHEMA = 1


class SweepError(results.ResultsError):
    """A sweep file is missing, unreadable or malformed; the message names the file."""


def new(axes, variants, settings, passes, environment):
    """A sweep before any point is measured."""
    return {
        "sweep_schema": SCHEMA,
        "results_schema": results.SCHEMA,  # every point's record is a variant record of this
        "complete": False,
        "environment": environment,
        "settings": settings.as_json(),
        "axes": axes,
        "variants": [v.name for v in variants],
        # The users' engines by name, where each was declared: --resume loads them again.
        "engines": {v.engine.name: v.engine.source for v in variants if v.engine.role == "user"},
        "passes": [p for p in runner.PASSES if p in passes],
        "executor": None,
        "points": [],
    }


def key(params, variant):
    return (tuple(params.items()), variant)


def entries(data):
    """Every point of the grid and variant, in order: (key, params, variant name)."""
    return [
        (key(params, name), params, name)
        for params in A.grid(data["axes"])
        for name in data["variants"]
    ]


def load(path):
    """The sweep in `path`, checked whole; SweepError naming the file and the fault otherwise."""
    path = Path(path)
    data = _read(path)
    for field, kind in (("axes", list), ("variants", list), ("passes", list), ("points", list)):
        if not isinstance(data.get(field), kind):
            raise SweepError(f"{path}: no '{field}' list; not a sweep file of this harness")
    for section in ("environment", "settings"):
        if not isinstance(data.setdefault(section, {}), dict):
            raise SweepError(f"{path}: '{section}' is not an object")
    _check_grid(path, data)
    grid = {k for k, _, _ in entries(data)}
    for i, point in enumerate(data["points"]):
        _check_point(path, data, grid, i, point)
    return data


def _read(path):
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SweepError(f"{path}: no such sweep file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SweepError(f"{path}: cannot read it as JSON ({e})") from None
    if not isinstance(data, dict) or "sweep_schema" not in data:
        raise SweepError(f"{path}: no 'sweep_schema' field; not a sweep file of this harness")
    if data["sweep_schema"] != SCHEMA:
        raise SweepError(
            f"{path}: unknown sweep schema {data['sweep_schema']!r}; this version reads {SCHEMA}"
        )
    if data.get("results_schema") != results.SCHEMA:
        raise SweepError(
            f"{path}: its points are results schema {data.get('results_schema')!r}; this version"
            f" reads schema {results.SCHEMA}"
        )
    return data


def _check_grid(path, data):
    names = []
    for axis in data["axes"]:
        name = axis.get("name") if isinstance(axis, dict) else None
        values = axis.get("values") if isinstance(axis, dict) else None
        if name not in A.AXES or name in names:
            raise SweepError(
                f"{path}: axis {name!r} is unknown or repeated; allowed: {list(A.AXES)}"
            )
        if not isinstance(values, list) or not values:
            raise SweepError(f"{path}: axis {name!r} has no values")
        names.append(name)
    if not names:
        raise SweepError(f"{path}: the sweep has no axis")
    if not all(isinstance(v, str) for v in data["variants"]):
        raise SweepError(f"{path}: 'variants' must list variant names")
    if not data["passes"] or not set(data["passes"]) <= set(runner.PASSES):
        raise SweepError(f"{path}: 'passes' must list some of {', '.join(runner.PASSES)}")


def _check_point(path, data, grid, i, point):
    where = f"{path}: point #{i + 1}"
    if not isinstance(point, dict) or not isinstance(point.get("params"), dict):
        raise SweepError(f"{where} has no params")
    name, record, taken = point.get("variant"), point.get("record"), point.get("passes")
    if key(point["params"], name) not in grid:
        raise SweepError(f"{where} ({A.label(point['params'])} {name}) is not in the sweep's grid")
    if not isinstance(taken, dict) or not taken or not set(taken) <= set(data["passes"]):
        raise SweepError(f"{where} says no pass it took, or one the sweep does not take")
    if not isinstance(record, dict) or record.get("name") != name:
        raise SweepError(f"{where} has no record of {name}")
    try:
        results.check_variant(path, record)
    except results.ResultsError as e:
        raise SweepError(f"{e} (point #{i + 1})") from None


def newest_valid(sweeps_dir=paths.SWEEPS_DIR):
    """(path, data, skipped) of the newest readable sweep file, or (None, None, skipped)."""
    return paths.newest_valid(reversed(paths.json_files(sweeps_dir)), load, SweepError)
