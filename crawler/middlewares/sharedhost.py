"""A per-host limit on requests in flight that holds across every worker (Redis).

Each host has a sorted-set semaphore in Redis (``listkeeper:host:H``): members are tokens,
scores their expiry. Before a request leaves for the network, a Lua script drops expired
tokens and adds one if fewer than the host's limit remain (the limit is the host's
``DOWNLOAD_SLOTS`` concurrency, else ``CONCURRENT_REQUESTS_PER_DOMAIN``: the same number
a local crawl uses per process, now for all processes together). The token is removed when
the response or the exception comes back. Tokens are short-lived
(``SHAREDHOST_TOKEN_SECONDS``, 10 s) and the worker renews those it holds every third of
that, so a long request (or one queued behind a Retry-After pause) keeps its token, while
the tokens of a worker killed mid-request expire and free their slots within 10 s.

A request that gets no token waits without blocking the reactor: ``process_request`` is a
coroutine that sleeps (asyncio, 20 ms doubling to 250 ms, with jitter) and tries again.
Within one worker a local semaphore per host lets at most ``limit`` requests of that host
ask Redis at a time, so waiting costs a handful of round trips, not one per queued request.
The middleware sits last before the download handler (950): its ``process_response`` runs
first, so the token is released before the redirect, retry and Retry-After middlewares
send a new request (which takes a token of its own).

On only when ``QUEUE_URL`` is set (``listkeeper worker``); a local crawl has Scrapy's
per-slot limit (crawler.downloader.PoliteDownloader), which still applies per process.
"""

from __future__ import annotations

import asyncio
import random
import secrets
from typing import Any

import redis.asyncio as aioredis
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

from crawler.queue import K

META_KEY = "sharedhost_token"

# KEYS: the host's set.  ARGV: token, limit, ttl_ms.  1 when acquired.
ACQUIRE = """
local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
  return 1
end
return 0
"""

# KEYS: the hosts' sets.  ARGV: ttl_ms, then one token per key.  Extends live tokens only.
RENEW = """
local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', now + tonumber(ARGV[1]), ARGV[i + 1])
  redis.call('PEXPIRE', key, tonumber(ARGV[1]))
end
return #KEYS
"""


class SharedHostLimitMiddleware:
    def __init__(self, url: str, per_host: int, slots: dict[str, Any], token_ttl: float) -> None:
        self.url = url
        self.per_host = per_host
        self.slots = slots
        self.token_ttl_ms = int(token_ttl * 1000)
        self.redis: aioredis.Redis | None = None
        self.local: dict[str, asyncio.Semaphore] = {}
        self.tokens: dict[str, str] = {}  # token -> host key, while its request is out
        self.renewer: asyncio.Task[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedHostLimitMiddleware:
        s = crawler.settings
        url = s.get("QUEUE_URL")
        if not url or not s.getbool("SHAREDHOST_ENABLED", True):
            raise NotConfigured("no QUEUE_URL: per-host limits are per process")
        return cls(
            url,
            s.getint("CONCURRENT_REQUESTS_PER_DOMAIN"),
            s.getdict("DOWNLOAD_SLOTS"),
            s.getfloat("SHAREDHOST_TOKEN_SECONDS", 10.0),
        )

    def limit(self, host: str) -> int:
        slot = self.slots.get(host) or {}
        return max(1, int(slot.get("concurrency", self.per_host)))

    async def process_request(self, request: Request) -> None:
        host = (urlparse_cached(request).hostname or "").lower()
        if self.redis is None:
            self.redis = aioredis.Redis.from_url(self.url, decode_responses=True)
            self.renewer = asyncio.get_running_loop().create_task(self._renew_forever())
        limit = self.limit(host)
        local = self.local.setdefault(host, asyncio.Semaphore(limit))
        token = secrets.token_hex(8)
        key = K.host(host)
        delay = 0.02
        async with local:  # at most `limit` of this worker's requests ask at a time
            while not await self.redis.eval(
                ACQUIRE, 1, key, token, str(limit), str(self.token_ttl_ms)
            ):
                await asyncio.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.25)
        request.meta[META_KEY] = (key, token)
        self.tokens[token] = key

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self.token_ttl_ms / 3000)
            held = list(self.tokens.items())
            if held and self.redis is not None:
                keys = [key for _, key in held]
                try:
                    await self.redis.eval(
                        RENEW, len(keys), *keys, str(self.token_ttl_ms), *[t for t, _ in held]
                    )
                except Exception:  # Redis away for a moment: the next round renews
                    continue

    async def _release(self, request: Request) -> None:
        held = request.meta.pop(META_KEY, None)
        if held is not None and self.redis is not None:
            self.tokens.pop(held[1], None)
            await self.redis.zrem(held[0], held[1])

    async def process_response(self, request: Request, response: Response) -> Response:
        await self._release(request)
        return response

    async def process_exception(self, request: Request, exception: Exception) -> None:
        await self._release(request)
