"""The shared crawl frontier: due links in Redis, taken host by host under a lease.

A small layer of our own over redis-py, not scrapy-redis. scrapy-redis replaces Scrapy's
scheduler with a Redis one (one round trip per request; measured at about half the rate of
the in-memory scheduler) and pops without acknowledgement, so a killed worker
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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any, Generic, NamedTuple, TypeVar

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


# The scripts are Lua files shipped with the package (crawler/queue_lua/): each runs with
# library.lua before it, which names the keys and holds the functions they share. They are
# registered once per client and run by SHA (EVALSHA; redis-py loads a script the server
# does not know yet).
SCRIPT_NAMES = ("enqueue", "take", "status", "renew", "ack", "release", "begin")


def script_source(name: str) -> str:
    """The Lua that runs for script ``name``: the shared library, then the script."""
    folder = resources.files("crawler") / "queue_lua"
    library = (folder / "library.lua").read_text(encoding="utf-8")
    return library + "\n" + (folder / f"{name}.lua").read_text(encoding="utf-8")


class Keys(NamedTuple):
    """The queue's Redis keys, every one under one prefix (a Redis Cluster hash tag). The
    first nine, in this order, are the KEYS of every script (library.lua names them)."""

    job: str
    links: str
    host_of: str
    ready: str
    ready_set: str
    held: str
    leased: str
    deliveries: str
    given_up: str
    pending_prefix: str  # + a host: that host's list of links waiting

    @classmethod
    def under(cls, prefix: str) -> Keys:
        names = "job links host-of ready ready-set held leased deliveries given-up pending:"
        return cls(*(f"{prefix}:{name}" for name in names.split()))

    def pending(self, host: str) -> str:
        """The list of host ``host``'s links waiting."""
        return f"{self.pending_prefix}{host}"


K = Keys.under(PREFIX)
KEYS = list(K[:9])

T = TypeVar("T")


@dataclass(frozen=True)
class Call(Generic[T]):
    """One step of the queue's protocol: the script, its arguments, how to read its answer.

    ``Queue`` runs a call on a blocking client and ``AsyncQueue`` on an asyncio one: the
    protocol is written once, here and in the Lua files.
    """

    script: str
    args: list[str]
    read: Callable[[Any], T]


def _count(answer: Any) -> int:
    return int(answer)


def _pair(answer: Any) -> tuple[int, int]:
    first, second = answer
    return int(first), int(second)


def _payloads(answer: Any) -> list[dict[str, Any]] | None:
    if answer == ["job-changed"]:
        return None
    return [json.loads(payload) for payload in answer]


def _ids(ids: Iterable[int]) -> list[str]:
    return [str(i) for i in ids]


def begin_call(job_id: str, settings: dict[str, Any]) -> Call[int]:
    """Start job ``job_id`` unless links of another are queued (their number is returned)."""
    return Call("begin", [job_id, json.dumps(settings)], _count)


def enqueue_call(chunk: list[dict[str, Any]]) -> Call[int]:
    args: list[str] = []
    for link in chunk:
        args += [str(link["id"]), slot_host(link["url"]), json.dumps(link)]
    return Call("enqueue", args, _count)


def take_call(
    n: int, lease: float, job_id: str, max_deliveries: int
) -> Call[list[dict[str, Any]] | None]:
    args = [str(n), str(int(lease * 1000)), job_id, str(max_deliveries)]
    return Call("take", args, _payloads)


def status_call() -> Call[tuple[int, int]]:
    return Call("status", [], _pair)


def renew_call(ids: Iterable[int], lease: float) -> Call[int]:
    return Call("renew", [str(int(lease * 1000)), *_ids(ids)], _count)


def ack_call(ids: Iterable[int]) -> Call[int]:
    return Call("ack", _ids(ids), _count)


def release_call(ids: Iterable[int]) -> Call[int]:
    return Call("release", _ids(ids), _count)


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
        self.scripts = {name: self.r.register_script(script_source(name)) for name in SCRIPT_NAMES}

    def close(self) -> None:
        self.r.close()

    def ping(self) -> None:
        self.r.ping()

    def run(self, call: Call[T]) -> T:
        answer = self.scripts[call.script](keys=KEYS, args=[K.pending_prefix, *call.args])
        return call.read(answer)

    def enqueue(
        self, job_id: str, settings: dict[str, Any], links: Iterable[dict[str, Any]]
    ) -> int:
        """Start job ``job_id`` with these links; ``QueueBusy`` while another is queued."""
        busy = self.run(begin_call(job_id, settings))
        if busy:
            raise QueueBusy(busy, self.job_id())
        count = 0
        chunk: list[dict[str, Any]] = []
        for link in links:  # an iterable: the caller may stream a catalog's worth
            chunk.append(link)
            if len(chunk) == 1000:
                count += self.run(enqueue_call(chunk))
                chunk = []
        return count + (self.run(enqueue_call(chunk)) if chunk else 0)

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
        return self.run(status_call())

    def given_up(self) -> set[str]:
        return set(self.r.smembers(K.given_up))  # type: ignore[arg-type]

    def ack(self, ids: Iterable[int]) -> None:
        call = ack_call(ids)
        if call.args:
            self.run(call)


class AsyncQueue:
    """The worker spider's client (redis.asyncio, on Scrapy's asyncio reactor loop)."""

    def __init__(self, url: str) -> None:
        plain, cluster = cluster_url(url)
        self.r: aioredis.Redis | aioredis.RedisCluster
        if cluster:
            self.r = aioredis.RedisCluster.from_url(plain, decode_responses=True)
        else:
            self.r = aioredis.Redis.from_url(plain, decode_responses=True)
        self.scripts = {name: self.r.register_script(script_source(name)) for name in SCRIPT_NAMES}

    async def close(self) -> None:
        await self.r.aclose()

    async def run(self, call: Call[T]) -> T:
        answer = await self.scripts[call.script](keys=KEYS, args=[K.pending_prefix, *call.args])
        return call.read(answer)

    async def take(
        self, n: int, lease: float, job_id: str, max_deliveries: int
    ) -> list[dict[str, Any]] | None:
        """The links of whole hosts (at least ``n`` while hosts are ready, more when a host
        has more) under a lease; None when the queue now serves another job."""
        return await self.run(take_call(n, lease, job_id, max_deliveries))

    async def renew(self, ids: Iterable[int], lease: float) -> None:
        call = renew_call(ids, lease)
        if len(call.args) > 1:
            await self.run(call)

    async def release(self, ids: Iterable[int]) -> int:
        call = release_call(ids)
        return await self.run(call) if call.args else 0

    async def ack(self, ids: Iterable[int]) -> None:
        call = ack_call(ids)
        if call.args:
            await self.run(call)

    async def status(self) -> tuple[int, int]:
        return await self.run(status_call())
