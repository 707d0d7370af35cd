"""Turning a `Page` into bytes on the wire: precompiled heads, 304s, drips, streams, resets."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import http
import socket
import struct
import time
from dataclasses import dataclass
from pathlib import Path

from .bomb import bomb
from .spec import Page

STREAM_CHUNK = 64 * 1024  # bytes per chunk of an endless body
DRAIN_ABOVE = 256 * 1024  # await drain() when the write buffer holds more than this
EXTRA_REASONS = {999: "Request denied"}


def reason_phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return EXTRA_REASONS.get(status, "Unknown")


def substitute(text: str, subs: dict[str, str]) -> str:
    for key, value in subs.items():
        text = text.replace(key, value)
    return text


def head_bytes(status: int, reason: str | None, headers: list[tuple[str, str]]) -> bytes:
    """Status line and header lines, without the blank line that ends the head."""
    lines = [f"HTTP/1.1 {status} {reason or reason_phrase(status)}\r\n"]
    lines += [f"{name}: {value}\r\n" for name, value in headers]
    return "".join(lines).encode("latin-1", "replace")


@dataclass
class Compiled:
    """A page ready to send: heads and body precomputed once at start."""

    page: Page
    head: bytes  # full response head (no terminating CRLF)
    body: bytes
    head_refused: bytes | None  # answer to HEAD when page.head_status is set
    not_modified: bytes | None  # 304 head when the page has validators

    @property
    def status(self) -> int:
        return self.page.status


def compile_page(page: Page, subs: dict[str, str], body: bytes | None = None) -> Compiled:
    """Precompute a page. `body` overrides the page's own body (files, listings)."""
    if body is None:
        if page.bomb_size:
            body = bomb(page.bomb_size, page.bomb_encoding)
        elif page.body_file:
            body = Path(page.body_file).read_bytes()
        else:
            text = substitute(page.body, subs) if page.template else page.body
            body = text.encode("utf-8")
    headers: list[tuple[str, str]] = []
    for name, value in page.headers.items():
        values = value if isinstance(value, list) else [value]
        headers += [(name, v) for v in values]
    present = {name.lower() for name, _ in headers}
    if page.content_type and "content-type" not in present:
        headers.append(("Content-Type", page.content_type))
    if page.location is not None:
        headers.append(("Location", substitute(page.location, subs)))
    validators = []
    if page.etag:
        validators.append(("ETag", page.etag))
    if page.last_modified:
        validators.append(("Last-Modified", page.last_modified))
    headers += validators
    if page.bomb_size:
        headers.append(("Content-Encoding", page.bomb_encoding))
    if page.endless:
        headers.append(("Transfer-Encoding", "chunked"))
    elif page.reset_after is not None:
        headers.append(("Content-Length", str(max(len(body), 2 * page.reset_after + 1))))
    elif page.length:
        headers.append(("Content-Length", str(page.length)))
    else:
        headers.append(("Content-Length", str(len(body))))
    head_refused = None
    if page.head_status is not None:
        head_refused = head_bytes(
            page.head_status, None, [("Allow", "GET"), ("Content-Length", "0")]
        )
    not_modified = None
    if validators:
        not_modified = head_bytes(304, None, validators)
    return Compiled(
        page, head_bytes(page.status, page.reason, headers), body, head_refused, not_modified
    )


def _http_date(text: str) -> float | None:
    try:
        return email.utils.parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def is_not_modified(page: Page, headers: dict[str, str]) -> bool:
    """Whether the request's validators match the page (If-None-Match wins, RFC 9110)."""
    inm = headers.get("if-none-match")
    if inm is not None:
        if not page.etag:
            return False
        tags = [t.strip() for t in inm.split(",")]
        return "*" in tags or _opaque(page.etag) in {_opaque(t) for t in tags}
    ims = headers.get("if-modified-since")
    if ims and page.last_modified:
        since, modified = _http_date(ims), _http_date(page.last_modified)
        return since is not None and modified is not None and modified <= since
    return False


def reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (SO_LINGER 0) instead of a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def write(writer: asyncio.StreamWriter, data: bytes) -> None:
    writer.write(data)
    if writer.transport.get_write_buffer_size() > DRAIN_ABOVE:
        await writer.drain()


async def send(
    writer: asyncio.StreamWriter, page: Compiled, method: str, headers: dict[str, str], end: bytes
) -> tuple[int | None, bool]:
    """Send `page` for one request. `end` ends the head (it carries the Connection header).
    Returns (status sent or None, whether the connection may be kept)."""
    spec = page.page
    if spec.close:
        reset(writer)
        return None, False
    if spec.reset_after is not None:
        writer.write(page.head + end + page.body[: spec.reset_after])
        await writer.drain()
        reset(writer)
        return spec.status, False
    if method == "HEAD" and page.head_refused is not None:
        await write(writer, page.head_refused + end)
        return spec.head_status, True
    if page.not_modified is not None and is_not_modified(spec, headers):
        await write(writer, page.not_modified + end)
        return 304, True
    if method == "HEAD":
        await write(writer, page.head + end)
        return spec.status, True
    if spec.drip_bytes > 0:
        writer.write(page.head + end)
        step = spec.drip_bytes
        for start in range(0, len(page.body), step):  # bounded by the body's length
            await asyncio.sleep(spec.drip_interval)
            writer.write(page.body[start : start + step])
            await writer.drain()
        return spec.status, True
    if spec.endless or spec.length:
        await _stream(writer, page, end)
        return spec.status, False
    await write(writer, page.head + end + page.body)
    return spec.status, True


async def _stream(writer: asyncio.StreamWriter, page: Compiled, end: bytes) -> None:
    """A body streamed until the client leaves or a byte/time bound is reached: chunked and
    endless, or `length` bytes under its Content-Length."""
    spec = page.page
    pattern = page.body or b"<p>and more</p>\n"
    data = (pattern * (STREAM_CHUNK // len(pattern) + 1))[:STREAM_CHUNK]
    chunked = not spec.length
    chunk = b"%x\r\n" % len(data) + data + b"\r\n" if chunked else data
    limit = spec.endless_max_bytes if chunked else spec.length
    writer.write(page.head + end)
    sent = 0
    deadline = time.monotonic() + spec.endless_max_seconds
    while sent < limit and (left := deadline - time.monotonic()) > 0:
        piece = chunk if chunked or limit - sent >= len(data) else data[: limit - sent]
        writer.write(piece)
        sent += len(data)
        try:  # raises once the client has gone; times out if it stops reading
            await asyncio.wait_for(writer.drain(), timeout=left)
        except TimeoutError:
            break
    if chunked:
        writer.write(b"0\r\n\r\n")
    await writer.drain()
