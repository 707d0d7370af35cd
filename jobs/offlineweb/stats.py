"""Request instrumentation of the offline web: counts, recent request headers, concurrency."""

from __future__ import annotations

import time
from collections import Counter, deque
from typing import Any

RECENT_LIMIT = 10_000  # request records kept (the oldest are dropped)


class Stats:
    """Counters updated by the server's event loop; read through `snapshot()`."""

    def __init__(self, recent_limit: int = RECENT_LIMIT) -> None:
        self.recent_limit = recent_limit
        self.reset()

    def reset(self) -> None:
        self.total = 0
        self.by_url: Counter[str] = Counter()
        self.by_host: Counter[str] = Counter()
        self.by_status: Counter[int] = Counter()
        self.limited: Counter[str] = Counter()  # 429s sent by the host limits
        self.in_flight: Counter[str] = Counter()
        self.max_in_flight: Counter[str] = Counter()
        self.connections = 0
        self.recent: deque[dict[str, Any]] = deque(maxlen=self.recent_limit)

    def begin(
        self, host: str, url: str, method: str, headers: list[tuple[str, str]]
    ) -> dict[str, Any]:
        """Count a request that has just arrived; returns its record."""
        self.total += 1
        self.by_url[url] += 1
        self.by_host[host] += 1
        self.in_flight[host] += 1
        if self.in_flight[host] > self.max_in_flight[host]:
            self.max_in_flight[host] = self.in_flight[host]
        record: dict[str, Any] = {
            "t": time.time(),
            "method": method,
            "url": url,
            "host": host,
            "headers": headers,
            "status": None,
        }
        self.recent.append(record)
        return record

    def end(self, host: str, record: dict[str, Any], status: int | None) -> None:
        self.in_flight[host] -= 1
        record["status"] = status
        if status is not None:
            self.by_status[status] += 1

    def snapshot(self, with_requests: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "total": self.total,
            "connections": self.connections,
            "by_url": dict(self.by_url),
            "by_host": dict(self.by_host),
            "by_status": {str(k): v for k, v in self.by_status.items()},
            "limited": dict(self.limited),
            "in_flight": {k: v for k, v in self.in_flight.items() if v},
            "max_in_flight": dict(self.max_in_flight),
        }
        if with_requests:
            out["requests"] = [
                {**r, "headers": [list(h) for h in r["headers"]]} for r in self.recent
            ]
        return out
