"""The measurement harness: run variants in fresh processes, write results JSON, render reports.

Kept empty: `benchmarks/loop.py` runs inside every measured child process, and what this
package imported there would land in every variant's baseline.
"""
