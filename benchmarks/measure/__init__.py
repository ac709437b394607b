"""Measuring: the settings of a run, the runner that starts and watches each child process, the
probes the child itself reads, the matrix of variants, and what the user sees meanwhile.

Kept empty: `benchmarks/loop.py` imports from here in every measured child, and what this
package imported would land in every variant's baseline.
"""
