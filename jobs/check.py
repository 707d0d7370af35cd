"""``listkeeper check``: check the links that are due, store the history, exit 2 on dead.

What is due comes from the catalog, a round at a time; excluded links are decided here,
local ones (anchors, files beside the README) by ``catalog.local``; web links go to Scrapy
crawls in child processes (``crawler.checkjob`` builds what a crawl is handed,
``jobs.crawling`` runs it, in several processes split by host for a large check), whose
pipelines write the results to the catalog batch by batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import click
from sqlalchemy import func, select

from catalog import db, local, locks, runs
from catalog.checkconfig import IGNORE_FILE, CheckConfig
from catalog.models import Link
from catalog.store import (
    DueLink,
    HostAnswers,
    Result,
    due_count,
    due_rounds,
    host_answers,
    page_references,
    record,
    status_counts,
)
from catalog.vocabulary import LinkStatus, OutcomeKind, utcnow
from crawler import checkjob
from jobs.context import Context
from jobs.crawling import CrawlChild, StartedChildren, run_crawl, run_link_crawls
from jobs.progress import progress_bar

CHECK_LOCK_TTL = timedelta(hours=6)  # a check longer than this is presumed dead


@dataclass
class CheckOptions:
    all_links: bool = False
    max_concurrency: int | None = None
    per_host: int | None = None
    timeout: float | None = None
    allow_private: bool = False
    fail_on: str = "dead"
    processes: int | None = None  # crawl processes, hosts split between them
    queue: str | None = None  # redis://HOST:PORT/DB: enqueue for `listkeeper worker`
    wait: bool = False  # with queue: wait until the workers drain it, then summarise


def check(ctx: Context, options: CheckOptions, child: CrawlChild | None = None) -> int:
    """Check the due links; ``child``, a crawl process started early, serves the first
    crawl (one is started here otherwise)."""
    if child is None and not options.queue:
        # Started now, it imports Scrapy while the catalog says what is due.
        child = CrawlChild()
    started = StartedChildren([child] if child is not None else [])
    try:
        cfg = CheckConfig.of(ctx.config, IGNORE_FILE)
        # Two checks at once would check every link twice: one at a time, crawl included.
        with locks.held(ctx.engine(), "check", CHECK_LOCK_TTL):
            return _check(ctx, cfg, options, started)
    finally:
        started.cancel_rest()


def _check(ctx: Context, cfg: CheckConfig, options: CheckOptions, started: StartedChildren) -> int:
    engine = ctx.engine()
    if options.queue:
        from jobs.worker import ensure_idle

        ensure_idle(options.queue)  # before a run is opened: one queued run at a time
    run_id = runs.start(engine, "check", locks.me())
    try:
        return _check_run(ctx, cfg, options, started, run_id)
    except BaseException as exc:
        runs.finish_after(engine, run_id, exc)
        raise


def _check_run(
    ctx: Context, cfg: CheckConfig, options: CheckOptions, started: StartedChildren, run_id: int
) -> int:
    engine = ctx.engine()
    with db.session_scope(engine) as s:
        first_ever = s.scalar(select(func.count()).where(Link.checked_at.is_not(None))) == 0
        host_statuses = host_answers(s)
    if first_ever:
        click.echo("catalog has no check history yet: history starts now", err=True)
    rounds = _Rounds(ctx, cfg, options, run_id)
    if started.children:  # the first round's other crawl processes start now, not later
        first = min(rounds.total, cfg.table.round_links)
        started.children += [
            CrawlChild() for _ in range(checkjob.processes(options, cfg, first) - 1)
        ]
    if options.queue:
        from jobs.worker import enqueue, wait_drained

        settings = checkjob.crawl_settings(
            ctx.url, ctx.config.verdicts, cfg, options, host_statuses, run_id, rounds.polite
        )
        links = (
            link
            for web in rounds
            for link in checkjob.crawl_links(cfg, web, _references(ctx, cfg, web))
        )
        queued = enqueue(options.queue, run_id, settings, links)
        if not options.wait:
            click.echo(f"queued {queued} links for run {run_id}; `listkeeper worker` checks them")
            return 0
        wait_drained(options.queue)
    else:
        for web in rounds:
            _crawl(ctx, cfg, options, web, host_statuses, run_id, rounds.total, started, rounds)
    for line in rounds.repos.summary():
        click.echo(line, err=True)
    return _finish(engine, run_id, rounds.due, options)


class _Rounds:
    """The due links, ``[check] round_links`` at a time (keyset pagination): local and
    excluded ones decided and stored here, each round's web links yielded for a crawl.
    A check's memory so stays bounded whatever the catalog's size."""

    def __init__(self, ctx: Context, cfg: CheckConfig, options: CheckOptions, run_id: int) -> None:
        from jobs.repositories import RepoStep

        self.engine = ctx.engine()
        self.repos = RepoStep.from_config(ctx.config.raw, str(ctx.config.path or "config"))
        self.cfg, self.options, self.run_id = cfg, options, run_id
        self.verdicts = ctx.config.verdicts
        self.due = 0
        with db.session_factory(self.engine)() as s:  # for the progress bar, the processes
            self.total = due_count(s, all_links=options.all_links)

    @property
    def polite(self) -> dict[str, dict[str, float]]:
        return self.repos.slots(self.cfg.table.hosts)

    def __iter__(self) -> Iterator[list[DueLink]]:
        anchors_of = local.heading_anchors(self.engine)
        sessions = db.session_factory(self.engine)
        for due in due_rounds(
            sessions, self.cfg.table.round_links, all_links=self.options.all_links
        ):
            self.due += len(due)
            web: list[DueLink] = []
            decided: list[Result] = []
            asked = []
            for link in due:
                url = local.url_to_fetch(link)
                if any(p.search(link.url) or p.search(url) for p in self.cfg.exclude):
                    decided.append(
                        local.result(link, OutcomeKind.EXCLUDED, "excluded by an exclude rule")
                    )
                elif link.kind in local.LOCAL_KINDS:
                    decided.append(local.decide(link, anchors_of))
                elif link.kind in local.WEB_KINDS:
                    question = self.repos.take(link.id, url)
                    if question is not None:
                        asked.append(question)
                    else:
                        web.append(link)
                else:
                    decided.append(
                        local.result(link, OutcomeKind.EXCLUDED, f"{link.kind.value} link")
                    )
            with db.session_scope(self.engine) as s:
                record(
                    s,
                    decided,
                    verdicts=self.verdicts,
                    ttl=timedelta(hours=self.cfg.table.ttl_hours),
                    run_id=self.run_id,
                )
            if asked:
                self._ask(asked)
            if web:
                yield web

    def _ask(self, asked: list[Any]) -> None:
        """The round's repository links, through GitHub's API from this process alone."""
        from catalog.repos import record_facts

        out = self.repos.check(asked, utcnow)
        with db.session_scope(self.engine) as s:
            record(
                s,
                out.results,
                verdicts=self.verdicts,
                ttl=timedelta(hours=self.cfg.table.ttl_hours),
                run_id=self.run_id,
            )
            record_facts(s, out.facts, self.run_id)


def decide_local(ctx: Context) -> int:
    """Decide the due local links (anchors, files) now, without the network: the index
    cells a render has just written get their verdict in the same run's report."""
    engine = ctx.engine()
    cfg = CheckConfig.of(ctx.config, IGNORE_FILE)
    anchors_of = local.heading_anchors(engine)
    decided = 0
    for due in due_rounds(db.session_factory(engine), cfg.table.round_links):
        results = [local.decide(link, anchors_of) for link in due if link.kind in local.LOCAL_KINDS]
        if results:
            with db.session_scope(engine) as s:
                ttl = timedelta(hours=cfg.table.ttl_hours)
                record(s, results, verdicts=ctx.config.verdicts, ttl=ttl)
        decided += len(results)
    return decided


def _crawl(
    ctx: Context,
    cfg: CheckConfig,
    options: CheckOptions,
    web: list[DueLink],
    host_statuses: HostAnswers,
    run_id: int,
    total: int,
    started: StartedChildren,
    rounds: _Rounds,
) -> None:
    """Crawl in one process, or in several with the hosts split between them.

    A crawl is CPU-bound on one core long before the network is the limit; hosts never
    span two processes, so per-host politeness holds, and the global concurrency cap is
    shared out between them.
    """
    links = checkjob.crawl_links(cfg, web, _references(ctx, cfg, web))
    hosts = {link.host for link in web}  # the job carries what its hosts answered, no more
    answers = {h: host_statuses[h] for h in hosts if h in host_statuses}
    settings = checkjob.crawl_settings(
        ctx.url, ctx.config.verdicts, cfg, options, answers, run_id, rounds.polite
    )
    groups = checkjob.split_by_host(links, checkjob.processes(options, cfg, len(links)))
    children = [started.take() for _ in groups]
    # Spares were sized from all due links; fewer web links or hosts leave some unused, and
    # a later round (a check of more than round_links) starts its own.
    started.cancel_rest()
    if len(groups) == 1:
        run_crawl(
            "links",
            {"links": links},
            settings,
            watch=lambda p: progress_bar(ctx.engine(), p, run_id, total),
            child=children[0],
        )
        return
    run_link_crawls(
        groups,
        settings,
        watch=lambda p: progress_bar(ctx.engine(), p, run_id, total),
        children=children,
    )


def _references(ctx: Context, cfg: CheckConfig, web: list[DueLink]) -> dict[int, dict[str, Any]]:
    """The reference identities of a round's links, read in one query."""
    if not cfg.table.changed:
        return {}
    with db.session_factory(ctx.engine())() as s:
        return page_references(s, [link.id for link in web])


def _finish(engine: Any, run_id: int, due: int, options: CheckOptions) -> int:
    with db.session_factory(engine)() as s:
        counts = status_counts(s)
    runs.finish(engine, run_id, "done", dict(counts))
    parts = ", ".join(f"{s.value} {counts.get(s.value, 0)}" for s in LinkStatus)
    click.echo(f"checked {due} due links; {parts}")
    if counts.get(LinkStatus.DEAD.value, 0) and options.fail_on == "dead":
        return 2
    return 0
