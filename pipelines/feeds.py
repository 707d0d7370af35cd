"""Item pipeline for the feeds spider: parse each polled feed and store it.

Parsing is ``catalog.feeds.parse_feed`` (pure); storing is ``catalog.candidates.record_poll``
in one transaction per feed, in a thread so the reactor keeps polling. A malformed feed is
parsed as far as it goes and its problem stored on the feed, never fatal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler
from twisted.internet.threads import deferToThread

from catalog import db
from catalog.candidates import Poll, record_poll
from catalog.feeds import FeedEntry, FeedError
from catalog.feeds.followed import identify, read_followed
from catalog.urls import Rule, parse_rules, rewrite
from crawler.items import FeedItem


def to_poll(item: FeedItem, unmap: list[Rule] | None = None) -> tuple[Poll, list[FeedEntry]]:
    """A FeedItem read into what the catalog stores (a moved feed's URL unmapped)."""
    common: dict[str, Any] = {
        "feed_id": item.feed_id,
        "http_status": item.http_status,
        "final_url": rewrite(item.final_url, unmap or []) if item.final_url else None,
        "moved_permanently": item.moved_permanently,
    }
    if item.error is not None:
        return Poll(**common, error=item.error), []
    if item.http_status == 304:
        return Poll(**common), []
    if item.http_status != 200:
        return Poll(**common, error=f"HTTP {item.http_status}"), []
    # Relative links are read against the URL as the list knows it ([check] unmap undone),
    # so an article's address does not change with the port a test or a mirror serves on.
    where = common["final_url"] or item.url
    try:
        parsed, became = read_followed(item.body, where, item.kind, item.content_type)
    except FeedError as exc:
        what = "listing page" if item.kind == "listing" else "not a feed"
        return Poll(**common, error=f"{what}: {exc}"), []
    problem = parsed.problem
    if became == "listing":
        problem = "an HTML page without a feed: followed as a listing page from now on"
    poll = Poll(
        **common,
        etag=item.etag,
        last_modified=item.last_modified,
        problem=problem,
        kind=became,
    )
    return poll, parsed.entries


def probe_result(item: FeedItem) -> dict[str, Any]:
    """What ``feeds add`` learns from one fetch of a URL (see ``catalog.feeds.followed``)."""
    if item.error is not None or item.http_status != 200:
        return {"error": item.error or f"HTTP {item.http_status}"}
    found = identify(item.body, item.final_url or item.url, item.content_type)
    return {
        "kind": found.kind,
        "cards": len(found.entries),
        "advertised": found.advertised,
        "reason": found.reason,
        "final_url": item.final_url,
    }


class FeedPipeline:
    def __init__(
        self,
        url: str,
        document_id: int | None,
        unmap: list[Rule] | None = None,
        probe_output: str | None = None,
    ) -> None:
        self.url = url
        self.document_id = document_id
        self.unmap = unmap or []
        self.probe_output = probe_output  # `feeds add`: write what the URL is there, store nothing
        self.engine: Any = None
        self.results: list[Any] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FeedPipeline:
        s = crawler.settings
        return cls(
            s.get("STORE_DATABASE_URL"),
            s.getint("DISCOVER_DOCUMENT_ID") or None,
            parse_rules(s.getlist("STORE_UNMAP"), "[check] unmap"),
            s.get("FEEDS_PROBE_OUTPUT") or None,
        )

    def open_spider(self) -> None:
        if self.probe_output is None:
            self.engine = db.make_engine(self.url)

    async def process_item(self, item: FeedItem) -> FeedItem:
        from scrapy.utils.defer import maybe_deferred_to_future

        if self.probe_output is not None:
            Path(self.probe_output).write_text(json.dumps(probe_result(item)), encoding="utf-8")
            return item

        poll, entries = to_poll(item, self.unmap)
        await maybe_deferred_to_future(deferToThread(self._write, poll, entries))
        return item

    def _write(self, poll: Poll, entries: list[FeedEntry]) -> None:
        with db.session_scope(self.engine) as session:
            record_poll(session, poll, entries, document_id=self.document_id)

    def close_spider(self) -> None:
        if self.engine is not None:
            self.engine.dispose()
