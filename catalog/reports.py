"""The dead-link report: every link the documents hold, its sources and, when not ok, why.

``build_report`` reads the catalog into plain typed values; ``catalog.formats`` turns them
into JSON (the machine interface, in a stable shape) or Markdown (for a pull
request or an issue). No Scrapy here: the report only reads what the checks stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.changes import Look, PageChange, changes, looks
from catalog.hygiene import Hygiene, for_documents
from catalog.models import Check, Document, Entry, Link, Occurrence, PageMetadata, Section
from catalog.repos import Facts, checked_as_pages, latest_facts
from catalog.vocabulary import URGENCY, LinkKind, LinkStatus, utcnow

EVIDENCE_CHECKS = 5  # the last N checks shown for a link that is not ok

STATUS_ORDER = URGENCY  # the order of the report: what needs a maintainer first
_RANK = {status: i for i, status in enumerate(STATUS_ORDER)}
# Statuses that come with evidence (checks, redirect chain, how long it has been failing).
_NO_EVIDENCE = frozenset({LinkStatus.OK, LinkStatus.UNCHECKED, LinkStatus.EXCLUDED})
# The page answering is not the article (a soft 404, a home page, a wall): its title
# ("Introduction", "Just a moment...") says less than the README's text for it.
_NOT_THE_ARTICLE = frozenset({LinkStatus.SUSPECT, LinkStatus.BLOCKED})
_NEVER_CHECKED = frozenset({LinkKind.MAILTO, LinkKind.OTHER})  # mailto:, tel:, ...


@dataclass(frozen=True)
class Source:
    """One place a link is written: ``README.md:123 (Section > Subsection)``."""

    document: str
    section: str | None  # the heading path, None above the first heading
    line: int


@dataclass(frozen=True)
class CheckRow:
    checked_at: datetime
    outcome: str
    http_status: int | None
    error: str | None


@dataclass(frozen=True)
class Hop:
    """One redirect of a chain: the status answered and where it sent us."""

    status: int | None
    url: str


@dataclass(frozen=True)
class Evidence:
    checks: tuple[CheckRow, ...]  # newest first, at most EVIDENCE_CHECKS
    redirects: tuple[Hop, ...]  # of the last check
    failing_for: timedelta | None  # now - first_failed_at


@dataclass(frozen=True)
class ReportLink:
    url: str
    kind: LinkKind
    status: LinkStatus
    http_status: int | None
    final_url: str | None
    error: str | None
    checked_at: datetime | None
    first_failed_at: datetime | None
    consecutive_failures: int
    title: str
    sources: tuple[Source, ...]
    evidence: Evidence | None = None
    repository: Facts | None = None  # a GitHub repository's facts, from its last API check
    change: PageChange | None = None  # parked or replaced: before and after


@dataclass(frozen=True)
class Summary:
    total: int = 0
    ok: int = 0
    redirected: int = 0
    failing: int = 0
    dead: int = 0
    blocked: int = 0
    suspect: int = 0
    excluded: int = 0
    unchecked: int = 0
    archived: int = 0  # GitHub repositories, by their facts (flags beside the status)
    stale: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Report:
    generated_at: datetime
    summary: Summary
    links: tuple[ReportLink, ...]
    document: str | None = None  # the one document reported on, None for all
    history_since: datetime | None = None  # the first check stored; None: starts now
    hygiene: tuple[Hygiene, ...] = ()  # problems of the documents themselves (catalog.hygiene)
    repos_as_pages: int = 0  # repository links last checked as pages (no GITHUB_TOKEN)
    looks: tuple[Look, ...] = ()  # entries whose text and page title share nothing

    @property
    def history_starts_now(self) -> bool:
        return self.history_since is None


def sort_key(link: ReportLink) -> tuple[int, str]:
    return (_RANK[link.status], link.url)


def build_report(
    session: Session, *, document_path: str | None = None, now: datetime | None = None
) -> Report:
    """Every link written in the catalog's documents (or in *document_path*), worst first."""
    now = (now or utcnow()).astimezone(UTC)
    occ = select(Occurrence.link_id)
    if document_path is not None:
        occ = occ.join(Document, Occurrence.document_id == Document.id).where(
            Document.path == document_path
        )
    link_ids = occ.distinct().scalar_subquery()

    sources, titles = _sources(session, document_path)
    rows = session.execute(
        select(Link, PageMetadata.title)
        .outerjoin(PageMetadata, PageMetadata.link_id == Link.id)
        .where(Link.id.in_(link_ids))
    ).all()
    statuses = {link.id: _status(link) for link, _ in rows}
    needing = {i for i, s in statuses.items() if s not in _NO_EVIDENCE}
    history = _last_checks(session, link_ids) if needing else {}
    facts = latest_facts(session, link_ids)
    changed = changes(session, [i for i, s in statuses.items() if s == LinkStatus.SUSPECT])

    links = []
    for link, page_title in rows:
        status = statuses[link.id]
        evidence = None
        if link.id in needing:
            evidence = _evidence(link, history.get(link.id, []), now)
        links.append(
            ReportLink(
                url=link.url,
                kind=link.kind,
                status=status,
                http_status=link.http_status,
                final_url=link.final_url,
                error=link.error,
                checked_at=link.checked_at,
                first_failed_at=link.first_failed_at,
                consecutive_failures=link.consecutive_failures,
                title=report_title(status, page_title, titles.get(link.id, "")),
                sources=tuple(sources.get(link.id, ())),
                evidence=evidence,
                repository=facts.get(link.id),
                change=changed.get(link.id),
            )
        )
    links.sort(key=sort_key)
    counts = {s.value: 0 for s in LinkStatus}
    for item in links:
        counts[item.status.value] += 1
    repos = [item.repository for item in links if item.repository is not None]
    summary = Summary(
        total=len(links),
        archived=sum(r.archived for r in repos),
        stale=sum(r.stale for r in repos),
        **counts,
    )
    since = session.scalar(select(func.min(Check.checked_at)).where(Check.link_id.in_(link_ids)))
    return Report(
        generated_at=now,
        summary=summary,
        links=tuple(links),
        document=document_path,
        history_since=since,
        hygiene=for_documents(session, document_path),
        repos_as_pages=checked_as_pages(session, [link for link, _ in rows], facts),
        looks=looks(session, document_path),
    )


def report_title(status: LinkStatus, page_title: str | None, readme_text: str) -> str:
    """The page's own title, except where the page is not the article: the README's text."""
    page = (page_title or "").strip()
    if status in _NOT_THE_ARTICLE:
        return readme_text or page
    return page or readme_text


def _status(link: Link) -> LinkStatus:
    if link.kind in _NEVER_CHECKED:
        return LinkStatus.EXCLUDED
    return LinkStatus(link.status)


def _sources(
    session: Session, document_path: str | None
) -> tuple[dict[int, list[Source]], dict[int, str]]:
    """Where each link is written, and the text it is written with (entry title first)."""
    query = (
        select(
            Occurrence.link_id,
            Document.path,
            Section.path,
            Occurrence.line,
            Occurrence.text,
            Entry.title,
        )
        .join(Document, Occurrence.document_id == Document.id)
        .outerjoin(Section, Occurrence.section_id == Section.id)
        .outerjoin(Entry, Occurrence.entry_id == Entry.id)
        .order_by(Occurrence.link_id, Document.path, Occurrence.line, Occurrence.id)
    )
    if document_path is not None:
        query = query.where(Document.path == document_path)
    sources: dict[int, list[Source]] = defaultdict(list)
    entry_titles: dict[int, str] = {}
    texts: dict[int, str] = {}
    for link_id, doc, section, line, text, entry_title in session.execute(query):
        sources[link_id].append(Source(document=doc, section=section or None, line=line))
        if entry_title and entry_title.strip():
            entry_titles.setdefault(link_id, entry_title.strip())
        if text and text.strip():
            texts.setdefault(link_id, text.strip())
    return sources, {**texts, **entry_titles}


def _last_checks(session: Session, link_ids: Any) -> dict[int, list[Check]]:
    """The last EVIDENCE_CHECKS checks of each link not ok, newest first (one query)."""
    rank = (
        func.row_number()
        .over(partition_by=Check.link_id, order_by=(Check.checked_at.desc(), Check.id.desc()))
        .label("rank")
    )
    inner = (
        select(Check.id, rank)
        .join(Link, Link.id == Check.link_id)
        .where(Check.link_id.in_(link_ids), Link.status.not_in(list(_NO_EVIDENCE)))
        .subquery()
    )
    checks = session.scalars(
        select(Check)
        .join(inner, inner.c.id == Check.id)
        .where(inner.c.rank <= EVIDENCE_CHECKS)
        .order_by(Check.link_id, Check.checked_at.desc(), Check.id.desc())
    )
    out: dict[int, list[Check]] = defaultdict(list)
    for check in checks:
        out[check.link_id].append(check)
    return out


def _evidence(link: Link, checks: Sequence[Check], now: datetime) -> Evidence:
    rows = tuple(
        CheckRow(
            checked_at=c.checked_at, outcome=c.outcome, http_status=c.http_status, error=c.error
        )
        for c in checks
    )
    chain = _hops(checks[0].redirects) if checks else ()
    failing_for = None
    if link.first_failed_at is not None and link.status != LinkStatus.REDIRECTED:
        failing_for = max(now - link.first_failed_at, timedelta(0))
    return Evidence(checks=rows, redirects=chain, failing_for=failing_for)


def _hops(raw: Any) -> tuple[Hop, ...]:
    """``[[301, url], ...]`` as stored (a dict per hop is read too), skipping what is not."""
    hops = []
    for hop in raw or ():
        status: Any
        if isinstance(hop, dict):
            status, url = hop.get("status"), hop.get("url")
        elif isinstance(hop, list | tuple) and len(hop) >= 2:
            status, url = hop[0], hop[1]
        else:
            continue
        if not isinstance(url, str):
            continue
        hops.append(Hop(status=status if isinstance(status, int) else None, url=url))
    return tuple(hops)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC, to the second, with a ``Z``."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
