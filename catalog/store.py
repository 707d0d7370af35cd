"""Write side of a check: append results to the history and recompute each link's status.

One call is one batch in one transaction: a crash loses at most the batch in flight, and the
links it held stay due for the next run. A batch that names a link twice keeps the last
result (PostgreSQL refuses an upsert that touches a row twice).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from catalog.config import Verdicts
from catalog.models import Check, Entry, EntryLink, Link, Occurrence, PageMetadata, PageReference
from catalog.verdicts import CHANGED, CheckRecord, StatusDecision, status_from_history
from catalog.vocabulary import EntryState, LinkKind, LinkStatus, OutcomeKind, utcnow
from catalog.webtext import clean_web_value, needs_cleaning

HISTORY_WINDOW = 20  # the checks a verdict looks back on
HISTORY_DAYS = timedelta(days=60)  # ... within this time


@dataclass(frozen=True)
class Result:
    """One check's outcome, as the pipelines hand it to the catalog."""

    link_id: int
    outcome: str  # an OutcomeKind value
    reason: str
    checked_at: datetime
    method: str | None = None
    http_status: int | None = None
    final_url: str | None = None
    error: str | None = None
    redirects: list[Any] | None = None
    elapsed_ms: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    metadata: dict[str, Any] | None = None  # PageMetadata columns, when the page was read
    identity: dict[str, Any] | None = None  # PageReference fields, when the page was compared


@dataclass(frozen=True)
class DueLink:
    id: int
    url: str
    kind: LinkKind
    host: str | None
    etag: str | None
    last_modified: str | None
    status: LinkStatus
    key: str = ""  # the normalised key (anchors and files are checked from it)


def held() -> ColumnElement[bool]:
    """A link that some document still holds: written in it, or the link of a candidate or
    an accepted entry. The others are retired: neither checked nor counted, their history
    kept for the day a document holds them again."""
    written = select(Occurrence.document_id).where(Occurrence.link_id == Link.id).exists()
    entry = (
        select(EntryLink.entry_id)
        .join(Entry, Entry.id == EntryLink.entry_id)
        .where(
            EntryLink.link_id == Link.id,
            Entry.state.in_([EntryState.LISTED, EntryState.CANDIDATE]),
        )
        .exists()
    )
    return or_(written, entry)


def status_counts(session: Session) -> Counter[str]:
    """How many links the lists hold, by status."""
    rows = session.execute(
        select(Link.status, func.count()).where(held()).group_by(Link.status)
    ).all()
    return Counter({status.value: n for status, n in rows})


def _due(stmt: Any, now: datetime | None, all_links: bool) -> Any:
    stmt = stmt.where(held())
    if all_links:
        return stmt
    now = now or utcnow()
    return stmt.where(or_(Link.next_check_at.is_(None), Link.next_check_at <= now))


def due_links(
    session: Session,
    *,
    now: datetime | None = None,
    all_links: bool = False,
    chunk: int = 1000,
    after_id: int = 0,
    limit: int | None = None,
) -> Iterator[DueLink]:
    """Links never checked or past their time-to-live, streamed (memory stays flat), in id
    order; ``after_id`` and ``limit`` page through them (keyset pagination)."""
    stmt = select(
        Link.id,
        Link.url,
        Link.kind,
        Link.host,
        Link.etag,
        Link.last_modified,
        Link.status,
        Link.key,
    ).order_by(Link.id)
    stmt = _due(stmt, now, all_links)
    if after_id:
        stmt = stmt.where(Link.id > after_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    for row in session.execute(stmt.execution_options(yield_per=chunk)):
        yield DueLink(*row)


def due_rounds(
    sessions: Callable[[], Session], size: int, *, all_links: bool = False
) -> Iterator[list[DueLink]]:
    """The due links ``size`` at a time, each round read in a session of its own (keyset
    pagination by id): the caller holds one round in memory, whatever the catalog's size.
    Links a round's caller checks are past by id, so none is read twice."""
    after = 0
    while True:
        with sessions() as s:
            due = list(due_links(s, all_links=all_links, after_id=after, limit=size))
        if not due:
            return
        after = due[-1].id
        yield due
        if len(due) < size:
            return


def due_count(session: Session, *, now: datetime | None = None, all_links: bool = False) -> int:
    """How many links ``due_links`` would give, counted by the database."""
    return int(session.scalar(_due(select(func.count()).select_from(Link), now, all_links)) or 0)


def record(
    session: Session,
    results: Sequence[Result],
    *,
    verdicts: Verdicts,
    ttl: timedelta,
    run_id: int | None = None,
    now: datetime | None = None,
) -> dict[int, LinkStatus]:
    """Append ``results`` to the history and update their links; returns the new statuses."""
    now = now or utcnow()
    latest: dict[int, Result] = {}
    for r in results:
        latest[r.link_id] = _storable(r)  # merged: one row per link per batch
    if not latest:
        return {}
    ids = sorted(latest)
    session.execute(
        insert(Check),
        [
            {
                "link_id": r.link_id,
                "run_id": run_id,
                "checked_at": r.checked_at,
                "method": r.method,
                "http_status": r.http_status,
                "outcome": r.outcome,
                "error": r.error or (r.reason if r.outcome != OutcomeKind.OK else None),
                "final_url": r.final_url,
                "redirects": r.redirects,
                "elapsed_ms": r.elapsed_ms,
            }
            for r in (latest[i] for i in ids)
        ],
    )
    # Plain rows and an executemany UPDATE: no ORM objects on the crawl's hot path.
    history: dict[int, list[CheckRecord]] = defaultdict(list)
    # Long enough for the thresholds the user set, bounded so history reads stay small.
    since = now - max(
        HISTORY_DAYS,
        timedelta(days=verdicts.transient_dead_after_days + 1),
        timedelta(hours=verdicts.dead_after_hours + 24),
    )
    for link_id, checked_at, outcome in session.execute(
        select(Check.link_id, Check.checked_at, Check.outcome)
        .where(Check.link_id.in_(ids), Check.checked_at >= since)
        .order_by(Check.link_id, Check.checked_at)
    ):
        history[link_id].append(CheckRecord(checked_at, outcome))
    statuses: dict[int, LinkStatus] = {}
    decisions: dict[int, StatusDecision] = {}
    updates: list[dict[str, Any]] = []
    for link_id in ids:
        r = latest[link_id]
        decision = status_from_history(
            history[link_id][-HISTORY_WINDOW:],
            now=max(now, r.checked_at),
            dead_after_checks=verdicts.dead_after_checks,
            dead_after_hours=verdicts.dead_after_hours,
            transient_dead_after_days=verdicts.transient_dead_after_days,
        )
        row: dict[str, Any] = {
            "id": link_id,
            "status": decision.status,
            "first_failed_at": decision.first_failed_at,
            "consecutive_failures": decision.consecutive_failures,
            "checked_at": r.checked_at,
            "http_status": r.http_status,
            "final_url": r.final_url,
            "error": None if decision.status == LinkStatus.OK else (r.error or r.reason),
            "next_check_at": now + ttl,
        }
        if r.outcome in CHANGED:
            row["error"] = f"{decision.reason}: {r.reason}"
        if r.etag is not None or r.last_modified is not None:
            row["etag"], row["last_modified"] = r.etag, r.last_modified
        if decision.status == LinkStatus.OK:
            row["last_ok_at"] = r.checked_at
        updates.append(row)
        statuses[link_id] = decision.status
        decisions[link_id] = decision
    session.execute(update(Link), updates)
    pages = [{"link_id": r.link_id, **r.metadata} for r in latest.values() if r.metadata]
    if pages:
        _upsert_metadata(session, pages)
    _references(session, [latest[i] for i in ids], decisions)
    return statuses


_GOOD = (OutcomeKind.OK.value, OutcomeKind.REDIRECT.value)
_CLEARED = {
    "change_kind": None,
    "change_reason": None,
    "change_title": None,
    "change_site_name": None,
    "change_lang": None,
    "change_host": None,
    "changed_at": None,
    "change_seen_at": None,
    "change_confirmed": False,
}


def _references(
    session: Session, results: list[Result], decisions: dict[int, StatusDecision]
) -> None:
    """Issue 16: a link's first good read of its page becomes its reference; a parked or
    replaced page is kept as the link's change (since when, confirmed or not); a good
    check clears it."""
    wanted = [r for r in results if r.outcome in CHANGED or (r.outcome in _GOOD and r.identity)]
    cleared = [r.link_id for r in results if r.outcome in _GOOD]
    if not wanted and not cleared:
        return
    rows = {
        ref.link_id: ref
        for ref in session.scalars(
            select(PageReference).where(
                PageReference.link_id.in_({r.link_id for r in wanted} | set(cleared))
            )
        )
    }
    for r in results:
        ref = rows.get(r.link_id)
        if r.outcome in _GOOD:
            if ref is not None and ref.change_kind is not None:
                for key, value in _CLEARED.items():
                    setattr(ref, key, value)
            if r.identity and (ref is None or ref.taken_at is None):
                ref = ref or PageReference(link_id=r.link_id)
                for key in ("title", "site_name", "lang", "host", "sketch", "words"):
                    setattr(ref, key, r.identity.get(key))
                ref.taken_at = r.checked_at
                session.add(ref)
                rows[r.link_id] = ref
        elif r.outcome in CHANGED:
            ref = ref or PageReference(link_id=r.link_id, change_confirmed=False)
            after = r.identity or {}
            decision = decisions[r.link_id]
            ref.change_kind, ref.change_reason = r.outcome, r.reason
            ref.change_title, ref.change_site_name = after.get("title"), after.get("site_name")
            ref.change_lang, ref.change_host = after.get("lang"), after.get("host")
            ref.changed_at = decision.changed_since or r.checked_at
            ref.change_seen_at = r.checked_at
            ref.change_confirmed = decision.confirmed
            session.add(ref)
            rows[r.link_id] = ref
    session.flush()


# The fields of a Result that carry text from the web (headers, titles, error messages).
_WEB_TEXT = (
    "reason",
    "final_url",
    "error",
    "redirects",
    "etag",
    "last_modified",
    "metadata",
    "identity",
)


def _storable(r: Result) -> Result:
    """``r`` with its web text cleaned (catalog.webtext): no NUL, which PostgreSQL's text
    refuses (the whole batch would fail) where SQLite keeps it, no control characters, no
    bidi overrides; a hostile page can send any of them."""
    if not any(needs_cleaning(getattr(r, name)) for name in _WEB_TEXT):
        return r
    return replace(r, **{name: clean_web_value(getattr(r, name)) for name in _WEB_TEXT})


def _upsert_metadata(session: Session, rows: list[dict[str, Any]]) -> None:
    """One row per link: the latest read of its page replaces the previous one."""
    dialect = session.get_bind().dialect.name
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert_(PageMetadata)
    columns = [c for c in rows[0] if c != "link_id"]
    stmt = stmt.on_conflict_do_update(
        index_elements=["link_id"], set_={c: stmt.excluded[c] for c in columns}
    )
    session.execute(stmt, rows)


# host → [[HTTP status, how many of its links last answered it], ...]
HostAnswers = dict[str, list[list[int | None]]]


def host_answers(session: Session) -> HostAnswers:
    """Per host, how many of its checked links last answered each HTTP status (for the 403
    rule): ``{host: [[status, count], ...]}``, counted by the database, so its size grows
    with the hosts, not the links."""
    out: HostAnswers = defaultdict(list)
    rows = session.execute(
        select(Link.host, Link.http_status, func.count())
        .where(and_(Link.host.is_not(None), Link.checked_at.is_not(None)))
        .group_by(Link.host, Link.http_status)
        .execution_options(yield_per=1000)
    )
    for host, status, count in rows:
        if host is not None:
            out[host].append([status, count])
    return dict(out)


def page_references(session: Session, link_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The reference identities of these links (what each page was when listed), by link,
    read in one query: what ``[check] changed`` compares a page with."""
    columns = ("title", "site_name", "lang", "host", "sketch", "words")
    rows = session.scalars(
        select(PageReference).where(
            PageReference.link_id.in_(link_ids),
            PageReference.taken_at.is_not(None),
        )
    )
    return {r.link_id: {c: getattr(r, c) for c in columns} for r in rows}
