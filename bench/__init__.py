"""Benchmarks: run them as scripts (`python bench/ussd.py`); they print figures and assert nothing about time."""
