"""Repo-wide pytest settings: benchmarks run once in the plain test command, for real with
`--benchmark-only` / `--benchmark-enable`."""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60
)
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    # Runs before pytest-benchmark reads its options: a plain `pytest` runs each benchmark
    # function once (fast), while `pytest --benchmark-only` still measures for real.
    opt = config.option
    if hasattr(opt, "benchmark_disable") and not (opt.benchmark_only or opt.benchmark_enable):
        opt.benchmark_disable = True
