"""What the reports say about pages that answer but are no longer what was listed.

``changes`` reads, per link, the reference its first good check took and the page it became
(a lander, another page): kind, before and after (title, site name, host, language), since
when, confirmed or not. ``looks`` lists README entries whose text and the page's title
(as first read) have no word in common: worth a maintainer's look, not a verdict (a link
written "here" or "PDF" has no words to compare and is left out).

Plain typed values for ``catalog.reports`` and the formats; no Scrapy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.metadata.identity import title_words
from catalog.models import Document, Entry, Link, Occurrence, PageReference
from catalog.vocabulary import LinkStatus

LOOK_MIN_WORDS = 2  # link texts with fewer telling words are not compared
STEM = 5  # words compared by their first letters: "hashing" meets "hash", "caches" "cache"


@dataclass(frozen=True)
class PageSide:
    """One side of a change: what the page said it was."""

    title: str | None
    site_name: str | None
    host: str | None
    lang: str | None

    def parts(self) -> list[str]:
        """Title (or "(no title)"), then whichever of site, host and language are known."""
        return [
            self.title or "(no title)",
            *(v for v in (self.site_name, self.host, self.lang) if v),
        ]


@dataclass(frozen=True)
class PageChange:
    kind: str  # parked | replaced
    confirmed: bool
    reason: str
    changed_at: datetime | None  # the first check that saw it
    seen_at: datetime | None  # the latest
    before: PageSide | None  # None: no good check before (a lander on the first check)
    after: PageSide


@dataclass(frozen=True)
class Look:
    """A README entry whose text and the page's first title share no word."""

    url: str
    text: str
    title: str
    document: str
    line: int


def _change(ref: PageReference) -> PageChange:
    before = None
    if ref.taken_at is not None:
        before = PageSide(ref.title, ref.site_name, ref.host, ref.lang)
    return PageChange(
        kind=ref.change_kind or "",
        confirmed=bool(ref.change_confirmed),
        reason=ref.change_reason or "",
        changed_at=ref.changed_at,
        seen_at=ref.change_seen_at,
        before=before,
        after=PageSide(ref.change_title, ref.change_site_name, ref.change_host, ref.change_lang),
    )


def changes(session: Session, link_ids: Iterable[int] | None = None) -> dict[int, PageChange]:
    """The current change of every link that has one (of *link_ids*, when given)."""
    query = select(PageReference).where(PageReference.change_kind.is_not(None))
    if link_ids is not None:
        query = query.where(PageReference.link_id.in_(list(link_ids)))
    return {ref.link_id: _change(ref) for ref in session.scalars(query)}


def _stems(words: set[str]) -> set[str]:
    return {w[:STEM] for w in words}


def unrelated(text: str, title: str, *also_drop: str | None) -> bool:
    """True when *text* has words enough to compare and none of them is in *title*."""
    said = title_words(text)
    if len(said) < LOOK_MIN_WORDS:
        return False
    shown = title_words(title, *also_drop)
    return bool(shown) and not (_stems(said) & _stems(shown))


def looks(session: Session, document_path: str | None = None) -> tuple[Look, ...]:
    """README entries whose text and the page's title (its first good read) share nothing.

    Links already judged parked or replaced are left out: they have their verdict."""
    query = (
        select(
            Link.url,
            Occurrence.text,
            Entry.title,
            PageReference.title,
            PageReference.site_name,
            PageReference.host,
            Document.path,
            Occurrence.line,
        )
        .join(Link, Occurrence.link_id == Link.id)
        .join(PageReference, PageReference.link_id == Link.id)
        .join(Document, Occurrence.document_id == Document.id)
        .outerjoin(Entry, Occurrence.entry_id == Entry.id)
        .where(
            PageReference.taken_at.is_not(None),
            PageReference.change_kind.is_(None),
            Link.status != LinkStatus.SUSPECT,
        )
        .order_by(Document.path, Occurrence.line)
    )
    if document_path is not None:
        query = query.where(Document.path == document_path)
    out: list[Look] = []
    seen: set[tuple[str, str]] = set()
    for url, text, entry_title, title, site, host, doc, line in session.execute(query):
        said = (text or "").strip() or (entry_title or "").strip()
        if not title or (url, said) in seen:
            continue
        seen.add((url, said))
        if unrelated(said, title, site, host):
            out.append(Look(url=url, text=said, title=title, document=doc, line=line))
    return tuple(out)


__all__ = ["Look", "PageChange", "PageSide", "changes", "looks", "unrelated"]
