"""Benchmarks and an independent pandas cross-check of the metrics (see run.py, pandas_summary.py)."""
