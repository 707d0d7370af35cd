"""The feeds spider: poll each followed feed once, politely and conditionally.

It yields one FeedItem per feed with the raw answer; parsing and storing are the
pipelines' business. A permanent redirect is reported so that the stored URL follows the
feed (planet-style etiquette). robots.txt is obeyed: this is a crawl of pages, not a
link check.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.items import FeedItem
from crawler.spiders.links import STATUSES, describe

FEED_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"  # a listing page


class FeedsSpider(scrapy.Spider):
    name = "feeds"
    custom_settings = {
        "ROBOTSTXT_OBEY": True,
        "ITEM_PIPELINES": {"pipelines.feeds.FeedPipeline": 500},
        "BODYCAP_BYTES": 8 * 1024 * 1024,  # a feed is read whole, within reason
        "DECOMPRESS_MAX_BYTES": 16 * 1024 * 1024,
    }

    def __init__(self, feeds: list[dict[str, Any]] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.feeds = feeds or []

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for feed in self.feeds:
            listing = feed.get("kind") == "listing"
            headers = {"Accept": PAGE_ACCEPT if listing else FEED_ACCEPT}
            if feed.get("etag"):
                headers["If-None-Match"] = feed["etag"]
            if feed.get("last_modified"):
                headers["If-Modified-Since"] = feed["last_modified"]
            yield scrapy.Request(
                feed["url"],
                headers=headers,
                callback=self.parse,
                errback=self.failed,
                dont_filter=True,
                meta={"feed": feed, "handle_httpstatus_list": STATUSES},
            )

    def parse(self, response: Response) -> list[FeedItem]:  # a list: see LinksSpider.parse
        return list(self._polled(response))

    def failed(self, failure: Failure) -> list[FeedItem]:
        return list(self._failed(failure))

    def _polled(self, response: Response) -> Iterator[FeedItem]:
        feed = response.meta["feed"]
        reasons = response.meta.get("redirect_reasons", [])
        moved = bool(reasons) and all(r in (301, 308) for r in reasons)
        yield FeedItem(
            feed_id=feed["id"],
            url=feed["url"],
            http_status=response.status,
            final_url=response.url,
            moved_permanently=moved,
            body=response.body if response.status == 200 else b"",
            content_type=_header(response, b"Content-Type"),
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
            kind=feed.get("kind") or "feed",
        )

    def _failed(self, failure: Failure) -> Iterator[FeedItem]:
        request = getattr(failure, "request", None)
        if request is None:
            return
        feed = request.meta["feed"]
        error, _ = describe(failure)
        yield FeedItem(
            feed_id=feed["id"], url=feed["url"], error=error, kind=feed.get("kind") or "feed"
        )


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
