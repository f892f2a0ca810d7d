"""Keep third-party INFO logs (Ax's, on import and per call) off the user's terminal."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quiet_info_logs(level: int = logging.INFO) -> Iterator[None]:
    """Drop every log record at ``level`` or below inside the block, then restore."""
    previous = logging.root.manager.disable
    logging.disable(max(level, previous))
    try:
        yield
    finally:
        logging.disable(previous)
