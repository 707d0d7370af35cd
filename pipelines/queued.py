"""Item pipeline for queue workers: store in batches, then acknowledge the links in Redis.

``StorePipeline``'s batched writes, plus: each batch's link ids are acknowledged
(``crawler.queue.Queue.ack``) in the same thread right after the transaction commits, never
before, so a worker killed at any point leaves every link it had not stored leased, and the
lease brings it back. Links whose item is not stored (asked to retry after the cap: they
stay due) are acknowledged with the next batch. A worker also flushes every
``QUEUE_FLUSH_SECONDS`` (the queue drains only when the last links are acknowledged).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from scrapy.crawler import Crawler
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from catalog.store import Result
from crawler.items import CheckItem
from crawler.queue import Queue
from pipelines.store import StorePipeline


class QueuedStorePipeline(StorePipeline):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.crawler: Crawler | None = None
        self.queue_url = ""
        self.flush_every = 1.0
        self.acks: list[int] = []
        self.lock = asyncio.Lock()
        self.queue: Queue | None = None
        self.timer: asyncio.Task[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> QueuedStorePipeline:
        pipeline = super().from_crawler(crawler)
        assert isinstance(pipeline, cls)
        pipeline.crawler = crawler
        pipeline.queue_url = crawler.settings.get("QUEUE_URL")
        pipeline.flush_every = crawler.settings.getfloat("QUEUE_FLUSH_SECONDS", 1.0)
        return pipeline

    def open_spider(self) -> None:
        super().open_spider()
        self.queue = Queue(self.queue_url)
        self.timer = asyncio.get_running_loop().create_task(self._flush_forever())

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(self.flush_every)
            if self.buffer or self.acks:
                await self._flush()

    async def process_item(self, item: CheckItem) -> CheckItem:
        if item.link_id is not None:
            self.acks.append(item.link_id)
        return await super().process_item(item)

    async def close_spider(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.timer
        await super().close_spider()
        if self.queue is not None:
            self.queue.close()

    async def _flush(self) -> None:
        async with self.lock:
            batch, self.buffer = self.buffer, []
            acks, self.acks = self.acks, []
            if not batch and not acks:
                return
            await maybe_deferred_to_future(deferToThread(self._write_and_ack, batch, acks))
        spider = self.crawler.spider if self.crawler is not None else None
        acked = getattr(spider, "acked", None)
        if acked is not None:
            acked(acks)

    def _write_and_ack(self, batch: list[Result], acks: list[int]) -> None:
        if batch:
            self._write(batch)  # commits
        if self.queue is not None:
            self.queue.ack(acks)
