"""Decompress gzip, deflate and brotli bodies up to DECOMPRESS_MAX_BYTES, then stop.

Scrapy's HttpCompressionMiddleware fails a response whose body inflates past
DOWNLOAD_MAXSIZE; a link check only needs the first bytes, so a compressed bomb is read
up to the cap and the page is judged on that (flagged ``decompression_truncated``).
"""

from __future__ import annotations

import zlib

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.responsetypes import responsetypes

try:
    import brotli
except ImportError:  # pragma: no cover - brotli comes with Scrapy's extras
    brotli = None


def inflate(body: bytes, encoding: str, limit: int) -> tuple[bytes, bool]:
    """The decoded body (at most ``limit`` bytes) and whether it was cut."""
    if encoding in ("gzip", "x-gzip", "deflate"):
        wbits = 16 + zlib.MAX_WBITS if encoding != "deflate" else zlib.MAX_WBITS
        try:
            d = zlib.decompressobj(wbits)
            out = d.decompress(body, limit)
        except zlib.error:
            d = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as some servers send
            out = d.decompress(body, limit)
        return out, bool(d.unconsumed_tail)
    if encoding == "br" and brotli is not None:
        dec = brotli.Decompressor()
        out = b""
        for start in range(0, len(body), 4096):
            out += dec.process(body[start : start + 4096])
            if len(out) >= limit:
                return out[:limit], True
        return out, False
    raise ValueError(encoding)


class DecompressMiddleware:
    def __init__(self, limit: int) -> None:
        self.limit = limit

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DecompressMiddleware:
        if not crawler.settings.getbool("DECOMPRESS_ENABLED"):
            raise NotConfigured("DECOMPRESS_ENABLED is off")
        return cls(crawler.settings.getint("DECOMPRESS_MAX_BYTES"))

    def process_request(self, request: Request) -> None:
        accepted = "gzip, deflate, br" if brotli is not None else "gzip, deflate"
        request.headers.setdefault("Accept-Encoding", accepted)

    def process_response(self, request: Request, response: Response) -> Response:
        if request.method == "HEAD" or not response.body:
            return response
        header = response.headers.get(b"Content-Encoding")
        if not header:
            return response
        encoding = header.decode("latin-1").strip().lower()
        try:
            body, cut = inflate(response.body, encoding, self.limit)
        except (ValueError, zlib.error, Exception):  # a corrupt body: judge the status alone
            return response.replace(body=b"", flags=[*response.flags, "decompression_failed"])
        headers = response.headers.copy()
        headers.pop(b"Content-Encoding")
        cls = responsetypes.from_args(headers=headers, url=response.url, body=body)
        flags = [*response.flags, *(["decompression_truncated"] if cut else [])]
        return response.replace(cls=cls, body=body, headers=headers, flags=flags)
