"""A small cache of values computed from one state of a campaign (views, plots)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class StateCache(Generic[T]):
    """Values computed from a campaign's state, kept while that state is unchanged.

    Every change of a campaign appends an event, so the campaign's newest event
    id is a key that changes whenever anything shown could have changed.
    """

    def __init__(self, size: int = 32) -> None:
        """Keep the values of up to ``size`` states."""
        self.size = size
        self._values: dict[tuple, T] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple, make: Callable[[], T]) -> T:
        """The value for ``key``, made by ``make`` the first time."""
        with self._lock:
            if key in self._values:
                return self._values[key]
        value = make()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.size:
                self._values.pop(next(iter(self._values)))
        return value
