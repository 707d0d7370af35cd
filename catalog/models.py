"""The catalog's SQLAlchemy 2 models: one typed class per table.

The README owns what the list contains (documents, sections, entries and the links in
them); the catalog owns what was learned about each link (checks, metadata) and what was
found outside the README (feeds, articles, candidates). The same models run on SQLite and
PostgreSQL; ``migrations/`` holds the Alembic history that ``alembic check`` keeps equal to
them.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from catalog.vocabulary import EntryState, LinkKind, LinkStatus, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware.

    SQLite has no timezone type and hands back naive datetimes; this keeps the Python
    side identical on both databases.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _enum(cls: type[enum.Enum]) -> SAEnum:
    # Stored as plain strings (no native ENUM type, no CHECK) so that a later issue can add
    # a value without a migration on PostgreSQL.
    return SAEnum(
        cls,
        native_enum=False,
        create_constraint=False,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
        LinkStatus: _enum(LinkStatus),
        LinkKind: _enum(LinkKind),
        EntryState: _enum(EntryState),
    }


class Document(Base):
    """A README (or any Markdown list) that the catalog keeps."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(1024), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    imported_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sections: Mapped[list[Section]] = relationship(
        back_populates="document", order_by="Section.position"
    )


class Section(Base):
    """A heading of a document, with the GitHub anchor it gets."""

    __tablename__ = "sections"
    __table_args__ = (UniqueConstraint("document_id", "anchor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    heading: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text)  # "System Design > A companies"
    level: Mapped[int]
    anchor: Mapped[str] = mapped_column(String(512))  # with GitHub's -1, -2 suffixes
    line: Mapped[int]
    position: Mapped[int]
    present: Mapped[bool] = mapped_column(default=True)

    document: Mapped[Document] = relationship(back_populates="sections")


class Link(Base):
    """One row per distinct URL, whatever the number of places it is listed."""

    __tablename__ = "links"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(2048), unique=True)  # normalised URL
    url: Mapped[str] = mapped_column(Text)  # as first written
    kind: Mapped[LinkKind]
    host: Mapped[str | None] = mapped_column(String(255), index=True)
    status: Mapped[LinkStatus] = mapped_column(default=LinkStatus.UNCHECKED, index=True)
    http_status: Mapped[int | None]
    final_url: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(String(64))
    checked_at: Mapped[datetime | None]
    next_check_at: Mapped[datetime | None] = mapped_column(index=True)
    first_failed_at: Mapped[datetime | None]
    last_ok_at: Mapped[datetime | None]
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Entry(Base):
    """An item of a list: a bullet or a table row, or a candidate found in a feed."""

    __tablename__ = "entries"
    __table_args__ = (Index("ix_entries_document_state", "document_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    section_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id", ondelete="SET NULL"))
    key: Mapped[str] = mapped_column(String(2048))  # the primary link's key: identity
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)
    line: Mapped[int | None]
    state: Mapped[EntryState] = mapped_column(default=EntryState.LISTED)
    origin: Mapped[str] = mapped_column(String(32), default="readme")  # readme | feed | manual
    origin_ref: Mapped[str | None] = mapped_column(Text)  # feed URL, article id, ...
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None]

    links: Mapped[list[EntryLink]] = relationship(
        order_by="EntryLink.position", cascade="all, delete-orphan"
    )


class EntryLink(Base):
    """The links of an entry, in order, each with its role (primary, part 2, archive...)."""

    __tablename__ = "entry_links"

    entry_id: Mapped[int] = mapped_column(
        ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32), default="primary")
    text: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(Text)  # as written in this entry, rendered back as is

    link: Mapped[Link] = relationship()


class Occurrence(Base):
    """Where a link is written in a document: every link, entry or not, with its line."""

    __tablename__ = "occurrences"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    link_id: Mapped[int] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id", ondelete="SET NULL"))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entries.id", ondelete="SET NULL"))
    line: Mapped[int]
    text: Mapped[str] = mapped_column(Text, default="")
    written: Mapped[str] = mapped_column(Text)  # the URL exactly as in the file
    syntax: Mapped[str] = mapped_column(String(16))  # inline | reference | autolink | html | bare


class Check(Base):
    """One check of one link: the append-only history that verdicts are computed from."""

    __tablename__ = "checks"
    __table_args__ = (Index("ix_checks_link_checked", "link_id", "checked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    method: Mapped[str | None] = mapped_column(String(8))
    http_status: Mapped[int | None]
    outcome: Mapped[str] = mapped_column(String(16))  # ok | redirect | permanent | transient ...
    error: Mapped[str | None] = mapped_column(Text)
    final_url: Mapped[str | None] = mapped_column(Text)
    redirects: Mapped[list[Any] | None]  # [[status, url], ...] hop by hop
    elapsed_ms: Mapped[int | None]


class RepositoryFacts(Base):
    """What the GitHub API said about a repository link at one check: append-only history,
    like ``checks`` (the reports read each link's last row)."""

    __tablename__ = "repository_facts"
    __table_args__ = (Index("ix_repository_facts_link_id", "link_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    name_with_owner: Mapped[str] = mapped_column(String(255))
    archived: Mapped[bool] = mapped_column(default=False)
    archived_at: Mapped[datetime | None]
    disabled: Mapped[bool] = mapped_column(default=False)
    fork: Mapped[bool] = mapped_column(default=False)
    mirror: Mapped[bool] = mapped_column(default=False)
    empty: Mapped[bool] = mapped_column(default=False)
    private: Mapped[bool] = mapped_column(default=False)
    pushed_at: Mapped[datetime | None]
    last_commit_at: Mapped[datetime | None]  # the default branch's last commit
    stars: Mapped[int | None]
    stale: Mapped[bool] = mapped_column(default=False)  # as of checked_at
    renamed: Mapped[bool] = mapped_column(default=False)


class PageMetadata(Base):
    """What a link's page says about itself, from its last GET."""

    __tablename__ = "page_metadata"

    link_id: Mapped[int] = mapped_column(
        ForeignKey("links.id", ondelete="CASCADE"), primary_key=True
    )
    title: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    site_name: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[Any] | None]
    published: Mapped[datetime | None]  # the instant (stored in UTC, as every timestamp)
    # Minutes east of UTC at which the page wrote it: the day a reader sees is that of
    # published_local (2020-06-03T03:01+04:00 is June 3rd, 23:01 UTC on June 2nd).
    published_offset: Mapped[int | None] = mapped_column(SmallInteger)
    modified: Mapped[datetime | None]
    lang: Mapped[str | None] = mapped_column(String(32))
    canonical: Mapped[str | None] = mapped_column(Text)
    image: Mapped[str | None] = mapped_column(Text)
    feeds: Mapped[list[Any] | None]
    word_count: Mapped[int | None]
    reading_minutes: Mapped[int | None]
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def published_local(self) -> datetime | None:
        """``published`` at the page's own offset: its ``date()`` is the page's day."""
        if self.published is None or not self.published_offset:
            return self.published
        return self.published.astimezone(timezone(timedelta(minutes=self.published_offset)))


def offset_minutes(value: datetime | None) -> int | None:
    """The UTC offset of an aware ``value`` in minutes (what ``published_offset`` holds)."""
    offset = value.utcoffset() if value is not None else None
    return None if offset is None else int(offset.total_seconds()) // 60


class PageReference(Base):
    """What a link's page was on its first good check, and what it became if it changed.

    The reference (title, site name, language, canonical host, a sketch of the main text)
    is taken once; later checks that read the page compare with it (``pipelines.changed``).
    The ``change_*`` columns hold the latest page that was no longer what was listed (a
    lander, another page) and since when; they are cleared when the page is itself again.
    """

    __tablename__ = "page_references"

    link_id: Mapped[int] = mapped_column(
        ForeignKey("links.id", ondelete="CASCADE"), primary_key=True
    )
    title: Mapped[str | None] = mapped_column(Text)
    site_name: Mapped[str | None] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(32))
    host: Mapped[str | None] = mapped_column(String(255))
    sketch: Mapped[str | None] = mapped_column(Text)  # hex shingle hashes (identity.sketch)
    words: Mapped[int | None]
    taken_at: Mapped[datetime | None]
    change_kind: Mapped[str | None] = mapped_column(String(16))  # parked | replaced
    change_reason: Mapped[str | None] = mapped_column(Text)
    change_title: Mapped[str | None] = mapped_column(Text)
    change_site_name: Mapped[str | None] = mapped_column(Text)
    change_lang: Mapped[str | None] = mapped_column(String(32))
    change_host: Mapped[str | None] = mapped_column(String(255))
    changed_at: Mapped[datetime | None]  # the first check of the current change
    change_seen_at: Mapped[datetime | None]  # the latest
    change_confirmed: Mapped[bool] = mapped_column(default=False)


class Feed(Base):
    """A feed (RSS, Atom, JSON Feed, sitemap) that the list follows."""

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    site_url: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16), default="feed")  # feed | sitemap | listing
    section_hint: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(String(64))
    last_polled_at: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class FeedArticle(Base):
    """An article seen in a feed; a new one becomes a candidate entry."""

    __tablename__ = "feed_articles"
    __table_args__ = (UniqueConstraint("feed_id", "guid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    guid: Mapped[str] = mapped_column(String(2048))
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    published: Mapped[datetime | None]
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entries.id", ondelete="SET NULL"))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Run(Base):
    """One run of a job (import, check, discover, render, report, pr, run)."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")
    stats: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(Text)


class Lock(Base):
    """A named lock between processes sharing a catalog (two runs never overlap).

    It expires, so a run that crashed or was killed cannot hold it forever; a holder on
    the same machine whose process is gone is taken over at once.
    """

    __tablename__ = "locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))  # "host:pid"
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


__all__ = [
    "Base",
    "Check",
    "Document",
    "Entry",
    "EntryLink",
    "EntryState",
    "Feed",
    "FeedArticle",
    "Link",
    "LinkKind",
    "LinkStatus",
    "Lock",
    "Occurrence",
    "PageMetadata",
    "PageReference",
    "RepositoryFacts",
    "Run",
    "Section",
    "offset_minutes",
    "utcnow",
]
