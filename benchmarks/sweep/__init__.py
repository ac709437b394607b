"""Sweeps: every variant measured at every point of a grid of settings (GC threshold, array size,
iterations, depth), each point exactly as `run` measures it, side by side where the figures stay
exact, into one file under reports/sweeps/ (schema in reports/README.md)."""
