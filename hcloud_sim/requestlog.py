"""The log of public requests served, for tests and benchmarks to count API calls.

Control routes (``/_sim/...``) are not logged.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class LoggedRequest:
    """One public request and how it was answered (``status`` is None for a dropped connection).

    ``deprecated`` is true for a request to an endpoint the API has deprecated or removed.
    """

    time: str
    method: str
    path: str
    query: dict[str, list[str]]
    status: int | None
    rate_limit_remaining: int | None
    correlation_id: str
    fault: str | None = None
    deprecated: bool = False


class RequestLog:
    """An append-only, thread-safe list of ``LoggedRequest``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []

    def append(self, entry: LoggedRequest) -> None:
        """Record one request."""
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        """Every request, in the order they were answered."""
        with self._lock:
            return [asdict(entry) for entry in self._entries]

    def clear(self) -> None:
        """Forget every request."""
        with self._lock:
            self._entries.clear()
