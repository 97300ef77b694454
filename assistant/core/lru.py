"""One thread-safe mapping that forgets its least recently used entries.

Conversation memory, the Slack caches and the event de-duplicator all need a bounded map
that several worker threads read and change at once; this is the one they share.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LRUMap(Generic[K, V]):
    """At most `capacity` entries; reading or writing an entry makes it the most recent."""

    def __init__(self, capacity: int = 5000) -> None:
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self.capacity = capacity

    def _trim(self) -> None:
        while len(self._data) > self.capacity:
            self._data.popitem(last=False)

    def get(self, key: K, default: V | None = None) -> V | None:
        with self._lock:
            if key not in self._data:
                return default
            self._data.move_to_end(key)
            return self._data[key]

    def __setitem__(self, key: K, value: V) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            self._trim()

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._data

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)

    def setdefault(self, key: K, value: V) -> V:
        """The stored value, or `value` stored and returned: one atomic step."""
        with self._lock:
            if key not in self._data:
                self._data[key] = value
                self._trim()
            self._data.move_to_end(key)
            return self._data[key]

    def add(self, key: K, value: V) -> bool:
        """Store `value` unless `key` is there already; True when it was stored."""
        with self._lock:
            if key in self._data:
                return False
            self._data[key] = value
            self._trim()
            return True

    def pop(self, key: K, default: V | None = None) -> V | None:
        with self._lock:
            return self._data.pop(key, default)
