"""Sweep files: one per sweep under reports/sweeps/, plain JSON written whole after every pass, so
an interrupted sweep keeps what it measured and `--resume` can measure the rest."""

from pathlib import Path

from ..files import folders, results, store
from ..files.shapes import (
    ANY,
    FLAG,
    NAME,
    TEXT,
    ShapeError,
    list_of,
    map_of,
    nullable,
    one_of,
    record,
    whole,
)
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


# What `load` accepts (shapes.py's words); `_check_grid` and `_check_point` add what one field
# says of another: each axis's values have the axis's shape, each point lies on the grid.
POINT = record(
    {
        "params": map_of(ANY),  # an axis name -> its value at this point
        "variant": NAME,
        # How each pass was taken: how many ran side by side, where (a Dask worker), and the
        # results file of the run it comes from when the main job's run measured it already
        "passes": map_of(
            record(
                {"side_by_side": whole(1), "worker": nullable(TEXT), "from": nullable(TEXT)},
                required=("side_by_side",),
            )
        ),
        "record": results.VARIANT,
    },
    required=("params", "variant", "passes", "record"),
)
SWEEP = record(
    {
        "sweep_schema": one_of(SCHEMA),
        "results_schema": one_of(results.SCHEMA),
        "complete": FLAG,
        "interrupted": nullable(TEXT),  # as a results file's
        "environment": record(
            {
                **results.ENVIRONMENT.fields,
                "resumed": list_of(record({"command": TEXT, "started": TEXT})),
            }
        ),
        # A results file's settings, null for each one an axis varies
        "settings": record({k: nullable(shape) for k, shape in results.SETTINGS.fields.items()}),
        "axes": list_of(
            record({"name": one_of(*A.AXES), "values": list_of(ANY)}, required=("name", "values")),
            key="name",
        ),
        "variants": list_of(NAME, unique=True),
        "passes": list_of(one_of(*runner.PASSES), unique=True),
        "executor": nullable(record({"where": TEXT, "jobs": whole(1), "jobs_rss": whole(1)})),
        "points": list_of(POINT),
        # Per variant, the cycle census the traced passes take instead of an explanation pass
        # when the sweep varies the collector's threshold alone: a run's, and which
        "census": map_of(record({"from": TEXT, "census": results.CENSUS}, required=("from",))),
    },
    required=("sweep_schema", "results_schema", "axes", "variants", "passes", "points"),
)


def load(path):
    """The sweep in `path`, checked whole; SweepError naming the file and the fault otherwise."""
    path = Path(path)
    data = _read(path)
    try:
        SWEEP.check(data, "")
        _check_grid(data)
    except ShapeError as e:
        raise SweepError(f"{path}: {e}") from None
    grid, seen = {k for k, _, _ in entries(data)}, {}
    for i, point in enumerate(data["points"]):
        _check_point(path, data, grid, i, point)
        taken = key(point["params"], point["variant"])
        if taken in seen:
            raise SweepError(
                f"{path}: point #{i + 1} ({A.label(point['params'])} {point['variant']}) repeats"
                f" point #{seen[taken] + 1}: each point of the grid may appear once"
            )
        seen[taken] = i
    for section in ("environment", "settings"):
        data.setdefault(section, {})
    return data


def _read(path):
    data = store.read_json(path, SweepError, "sweep")
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


def _check_grid(data):
    """ShapeError unless every axis has values of its own shape (`Axis.shape`), and some pass."""
    if not data["axes"]:
        raise ShapeError("axes is [], expected at least one axis")
    for i, axis in enumerate(data["axes"]):
        values = list_of(A.AXES[axis["name"]].shape, unique=True)
        values.check(axis["values"], f"axes[{i}].values")
        if not axis["values"]:
            raise ShapeError(f"axes[{i}].values is [], expected at least one value")
    if not data["passes"]:
        raise ShapeError(f"passes is [], expected some of {', '.join(runner.PASSES)}")


def _check_point(path, data, grid, i, point):
    where = f"{path}: point #{i + 1}"
    name, taken, params = point["variant"], point["passes"], point["params"]
    # Values of the axes' shapes first: a list there would not even hash.
    shaped = all(n in A.AXES and A.AXES[n].shape.accepts(v) for n, v in params.items())
    if not shaped or key(params, name) not in grid:
        raise SweepError(f"{where} ({A.label(point['params'])} {name}) is not in the sweep's grid")
    if not taken or not set(taken) <= set(data["passes"]):
        raise SweepError(f"{where} says no pass it took, or one the sweep does not take")
    if point["record"]["name"] != name:
        raise SweepError(f"{where} has no record of {name}")


def newest_valid(sweeps_dir=folders.SWEEPS_DIR):
    """(path, data, skipped) of the newest readable sweep file, or (None, None, skipped)."""
    return store.newest_valid(reversed(store.json_files(sweeps_dir)), load, SweepError)
