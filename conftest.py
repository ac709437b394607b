"""Repo-wide pytest settings: benchmarks run once in the plain test command, for real with
`--benchmark-only` / `--benchmark-enable`, printed as benchmarks/suite/terminal.py says."""

import os

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = ["benchmarks.suite.terminal"]

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60
)
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    # Runs before pytest-benchmark reads its options.
    from benchmarks.suite.terminal import timing  # imported as a plugin, after this module

    opt = config.option
    if not timing(config) and hasattr(opt, "benchmark_disable"):
        # A plain `pytest` runs each benchmark function once (fast), untimed.
        opt.benchmark_disable = True
