"""What a check hands its crawl: the due web links as the link spider takes them, the
Scrapy settings of the crawl (local or queued for workers), and the links split by host
between crawl processes."""

from __future__ import annotations

import os
from typing import Any, Protocol

import msgspec

from catalog import local
from catalog.checkconfig import CheckConfig
from catalog.config import Verdicts
from catalog.store import DueLink, HostAnswers
from catalog.urls import rewrite, slot_host
from catalog.vocabulary import LinkStatus


class CrawlOptions(Protocol):
    """The command-line options of a check that shape its crawl."""

    max_concurrency: int | None
    per_host: int | None
    timeout: float | None
    allow_private: bool
    processes: int | None


# Below this many links one process is quicker: each crawl process costs a second to start.
PROCESS_MIN_LINKS = 1000


def processes(options: CrawlOptions, cfg: CheckConfig, links: int) -> int:
    wanted = options.processes or cfg.table.processes
    if wanted is None:
        wanted = (os.cpu_count() or 1) if links >= PROCESS_MIN_LINKS else 1
    return max(1, wanted)


def split_by_host(links: list[dict[str, Any]], n: int) -> list[list[dict[str, Any]]]:
    """At most ``n`` groups of links, no host in two, of about equal size (largest first)."""
    by_host: dict[str, list[dict[str, Any]]] = {}
    for link in links:
        by_host.setdefault(slot_host(link["url"]), []).append(link)
    groups: list[list[dict[str, Any]]] = [[] for _ in range(min(n, len(by_host)) or 1)]
    for host_links in sorted(by_host.values(), key=len, reverse=True):
        min(groups, key=len).extend(host_links)
    return [g for g in groups if g]


def crawl_links(
    cfg: CheckConfig, web: list[DueLink], references: dict[int, dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The links as a crawl (local or queued) takes them. With ``[check] changed`` every
    check reads the page (conditionally: a 304 costs nothing) and carries the link's
    reference; a suspect link is read in full, since its validators are the lander's."""
    references = references or {}
    links = []
    for link in web:
        fresh = cfg.table.changed and link.status == LinkStatus.SUSPECT
        entry: dict[str, Any] = {
            "id": link.id,
            "url": rewrite(local.url_to_fetch(link), cfg.remap),
            "etag": None if fresh else link.etag,
            "last_modified": None if fresh else link.last_modified,
            "want_body": link.status == LinkStatus.UNCHECKED,
        }
        if cfg.table.changed:
            entry["compare"] = True
            if link.id in references:
                entry["reference"] = references[link.id]
        links.append(entry)
    return links


def crawl_settings(
    db_url: str,
    verdicts: Verdicts,
    cfg: CheckConfig,
    options: CrawlOptions,
    host_statuses: HostAnswers,
    run_id: int,
    polite: dict[str, dict[str, float]] | None = None,
) -> dict[str, Any]:
    """The Scrapy settings of a check's crawl, local or queued; *polite*: download slots
    for hosts that need a gentler pace than the defaults (GitHub's pages, without a token)."""
    hosts = cfg.table.hosts
    settings: dict[str, Any] = {
        "STORE_DATABASE_URL": db_url,
        "STORE_RUN_ID": run_id,
        "STORE_BATCH_SIZE": cfg.table.batch_size,
        "STORE_TTL_HOURS": cfg.table.ttl_hours,
        "STORE_VERDICTS": msgspec.structs.asdict(verdicts),
        "STORE_UNMAP": list(cfg.table.unmap),
        "CLASSIFY_HOST_STATUSES": host_statuses,
        "CLASSIFY_ACCEPT": {h: list(v.accept) for h, v in hosts.items() if v.accept},
        "LINKS_HOST_HEADERS": {h: v.headers for h, v in hosts.items() if v.headers},
        "CHANGED_ENABLED": cfg.table.changed,
        "PRIVATEGUARD_ENABLED": not options.allow_private,
        "PRIVATEGUARD_ALLOW_NETWORKS": list(cfg.table.allow_networks),
        "DOWNLOAD_SLOTS": {
            **(polite or {}),
            **{
                h: {k: getattr(v, k) for k in ("concurrency", "delay") if getattr(v, k) is not None}
                for h, v in hosts.items()
            },
        },
        **cfg.table.settings,
    }
    if options.max_concurrency:
        settings["CONCURRENT_REQUESTS"] = options.max_concurrency
    if options.per_host:
        settings["CONCURRENT_REQUESTS_PER_DOMAIN"] = options.per_host
    if options.timeout:
        settings["DOWNLOAD_TIMEOUT"] = options.timeout
    return settings
