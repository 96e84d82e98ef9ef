"""Benchmarks (not collected by pytest): run them with `python tests/bench/run.py [--quick]`."""
