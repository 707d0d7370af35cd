"""One capped decompressor for every body listkeeper reads: the crawl, feeds, Wayback, GitHub.

A compressed bomb (a few KB of brotli that expand to gigabytes) must cost at most the cap:
every decoder here is asked for a bounded amount of output per call (zlib's and zstd's
``max_length``, brotli's ``output_buffer_limit``), so memory stays near ``limit`` however
far the body would expand. A body that would expand past the cap is cut there and said so.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from email.message import Message
from typing import Protocol

import brotli

try:  # Python 3.14 has zstd in the standard library; before it, Scrapy's own dependency
    from compression import zstd  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - depends on the Python version
    from backports import zstd  # type: ignore[import-not-found,no-redef,unused-ignore]

STEP = 64 * 1024  # most output one decoder call may produce
ENCODINGS = ("gzip", "x-gzip", "deflate", "br", "zstd")
ACCEPT_ENCODING = "gzip, deflate, br, zstd"  # what a request may say it accepts


class InflateError(ValueError):
    """A body that its Content-Encoding cannot decode (corrupt, or an unknown coding)."""


def inflate(body: bytes, content_encoding: str, limit: int) -> tuple[bytes, bool]:
    """``body`` decoded as its Content-Encoding header says (codings applied in order, so
    undone in reverse), at most ``limit`` bytes, and whether it was cut there."""
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    cut = False
    for coding in reversed(codings):
        if coding == "identity":
            continue
        decode = _DECODERS.get(coding)
        if decode is None:
            raise InflateError(f"unknown content coding {coding!r}")
        try:
            body, more = decode(body, limit)
        except (zlib.error, brotli.error, zstd.ZstdError, EOFError) as exc:
            raise InflateError(f"corrupt {coding} body: {exc}") from exc
        cut = cut or more
    return body, cut


def _zlib(body: bytes, limit: int, wbits: int) -> tuple[bytes, bool]:
    dec = zlib.decompressobj(wbits)
    out = dec.decompress(body, limit)  # zlib bounds a single call itself
    return out, bool(dec.unconsumed_tail)


def _gzip(body: bytes, limit: int) -> tuple[bytes, bool]:
    return _zlib(body, limit, 16 + zlib.MAX_WBITS)


def _deflate(body: bytes, limit: int) -> tuple[bytes, bool]:
    try:
        return _zlib(body, limit, zlib.MAX_WBITS)
    except zlib.error:  # raw deflate, as some servers send for "deflate"
        return _zlib(body, limit, -zlib.MAX_WBITS)


def _drain(
    call: Callable[[bytes, int], bytes], done: Callable[[], bool], body: bytes, limit: int
) -> tuple[bytes, bool]:
    """Feed ``body`` to a streaming decoder once, then drain it ``STEP`` bytes a call until
    it is done, stalls (a body cut short in transit) or ``limit`` is reached."""
    parts: list[bytes] = []
    size = 0
    data = body
    while size < limit:
        chunk = call(data, min(STEP, limit - size))
        data = b""  # the decoder keeps the input; later calls only drain its output
        parts.append(chunk)
        size += len(chunk)
        if done() or not chunk:
            break
    out = b"".join(parts)
    # brotli's buffer limit is a floor, not a ceiling: a call may return a little more.
    return out[:limit], len(out) > limit or (len(out) == limit and not done())


def _brotli(body: bytes, limit: int) -> tuple[bytes, bool]:
    dec = brotli.Decompressor()
    return _drain(
        lambda data, most: dec.process(data, output_buffer_limit=most),
        dec.is_finished,
        body,
        limit,
    )


def _zstd(body: bytes, limit: int) -> tuple[bytes, bool]:
    dec = zstd.ZstdDecompressor()
    return _drain(
        lambda data, most: dec.decompress(data, max_length=most),
        lambda: dec.eof or dec.needs_input,
        body,
        limit,
    )


_DECODERS: dict[str, Callable[[bytes, int], tuple[bytes, bool]]] = {
    "gzip": _gzip,
    "x-gzip": _gzip,
    "deflate": _deflate,
    "br": _brotli,
    "zstd": _zstd,
}


class _Readable(Protocol):
    headers: Message

    def read(self, amt: int, /) -> bytes: ...


def read_capped(response: _Readable, limit: int) -> tuple[bytes, bool]:
    """An HTTP response's body (``http.client``/``urllib``) decoded by its Content-Encoding:
    at most ``limit`` bytes read off the wire and at most ``limit`` once decoded; and
    whether it was cut. Raises InflateError for a body its coding cannot decode."""
    raw = response.read(limit + 1)
    body, cut = inflate(raw[:limit], response.headers.get("Content-Encoding") or "", limit)
    return body, cut or len(raw) > limit
