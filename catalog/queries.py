"""Read-side queries: functions that take a Session and return plain typed rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Document, Entry, EntryLink, Link, PageMetadata, Section
from catalog.repos import Facts, latest_facts
from catalog.vocabulary import EntryState, LinkStatus


@dataclass(frozen=True)
class RenderLink:
    url: str
    text: str
    role: str
    status: LinkStatus = LinkStatus.UNCHECKED
    repository: Facts | None = None  # a GitHub repository's facts, for templates that show them


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
    # The entry as its contributor wrote it (list marker "- ", continuation lines kept),
    # when the template's form would lose or move some of it: templates write it instead.
    source: str = ""

    @property
    def url(self) -> str:
        return self.links[0].url if self.links else ""

    @property
    def repository(self) -> Facts | None:
        """The facts of the entry's first link, when it is a GitHub repository."""
        return self.links[0].repository if self.links else None


def document_by_path(session: Session, path: str) -> Document | None:
    return session.scalar(select(Document).where(Document.path == path))


def render_entries(session: Session, document_id: int) -> list[RenderEntry]:
    """The listed entries of a document, in README order, with their links.

    Two flat queries rather than ORM objects: a list of 100,000 entries renders without
    building 300,000 mapped instances.
    """
    listed = (Entry.document_id == document_id, Entry.state == EntryState.LISTED)
    links: dict[int, list[RenderLink]] = defaultdict(list)
    linked = select(EntryLink.link_id).join(Entry, EntryLink.entry_id == Entry.id).where(*listed)
    facts = latest_facts(session, linked.scalar_subquery())
    for entry_id, link_id, url, text, role, status in session.execute(
        select(
            EntryLink.entry_id,
            EntryLink.link_id,
            EntryLink.url,
            EntryLink.text,
            EntryLink.role,
            Link.status,
        )
        .join(Link, EntryLink.link_id == Link.id)
        .join(Entry, EntryLink.entry_id == Entry.id)
        .where(*listed)
        .order_by(EntryLink.entry_id, EntryLink.position)
    ):
        links[entry_id].append(
            RenderLink(url=url, text=text, role=role, status=status, repository=facts.get(link_id))
        )
    rows = session.execute(
        select(
            Entry.id,
            Entry.title,
            Entry.description,
            Section.heading,
            Entry.position,
            Entry.line,
            Entry.added_at,
        )
        .outerjoin(Section, Entry.section_id == Section.id)
        .where(*listed)
        .order_by(Entry.line.is_(None), Entry.position, Entry.added_at, Entry.id)
    )
    return [
        RenderEntry(
            id=id_,
            title=title,
            description=description or "",
            section=heading or "",
            position=position,
            line=line,
            added_at=added_at,
            links=tuple(links.get(id_, ())),
        )
        for id_, title, description, heading, position, line, added_at in rows
    ]


def page_texts(session: Session, keys: Iterable[str], batch: int = 500) -> dict[str, str]:
    """Link key -> what its page said about itself at its last check (site name, title,
    description), for the links that have stored metadata."""
    wanted = sorted(set(keys))
    out: dict[str, str] = {}
    for start in range(0, len(wanted), batch):
        rows = session.execute(
            select(Link.key, PageMetadata.site_name, PageMetadata.title, PageMetadata.description)
            .join(PageMetadata, PageMetadata.link_id == Link.id)
            .where(Link.key.in_(wanted[start : start + batch]))
        )
        for key, *parts in rows:
            out[key] = " ".join(part for part in parts if part)
    return out
