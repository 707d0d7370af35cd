"""The shared crawl frontier: due links in Redis, taken in batches under a lease.

A small layer of our own over redis-py, not scrapy-redis. scrapy-redis replaces Scrapy's
scheduler with a Redis one (one round trip per request; measured at about half the rate of
the in-memory scheduler, STACK.md) and pops without acknowledgement, so a killed worker
loses what it held. Here Redis holds *links*, not requests: a worker's spider takes a batch
of links, feeds Scrapy's own in-memory scheduler, and acknowledges each link once its
result is committed to the catalog.

Keys (``PREFIX`` = ``listkeeper``; one job at a time per Redis database):

- ``P:job``        hash: ``id`` (the catalog run the links belong to), ``settings`` (JSON:
                   the Scrapy settings a local crawl of that run would get);
- ``P:links``      hash: link id -> JSON payload ``{id, url, etag, last_modified, want_body}``;
- ``P:pending``    list of link ids waiting (LPUSH to enqueue, RPOP to take: FIFO);
- ``P:leased``     sorted set: link id -> lease expiry (ms, Redis server clock);
- ``P:deliveries`` hash: link id -> times taken; past ``max_deliveries`` a link is given up
                   (``P:given_up``; it stays due in the catalog for the next run);
- ``P:host:H``     sorted set: the shared per-host semaphore (crawler.middlewares.sharedhost).

Leases: ``take`` moves ids from ``pending`` to ``leased`` with an expiry in one Lua script
(a link is always in exactly one of the two until acknowledged). A worker renews the leases
of the links it holds every third of the lease time; ``ack`` (after the catalog commit)
deletes the link; every ``take`` and ``status`` first moves expired leases back to the
front of ``pending``. A worker killed with SIGKILL stops renewing, so its links come back
one lease time later and another worker checks them. Delivery is at least once: a worker
killed between the commit and the ack gets its links checked twice (two history rows,
harmless to the verdicts).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio as aioredis

PREFIX = "listkeeper"

_NOW = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)\n"

# Move expired leases back to the front of the queue (RPOP takes from the right).
_RECLAIM = """
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, id in ipairs(expired) do
  redis.call('ZREM', KEYS[2], id)
  redis.call('RPUSH', KEYS[1], id)
end
"""

# KEYS: pending, leased, links, deliveries, given_up, job
# ARGV: n, lease_ms, job id, max deliveries.  Returns {'job-changed'} or payloads.
TAKE = (
    _NOW
    + _RECLAIM
    + """
if redis.call('HGET', KEYS[6], 'id') ~= ARGV[3] then return {'job-changed'} end
local out = {}
local lease_until = now + tonumber(ARGV[2])
while #out < tonumber(ARGV[1]) do
  local id = redis.call('RPOP', KEYS[1])
  if not id then break end
  local payload = redis.call('HGET', KEYS[3], id)
  if payload then
    if redis.call('HINCRBY', KEYS[4], id, 1) > tonumber(ARGV[4]) then
      redis.call('HDEL', KEYS[3], id)
      redis.call('HDEL', KEYS[4], id)
      redis.call('SADD', KEYS[5], id)
    else
      redis.call('ZADD', KEYS[2], lease_until, id)
      table.insert(out, payload)
    end
  end
end
return out
"""
)

# KEYS: pending, leased.  Returns {pending, leased} after reclaiming expired leases.
STATUS = _NOW + _RECLAIM + "return {redis.call('LLEN', KEYS[1]), redis.call('ZCARD', KEYS[2])}"

# KEYS: leased.  ARGV: lease_ms, ids...  Extends leases still held (XX: never re-adds).
RENEW = (
    _NOW
    + """
local n = 0
for i = 2, #ARGV do
  n = n + redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[1]), ARGV[i])
end
return n
"""
)

# KEYS: leased, links, deliveries.  ARGV: ids.  Done: the result is in the catalog.
ACK = """
for _, id in ipairs(ARGV) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
end
return #ARGV
"""

# KEYS: pending, leased.  ARGV: ids.  Give back links taken but not checked (shutdown).
RELEASE = """
local n = 0
for _, id in ipairs(ARGV) do
  if redis.call('ZREM', KEYS[2], id) == 1 then
    redis.call('RPUSH', KEYS[1], id)
    n = n + 1
  end
end
return n
"""

# KEYS: pending, leased, job, links, deliveries, given_up.  ARGV: job id, settings JSON.
# Starts a job unless links of another are still queued; returns how many are.
BEGIN = (
    _NOW
    + _RECLAIM
    + """
local busy = redis.call('LLEN', KEYS[1]) + redis.call('ZCARD', KEYS[2])
if busy > 0 then return busy end
redis.call('DEL', KEYS[4], KEYS[5], KEYS[6])
redis.call('HSET', KEYS[3], 'id', ARGV[1], 'settings', ARGV[2])
return 0
"""
)


@dataclass(frozen=True)
class Keys:
    prefix: str = PREFIX

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        return f"{self.prefix}:{name.replace('_', '-')}"

    def host(self, host: str) -> str:
        return f"{self.prefix}:host:{host}"


K = Keys()


@dataclass(frozen=True)
class Job:
    id: str
    settings: dict[str, Any]


class QueueBusy(Exception):
    def __init__(self, queued: int, job: str | None) -> None:
        super().__init__(f"{queued} links of run {job} are still queued")
        self.queued = queued
        self.job = job


class Queue:
    """The blocking client: for the enqueuing job, the worker parent and the store
    pipeline's acknowledgements (which run in a thread)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.r: redis.Redis = redis.Redis.from_url(url, decode_responses=True)

    def close(self) -> None:
        self.r.close()

    def ping(self) -> None:
        self.r.ping()

    def enqueue(
        self, job_id: str, settings: dict[str, Any], links: Iterable[dict[str, Any]]
    ) -> int:
        """Start job ``job_id`` with these links; ``QueueBusy`` while another is queued."""
        busy = int(
            self.r.eval(
                BEGIN,
                6,
                K.pending,
                K.leased,
                K.job,
                K.links,
                K.deliveries,
                K.given_up,
                job_id,
                json.dumps(settings),
            )
        )
        if busy:
            raise QueueBusy(busy, self.job_id())
        count = 0
        chunk: list[dict[str, Any]] = []
        for link in links:  # an iterable: the caller may stream a catalog's worth
            chunk.append(link)
            if len(chunk) == 1000:
                count += self._push(chunk)
                chunk = []
        return count + (self._push(chunk) if chunk else 0)

    def _push(self, chunk: list[dict[str, Any]]) -> int:
        pipe = self.r.pipeline(transaction=True)
        pipe.hset(K.links, mapping={str(link["id"]): json.dumps(link) for link in chunk})
        pipe.lpush(K.pending, *[str(link["id"]) for link in chunk])
        pipe.execute()
        return len(chunk)

    def job_id(self) -> str | None:
        value = self.r.hget(K.job, "id")
        return str(value) if value is not None else None

    def job(self) -> Job | None:
        raw: dict[str, str] = self.r.hgetall(K.job)  # type: ignore[assignment]
        if not raw.get("id"):
            return None
        return Job(raw["id"], json.loads(raw.get("settings") or "{}"))

    def status(self) -> tuple[int, int]:
        """(pending, leased), expired leases counted as pending."""
        pending, leased = self.r.eval(STATUS, 2, K.pending, K.leased)
        return int(pending), int(leased)

    def given_up(self) -> set[str]:
        return set(self.r.smembers(K.given_up))  # type: ignore[arg-type]

    def ack(self, ids: Iterable[int]) -> None:
        args = [str(i) for i in ids]
        if args:
            self.r.eval(ACK, 3, K.leased, K.links, K.deliveries, *args)


class AsyncQueue:
    """The worker spider's client (redis.asyncio, on Scrapy's asyncio reactor loop)."""

    def __init__(self, url: str) -> None:
        self.r: aioredis.Redis = aioredis.Redis.from_url(url, decode_responses=True)

    async def close(self) -> None:
        await self.r.aclose()

    async def take(
        self, n: int, lease: float, job_id: str, max_deliveries: int
    ) -> list[dict[str, Any]] | None:
        """Up to ``n`` links under a lease; None when the queue now serves another job."""
        out = await self.r.eval(
            TAKE,
            6,
            K.pending,
            K.leased,
            K.links,
            K.deliveries,
            K.given_up,
            K.job,
            str(n),
            str(int(lease * 1000)),
            job_id,
            str(max_deliveries),
        )
        if out == ["job-changed"]:
            return None
        return [json.loads(payload) for payload in out]

    async def renew(self, ids: Iterable[int], lease: float) -> None:
        args = [str(i) for i in ids]
        if args:
            await self.r.eval(RENEW, 1, K.leased, str(int(lease * 1000)), *args)

    async def release(self, ids: Iterable[int]) -> int:
        args = [str(i) for i in ids]
        if not args:
            return 0
        return int(await self.r.eval(RELEASE, 2, K.pending, K.leased, *args))

    async def ack(self, ids: Iterable[int]) -> None:
        args = [str(i) for i in ids]
        if args:
            await self.r.eval(ACK, 3, K.leased, K.links, K.deliveries, *args)

    async def status(self) -> tuple[int, int]:
        pending, leased = await self.r.eval(STATUS, 2, K.pending, K.leased)
        return int(pending), int(leased)
