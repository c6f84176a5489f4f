"""Benchmarks that print tables (``python -m bench.<name>``); see bench/README.md."""
