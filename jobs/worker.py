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

What Redis holds is not trusted to widen what a worker does. The queued run carries no
database URL (no password in Redis): a worker stores into the catalog of its own ``--db``,
``LISTKEEPER_DB`` or config. Of the run's Scrapy settings a worker takes only those that
say what to store and how gently to crawl (:data:`RUN_SETTINGS`), limits no higher than
its own; code paths (pipelines, middlewares, download handlers, resolvers), files and the
private-address guard are the worker's own: the guard is off only when both the run
(``check --allow-private``) and the worker (``worker --allow-private``) say so, and the
networks it lets through are those both allow.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import click
import redis

from catalog.errors import ConfigError, ListkeeperError
from catalog.output import filtered_streams
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


def enqueue(
    url: str, run_id: int, settings: dict[str, Any], links: Iterable[dict[str, Any]]
) -> int:
    # Workers store into their own catalog: the database URL (and its password) stays here.
    job_settings = {k: v for k, v in settings.items() if k != "STORE_DATABASE_URL"}
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


# What a queued run may set on a worker's crawl: what to store and how gently to crawl.
RUN_SETTINGS = frozenset(
    {
        "STORE_RUN_ID",
        "STORE_BATCH_SIZE",
        "STORE_TTL_HOURS",
        "STORE_VERDICTS",
        "STORE_UNMAP",
        "CLASSIFY_HOST_STATUSES",
        "CLASSIFY_ACCEPT",
        "LINKS_HOST_HEADERS",
        "CHANGED_ENABLED",
        "METADATA_ENABLED",
        "DOWNLOAD_SLOTS",
        "DOWNLOAD_DELAY",
        "PRIVATEGUARD_ENABLED",
        "PRIVATEGUARD_ALLOW_NETWORKS",
        *(
            "QUEUE_LEASE_SECONDS",
            "QUEUE_BATCH_SIZE",
            "QUEUE_FLUSH_SECONDS",
            "QUEUE_IDLE_MAX_SECONDS",
            "QUEUE_LOW_WATER",
            "QUEUE_MAX_DELIVERIES",
        ),
    }
)
# ... of which these are limits: the run's value counts only when it is no higher.
RUN_LIMITS = frozenset(
    {
        "CONCURRENT_REQUESTS",
        "CONCURRENT_REQUESTS_PER_DOMAIN",
        "DOWNLOAD_TIMEOUT",
        "DOWNLOAD_MAXSIZE",
        "BODYCAP_BYTES",
        "DECOMPRESS_MAX_BYTES",
        "REDIRECT_MAX_TIMES",
        "RETRY_TIMES",
    }
)


@dataclass(frozen=True)
class Own:
    """What a worker decides for itself, whatever a queued run asks."""

    db_url: str
    allow_private: bool = False  # worker --allow-private
    allow_networks: list[str] = field(default_factory=list)  # its own [check] allow_networks
    settings: dict[str, Any] = field(default_factory=dict)  # its own [check.settings]


def crawl_settings(url: str, job_settings: dict[str, Any], own: Own) -> dict[str, Any]:
    """The worker's own settings, narrowed by the run's, plus what makes a crawl a worker."""
    settings = dict(own.settings)
    for key, value in job_settings.items():
        if key in RUN_SETTINGS:
            settings[key] = value
        elif key in RUN_LIMITS:
            mine = settings.get(key, SETTINGS.get(key))
            settings[key] = value if mine is None else min(_number(value, mine), mine)
    run_guard = bool(job_settings.get("PRIVATEGUARD_ENABLED", True))
    settings["PRIVATEGUARD_ENABLED"] = run_guard or not own.allow_private
    run_networks = list(job_settings.get("PRIVATEGUARD_ALLOW_NETWORKS") or [])
    settings["PRIVATEGUARD_ALLOW_NETWORKS"] = (
        run_networks if own.allow_private else _common(run_networks, own.allow_networks)
    )
    settings["QUEUE_URL"] = url
    settings["STORE_DATABASE_URL"] = own.db_url
    pipelines = dict(own.settings.get("ITEM_PIPELINES") or SETTINGS["ITEM_PIPELINES"])
    pipelines["pipelines.store.StorePipeline"] = None
    pipelines["pipelines.queued.QueuedStorePipeline"] = 800
    settings["ITEM_PIPELINES"] = pipelines
    return settings


def _number(value: Any, fallback: Any) -> Any:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else fallback


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _common(theirs: list[str], mine: list[str]) -> list[str]:
    """The networks both lists allow (CIDR blocks are nested or apart: the smaller of each
    overlapping pair)."""
    a, b = _networks(theirs), _networks(mine)
    both = {x for x in a for y in b if x.version == y.version and x.subnet_of(y)}  # type: ignore[arg-type]
    both |= {y for y in b for x in a if x.version == y.version and y.subnet_of(x)}  # type: ignore[arg-type]
    return sorted(str(n) for n in both)


def _networks(values: list[str]) -> list[Network]:
    out: list[Network] = []
    for value in values:
        try:
            out.append(ipaddress.ip_network(str(value), strict=False))
        except ValueError:
            continue  # not a network: allows nothing
    return out


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
    allow_private: bool = False,
    config_path: Path | None = None,
    poll_max: float = POLL_MAX,
) -> int:
    """Consume the queue until stopped (or, with ``exit_when_empty``, until it is drained).

    The catalog is the worker's own (*db_url*, else ``LISTKEEPER_DB``, else its config's);
    so are its guard (*allow_private*) and its ``[check]`` networks and Scrapy settings.

    While idle the worker keeps a crawl process started (``jobs.crawling.CrawlChild``), its
    imports done, so a run that arrives starts crawling at once."""
    own = _own(config_path, db_url, allow_private)
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
                child.run("queued-links", arguments, crawl_settings(url, job.settings, own))
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


def _own(config_path: Path | None, db_url: str | None, allow_private: bool) -> Own:
    from jobs.context import Context

    ctx = Context(config_path=config_path, db_url=db_url)
    check = ctx.config.check  # typed and checked by the config schema
    return Own(
        db_url=ctx.url,
        allow_private=allow_private,
        allow_networks=list(check.allow_networks),
        settings=dict(check.settings),
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m jobs.worker --queue URL [--exit-when-empty] [--db URL] [--allow-private]
    [--config FILE]``."""
    parser = argparse.ArgumentParser(prog="listkeeper worker")
    parser.add_argument("--queue", required=True, metavar="URL")
    parser.add_argument("--exit-when-empty", action="store_true")
    parser.add_argument("--db", metavar="URL")
    parser.add_argument("--config", metavar="FILE", type=Path)
    parser.add_argument("--allow-private", action="store_true")
    args = parser.parse_args(argv)
    with filtered_streams():  # the queue's and the catalog's passwords stay out of its output
        return _main(args)


def _main(args: argparse.Namespace) -> int:
    try:
        return worker(
            args.queue,
            exit_when_empty=args.exit_when_empty,
            db_url=args.db,
            allow_private=args.allow_private,
            config_path=args.config,
        )
    except ListkeeperError as exc:
        click.echo(f"listkeeper: error: {exc}", err=True)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
