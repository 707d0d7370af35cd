"""Scrapy's downloader with per-host concurrency that holds under asyncio.

In Scrapy 2.19 a slot's queue is drained in a loop that starts each download as an
asyncio task; the task marks its request as transferring only when it first runs, so
one pass of the loop can start every queued request of a host at once (seen: ten in
flight on a host limited to one, right after a Retry-After pause). Here the transfer
slot is reserved before the task is scheduled.
"""

from __future__ import annotations

from time import monotonic

from scrapy.core.downloader import Downloader, Slot
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import _schedule_coro


class PoliteDownloader(Downloader):
    def _process_queue(self, slot: Slot) -> None:
        if slot.latercall:
            return  # paused (download delay or Retry-After) until the call fires
        now = monotonic()
        delay = slot.download_delay()
        if delay and (penalty := delay - now + slot.lastseen) > 0:
            slot.latercall = call_later(penalty, self._latercall, slot)
            return
        while slot.queue and slot.free_transfer_slots() > 0:
            slot.lastseen = now
            request, queue_dfd = slot.queue.popleft()
            slot.transferring.add(request)  # reserved now; _download adds it again (a set)
            _schedule_coro(self._wait_for_download(slot, request, queue_dfd))
            if delay:  # one request per delay: no burst
                self._process_queue(slot)
                break
