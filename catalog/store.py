"""Write side of a check: append results to the history and recompute each link's status.

One call is one batch in one transaction: a crash loses at most the batch in flight, and the
links it held stay due for the next run. A batch that names a link twice keeps the last
result (PostgreSQL refuses an upsert that touches a row twice).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.orm import Session

from catalog.config import Verdicts
from catalog.models import Check, Link, LinkKind, LinkStatus, utcnow
from catalog.verdicts import OutcomeKind, status_from_history

HISTORY_WINDOW = 20  # the checks a verdict looks back on


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


@dataclass(frozen=True)
class DueLink:
    id: int
    url: str
    kind: LinkKind
    host: str | None
    etag: str | None
    last_modified: str | None
    status: LinkStatus


def due_links(
    session: Session, *, now: datetime | None = None, all_links: bool = False, chunk: int = 1000
) -> Iterator[DueLink]:
    """Links never checked or past their time-to-live, streamed (memory stays flat)."""
    now = now or utcnow()
    stmt = select(
        Link.id, Link.url, Link.kind, Link.host, Link.etag, Link.last_modified, Link.status
    ).order_by(Link.id)
    if not all_links:
        stmt = stmt.where(or_(Link.next_check_at.is_(None), Link.next_check_at <= now))
    for row in session.execute(stmt.execution_options(yield_per=chunk)):
        yield DueLink(*row)


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
        latest[r.link_id] = r  # merged: one row per link per batch
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
    history: dict[int, list[Check]] = defaultdict(list)
    for check in session.scalars(
        select(Check).where(Check.link_id.in_(ids)).order_by(Check.link_id, Check.checked_at)
    ):
        history[check.link_id].append(check)
    statuses: dict[int, LinkStatus] = {}
    for link in session.scalars(select(Link).where(Link.id.in_(ids))):
        r = latest[link.id]
        decision = status_from_history(
            history[link.id][-HISTORY_WINDOW:],
            now=max(now, r.checked_at),
            dead_after_checks=verdicts.dead_after_checks,
            dead_after_hours=verdicts.dead_after_hours,
            transient_dead_after_days=verdicts.transient_dead_after_days,
        )
        link.status = decision.status
        link.first_failed_at = decision.first_failed_at
        link.consecutive_failures = decision.consecutive_failures
        link.checked_at = r.checked_at
        link.http_status = r.http_status
        link.final_url = r.final_url
        link.error = None if decision.status == LinkStatus.OK else (r.error or r.reason)
        if r.etag is not None or r.last_modified is not None:
            link.etag, link.last_modified = r.etag, r.last_modified
        if decision.status == LinkStatus.OK:
            link.last_ok_at = r.checked_at
        link.next_check_at = now + ttl
        statuses[link.id] = decision.status
    return statuses


def host_answers(session: Session) -> dict[str, list[int | None]]:
    """Per host, the last HTTP status of each of its links (for the 403 rule)."""
    out: dict[str, list[int | None]] = defaultdict(list)
    rows = session.execute(
        select(Link.host, Link.http_status).where(
            and_(Link.host.is_not(None), Link.checked_at.is_not(None))
        )
    )
    for host, status in rows:
        if host is not None:
            out[host].append(status)
    return dict(out)
