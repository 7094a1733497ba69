"""Benchmark suite for xltools: times validate, merge, re-merge, the master workbook and the
rollup on a generated corpus of rep workbooks, side by side with the naive pandas script and
the bare readers and writers they are measured against. Run ``python -m benchmarks --help``.

Not part of the test run: the numbers are for tracking over time, not for assertions.
"""
