"""What Redis holds cannot widen what a worker does: no database URL (nor its password)
is queued, a worker stores into its own catalog, and of a queued run's Scrapy settings it
takes only what narrows its crawl (jobs.worker.RUN_SETTINGS); its guard is its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from crawler.queue import Queue, connect
from crawler.settings import SETTINGS
from jobs import check as check_job
from jobs.context import Context
from jobs.offlineweb.server import OfflineWeb
from jobs.offlineweb.spec import Page, Web
from jobs.worker import Own, crawl_settings
from tests.catalogdb import default_url
from tests.checking import statuses, write_workspace
from tests.readmes import cli

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.11.1"
FAST = {"QUEUE_LEASE_SECONDS": 3, "QUEUE_FLUSH_SECONDS": 0.3, "QUEUE_IDLE_MAX_SECONDS": 0.5}

# A queued run as an attacker with write access to Redis would write it.
HOSTILE_RUN: dict[str, Any] = {
    "STORE_RUN_ID": 7,
    "STORE_DATABASE_URL": "postgresql://attacker:pw@evil.example/stolen",
    "PRIVATEGUARD_ENABLED": False,
    "PRIVATEGUARD_ALLOW_NETWORKS": ["0.0.0.0/0", "::/0"],
    "ITEM_PIPELINES": {"evil.Exfiltrate": 100},
    "DOWNLOADER_MIDDLEWARES": {"evil.Middleware": 1},
    "SPIDER_MIDDLEWARES": {"evil.Spider": 1},
    "EXTENSIONS": {"evil.Extension": 1},
    "DOWNLOAD_HANDLERS": {"file": "scrapy.core.downloader.handlers.file.FileDownloadHandler"},
    "TWISTED_DNS_RESOLVER": "evil.Resolver",
    "LOG_FILE": "/tmp/listkeeper-owned.log",
    "FEEDS": {"/tmp/listkeeper-owned.json": {"format": "json"}},
    "TLS_EXTRA_CA": "/tmp/evil-ca.pem",
    "DOWNLOAD_VERIFY_CERTIFICATES": False,
    "CONCURRENT_REQUESTS": 100_000,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 64,
    "DOWNLOAD_TIMEOUT": 3600,
    "DOWNLOAD_MAXSIZE": 10**12,
    "STORE_TTL_HOURS": 5,
    "DOWNLOAD_SLOTS": {"a.example": {"concurrency": 1, "delay": 2.0}},
}


def test_a_queued_run_never_widens_what_a_worker_does() -> None:
    own = Own(
        db_url="sqlite:////srv/worker.db",
        allow_networks=["127.0.11.0/24", "10.1.0.0/16"],
        settings={"TWISTED_DNS_RESOLVER": "crawler.resolver.StubResolver", "DOWNLOAD_TIMEOUT": 20},
    )
    got = crawl_settings("redis://q", HOSTILE_RUN, own)
    assert got["STORE_DATABASE_URL"] == "sqlite:////srv/worker.db"
    assert got["PRIVATEGUARD_ENABLED"] is True
    assert got["PRIVATEGUARD_ALLOW_NETWORKS"] == ["10.1.0.0/16", "127.0.11.0/24"]
    for key in ("DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "EXTENSIONS", "DOWNLOAD_HANDLERS"):
        assert key not in got, key
    for key in ("LOG_FILE", "FEEDS", "TLS_EXTRA_CA", "DOWNLOAD_VERIFY_CERTIFICATES"):
        assert key not in got, key
    assert got["TWISTED_DNS_RESOLVER"] == "crawler.resolver.StubResolver"
    assert "evil.Exfiltrate" not in got["ITEM_PIPELINES"]
    assert got["ITEM_PIPELINES"]["pipelines.queued.QueuedStorePipeline"] == 800
    assert got["CONCURRENT_REQUESTS"] == SETTINGS["CONCURRENT_REQUESTS"]
    assert got["CONCURRENT_REQUESTS_PER_DOMAIN"] == SETTINGS["CONCURRENT_REQUESTS_PER_DOMAIN"]
    assert got["DOWNLOAD_TIMEOUT"] == 20 and got["DOWNLOAD_MAXSIZE"] == SETTINGS["DOWNLOAD_MAXSIZE"]
    # what narrows, or only says what to store, is taken
    assert got["STORE_RUN_ID"] == 7 and got["STORE_TTL_HOURS"] == 5
    assert got["DOWNLOAD_SLOTS"] == {"a.example": {"concurrency": 1, "delay": 2.0}}
    narrower = crawl_settings("redis://q", {"CONCURRENT_REQUESTS": 3, "DOWNLOAD_TIMEOUT": 2}, own)
    assert narrower["CONCURRENT_REQUESTS"] == 3 and narrower["DOWNLOAD_TIMEOUT"] == 2


@pytest.mark.parametrize(
    ("run_guard", "worker_allows", "guard_on"),
    [(True, False, True), (False, False, True), (True, True, True), (False, True, False)],
)
def test_the_guard_is_off_only_when_run_and_worker_both_say_so(
    run_guard: bool, worker_allows: bool, guard_on: bool
) -> None:
    own = Own(db_url="sqlite://", allow_private=worker_allows)
    got = crawl_settings("redis://q", {"PRIVATEGUARD_ENABLED": run_guard}, own)
    assert got["PRIVATEGUARD_ENABLED"] is guard_on


def _redis_dump(url: str) -> bytes:
    """Every key and value in the queue's Redis, as bytes."""
    client = connect(url)
    out: list[Any] = []
    try:
        for key in client.scan_iter("*"):
            kind = _text(client.type(key))
            out.append(key)
            if kind == "string":
                out.append(client.get(key))
            elif kind == "hash":
                out.extend(f"{_text(k)}={_text(v)}" for k, v in client.hgetall(key).items())
            elif kind == "list":
                out.extend(client.lrange(key, 0, -1))
            elif kind == "zset":
                out.extend(client.zrange(key, 0, -1))
            elif kind == "set":
                out.extend(client.smembers(key))
    finally:
        client.close()
    return "\n".join(_text(v) for v in out).encode()


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _worker(folder: Path, queue: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "jobs.worker", "--queue", queue, "--exit-when-empty", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_catalog_url_stays_out_of_redis_and_the_worker_keeps_its_own_guard(
    redis_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    connect(redis_url).flushdb()
    web = Web()
    for i in range(3):
        web.host(HOST).page(f"/a/{i}", Page(body=f"<title>a{i}</title>text"))
    checker, worker_home = tmp_path / "checker", tmp_path / "worker"
    checker.mkdir()
    worker_home.mkdir()
    with OfflineWeb(web) as ow:
        urls = {f"a{i}": ow.url(HOST, f"/a/{i}") for i in range(3)}
        # the checker allows the web's network; the worker's own config does not
        write_workspace(checker, ow, urls, allow_networks=[f"{HOST}/32"], settings=FAST)
        write_workspace(worker_home, ow, urls, allow_networks=[], settings=FAST)
        monkeypatch.chdir(checker)
        # a password in the catalog's URL (the test server trusts loopback, so it is ignored)
        catalog = make_url(default_url(checker))
        if catalog.get_backend_name() == "postgresql":
            catalog = catalog.set(password="catalog-pw-4f1e9c")
        db_arg = catalog.render_as_string(hide_password=False)
        assert cli(capsys, "--db", db_arg, "import", "README.md").code == 0
        options = check_job.CheckOptions(queue=redis_url, allow_private=True)
        assert check_job.check(Context(db_url=db_arg), options) == 0
        dumped = _redis_dump(redis_url)
        assert b"STORE_DATABASE_URL" not in dumped
        assert str(catalog.database).encode() not in dumped
        assert b"catalog-pw-4f1e9c" not in dumped
        # the run asked for no guard; this worker did not: its links are refused
        done = _worker(worker_home, redis_url, "--db", db_arg)
        assert done.returncode == 0, done.stderr
        got = statuses(checker)
        assert {got[u][0] for u in urls.values()} == {"excluded"}, got
        assert all("private address" in (got[u][1] or "") for u in urls.values())
        assert ow.stats()["by_host"].get(HOST, 0) == 0
        # a worker that allows private addresses too, for a run that asked for it: checked
        options = check_job.CheckOptions(queue=redis_url, allow_private=True, all_links=True)
        assert check_job.check(Context(db_url=db_arg), options) == 0
        done = _worker(worker_home, redis_url, "--db", db_arg, "--allow-private")
        assert done.returncode == 0, done.stderr
        got = statuses(checker)
        assert {got[u][0] for u in urls.values()} == {"ok"}, got


def test_a_queue_without_a_database_url_is_stored_where_the_worker_says(
    redis_url: str, tmp_path: Path
) -> None:
    """A run queued by an older listkeeper carried STORE_DATABASE_URL: it is ignored."""
    connect(redis_url).flushdb()
    queue = Queue(redis_url)
    try:
        queue.enqueue("1", {"STORE_DATABASE_URL": f"sqlite:///{tmp_path / 'evil.db'}"}, [])
        job = queue.job()
    finally:
        queue.close()
    assert job is not None
    got = crawl_settings(redis_url, job.settings, Own(db_url="sqlite:////srv/mine.db"))
    assert got["STORE_DATABASE_URL"] == "sqlite:////srv/mine.db"


def test_a_worker_never_prints_the_queues_password(tmp_path: Path) -> None:
    done = _worker(tmp_path, "redis://:queue-pw-77aa31@127.0.0.1:1/0")
    assert done.returncode == 1
    assert "queue-pw-77aa31" not in done.stdout + done.stderr
    assert "cannot reach the queue at redis://***@127.0.0.1:1/0" in done.stderr
