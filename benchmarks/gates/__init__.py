"""The two regression gates (`python -m benchmarks compare`): memory peaks between two results
files, speed ratios between two ratios files, and the pairing of two files' records by name."""
