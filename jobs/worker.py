"""``listkeeper worker --queue URL`` and the queue side of ``listkeeper check --queue``.

``check --queue`` selects the due links as a local check does, decides the local ones, and
puts the web ones in Redis with the Scrapy settings a local crawl of that run would get
(``crawler.queue``). Any number of workers, on any machines that reach Redis and the
catalog, consume it: for each queued run a worker starts a crawl in a child process
(``python -m crawler.crawl``, spider ``queued-links``) with those settings plus the
acknowledging store pipeline (pipelines.queued). The per-host limit needs nothing more:
the queue gives each host's links to one worker at a time (host affinity), so the crawl's
own per-host limit, as in a local check, holds for all workers together. The child ends
when the queue is drained (nothing pending, nothing leased by any worker); the worker then
polls for the next run (backing off to ``POLL_MAX`` seconds) until SIGTERM/SIGINT, which
it passes on to the crawl (Scrapy shuts down cleanly: stored links are acknowledged, the
others given back to the queue), or, with ``exit_when_empty``, it stops at once.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from types import FrameType
from typing import Any

import click
import redis

from catalog.errors import ConfigError, ListkeeperError
from crawler.queue import Queue, QueueBusy
from crawler.settings import SETTINGS
from jobs.crawling import CrawlChild

POLL_MIN, POLL_MAX = 0.1, 0.5  # seconds between looks at an empty queue (one STATUS call)


def _queue(url: str) -> Queue:
    schemes = ("redis://", "rediss://", "unix://", "redis+cluster://", "rediss+cluster://")
    if not url.startswith(schemes):
        raise ConfigError(
            f"--queue {url}: expected redis://HOST:PORT/DB, or redis+cluster://HOST:PORT"
        )
    try:
        queue = Queue(url)  # a cluster client reads the cluster's layout here
        queue.ping()
    except (redis.RedisError, redis.exceptions.RedisClusterException) as exc:
        raise ListkeeperError(f"cannot reach the queue at {url}: {exc}; is Redis running?") from exc
    return queue


def ensure_idle(url: str) -> None:
    """A ConfigError while links of another run are still queued."""
    queue = _queue(url)
    try:
        pending, leased = queue.status()
        if pending or leased:
            raise ConfigError(
                f"the queue at {url} still holds {pending + leased} links of run"
                f" {queue.job_id()}: let the workers finish (check --queue {url} --wait)"
            )
    finally:
        queue.close()


def _absolute_sqlite(url: str) -> str:
    """Workers may start elsewhere: a relative SQLite path is made absolute."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        database = parsed.database or ""
        if not Path(database).is_absolute():
            return parsed.set(database=str(Path(database).resolve())).render_as_string(
                hide_password=False
            )
    return url


def enqueue(
    url: str, run_id: int, settings: dict[str, Any], links: Iterable[dict[str, Any]]
) -> int:
    job_settings = dict(settings)
    job_settings["STORE_DATABASE_URL"] = _absolute_sqlite(settings["STORE_DATABASE_URL"])
    queue = _queue(url)
    try:
        return queue.enqueue(str(run_id), job_settings, links)
    except QueueBusy as exc:
        raise ConfigError(f"the queue at {url}: {exc}") from exc
    finally:
        queue.close()


def wait_drained(url: str, *, poll_max: float = POLL_MAX) -> None:
    """Until nothing is pending and nothing is leased (every link stored and acknowledged)."""
    queue = _queue(url)
    delay = POLL_MIN
    try:
        while True:
            pending, leased = queue.status()
            if not pending and not leased:
                break
            time.sleep(delay)
            delay = min(delay * 1.5, poll_max)
        if given_up := queue.given_up():
            click.echo(
                f"{len(given_up)} links failed on every delivery and stay due for the next run",
                err=True,
            )
    finally:
        queue.close()


def crawl_settings(url: str, job_settings: dict[str, Any], db_url: str | None) -> dict[str, Any]:
    """The run's settings plus what makes a crawl a queue worker."""
    settings = dict(job_settings)
    settings["QUEUE_URL"] = url
    if db_url:
        settings["STORE_DATABASE_URL"] = db_url
    pipelines = dict(settings.get("ITEM_PIPELINES") or SETTINGS["ITEM_PIPELINES"])
    pipelines["pipelines.store.StorePipeline"] = None
    pipelines["pipelines.queued.QueuedStorePipeline"] = 800
    settings["ITEM_PIPELINES"] = pipelines
    return settings


class _Stop:
    def __init__(self) -> None:
        self.requested = False
        self.child: subprocess.Popen[Any] | None = None

    def __call__(self, signum: int, _frame: FrameType | None) -> None:
        self.requested = True
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signum)  # Scrapy: a clean shutdown (twice: at once)


def worker(
    url: str,
    *,
    exit_when_empty: bool = False,
    db_url: str | None = None,
    poll_max: float = POLL_MAX,
) -> int:
    """Consume the queue until stopped (or, with ``exit_when_empty``, until it is drained).

    While idle the worker keeps a crawl process started (``jobs.crawling.CrawlChild``), its
    imports done, so a run that arrives starts crawling at once."""
    queue = _queue(url)
    stop = _Stop()
    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    delay = POLL_MIN
    child: CrawlChild | None = None
    # The crawl process's parent check (QueuedLinksSpider) needs this pid.
    child_env = {"LISTKEEPER_WORKER_PID": str(os.getpid())}
    try:
        while not stop.requested:
            job = queue.job()
            pending, leased = queue.status()
            if job is None or (not pending and not leased):
                if exit_when_empty:
                    return 0
                child = child or CrawlChild(env=child_env)
                time.sleep(delay)
                delay = min(delay * 2, poll_max)
                continue
            delay = POLL_MIN
            child = child or CrawlChild(env=child_env)
            stop.child = child.proc
            try:
                arguments = {"queue": url, "job": job.id}
                child.run("queued-links", arguments, crawl_settings(url, job.settings, db_url))
            except ListkeeperError as exc:
                if not stop.requested:
                    click.echo(f"worker: run {job.id}: {exc}", err=True)
                    time.sleep(delay)
            finally:
                stop.child = child = None
        return 0
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if child is not None:
            child.cancel()
        queue.close()


def main(argv: list[str] | None = None) -> int:
    """``python -m jobs.worker --queue URL [--exit-when-empty] [--db URL]``."""
    parser = argparse.ArgumentParser(prog="listkeeper worker")
    parser.add_argument("--queue", required=True, metavar="URL")
    parser.add_argument("--exit-when-empty", action="store_true")
    parser.add_argument("--db", metavar="URL")
    args = parser.parse_args(argv)
    try:
        return worker(args.queue, exit_when_empty=args.exit_when_empty, db_url=args.db)
    except ListkeeperError as exc:
        click.echo(f"listkeeper: error: {exc}", err=True)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
