"""Distributed checks: ``check --queue`` fills Redis, ``worker`` processes drain it.

A real ``redis-server`` (a child of the test session on a free loopback port), the offline
web, and workers as separate processes (``python -m jobs.worker``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from crawler.queue import K, Queue, connect
from jobs import check as check_job
from jobs.context import Context
from jobs.offlineweb.server import OfflineWeb
from jobs.offlineweb.spec import Page, Web
from tests.catalogdb import select
from tests.checking import statuses, write_workspace
from tests.polling import wait_for
from tests.readmes import cli

HOSTS = [f"127.0.10.{i}" for i in range(1, 5)]
ROOT = Path(__file__).resolve().parents[1]
# A short lease so a killed worker's links come back within the test. Workers take whole
# hosts (30 links each here); 4 requests in flight at 2 per host make a worker stop at two
# hosts, so the other worker gets the other two.
QUEUE_SETTINGS = {
    "QUEUE_LEASE_SECONDS": 3,
    "QUEUE_BATCH_SIZE": 8,
    "QUEUE_FLUSH_SECONDS": 0.3,
    "QUEUE_IDLE_MAX_SECONDS": 0.5,
    "CONCURRENT_REQUESTS": 4,
}


@pytest.fixture(params=["server", "cluster"])
def queue(request: pytest.FixtureRequest) -> Iterator[str]:
    """A queue URL: one redis-server, then a Redis Cluster of three primaries."""
    url = request.getfixturevalue("redis_url" if request.param == "server" else "redis_cluster_url")
    client = connect(url)
    client.flushdb()
    yield url
    client.close()


def _web(n: int = 120, latency: float = 0.1) -> Web:
    web = Web(latency=latency)
    for i in range(n):
        web.host(HOSTS[i % len(HOSTS)]).page(f"/a/{i}", Page(body=f"<title>a{i}</title>text {i}"))
    return web


def _urls(ow: OfflineWeb, n: int = 120) -> dict[str, str]:
    return {f"a{i}": ow.url(HOSTS[i % len(HOSTS)], f"/a/{i}") for i in range(n)}


def _workspace(folder: Path, ow: OfflineWeb, urls: dict[str, str], capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    write_workspace(folder, ow, urls, allow_networks=["127.0.10.0/24"], settings=QUEUE_SETTINGS)
    monkeypatch.chdir(folder)
    assert cli(capsys, "import", "README.md").code == 0


def _worker(folder: Path, url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "jobs.worker", "--queue", url, "--exit-when-empty"],
        cwd=folder,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its crawl child too is killed with the group
    )


def _status(url: str) -> tuple[int, int]:
    queue = Queue(url)
    try:
        return queue.status()
    finally:
        queue.close()


def _assert_drained(client: redis.Redis | redis.RedisCluster) -> None:
    """Nothing pending, leased, owned or ready: every link acknowledged."""
    assert client.hlen(K.links) == 0 and client.zcard(K.leased) == 0
    assert client.hlen(K.held) == 0 and client.llen(K.ready) == 0
    assert client.keys(K.pending("*")) == []


def _stored(folder: Path) -> int:
    """The checks stored in the catalog so far."""
    ((count,),) = select(folder, "select count(*) from checks")
    return int(count)


def _checks_per_link(folder: Path) -> dict[str, int]:
    rows = select(
        folder,
        "select l.url, count(c.id) from links l left join checks c on c.link_id = l.id"
        " group by l.url",
    )
    return dict(rows)


def test_two_workers_check_every_link_once_within_the_host_limit(
    queue, tmp_path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    with OfflineWeb(_web()) as ow:
        urls = _urls(ow)
        _workspace(tmp_path, ow, urls, capsys, monkeypatch)
        capsys.readouterr()
        # check --queue URL --wait: enqueue, then wait for the workers started below.
        result: dict[str, int] = {}
        options = check_job.CheckOptions(queue=queue, wait=True)
        waiter = threading.Thread(
            target=lambda: result.setdefault("code", check_job.check(Context(), options))
        )
        waiter.start()
        client = connect(queue)
        assert wait_for(lambda: _status(queue)[0] >= len(urls)), "nothing was queued"
        workers = [_worker(tmp_path, queue) for _ in range(2)]
        outputs = [w.communicate(timeout=120)[1] for w in workers]
        waiter.join(timeout=60)
        assert not waiter.is_alive()
        stats = ow.stats()
    assert [w.returncode for w in workers] == [0, 0], outputs
    assert result["code"] == 0
    out = capsys.readouterr().out
    assert "checked 120 due links; ok 120" in out
    # Every link fetched exactly once over both workers, and checked once in the catalog.
    assert {u: stats["by_url"].get(u, 0) for u in urls.values()} == {u: 1 for u in urls.values()}
    assert set(_checks_per_link(tmp_path).values()) == {1}
    assert {s for s, _ in statuses(tmp_path).values()} == {"ok"}
    # Two per host in flight, across both workers together: a host's links went to one
    # worker at a time.
    assert all(stats["max_in_flight"][h] <= 2 for h in HOSTS), stats["max_in_flight"]
    assert max(stats["max_in_flight"][h] for h in HOSTS) == 2  # the limit was reached
    _assert_drained(client)  # and no host is still owned
    client.close()


def test_a_killed_workers_links_come_back_to_the_other(
    queue, tmp_path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    with OfflineWeb(_web(latency=0.15)) as ow:
        urls = _urls(ow)
        _workspace(tmp_path, ow, urls, capsys, monkeypatch)
        assert check_job.check(Context(), check_job.CheckOptions(queue=queue)) == 0
        client = connect(queue)
        victim = _worker(tmp_path, queue)

        def midway() -> bool:
            """The victim holds links and has stored some: killed mid-run."""
            assert victim.poll() is None, "the victim ended before it could be killed"
            return client.zcard(K.leased) > 0 and _stored(tmp_path) > 0

        assert wait_for(midway, timeout=60, every=0.02)
        survivor = _worker(tmp_path, queue)
        held_by_someone = set(client.zrange(K.leased, 0, -1))
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
        _, err = survivor.communicate(timeout=120)
        assert survivor.returncode == 0, err
        stats = ow.stats()
    assert held_by_someone  # links were leased when the victim died
    per_link = _checks_per_link(tmp_path)
    assert set(per_link) == set(urls.values())
    assert min(per_link.values()) >= 1  # nothing unchecked
    assert "unchecked" not in {s for s, _ in statuses(tmp_path).values()}
    assert all(stats["max_in_flight"][h] <= 2 for h in HOSTS), stats["max_in_flight"]
    _assert_drained(client)
    client.close()


def test_check_queue_refuses_while_another_run_is_queued(
    queue, tmp_path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    with OfflineWeb(_web(n=8)) as ow:
        _workspace(tmp_path, ow, _urls(ow, 8), capsys, monkeypatch)
        assert check_job.check(Context(), check_job.CheckOptions(queue=queue)) == 0
        assert "queued 8 links" in capsys.readouterr().out
        from catalog.errors import ConfigError

        with pytest.raises(ConfigError, match="still holds 8 links"):
            check_job.check(Context(), check_job.CheckOptions(queue=queue, all_links=True))
