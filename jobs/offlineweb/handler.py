"""The HTTP/1.1 connection loop and the dispatch of each request to a host and a page.

A request's host is the one named by its Host header when that name is in the web's DNS
map, else the one whose loopback address the client connected to (the socket's local
address). Connections to non-loopback addresses are dropped. Every loop is bounded: at most
`MAX_REQUESTS_PER_CONNECTION` requests per connection, `IDLE_TIMEOUT` seconds between
requests and `MAX_CONNECTION_SECONDS` per connection (a watchdog aborts the transport).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import math
from collections import OrderedDict, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import files
from .responses import Compiled, compile_page, reset, send, write
from .spec import Host, Page, Web
from .stats import Stats

log = logging.getLogger(__name__)

MAX_REQUEST_BODY = 1 << 20
MAX_REQUESTS_PER_CONNECTION = 100_000
IDLE_TIMEOUT = 30.0
MAX_CONNECTION_SECONDS = 900.0
CONTROL_PREFIX = "/__offlineweb__/"
FILE_CACHE_SIZE = 512
KEEP = b"\r\n"
KEEP_10 = b"Connection: keep-alive\r\n\r\n"
CLOSE = b"Connection: close\r\n\r\n"


@dataclass
class Request:
    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]
    h: dict[str, str]  # lower-cased names; repeated headers joined with ", "

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


def parse_head(data: bytes) -> Request | None:
    try:
        text = data.decode("latin-1")
        line, *rest = text.split("\r\n")
        method, target, version = line.split(" ")
    except ValueError:
        return None
    if not version.startswith("HTTP/1."):
        return None
    if target.startswith(("http://", "https://")):  # absolute form (proxies)
        parts = urlsplit(target)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers: list[tuple[str, str]] = []
    h: dict[str, str] = {}
    for raw in rest:
        if not raw:
            continue
        name, sep, value = raw.partition(":")
        if not sep:
            return None
        name, value = name.strip(), value.strip()
        headers.append((name, value))
        key = name.lower()
        h[key] = f"{h[key]}, {value}" if key in h else value
    return Request(method.upper(), target, version, headers, h)


class HostState:
    """A host with its pages compiled and its rate-limit state."""

    def __init__(self, key: str, host: Host, subs: dict[str, str]) -> None:
        self.key = key
        self.host = host
        self.pages = {path: compile_page(p, subs) for path, p in host.pages.items()}
        if host.robots_txt is not None and "/robots.txt" not in self.pages:
            robots = Page(body=host.robots_txt, content_type="text/plain; charset=utf-8")
            self.pages["/robots.txt"] = compile_page(robots, subs)
        # As real servers do, "/a?x[1]" and "/a?x%5B1%5D" name the same resource.
        self.unquoted = {unquote(path): page for path, page in self.pages.items()}
        self.catch_all = compile_page(host.catch_all, subs) if host.catch_all else None
        missing = host.not_found or Page(
            status=404, body="Not Found", content_type="text/plain; charset=utf-8"
        )
        self.not_found = compile_page(missing, subs)
        limited = Page(
            status=429,
            body="Too Many Requests",
            content_type="text/plain; charset=utf-8",
            headers={"Retry-After": str(host.retry_after)},
        )
        self.limited = compile_page(limited, subs)
        self.arrivals: deque[float] = deque()
        self.max_rate = math.ceil(host.max_rate) if host.max_rate else 0

    def over_rate(self, now: float) -> bool:
        """Count an arrival; True when more than max_rate arrived in the last second."""
        if not self.max_rate:
            return False
        while self.arrivals and self.arrivals[0] <= now - 1.0:
            self.arrivals.popleft()
        if len(self.arrivals) >= self.max_rate:
            return True
        self.arrivals.append(now)
        return False


class Handler:
    """Serves a finalised `Web`; one instance per server, shared by its listeners."""

    def __init__(self, web: Web, stats: Stats, subs: dict[str, str]) -> None:
        self.web = web
        self.stats = stats
        self.subs = subs
        by_address = web.finalize()
        keys = {id(h): k for k, h in web.hosts.items()}
        self.hosts = {a: HostState(keys[id(h)], h, subs) for a, h in by_address.items()}
        self.names = {n: a for n, a in web.dns_map().items() if a in self.hosts}
        self.writers: set[asyncio.StreamWriter] = set()
        self._files: OrderedDict[Path, Compiled] = OrderedDict()

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sockname = writer.get_extra_info("sockname") or ("", 0)
        local, port = str(sockname[0]), int(sockname[1])
        if not local.startswith("127."):
            writer.transport.abort()
            return
        scheme = "https" if writer.get_extra_info("sslcontext") is not None else "http"
        loop = asyncio.get_running_loop()
        self.stats.connections += 1
        self.writers.add(writer)
        born = loop.time()
        state = {"idle_since": born, "busy": False}

        def watchdog() -> None:
            now = loop.time()
            idle = not state["busy"] and now - float(state["idle_since"]) > IDLE_TIMEOUT
            if idle or now - born > MAX_CONNECTION_SECONDS:
                writer.transport.abort()
            elif not writer.transport.is_closing():
                loop.call_later(IDLE_TIMEOUT / 3, watchdog)

        loop.call_later(IDLE_TIMEOUT / 3, watchdog)
        try:
            for _ in range(MAX_REQUESTS_PER_CONNECTION):
                state["busy"], state["idle_since"] = False, loop.time()
                data = await reader.readuntil(b"\r\n\r\n")
                state["busy"] = True
                keep = await self._one(reader, writer, data, local, port, scheme)
                if not keep:
                    break
            if not writer.transport.is_closing():
                await writer.drain()
                writer.close()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.transport.abort()
        except TimeoutError:
            writer.transport.abort()
        except Exception:  # a bug must cost one connection, not the server
            log.exception("offline web: connection failed")
            writer.transport.abort()
        finally:
            self.writers.discard(writer)

    async def _one(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        data: bytes,
        local: str,
        port: int,
        scheme: str,
    ) -> bool:
        req = parse_head(data)
        if req is None:
            await write(writer, b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n" + CLOSE)
            return False
        if "chunked" in req.h.get("transfer-encoding", "").lower():
            await write(writer, b"HTTP/1.1 411 Length Required\r\nContent-Length: 0\r\n" + CLOSE)
            return False
        length_text = req.h.get("content-length", "0") or "0"
        length = int(length_text) if length_text.isdigit() else MAX_REQUEST_BODY + 1
        if length > MAX_REQUEST_BODY:
            await write(writer, b"HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\n" + CLOSE)
            return False
        if length:
            await reader.readexactly(length)
        connection = req.h.get("connection", "").lower()
        if req.version == "HTTP/1.0":
            keep = "keep-alive" in connection
            end = KEEP_10 if keep else CLOSE
        else:
            keep = "close" not in connection
            end = KEEP if keep else CLOSE
        if req.path.startswith(CONTROL_PREFIX):
            head, body = self._control(req)
            await write(writer, head + end + body)
            return keep
        host_header = req.h.get("host", "")
        authority = host_header or f"{local}:{port}"
        state = self._host_for(host_header, local)
        url = f"{scheme}://{authority}{req.target}"
        record = self.stats.begin(state.key if state else local, url, req.method, req.headers)
        status: int | None = None
        try:
            status, sent_keep = await self._dispatch(state, req, writer, end)
            return keep and sent_keep
        finally:
            self.stats.end(state.key if state else local, record, status)

    def _host_for(self, host_header: str, local: str) -> HostState | None:
        name = host_header.lower()
        if name.startswith("["):
            name = name.split("]", 1)[0] + "]"
        else:
            name = name.rsplit(":", 1)[0] if ":" in name else name
        address = self.names.get(name, local)
        return self.hosts.get(address)

    async def _dispatch(
        self, state: HostState | None, req: Request, writer: asyncio.StreamWriter, end: bytes
    ) -> tuple[int | None, bool]:
        if state is None:
            body = b"no such host on the offline web"
            head = b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
            await write(writer, head + b"Content-Length: %d\r\n" % len(body) + end + body)
            return 404, True
        host = state.host
        if host.refuse:
            reset(writer)
            return None, False
        over_limit = host.max_in_flight is not None and (
            self.stats.in_flight[state.key] > host.max_in_flight
        )
        if over_limit or state.over_rate(asyncio.get_running_loop().time()):
            self.stats.limited[state.key] += 1
            return await send(writer, state.limited, req.method, req.h, end)
        page = self._page(state, req)
        latency = page.page.latency
        if latency is None:
            latency = host.latency if host.latency is not None else self.web.latency
        if latency > 0:
            await asyncio.sleep(latency)
        return await send(writer, page, req.method, req.h, end)

    def _page(self, state: HostState, req: Request) -> Compiled:
        page = (
            state.pages.get(req.target)
            or state.pages.get(req.path)
            or state.unquoted.get(unquote(req.target))
        )
        if page is not None:
            return page
        if state.host.mounts:
            target = files.find_mounted(state.host.mounts, req.path)
            if target is not None:
                return self._file(target, req.path)
        return state.catch_all or state.not_found

    def _file(self, target: Path, url_path: str) -> Compiled:
        cached = self._files.get(target)
        if cached is not None:
            self._files.move_to_end(target)
            return cached
        if target.is_dir():
            compiled = compile_page(Page(), self.subs, files.listing(target, url_path))
        else:
            body = target.read_bytes()
            stat = target.stat()
            page = Page(
                content_type=files.content_type_for(target, body),
                etag=f'"{stat.st_size:x}-{int(stat.st_mtime):x}"',
                last_modified=_format_date(stat.st_mtime),
            )
            compiled = compile_page(page, self.subs, body)
        self._files[target] = compiled
        if len(self._files) > FILE_CACHE_SIZE:
            self._files.popitem(last=False)
        return compiled

    def _control(self, req: Request) -> tuple[bytes, bytes]:
        command = req.path[len(CONTROL_PREFIX) :]
        query = parse_qs(urlsplit(req.target).query)
        payload: Any
        if command == "stats":
            payload = self.stats.snapshot(with_requests="requests" in query)
        elif command == "reset":
            self.stats.reset()
            payload = {"reset": True}
        elif command == "dns":
            payload = self.web.dns_map()
        else:
            payload = {"error": f"unknown control {command!r}", "known": ["stats", "reset", "dns"]}
        body = json.dumps(payload).encode()
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
        return head + b"Content-Length: %d\r\n" % len(body), body


def _format_date(timestamp: float) -> str:
    return email.utils.formatdate(timestamp, usegmt=True)
