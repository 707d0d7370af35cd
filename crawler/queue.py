"""The shared crawl frontier: due links in Redis, taken host by host under a lease.

A small layer of our own over redis-py, not scrapy-redis. scrapy-redis replaces Scrapy's
scheduler with a Redis one (one round trip per request; measured at about half the rate of
the in-memory scheduler, STACK.md) and pops without acknowledgement, so a killed worker
loses what it held. Here Redis holds *links*, not requests: a worker's spider takes a batch
of links, feeds Scrapy's own in-memory scheduler, and acknowledges each link once its
result is committed to the catalog.

Host affinity: the frontier is partitioned by host, as distributed crawlers partition
theirs. A worker takes *whole hosts*: every pending link of a host goes to one worker at a
time, so that worker's own per-host limit (Scrapy's per-slot concurrency,
crawler.downloader.PoliteDownloader, the same as a local crawl) is the global limit, with
no Redis traffic per request (a per-host semaphore in Redis cost two round trips a request,
about 0.4 ms of CPU a link). Retry-After pauses, which are per slot, hold globally too. As
with a local check split over processes by host, a redirect to another host is fetched by
the worker that followed it, outside that host's owner.

Keys (``PREFIX`` = ``{listkeeper}``; one job at a time per Redis database):

- ``P:job``          hash: ``id`` (the catalog run the links belong to), ``settings``
                     (JSON: the Scrapy settings a local crawl of that run would get);
- ``P:links``        hash: link id -> JSON payload ``{id, url, etag, last_modified,
                     want_body, compare, reference}``, for every link not yet
                     acknowledged nor given up;
- ``P:host-of``      hash: link id -> its host (the URL's hostname: Scrapy's slot key);
- ``P:pending:H``    list: the ids of host H waiting (LPUSH to enqueue; taken all at once);
- ``P:ready``        list: hosts with links waiting and none leased, FIFO (LPUSH, RPOP);
                     ``P:ready-set`` holds the same hosts, so a host is listed once;
- ``P:held``         hash: host -> how many of its links are leased. A host is *owned*
                     while this is above zero: only a ready host (none leased) is taken,
                     so all of a host's leased links belong to one worker;
- ``P:leased``       sorted set: link id -> lease expiry (ms, Redis server clock);
- ``P:deliveries``   hash: link id -> times taken; past ``max_deliveries`` a link is given
                     up (``P:given-up``; it stays due in the catalog for the next run).

Every script keeps the invariants: a link not yet acknowledged is either in its host's
pending list or leased (``pending = HLEN links - ZCARD leased``; an id acknowledged while
pending stays in its list until a take skips it); ``held[H]`` counts H's leased links; a
host with pending links and none leased is in ``ready``.

Leases: ``take`` pops ready hosts and moves all their pending links to ``leased`` with an
expiry in one Lua script, until it has ``n`` links or no host is ready (a big host may give
more than ``n``). A worker renews the leases of the links it holds every third of the lease
time, which renews its ownership of their hosts: the ownership lease is the leases of the
host's links. ``ack`` (after the catalog commit) deletes a link; when a host's last leased
link is acknowledged the ownership ends (and the host is ready again if links of it came
back meanwhile). Every ``take`` and ``status`` first moves expired leases back to the
front of their host's pending list, and a host left with none leased to the front of
``ready``. A worker killed with SIGKILL stops renewing, so its hosts come back one lease
time later and another worker takes them. A worker that only stalls past its lease loses
its hosts the same way (its late requests may then overlap the new owner's). Delivery is at
least once: a worker killed between the commit and the ack gets its links checked twice
(two history rows, harmless to the verdicts).

Redis Cluster: the scripts name per-host keys from ``P:pending:`` (an argument), which a
cluster allows only for keys in the slot of the declared ones. The braces of the prefix
are a hash tag: every key of the queue hashes to one slot, so one primary serves the whole
queue and every script runs there. A ``redis+cluster://`` (``rediss+cluster://``) URL names
a cluster by any of its nodes; the client finds the rest. One node serving the queue is
no bottleneck: a worker does one script call per batch of links, not per request.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio as aioredis

from catalog.urls import slot_host

PREFIX = "{listkeeper}"  # a hash tag: one Redis Cluster slot for the whole queue
CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}


def cluster_url(url: str) -> tuple[str, bool]:
    """(the URL redis-py takes, whether it names a Redis Cluster): ``redis+cluster://h:p``
    is ``redis://h:p`` through a cluster client."""
    scheme, sep, rest = url.partition("://")
    plain = CLUSTER_SCHEMES.get(scheme.lower())
    return (f"{plain}{sep}{rest}", True) if plain else (url, False)


def connect(url: str) -> redis.Redis | redis.RedisCluster:
    """A blocking client for a Redis server or a Redis Cluster (see ``cluster_url``)."""
    plain, cluster = cluster_url(url)
    if cluster:
        return redis.RedisCluster.from_url(plain, decode_responses=True)
    return redis.Redis.from_url(plain, decode_responses=True)


# Every script gets the same KEYS (``_keys()``) and, as ARGV[1], the prefix of the per-host
# pending lists; its own arguments follow.
_PRELUDE = """
local job, links, host_of, ready, ready_set, held, leased, deliveries, given_up = unpack(KEYS)
local function pending(h) return ARGV[1] .. h end
-- Offer host h to the takers (once); at the front when its links came back.
local function make_ready(h, front)
  if redis.call('SADD', ready_set, h) == 1 then
    if front then redis.call('RPUSH', ready, h) else redis.call('LPUSH', ready, h) end
  end
end
-- Take id out of leased. Returns its host (nil when it was not leased) and whether that
-- was the host's last leased link (its ownership ends).
local function unlease(id)
  if redis.call('ZREM', leased, id) == 0 then return nil, false end
  local h = redis.call('HGET', host_of, id)
  if redis.call('HINCRBY', held, h, -1) > 0 then return h, false end
  redis.call('HDEL', held, h)
  return h, true
end
"""

_NOW = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)\n"

# Expired leases back to the front of their host's pending list (the worker holding them
# is gone); a host with none leased left goes back to the front of ready.
_RECLAIM = """
for _, id in ipairs(redis.call('ZRANGEBYSCORE', leased, '-inf', now)) do
  local h, free = unlease(id)
  redis.call('RPUSH', pending(h), id)
  if free then make_ready(h, true) end
end
"""

# ARGV: prefix, then id, host, payload for each link.
ENQUEUE = (
    _PRELUDE
    + """
for i = 2, #ARGV, 3 do
  local id, h = ARGV[i], ARGV[i + 1]
  redis.call('HSET', links, id, ARGV[i + 2])
  redis.call('HSET', host_of, id, h)
  redis.call('LPUSH', pending(h), id)
  if not redis.call('HGET', held, h) then make_ready(h, false) end
end
return (#ARGV - 1) / 3
"""
)

# ARGV: prefix, n, lease_ms, job id, max deliveries.  Returns {'job-changed'} or payloads:
# whole hosts, until at least n links or no host is ready.
TAKE = (
    _PRELUDE
    + _NOW
    + _RECLAIM
    + """
if redis.call('HGET', job, 'id') ~= ARGV[4] then return {'job-changed'} end
local n, max_deliveries = tonumber(ARGV[2]), tonumber(ARGV[5])
local lease_until = now + tonumber(ARGV[3])
local out = {}
while #out < n do
  local h = redis.call('RPOP', ready)
  if not h then break end
  redis.call('SREM', ready_set, h)
  if not redis.call('HGET', held, h) then  -- free (a ready host always is)
    local ids = redis.call('LRANGE', pending(h), 0, -1)
    redis.call('DEL', pending(h))
    local count = 0
    for i = #ids, 1, -1 do  -- oldest first
      local id = ids[i]
      local payload = redis.call('HGET', links, id)
      if payload then  -- (an id acknowledged while pending has none)
        if redis.call('HINCRBY', deliveries, id, 1) > max_deliveries then
          redis.call('HDEL', links, id)
          redis.call('HDEL', deliveries, id)
          redis.call('HDEL', host_of, id)
          redis.call('SADD', given_up, id)
        else
          redis.call('ZADD', leased, lease_until, id)
          table.insert(out, payload)
          count = count + 1
        end
      end
    end
    if count > 0 then redis.call('HSET', held, h, count) end
  end
end
return out
"""
)

# Returns {pending, leased} after reclaiming expired leases.
STATUS = (
    _PRELUDE
    + _NOW
    + _RECLAIM
    + """
local n = redis.call('ZCARD', leased)
return {redis.call('HLEN', links) - n, n}
"""
)

# ARGV: prefix, lease_ms, ids...  Extends leases still held (XX: never re-adds), and with
# them the ownership of their hosts.
RENEW = (
    _PRELUDE
    + _NOW
    + """
local n = 0
for i = 3, #ARGV do
  n = n + redis.call('ZADD', leased, 'XX', 'CH', now + tonumber(ARGV[2]), ARGV[i])
end
return n
"""
)

# ARGV: prefix, ids.  Done: the result is in the catalog. A host whose last leased link
# this was is no longer owned; ready again if links of it came back meanwhile.
ACK = (
    _PRELUDE
    + """
for i = 2, #ARGV do
  local id = ARGV[i]
  local h, free = unlease(id)
  if free and redis.call('LLEN', pending(h)) > 0 then make_ready(h, false) end
  redis.call('HDEL', links, id)
  redis.call('HDEL', deliveries, id)
  redis.call('HDEL', host_of, id)
end
return #ARGV - 1
"""
)

# ARGV: prefix, ids.  Give back links taken but not checked (shutdown); their hosts are
# ready again once none of their links is leased.
RELEASE = (
    _PRELUDE
    + """
local n = 0
for i = 2, #ARGV do
  local h, free = unlease(ARGV[i])
  if h then
    redis.call('RPUSH', pending(h), ARGV[i])
    if free then make_ready(h, true) end
    n = n + 1
  end
end
return n
"""
)

# ARGV: prefix, job id, settings JSON.  Starts a job unless links of another are still
# queued; returns how many are. (Idle, only ids acknowledged while pending may be left in
# the pending lists, all of ready hosts: cleared.)
BEGIN = (
    _PRELUDE
    + _NOW
    + _RECLAIM
    + """
local busy = redis.call('HLEN', links)
if busy > 0 then return busy end
for _, h in ipairs(redis.call('LRANGE', ready, 0, -1)) do redis.call('DEL', pending(h)) end
redis.call('DEL', links, host_of, ready, ready_set, held, leased, deliveries, given_up)
redis.call('HSET', job, 'id', ARGV[2], 'settings', ARGV[3])
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

    def pending(self, host: str) -> str:
        """The list of host ``host``'s links waiting."""
        return f"{self.pending_prefix}{host}"

    @property
    def pending_prefix(self) -> str:
        return f"{self.prefix}:pending:"


K = Keys()


# The KEYS of every script, in the order ``_PRELUDE`` names them.
KEYS = [K.job, K.links, K.host_of, K.ready, K.ready_set, K.held, K.leased, K.deliveries, K.given_up]


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
        self.r = connect(url)

    def close(self) -> None:
        self.r.close()

    def ping(self) -> None:
        self.r.ping()

    def _eval(self, script: str, *args: str) -> Any:
        return self.r.eval(script, len(KEYS), *KEYS, K.pending_prefix, *args)

    def enqueue(
        self, job_id: str, settings: dict[str, Any], links: Iterable[dict[str, Any]]
    ) -> int:
        """Start job ``job_id`` with these links; ``QueueBusy`` while another is queued."""
        busy = int(self._eval(BEGIN, job_id, json.dumps(settings)))
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
        args: list[str] = []
        for link in chunk:
            args += [str(link["id"]), slot_host(link["url"]), json.dumps(link)]
        return int(self._eval(ENQUEUE, *args))

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
        pending, leased = self._eval(STATUS)
        return int(pending), int(leased)

    def given_up(self) -> set[str]:
        return set(self.r.smembers(K.given_up))  # type: ignore[arg-type]

    def ack(self, ids: Iterable[int]) -> None:
        args = [str(i) for i in ids]
        if args:
            self._eval(ACK, *args)


class AsyncQueue:
    """The worker spider's client (redis.asyncio, on Scrapy's asyncio reactor loop)."""

    def __init__(self, url: str) -> None:
        plain, cluster = cluster_url(url)
        self.r: aioredis.Redis | aioredis.RedisCluster
        if cluster:
            self.r = aioredis.RedisCluster.from_url(plain, decode_responses=True)
        else:
            self.r = aioredis.Redis.from_url(plain, decode_responses=True)

    async def close(self) -> None:
        await self.r.aclose()

    async def _eval(self, script: str, *args: str) -> Any:
        return await self.r.eval(script, len(KEYS), *KEYS, K.pending_prefix, *args)

    async def take(
        self, n: int, lease: float, job_id: str, max_deliveries: int
    ) -> list[dict[str, Any]] | None:
        """The links of whole hosts (at least ``n`` while hosts are ready, more when a host
        has more) under a lease; None when the queue now serves another job."""
        out = await self._eval(TAKE, str(n), str(int(lease * 1000)), job_id, str(max_deliveries))
        if out == ["job-changed"]:
            return None
        return [json.loads(payload) for payload in out]

    async def renew(self, ids: Iterable[int], lease: float) -> None:
        args = [str(i) for i in ids]
        if args:
            await self._eval(RENEW, str(int(lease * 1000)), *args)

    async def release(self, ids: Iterable[int]) -> int:
        args = [str(i) for i in ids]
        if not args:
            return 0
        return int(await self._eval(RELEASE, *args))

    async def ack(self, ids: Iterable[int]) -> None:
        args = [str(i) for i in ids]
        if args:
            await self._eval(ACK, *args)

    async def status(self) -> tuple[int, int]:
        pending, leased = await self._eval(STATUS)
        return int(pending), int(leased)
