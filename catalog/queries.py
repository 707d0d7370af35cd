"""Read-side queries: functions that take a Session and return plain typed rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from catalog.models import Document, Entry, EntryLink, EntryState, Link, LinkStatus, Section


@dataclass(frozen=True)
class RenderLink:
    url: str
    text: str
    role: str
    status: LinkStatus = LinkStatus.UNCHECKED


@dataclass(frozen=True)
class RenderEntry:
    """An entry as the renderer sees it."""

    id: int
    title: str
    description: str
    section: str  # the heading text of its section ("A companies"), "" if none
    position: int  # order in the README; entries not yet in it come last
    line: int | None  # where the README has it; None for accepted candidates not yet rendered
    added_at: datetime
    links: tuple[RenderLink, ...]

    @property
    def url(self) -> str:
        return self.links[0].url if self.links else ""


def document_by_path(session: Session, path: str) -> Document | None:
    return session.scalar(select(Document).where(Document.path == path))


def render_entries(session: Session, document_id: int) -> list[RenderEntry]:
    """The listed entries of a document, in README order, with their links."""
    rows = session.execute(
        select(Entry, Section.heading)
        .outerjoin(Section, Entry.section_id == Section.id)
        .where(Entry.document_id == document_id, Entry.state == EntryState.LISTED)
        .options(selectinload(Entry.links).selectinload(EntryLink.link))
        .order_by(Entry.line.is_(None), Entry.position, Entry.added_at, Entry.id)
    ).all()
    out = []
    for entry, heading in rows:
        links = tuple(
            RenderLink(url=el.url, text=el.text, role=el.role, status=el.link.status)
            for el in entry.links
        )
        out.append(
            RenderEntry(
                id=entry.id,
                title=entry.title,
                description=entry.description or "",
                section=heading or "",
                position=entry.position,
                line=entry.line,
                added_at=entry.added_at,
                links=links,
            )
        )
    return out


def counts(session: Session) -> dict[str, int]:
    """Row counts of the main tables, for summaries and tests."""
    return {
        "documents": session.scalar(select(func.count()).select_from(Document)) or 0,
        "sections": session.scalar(select(func.count()).select_from(Section)) or 0,
        "entries": session.scalar(select(func.count()).select_from(Entry)) or 0,
        "links": session.scalar(select(func.count()).select_from(Link)) or 0,
    }
