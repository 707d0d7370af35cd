"""Item pipeline: write checks to the catalog in batches, one transaction per batch.

The write runs in a thread (as scrapy-redis's pipeline does) so the reactor keeps
crawling. A crash or kill loses only the batch in flight; its links stay due.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from scrapy.crawler import Crawler
from twisted.internet.threads import deferToThread

from catalog import db
from catalog.config import DEFAULT_TTL_HOURS, Verdicts
from catalog.store import Result, record
from catalog.urls import Rule, parse_rules, rewrite
from catalog.vocabulary import ErrorKind
from crawler.items import CheckItem


class StorePipeline:
    def __init__(
        self,
        url: str,
        batch_size: int,
        verdicts: Verdicts,
        ttl: timedelta,
        run_id: int | None,
        unmap: list[Rule] | None = None,
    ) -> None:
        self.unmap = unmap or []  # back from the URLs fetched (remap) to the web's own
        self.url = url
        self.batch_size = batch_size
        self.verdicts = verdicts
        self.ttl = ttl
        self.run_id = run_id
        self.buffer: list[Result] = []
        self.engine: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        s = crawler.settings
        return cls(
            s.get("STORE_DATABASE_URL"),
            s.getint("STORE_BATCH_SIZE"),
            Verdicts(**s.getdict("STORE_VERDICTS")),
            timedelta(hours=s.getfloat("STORE_TTL_HOURS", DEFAULT_TTL_HOURS)),
            s.getint("STORE_RUN_ID") or None,
            parse_rules(s.getlist("STORE_UNMAP"), "[check] unmap"),
        )

    def open_spider(self) -> None:
        self.engine = db.make_engine(self.url)

    async def process_item(self, item: CheckItem) -> CheckItem:
        if item.error_kind == ErrorKind.DEFERRED or item.link_id is None or item.outcome is None:
            return item
        fetched = [u for _, u in item.redirects] + ([item.final_url] if item.final_url else [])
        self.buffer.append(
            Result(
                link_id=item.link_id,
                outcome=item.outcome,
                reason=unmap_text(item.reason or "", fetched, self.unmap),
                checked_at=item.checked_at,
                method=item.method,
                http_status=item.http_status,
                final_url=rewrite(item.final_url, self.unmap) if item.final_url else None,
                error=unmap_text(item.error, fetched, self.unmap) if item.error else None,
                redirects=[[code, rewrite(u, self.unmap)] for code, u in item.redirects] or None,
                elapsed_ms=item.elapsed_ms,
                etag=item.etag,
                last_modified=item.last_modified,
                metadata=item.metadata,
                identity=item.identity,
            )
        )
        if len(self.buffer) >= self.batch_size:
            await self._flush()
        return item

    async def close_spider(self) -> None:
        await self._flush()
        if self.engine is not None:
            self.engine.dispose()

    async def _flush(self) -> None:
        batch, self.buffer = self.buffer, []
        if batch:
            from scrapy.utils.defer import maybe_deferred_to_future

            await maybe_deferred_to_future(deferToThread(self._write, batch))

    def _write(self, batch: list[Result]) -> None:
        with db.session_scope(self.engine) as session:
            record(session, batch, verdicts=self.verdicts, ttl=self.ttl, run_id=self.run_id)


def unmap_text(text: str, urls: list[str], unmap: list[Rule]) -> str:
    """``text`` (a reason, an error) with each of ``urls`` it names as ``[check] unmap``
    gives it back, as the final URL and the redirects are stored: a message never names
    the URL fetched where the catalog keeps the web's own (a port the remap added)."""
    for url in sorted(set(urls), key=len, reverse=True):  # a longer URL before its prefix
        back = rewrite(url, unmap)
        if back != url:
            text = text.replace(url, back)
    return text
