"""The pytest-benchmark suite (`pytest --benchmark-only`), its memory probe, and the main job's
speed step that runs it."""
