"""Torch's intra-op thread count: set once per process, never per call.

``torch.set_num_threads`` is process-wide. Setting it around each planner call
races when several campaigns plan on threads of one process (the
orchestrator), so a process chooses its count once, at start-up, through
:func:`configure_process_threads`, and workers (bench jobs, Ray tasks) call it
once when they start.
"""

from __future__ import annotations

import os

DEFAULT_THREADS = 1
"""Small GP problems run fastest on one thread, and shared cores make more threads slower."""

_configured: int | None = None


def configure_process_threads(count: int = DEFAULT_THREADS) -> int:
    """Set torch's intra-op thread count for this whole process.

    Call it once, from a process entry point (the CLI, a benchmark worker).
    Later calls with the same count do nothing; a different count is applied
    (a worker may be reused for jobs that ask for another count).

    Args:
        count: number of intra-op threads, at least 1.

    Returns:
        The count now in force.

    Raises:
        ValueError: if ``count`` is below 1.
    """
    global _configured
    if count < 1:
        raise ValueError(f"torch thread count must be at least 1, got {count}")
    if _configured != count:
        import torch

        torch.set_num_threads(count)
        _configured = count
    return count


def ensure_process_threads() -> int:
    """Configure the process once if nothing has yet (``DBTL_TORCH_THREADS`` or the default).

    For entry points that plan (a campaign run, a lab serving campaigns on
    threads): a count chosen earlier by the process (a benchmark worker) stays.

    Raises:
        ValueError: ``DBTL_TORCH_THREADS`` is not a whole number of at least 1.
    """
    if _configured is not None:
        return _configured
    text = os.environ.get("DBTL_TORCH_THREADS", str(DEFAULT_THREADS)).strip()
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"DBTL_TORCH_THREADS must be a whole number of at least 1, got {text!r}")
    return configure_process_threads(int(text))


def configured_threads() -> int | None:
    """The count set by :func:`configure_process_threads`, or None if never called."""
    return _configured
