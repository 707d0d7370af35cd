"""Stop reading a body after BODYCAP_BYTES: the response arrives with what was read."""

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
        crawler.signals.connect(ext.bytes_received, signal=signals.bytes_received)
        return ext

    def bytes_received(self, data: bytes, request: Request, spider: Any) -> None:
        seen = request.meta.get("_bodycap_seen", 0) + len(data)
        request.meta["_bodycap_seen"] = seen
        if seen >= self.limit:
            # fail=False: the callback gets the partial response, flagged "download_stopped".
            raise StopDownload(fail=False)
