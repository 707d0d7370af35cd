"""Honour 429 and 503 + Retry-After by pausing the host, not by failing the link.

Each such answer also lowers the host's concurrency by one (never below one), so a host
that allows one request in flight gets one.

The host's download slot stops dispatching for the time asked (capped by
HOSTPOLICY_RETRY_AFTER_MAX) and the request goes back in the queue. A server asking for
longer than the cap does not stall the run: the response passes through flagged
``retry_after_exceeded`` and the link stays due for the next run.
"""

from __future__ import annotations

import email.utils
import time
from datetime import UTC
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.asyncio import call_later


def retry_after_seconds(value: str | None, default: float) -> float:
    """Retry-After as seconds: a number, or an HTTP date in any of its three formats."""
    if not value:
        return default
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:  # asctime's form names no zone; an HTTP date is always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - time.time())


class HostPolicyMiddleware:
    def __init__(self, crawler: Crawler, cap: float, default: float, max_pauses: int) -> None:
        self.crawler = crawler
        self.cap = cap
        self.default = default
        self.max_pauses = max_pauses

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostPolicyMiddleware:
        s = crawler.settings
        if not s.getbool("HOSTPOLICY_ENABLED"):
            raise NotConfigured("HOSTPOLICY_ENABLED is off")
        return cls(
            crawler,
            s.getfloat("HOSTPOLICY_RETRY_AFTER_MAX"),
            s.getfloat("HOSTPOLICY_RETRY_AFTER_DEFAULT"),
            s.getint("HOSTPOLICY_MAX_PAUSES"),
        )

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in (429, 503):
            return response
        header = response.headers.get(b"Retry-After")
        if response.status == 503 and header is None:
            return response  # a plain 503 is a server error, retried by RetryMiddleware
        wait = retry_after_seconds(header.decode("latin-1") if header else None, self.default)
        pauses = request.meta.get("hostpolicy_pauses", 0)
        # A rate limit clears as we slow down; a 503 in maintenance earns one polite retry.
        limit = self.max_pauses if response.status == 429 else 1
        if pauses >= limit:
            return response  # still refusing after several pauses: a transient failure
        if wait > self.cap:
            response.flags.append("retry_after_exceeded")
            return response
        self._pause(request, wait)
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value("hostpolicy/paused")
        meta = {**request.meta, "hostpolicy_pauses": pauses + 1}
        return request.replace(dont_filter=True, meta=meta)

    def _pause(self, request: Request, wait: float) -> None:
        engine: Any = self.crawler.engine
        downloader = engine.downloader if engine else None
        if downloader is None:
            return
        key = request.meta.get("download_slot")
        slot = downloader.slots.get(key) if key else None
        if slot is None or wait <= 0:
            return
        if slot.latercall is not None:
            slot.latercall.cancel()
        # The host said "too many": ask it one request less at a time from now on.
        slot.concurrency = max(1, slot.concurrency - 1)
        # A pending latercall blocks the slot's queue until it fires (Downloader._process_queue).
        slot.latercall = call_later(wait, downloader._latercall, slot)
