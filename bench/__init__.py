"""Benchmarks: one command each, printing a table that compares side by side in one run."""
