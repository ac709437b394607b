"""The files the harness writes and reads, and their contracts: results and ratios files (a sweep
file's is benchmarks/sweep/files.py), the environments a file was measured in, mprof's .dat
format, the declarative shapes every file is checked against, the atomic store and the folders
they live in (schemas in reports/README.md).
"""
