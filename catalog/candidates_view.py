"""The candidates found by discovery, as plain values for a report (the HTML report lists them).

Reads the catalog only: entries in state ``candidate``, their suggested section and their
URL. Formatters never touch the database; the report job calls ``candidates_for_report``
and hands the result to the formatter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalog.models import Document, Entry, Section
from catalog.vocabulary import EntryState


@dataclass(frozen=True)
class Candidate:
    id: int  # the entry id: `listkeeper candidates accept ID`
    title: str
    url: str
    section: str | None  # the suggested section's heading, None when none was suggested
    document: str
    origin: str  # feed | manual | ...
    origin_ref: str | None  # the feed's URL for a candidate found in a feed
    added_at: datetime


def candidates_for_report(session: Session, document_path: str | None = None) -> list[Candidate]:
    """Every candidate (of *document_path*, or of all documents), oldest first."""
    query = (
        select(Entry, Section.heading, Document.path)
        .join(Document, Entry.document_id == Document.id)
        .outerjoin(Section, Entry.section_id == Section.id)
        .where(Entry.state == EntryState.CANDIDATE)
        .options(selectinload(Entry.links))
        .order_by(Entry.added_at, Entry.id)
    )
    if document_path is not None:
        query = query.where(Document.path == document_path)
    out = []
    for entry, heading, doc in session.execute(query):
        links = sorted(entry.links, key=lambda el: el.position)
        out.append(
            Candidate(
                id=entry.id,
                title=entry.title,
                url=links[0].url if links else entry.key,
                section=heading,
                document=doc,
                origin=entry.origin,
                origin_ref=entry.origin_ref,
                added_at=entry.added_at,
            )
        )
    return out
