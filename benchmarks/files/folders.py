"""Where the harness keeps its files: reports/ and its results/, speed/, ratios/, sweeps/ and
mprof/ folders, .envs/, and the one way a name read from a file becomes a file's name."""

from pathlib import Path

from .shapes import NAME

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # where pyproject.toml and conftest.py are

REPORTS_DIR = "reports"  # relative to where the commands run: the project root

# Virtual environments for `--python` (benchmarks/measure/venvs.py); git ignores them.
ENVS_DIR = PROJECT_ROOT / ".envs"


def results_dir(reports_dir=REPORTS_DIR):
    return Path(reports_dir) / "results"


def speed_dir(reports_dir=REPORTS_DIR):
    return Path(reports_dir) / "speed"


def ratios_dir(reports_dir=REPORTS_DIR):
    return Path(reports_dir) / "ratios"


def sweeps_dir(reports_dir=REPORTS_DIR):
    return Path(reports_dir) / "sweeps"


def mprof_dir(reports_dir=REPORTS_DIR):
    """Where the report writes each variant's timeline in mprof's format."""
    return Path(reports_dir) / "mprof"


def file_name(name, prefix="", suffix=""):
    """`prefix + name + suffix`, the name of a file made for `name` (a variant's or an axis's,
    read from a file). ValueError unless `name` is canonical (`shapes.NAME`): a name such as
    `x/../../escaped` would put the file outside its folder. `load` refuses such names; this
    holds for data that never went through it."""
    if not NAME.accepts(name):
        raise ValueError(f"{name!r} is not {NAME.words}, so it names no file")
    return f"{prefix}{name}{suffix}"


RESULTS_DIR = str(results_dir())

SWEEPS_DIR = str(sweeps_dir())
