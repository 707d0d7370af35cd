"""The floor of Scrapy's downloader on a web: a bare spider that GETs each URL and keeps
only its status. No pipelines, no catalog, no metadata, every optional middleware off,
``CONCURRENT_ITEMS = 1`` (it halves the CPU a request costs). bench/linkcheck.py runs it
beside listkeeper to tell the CPU that Scrapy itself costs per link from the CPU that
listkeeper adds.

    python bench/bare_scrapy.py URLS.txt OUT.json --concurrency 128 --per-host 2 --timeout 10
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.settings import default_settings
from twisted.python.failure import Failure


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, urls: list[str], out: dict[str, Any], **kw: Any) -> None:
        super().__init__(**kw)
        self.urls, self.out = urls, out

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(url, self.done, errback=self.failed, dont_filter=True)

    def done(self, response: scrapy.http.Response) -> list[Any]:
        self.out[response.request.meta.get("redirect_urls", [response.url])[0]] = response.status
        return []

    def failed(self, failure: Failure) -> None:
        self.out[failure.request.url] = repr(failure.value)[:200]  # type: ignore[attr-defined]


def only(table: str, *keep: str) -> dict[str, None]:
    """Switch off every component of Scrapy's ``table`` but ``keep`` (the base stays as shipped)."""
    return {path: None for path in getattr(default_settings, table) if path not in keep}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("urls", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--concurrency", type=int, default=128)
    p.add_argument("--per-host", type=int, default=2)
    p.add_argument("--timeout", type=float, default=10.0)
    args = p.parse_args(argv)
    urls = args.urls.read_text().split()
    out: dict[str, Any] = {}
    process = CrawlerProcess(
        {
            "LOG_LEVEL": "WARNING",
            "TELNETCONSOLE_ENABLED": False,
            "CONCURRENT_ITEMS": 1,
            "CONCURRENT_REQUESTS": args.concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": args.per_host,
            "DOWNLOAD_TIMEOUT": args.timeout,
            "HTTPERROR_ALLOW_ALL": True,
            # Only what a status check needs: timeouts, default headers, redirects.
            "DOWNLOADER_MIDDLEWARES": only(
                "DOWNLOADER_MIDDLEWARES_BASE",
                "scrapy.downloadermiddlewares.downloadtimeout.DownloadTimeoutMiddleware",
                "scrapy.downloadermiddlewares.defaultheaders.DefaultHeadersMiddleware",
                "scrapy.downloadermiddlewares.redirect.RedirectMiddleware",
            ),
            "SPIDER_MIDDLEWARES": only(
                "SPIDER_MIDDLEWARES_BASE", "scrapy.spidermiddlewares.httperror.HttpErrorMiddleware"
            ),
            "EXTENSIONS": only("EXTENSIONS_BASE", "scrapy.extensions.corestats.CoreStats"),
        }
    )
    process.crawl(BareSpider, urls=urls, out=out)
    process.start()
    args.out.write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
