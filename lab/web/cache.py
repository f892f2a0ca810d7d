"""A small cache of values computed from one state of a campaign (views, plots)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger("dbtl.web")


class StateCache(Generic[T]):
    """Values computed from a campaign's state, kept while that state is unchanged.

    Every change of a campaign appends an event, so the campaign's newest event
    id is a key that changes whenever anything shown could have changed.
    """

    def __init__(self, size: int = 32) -> None:
        """Keep the values of up to ``size`` states."""
        self.size = size
        self._values: dict[tuple, T] = {}
        self._latest: dict[Hashable, tuple[tuple, T]] = {}
        self._making: set[Hashable] = set()
        self._lock = threading.Lock()

    def get(self, key: tuple, make: Callable[[], T]) -> T:
        """The value for ``key``, made by ``make`` the first time."""
        with self._lock:
            if key in self._values:
                return self._values[key]
        value = make()
        self._keep(key, value)
        return value

    def get_or_previous(self, key: tuple, make: Callable[[], T]) -> tuple[T, bool]:
        """The value for ``key``, or meanwhile the newest one of the same subject (``key[0]``).

        When ``key`` is new but a value of an older state of the same subject
        is kept, that one is returned at once and ``make`` runs in a background
        thread (once per key); the second item says whether the value is
        current. One value per subject is made at a time; a request after it
        ends starts the next if the state moved on meanwhile. Without any older
        value, ``make`` runs here.
        """
        with self._lock:
            if key in self._values:
                return self._values[key], True
            previous = self._latest.get(key[0])
            if previous is not None and key[0] not in self._making:  # one redraw at a time
                self._making.add(key[0])
                threading.Thread(target=self._make_in_background, args=(key, make)).start()
        if previous is None:
            return self.get(key, make), True
        return previous[1], False

    def _make_in_background(self, key: tuple, make: Callable[[], T]) -> None:
        try:
            self._keep(key, make())
        except Exception:  # the old value stays; the next request tries again
            log.exception("redrawing %s failed", key)
        finally:
            with self._lock:
                self._making.discard(key[0])

    def _keep(self, key: tuple, value: T) -> None:
        with self._lock:
            self._values[key] = value
            self._latest[key[0]] = (key, value)
            while len(self._values) > self.size:
                self._values.pop(next(iter(self._values)))
