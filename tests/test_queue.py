"""The Redis queue's host affinity (crawler.queue) against a real ``redis-server``, then
against a real Redis Cluster of three primaries.

Takers here are ``AsyncQueue`` clients as the worker spiders use them, each standing for one
worker; the scripts are atomic, so interleaving their calls from one thread is the same as
running them from concurrent workers.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator
from typing import Any

import pytest

from crawler.queue import (
    SCRIPT_NAMES,
    AsyncQueue,
    K,
    Queue,
    QueueBusy,
    cluster_url,
    connect,
    enqueue_call,
    script_source,
)
from tests.polling import wait_for

JOB = "7"
LEASE = 30.0


@pytest.fixture(params=["server", "cluster"])
def queue(request: pytest.FixtureRequest) -> Iterator[Queue]:
    """The queue on one redis-server, then on a Redis Cluster of three primaries."""
    url = request.getfixturevalue("redis_url" if request.param == "server" else "redis_cluster_url")
    client = connect(url)
    client.flushdb()
    client.close()
    q = Queue(url)
    yield q
    q.close()


class Taker:
    """A worker's view of the queue: AsyncQueue on an event loop of its own."""

    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.q = AsyncQueue(url)

    def _run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def take(self, n: int, lease: float = LEASE, max_deliveries: int = 3) -> list[int]:
        links = self._run(self.q.take(n, lease, JOB, max_deliveries))
        assert links is not None
        return [link["id"] for link in links]

    def renew(self, ids: list[int], lease: float = LEASE) -> None:
        self._run(self.q.renew(ids, lease))

    def release(self, ids: list[int]) -> int:
        return int(self._run(self.q.release(ids)))

    def ack(self, ids: list[int]) -> None:
        self._run(self.q.ack(ids))

    def close(self) -> None:
        self._run(self.q.close())
        self.loop.close()


@pytest.fixture
def takers(queue: Queue) -> Iterator[list[Taker]]:
    made = [Taker(queue.url) for _ in range(3)]
    yield made
    for taker in made:
        taker.close()


def link(i: int, host: str) -> dict[str, Any]:
    return {
        "id": i,
        "url": f"http://{host}:8080/p/{i}#f",
        "etag": None,
        "last_modified": None,
        "want_body": True,
    }


def enqueue(queue: Queue, per_host: dict[str, int], job: str = JOB) -> dict[int, str]:
    """Links of these hosts, interleaved as a catalog lists them; id -> host."""
    hosts: dict[int, str] = {}
    order = [h for h, n in per_host.items() for _ in range(n)]
    random.Random(0).shuffle(order)
    for i, host in enumerate(order, start=1):
        hosts[i] = host
    queue.enqueue(job, {"X": 1}, [link(i, h) for i, h in hosts.items()])
    return hosts


def leased_hosts(queue: Queue, hosts: dict[int, str]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for i in queue.r.zrange(K.leased, 0, -1):
        out.setdefault(hosts[int(i)], set()).add(int(i))
    return out


def test_a_take_gets_whole_hosts_in_order_and_the_host_stays_owned_until_acked(
    queue: Queue, takers: list[Taker]
) -> None:
    hosts = enqueue(queue, {"a.test": 5, "b.test": 3, "c.test": 4})
    first_seen = list(dict.fromkeys(hosts.values()))  # FIFO: ready in enqueue order
    a, b, _ = takers
    assert queue.status() == (12, 0)
    got = a.take(1)  # one link asked: the whole first host comes
    assert {hosts[i] for i in got} == {first_seen[0]}
    assert sorted(got) == sorted(i for i, h in hosts.items() if h == first_seen[0])
    got_b = b.take(1)
    assert {hosts[i] for i in got_b} == {first_seen[1]}
    assert queue.status() == (12 - len(got) - len(got_b), len(got) + len(got_b))
    rest = a.take(100)  # at least n links or no host ready
    assert {hosts[i] for i in rest} == {first_seen[2]}
    assert b.take(100) == []
    # The host stays a's while any of its links is leased to a; then ownership ends.
    a.ack(got[:-1])
    assert queue.r.hget(K.held, first_seen[0]) == "1"
    a.ack(got[-1:])
    assert queue.r.hget(K.held, first_seen[0]) is None
    a.ack(rest)
    b.ack(got_b)
    assert queue.status() == (0, 0)
    assert queue.r.hlen(K.links) == 0 and queue.r.hlen(K.deliveries) == 0
    assert queue.r.hlen(K.host_of) == 0 and queue.r.hlen(K.held) == 0
    assert queue.r.llen(K.ready) == 0 and queue.r.keys(K.pending("*")) == []


def test_links_enqueued_for_an_owned_host_wait_for_its_owner_to_finish(
    queue: Queue, takers: list[Taker]
) -> None:
    queue.enqueue(JOB, {}, [link(1, "a.test"), link(2, "a.test")])
    a, b, _ = takers
    assert sorted(a.take(10)) == [1, 2]
    queue.run(enqueue_call([link(3, "a.test"), link(4, "b.test")]))  # enqueue still streaming
    assert b.take(10) == [4]  # b.test is free; a.test is a's
    a.ack([1])
    assert b.take(10) == []
    a.ack([2])  # a.test is free again, and ready: its new link waits
    assert b.take(10) == [3]


def test_two_takers_never_hold_links_of_one_host_at_once(queue: Queue, takers: list[Taker]) -> None:
    """Random takes, renewals, acks, releases and expiries over three takers; after every
    step, each host's leased links all belong to the taker that last took that host."""
    rng = random.Random(1)
    hosts = enqueue(queue, {f"h{i}.test": rng.randrange(1, 9) for i in range(30)})
    owner: dict[int, int] = {}  # link id -> the taker it was last given to
    holding: list[set[int]] = [set() for _ in takers]
    acked: set[int] = set()
    handoffs = 0  # a host taken by another taker than the one it was last given to
    last_taker: dict[str, int] = {}
    for _step in range(300):
        t = rng.randrange(len(takers))
        op = rng.random()
        if op < 0.35:
            short = rng.random() < 0.3  # a taker that will stall past its lease
            got = takers[t].take(rng.randrange(1, 6), lease=0.05 if short else LEASE)
            for host in {hosts[i] for i in got}:
                handoffs += last_taker.get(host, t) != t
                last_taker[host] = t
            for i in got:
                owner[i] = t
                for other in holding:
                    other.discard(i)  # (an expired lease: the old holder lost it)
            holding[t] |= set(got)
        elif op < 0.65 and holding[t]:
            done = rng.sample(sorted(holding[t]), rng.randrange(1, len(holding[t]) + 1))
            takers[t].ack(done)
            holding[t] -= set(done)
            acked |= set(done)
        elif op < 0.75 and holding[t]:
            back = rng.sample(sorted(holding[t]), 1)
            takers[t].release(back)
            holding[t] -= set(back)
        elif op < 0.85 and holding[t]:  # some, as a worker drops links held too long
            some = rng.sample(sorted(holding[t]), rng.randrange(1, len(holding[t]) + 1))
            takers[t].renew(some)
        elif op >= 0.9:
            # A step of the walk, not a wait: time passes, so the short leases expire
            # between the takers' calls, as a stalled worker's do.
            time.sleep(0.06)
            queue.status()
        for host, ids in leased_hosts(queue, hosts).items():
            assert len({owner[i] for i in ids}) == 1, (host, {i: owner[i] for i in ids})
            assert int(queue.r.hget(K.held, host) or 0) == len(ids)
        assert sum(int(v) for v in queue.r.hvals(K.held)) == queue.r.zcard(K.leased)

    def drained() -> bool:
        """One round of every taker taking what it can and acknowledging it; the links
        under a short lease still running come back when it expires, a later round."""
        for t, taker in enumerate(takers):
            holding[t] |= set(taker.take(100, max_deliveries=100))
            taker.ack(sorted(holding[t]))
            acked.update(holding[t])
            holding[t] = set()
        return queue.status() == (0, 0)

    # Drain: every link ends acknowledged or given up, none lost.
    assert wait_for(drained, timeout=10), queue.status()
    assert handoffs > 0  # hosts did move between takers (released or expired)
    assert acked | {int(i) for i in queue.given_up()} == set(hosts)
    assert queue.r.hlen(K.held) == 0 and queue.r.llen(K.ready) == 0


def test_an_expired_lease_gives_the_host_to_another_taker(
    queue: Queue, takers: list[Taker]
) -> None:
    hosts = enqueue(queue, {"a.test": 4, "b.test": 2})
    a, b, _ = takers
    first = a.take(1, lease=1.0)  # a takes a whole host, then dies (stops renewing)
    first_host = hosts[first[0]]
    second = b.take(1)
    assert {hosts[i] for i in second} != {first_host}
    assert b.take(100) == []  # the dead taker's host is still owned
    # The lease runs out on the Redis server's clock: counted pending again.
    assert wait_for(lambda: queue.status() == (len(first), len(second)))
    assert queue.r.lrange(K.ready, 0, -1) == [first_host]  # the host is ready again
    again = b.take(1)
    assert sorted(again) == sorted(first)
    assert all(queue.r.hget(K.deliveries, str(i)) == "2" for i in again)
    assert queue.r.hget(K.held, first_host) == str(len(first))  # b's now
    b.ack(second + again)
    assert queue.status() == (0, 0)


def test_links_expired_while_the_host_is_still_owned_wait_for_the_owner(
    queue: Queue, takers: list[Taker]
) -> None:
    """A worker stops renewing one link (held too long) but still holds the host's others:
    the expired link is pending again but the host stays the worker's until it is done."""
    queue.enqueue(JOB, {}, [link(i, "a.test") for i in (1, 2, 3)])
    a, b, _ = takers
    assert sorted(a.take(3, lease=1.0)) == [1, 2, 3]
    a.renew([2, 3])  # not 1
    assert wait_for(lambda: queue.status() == (1, 2))  # link 1 expired back to pending
    assert b.take(10) == []  # but a.test is still a's
    a.ack([2, 3])
    assert b.take(10) == [1]


def test_release_gives_the_host_back_and_max_deliveries_gives_up(
    queue: Queue, takers: list[Taker]
) -> None:
    queue.enqueue(JOB, {}, [link(1, "a.test"), link(2, "a.test"), link(3, "b.test")])
    a, b, _ = takers
    assert sorted(a.take(1, max_deliveries=2)) == [1, 2]
    assert a.release([1]) == 1
    assert b.take(10, max_deliveries=2) == [3]  # a.test is still a's (link 2)
    assert a.release([2, 2, 99]) == 1  # only links still leased come back
    assert sorted(b.take(10, max_deliveries=2)) == [1, 2]  # second delivery
    assert b.release([1, 2]) == 2
    assert a.take(10, max_deliveries=2) == []  # a third delivery: given up instead
    assert queue.given_up() == {"1", "2"}
    assert queue.status() == (0, 1)  # link 3, still b's
    assert queue.r.hget(K.held, "a.test") is None
    b.ack([3])
    b.ack([3])  # a repeated acknowledgement changes nothing
    assert queue.status() == (0, 0)
    assert queue.r.hlen(K.links) == 0 and queue.r.hlen(K.deliveries) == 0


def test_a_job_starts_only_on_a_drained_queue(queue: Queue, takers: list[Taker]) -> None:
    queue.enqueue(JOB, {"A": 1}, [link(1, "a.test"), link(2, "a.test")])
    with pytest.raises(QueueBusy) as busy:
        queue.enqueue("8", {}, [link(5, "c.test")])
    assert busy.value.queued == 2 and busy.value.job == JOB
    a = takers[0]
    assert sorted(a.take(10)) == [1, 2]
    queue.ack([1])  # the store pipeline's blocking client
    with pytest.raises(QueueBusy):
        queue.enqueue("8", {}, [link(5, "c.test")])
    queue.ack([2])
    assert queue.enqueue("8", {"B": 2}, [link(5, "c.test")]) == 1
    job = queue.job()
    assert job is not None and job.id == "8" and job.settings == {"B": 2}
    assert takers[1]._run(takers[1].q.take(10, LEASE, JOB, 3)) is None  # job changed
    assert takers[1]._run(takers[1].q.take(10, LEASE, "8", 3))[0]["id"] == 5


def test_cluster_urls_name_a_cluster_client() -> None:
    assert cluster_url("redis+cluster://q:7000") == ("redis://q:7000", True)
    assert cluster_url("rediss+cluster://q:7000") == ("rediss://q:7000", True)
    assert cluster_url("redis://q:6379/0") == ("redis://q:6379/0", False)
    assert K.pending("a.example").startswith("{listkeeper}:")  # one slot for every key


def test_the_scripts_run_by_sha_from_the_package_files(queue: Queue) -> None:
    """Each script is sent once (SCRIPT LOAD through EVALSHA's fallback), then run by SHA."""
    queue.enqueue(JOB, {}, [link(1, "a.test")])
    assert queue.status() == (1, 0)
    used = [queue.scripts[name] for name in ("begin", "enqueue", "status")]
    assert all(queue.r.script_exists(script.sha)[0] for script in used)
    for name in SCRIPT_NAMES:
        assert script_source(name).startswith(script_source("status").split("\n-- ARGV")[0])
