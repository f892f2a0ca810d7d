"""Imports every benchmark module so that each registers itself."""

import lab.benchmarks.loop_overhead  # noqa: F401
