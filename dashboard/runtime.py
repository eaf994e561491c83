"""What layouts and callbacks reach at request time: the configuration, the database, the clock and a small
shared cache, kept on the Flask app (so several apps can live in one process, as in tests)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from flask import current_app

from core.clock import Clock
from core.db import Database
from core.settings import AppConfig

EXTENSION_KEY = "yuqing"
T = TypeVar("T")


class TTLCache:
    """A tiny thread-safe cache for figures every session shows alike (the overview, the alert queue):
    twenty wall screens refreshing every ten seconds then cost one query per key and TTL, not twenty."""

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl = ttl_seconds
        self._data: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        if self.ttl <= 0:
            return compute()
        now = time.monotonic()
        with self._lock:
            hit = self._data.get(key)
            if hit is not None and now - hit[0] < self.ttl:
                return cast(T, hit[1])
        value = compute()
        with self._lock:
            self._data[key] = (time.monotonic(), value)
            if len(self._data) > 256:
                oldest = sorted(self._data.items(), key=lambda kv: kv[1][0])[:128]
                for k, _ in oldest:
                    self._data.pop(k, None)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


@dataclass(frozen=True)
class Services:
    config: AppConfig
    db: Database
    clock: Clock
    refresh_seconds: float = 10.0
    cache: TTLCache = field(default_factory=lambda: TTLCache(5.0))


def services() -> Services:
    """The services of the Dash app handling the current request."""
    return cast(Services, current_app.extensions[EXTENSION_KEY])
