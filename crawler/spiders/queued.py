"""The link-check spider fed from the Redis queue (``listkeeper worker``).

Same requests, callbacks and items as ``LinksSpider``; only the source differs. ``start()``
is a long-running async generator: it takes a batch from Redis and yields its requests into
Scrapy's in-memory scheduler (which keeps its full rate: Redis sees one round trip per
batch, not per request). A batch is the links of whole hosts (crawler.queue: a host's links
go to one worker at a time, so Scrapy's per-slot limit here is the global per-host limit).
It takes another while fewer than ``QUEUE_LOW_WATER`` taken links are still waiting for
their item, or while the hosts they are on are too few to fill ``CONCURRENT_REQUESTS`` at
``CONCURRENT_REQUESTS_PER_DOMAIN`` each. With nothing to take it polls, backing off to
``QUEUE_IDLE_MAX_SECONDS`` (a wait cut short when this worker's last link gets its item or
its acknowledgement), and it returns (so the crawl ends) once the queue is drained:
nothing pending and nothing leased by any worker; while another worker still holds leases
it keeps polling, so the hosts of a worker that dies come back here when their leases
expire.

A background task renews the leases of the links this worker holds (taken, not yet
acknowledged by ``pipelines.queued.QueuedStorePipeline``) every third of the lease, which
keeps their hosts this worker's. A link held longer than ``QUEUE_MAX_HOLD_SECONDS`` (a
request that never produced an item) is no longer renewed and goes back to the queue; the
time counts from the link's host's last item, since a big host's links rightly wait their
turn behind the per-host limit. On shutdown the links not yet stored are given back at
once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler

from catalog.urls import slot_host
from crawler.items import CheckItem
from crawler.queue import AsyncQueue
from crawler.spiders.links import LinksSpider, pages_from

logger = logging.getLogger(__name__)


class QueuedLinksSpider(LinksSpider):
    name = "queued-links"

    def __init__(self, queue: str = "", job: str = "", **kwargs: Any) -> None:
        super().__init__(links=None, **kwargs)
        self.queue_url = queue
        self.job = str(job)
        self.held: dict[int, float] = {}  # taken, not yet acknowledged: id -> taken at
        self.outstanding: set[int] = set()  # taken, no item yet
        self.host: dict[int, str] = {}  # held link id -> its host
        self.active: Counter[str] = Counter()  # host -> its links outstanding
        self.progress: dict[str, float] = {}  # host -> when an item of it last came
        self.room = asyncio.Event()
        self.settled = asyncio.Event()  # set when no link waits for its item, or none is held
        self.queue: AsyncQueue | None = None
        self.renewer: asyncio.Task[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> QueuedLinksSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, cls)
        crawler.signals.connect(spider._item_done, signal=signals.item_scraped)
        crawler.signals.connect(spider._item_done, signal=signals.item_error)
        crawler.signals.connect(spider._item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    # settings, read once the crawler is bound
    def _setting(self, name: str, default: float) -> float:
        return self.settings.getfloat(name, default)

    @property
    def lease(self) -> float:
        return self._setting("QUEUE_LEASE_SECONDS", 30.0)

    async def start(self) -> AsyncIterator[scrapy.Request | CheckItem]:
        self.queue = AsyncQueue(self.queue_url)
        self.renewer = asyncio.get_running_loop().create_task(self._renew_forever())
        concurrency = self.settings.getint("CONCURRENT_REQUESTS")
        batch = self.settings.getint("QUEUE_BATCH_SIZE") or 2 * concurrency
        low_water = self.settings.getint("QUEUE_LOW_WATER") or concurrency
        # Enough hosts to fill every slot: whole hosts come in, each limited per host.
        per_host = max(1, self.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"))
        hosts_wanted = math.ceil(concurrency / per_host)
        deliveries = self.settings.getint("QUEUE_MAX_DELIVERIES", 3)
        idle_max = self._setting("QUEUE_IDLE_MAX_SECONDS", 0.5)
        idle = 0.05
        while True:
            while len(self.outstanding) >= low_water and len(self.active) >= hosts_wanted:
                self.room.clear()
                await self.room.wait()
            links = await self.queue.take(batch, self.lease, self.job, deliveries)
            if links is None:
                logger.info("the queue now serves another run: finishing run %s", self.job)
                return
            if links:
                idle = 0.05
                now = time.monotonic()
                for link in links:
                    self.held[link["id"]] = now
                    self.outstanding.add(link["id"])
                    host = self.host[link["id"]] = slot_host(link["url"])
                    self.active[host] += 1
                for page in pages_from(links):
                    for request in self.requests_for(page):
                        yield request
                continue
            if not self.outstanding:
                pending, leased = await self.queue.status()
                if pending == 0 and leased == 0:
                    return  # drained: no link waits, no worker holds one
            await self._pause(idle)
            idle = min(idle * 2, idle_max)

    async def _renew_forever(self) -> None:
        parent = int(os.environ.get("LISTKEEPER_WORKER_PID", "0"))
        max_hold = self._setting("QUEUE_MAX_HOLD_SECONDS", 600.0)
        while True:
            await asyncio.sleep(self.lease / 3)
            if parent and os.getppid() != parent:
                logger.error("the worker process is gone: stopping without acknowledging")
                os._exit(1)  # our leases expire back into the queue
            now = time.monotonic()
            stale = [
                i
                for i, taken in self.held.items()
                if now - max(taken, self.progress.get(self.host.get(i, ""), 0.0)) > max_hold
            ]
            for link_id in stale:
                logger.warning(
                    "link %s held for %.0f s without a result: released", link_id, max_hold
                )
                self.held.pop(link_id, None)
                self._done([link_id], progress=False)
                self.host.pop(link_id, None)
            if self.held and self.queue is not None:
                try:
                    await self.queue.renew(list(self.held), self.lease)
                except Exception:  # Redis away for a moment: try again next time
                    logger.warning("cannot renew leases", exc_info=True)

    def _done(self, ids: Iterable[int], *, progress: bool = True) -> None:
        now = time.monotonic()
        for link_id in ids:
            if link_id in self.outstanding:
                self.outstanding.discard(link_id)
                host = self.host.get(link_id, "")
                if progress:
                    self.progress[host] = now
                self.active[host] -= 1
                if self.active[host] <= 0:
                    del self.active[host]
        self.room.set()
        if not self.outstanding:
            self.settled.set()

    def acked(self, ids: Iterable[int]) -> None:
        """Called by the store pipeline once these links are committed and acknowledged."""
        for link_id in ids:
            self.held.pop(link_id, None)
            self.host.pop(link_id, None)
        if not self.held:
            self.settled.set()

    async def _pause(self, seconds: float) -> None:
        """Sleep between polls, cut short when this worker's last link gets its item or
        its last acknowledgement: the queue may be drained (or have room) now, and the
        crawl need not wait out a backed-off poll."""
        self.settled.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.settled.wait(), seconds)

    def _item_done(self, item: Any, **_: Any) -> None:
        link_id = getattr(item, "link_id", None)
        if link_id is not None:
            self._done([link_id])

    async def _item_dropped(self, item: Any, **_: Any) -> None:
        link_id = getattr(item, "link_id", None)
        if link_id is None:
            return
        self._done([link_id])
        if self.queue is not None:
            await self.queue.ack([link_id])  # nothing to store: not worth another delivery
        self.acked([link_id])

    async def _closed(self, **_: Any) -> None:
        if self.renewer is not None:
            self.renewer.cancel()
        if self.queue is None:
            return
        if self.held:  # taken but not stored (the pipelines have closed): give them back
            released = await self.queue.release(list(self.held))
            logger.info("gave %d unchecked links back to the queue", released)
        await self.queue.close()
