"""``listkeeper check``: check the links that are due, store the history, exit 2 on dead.

What is due comes from the catalog; local links (anchors, files beside the README) and
excluded ones are decided here; web links go to a Scrapy crawl in a child process
(``crawler.crawl``), whose pipelines write the results to the catalog batch by batch.
"""

from __future__ import annotations

import dataclasses
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from sqlalchemy import func, select

from catalog import db, local, locks, runs
from catalog.checkconfig import IGNORE_FILE, CheckConfig
from catalog.config import Verdicts
from catalog.errors import ConfigError
from catalog.models import Link, PageReference
from catalog.store import (
    DueLink,
    HostAnswers,
    Result,
    due_count,
    due_rounds,
    host_answers,
    record,
    status_counts,
)
from catalog.vocabulary import LinkStatus, OutcomeKind, utcnow
from crawler import checkjob
from jobs.context import Context
from jobs.crawling import CrawlChild, run_crawl, run_link_crawls
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


def check_added(ctx: Context, ref: str, readme: Path, options: CheckOptions) -> int:
    """Check only the links ``readme`` gained since ``ref``, once, strictly, in a throwaway
    catalog: what a pull request to the list is judged by. Exit 2 if one is not healthy."""
    old = _git_readme_at(ref, readme)

    # Imported here: only this path parses Markdown, and every check pays for its imports.
    from catalog.importer import document_key, import_readme
    from catalog.markdown import parse_markdown
    from catalog.urls import link_key

    doc = document_key(readme)
    before = {link_key(ref_.url, doc) for ref_ in parse_markdown(old).links}
    with tempfile.TemporaryDirectory(prefix="listkeeper-added-") as tmp:
        scratch = Context(config_path=ctx.config_path, db_url=f"sqlite:///{tmp}/added.db")
        scratch._config = dataclasses.replace(
            ctx.config, verdicts=Verdicts(dead_after_checks=1, dead_after_hours=0)
        )
        engine = scratch.engine()
        with db.session_scope(engine) as s:
            import_readme(s, readme)
            links = s.scalars(select(Link)).all()
            added = [link for link in links if link.key not in before]
            for link in links:
                if link.key in before:
                    link.next_check_at = utcnow() + timedelta(days=3650)  # not this PR's
        click.echo(f"{len(added)} links added since {ref}")
        if not added:
            return 0
        check(scratch, dataclasses.replace(options, all_links=False, fail_on="never"))
        with db.session_factory(engine)() as s:
            ids = [a.id for a in added]
            rows = s.execute(
                select(Link.id, Link.url, Link.status, Link.error).where(Link.id.in_(ids))
            ).all()
            archived = _archived_added(s, ctx, readme, ids)
    failed = (LinkStatus.DEAD, LinkStatus.FAILING, LinkStatus.SUSPECT)
    bad = [r for r in rows if r.status in failed or r.id in archived]
    for link_id, url, status, error in rows:
        shown = "archived" if link_id in archived and status not in failed else status.value
        why = error or archived.get(link_id)
        click.echo(f"{shown:<10} {url}{f'  ({why})' if why else ''}")
    return 2 if bad and options.fail_on == "dead" else 0


def _archived_added(session: Any, ctx: Context, readme: Path, ids: list[int]) -> dict[int, str]:
    """The added links to archived repositories, when ``[github] reject_archived`` (the
    default) says a list takes none; one kept on purpose (an ignore comment) is welcome."""
    from catalog.models import Occurrence
    from catalog.pullrequest import ignores
    from catalog.repos import latest_facts

    if not ctx.config.tables.github.reject_archived:
        return {}
    facts = {i: f for i, f in latest_facts(session, ids).items() if f.archived}
    if not facts:
        return {}
    kept = ignores(readme.read_text(encoding="utf-8"), utcnow().date())
    lines = session.execute(
        select(Occurrence.link_id, Occurrence.line).where(Occurrence.link_id.in_(list(facts)))
    ).all()
    on_purpose = {link_id for link_id, line in lines if line in kept}
    return {
        i: f"archived repository {f.name_with_owner}: a list takes none ([github] reject_archived)"
        for i, f in facts.items()
        if i not in on_purpose
    }


def _git_readme_at(ref: str, readme: Path) -> str:
    """README's text at the commit ``ref`` names. ``ref`` comes from a CI's command line
    (a pull request's base): it is verified as a commit first, options ended before it, so
    ``--output=FILE`` or the like reaches git as a name, never as an option."""
    if not ref or ref.startswith("-"):
        raise ConfigError(
            f"--added-since {ref!r}: not a revision; give a branch, tag or commit, e.g. origin/main"
        )

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args],
            cwd=readme.parent.resolve(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    try:
        commit = git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        raise ConfigError(
            f"--added-since {ref}: no such commit in the git repository of {readme};"
            " give a branch, tag or commit (fetch it first in a shallow CI clone)"
        ) from exc
    try:
        return git("show", "--end-of-options", f"{commit.strip()}:./{readme.name}")
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or "").strip().splitlines()
        raise ConfigError(
            f"--added-since {ref}: cannot read {readme} there"
            + (f": {detail[-1]}" if detail else "")
        ) from exc


def check(ctx: Context, options: CheckOptions, child: CrawlChild | None = None) -> int:
    """Check the due links; ``child``, a crawl process started early, serves the first
    crawl (one is started here otherwise)."""
    if child is None and not options.queue:
        # Started now, it imports Scrapy while the catalog says what is due.
        child = CrawlChild()
    started = _Started([child] if child is not None else [])
    try:
        cfg = CheckConfig.of(ctx.config, IGNORE_FILE)
        # Two checks at once would check every link twice: one at a time, crawl included.
        with locks.held(ctx.engine(), "check", CHECK_LOCK_TTL):
            return _check(ctx, cfg, options, started)
    finally:
        started.cancel_rest()


@dataclass
class _Started:
    """Crawl processes started ahead of their jobs; the first crawls take them."""

    children: list[CrawlChild]

    def take(self) -> CrawlChild | None:
        return self.children.pop(0) if self.children else None

    def cancel_rest(self) -> None:
        while self.children:
            self.children.pop().cancel()


def _check(ctx: Context, cfg: CheckConfig, options: CheckOptions, started: _Started) -> int:
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
    ctx: Context, cfg: CheckConfig, options: CheckOptions, started: _Started, run_id: int
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
                url = local.web_url(link)
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
    started: _Started,
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
    columns = ("title", "site_name", "lang", "host", "sketch", "words")
    with db.session_factory(ctx.engine())() as s:
        rows = s.scalars(
            select(PageReference).where(
                PageReference.link_id.in_([link.id for link in web]),
                PageReference.taken_at.is_not(None),
            )
        )
        return {r.link_id: {c: getattr(r, c) for c in columns} for r in rows}


def _finish(engine: Any, run_id: int, due: int, options: CheckOptions) -> int:
    with db.session_factory(engine)() as s:
        counts = status_counts(s)
    runs.finish(engine, run_id, "done", dict(counts))
    parts = ", ".join(f"{s.value} {counts.get(s.value, 0)}" for s in LinkStatus)
    click.echo(f"checked {due} due links; {parts}")
    if counts.get(LinkStatus.DEAD.value, 0) and options.fail_on == "dead":
        return 2
    return 0
