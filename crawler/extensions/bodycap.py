"""Stop reading a body after BODYCAP_BYTES: the response arrives with what was read.

A body announced larger than DOWNLOAD_MAXSIZE (a 50 MB PDF with its Content-Length) would
make Scrapy cancel the download before reading a byte, and a live file would read as a
failure; here the status and headers decide, and the body is read up to the cap only.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured, StopDownload


class BodyCap:
    def __init__(self, limit: int) -> None:
        self.limit = limit

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BodyCap:
        if not crawler.settings.getbool("BODYCAP_ENABLED"):
            raise NotConfigured("BODYCAP_ENABLED is off")
        ext = cls(crawler.settings.getint("BODYCAP_BYTES"))
        crawler.signals.connect(ext.headers_received, signal=signals.headers_received)
        crawler.signals.connect(ext.bytes_received, signal=signals.bytes_received)
        return ext

    def headers_received(
        self, headers: Any, body_length: object, request: Request, spider: Any
    ) -> None:
        # body_length is Twisted's UNKNOWN_LENGTH (a string) without a Content-Length.
        if isinstance(body_length, int) and body_length > self.limit:
            # This cap, not Scrapy's DOWNLOAD_MAXSIZE, ends the body: Scrapy reads the meta
            # key after this signal.
            request.meta["download_maxsize"] = 0

    def bytes_received(self, data: bytes, request: Request, spider: Any) -> None:
        seen = request.meta.get("_bodycap_seen", 0) + len(data)
        request.meta["_bodycap_seen"] = seen
        if seen >= self.limit:
            # fail=False: the callback gets the partial response, flagged "download_stopped".
            raise StopDownload(fail=False)
