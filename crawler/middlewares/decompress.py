"""Decompress gzip, deflate, brotli and zstd bodies up to DECOMPRESS_MAX_BYTES, then stop.

Scrapy's HttpCompressionMiddleware fails a response whose body inflates past
DOWNLOAD_MAXSIZE; a link check only needs the first bytes, so a compressed bomb is read
up to the cap and the page is judged on that (flagged ``decompression_truncated``). The
decoding is catalog.inflate's, the one capped decompressor feeds and Wayback use too.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.responsetypes import responsetypes

from catalog.inflate import ACCEPT_ENCODING, InflateError, inflate


class DecompressMiddleware:
    def __init__(self, limit: int) -> None:
        self.limit = limit

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DecompressMiddleware:
        if not crawler.settings.getbool("DECOMPRESS_ENABLED"):
            raise NotConfigured("DECOMPRESS_ENABLED is off")
        return cls(crawler.settings.getint("DECOMPRESS_MAX_BYTES"))

    def process_request(self, request: Request) -> None:
        request.headers.setdefault("Accept-Encoding", ACCEPT_ENCODING)

    def process_response(self, request: Request, response: Response) -> Response:
        if request.method == "HEAD" or not response.body:
            return response
        header = response.headers.get(b"Content-Encoding")
        if not header:
            return response
        try:
            body, cut = inflate(response.body, header.decode("latin-1"), self.limit)
        except InflateError:  # a corrupt body: judge the status alone
            return response.replace(body=b"", flags=[*response.flags, "decompression_failed"])
        headers = response.headers.copy()
        headers.pop(b"Content-Encoding")
        cls = responsetypes.from_args(headers=headers, url=response.url, body=body)
        flags = [*response.flags, *(["decompression_truncated"] if cut else [])]
        return response.replace(cls=cls, body=body, headers=headers, flags=flags)
