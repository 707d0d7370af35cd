"""Feeds the list follows, what they publish, and the candidates it becomes.

A feed's first successful poll is its baseline: its articles are recorded as seen and
none becomes a candidate (a list following 400 blogs does not want 8,000 candidates on
day one). From then on, an article not seen before and not already in the list (by
normalised URL, or by a listed page's canonical URL) becomes a candidate entry with a
suggested section; a maintainer accepts or rejects it, and accepted candidates appear at
the next render.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.errors import InputError
from catalog.feeds.model import FeedEntry
from catalog.models import Entry, EntryLink, Feed, FeedArticle, Link, PageMetadata, Section
from catalog.slugs import slugify
from catalog.suggest import letter_group, suggest_section, with_missing_letters
from catalog.urls import host_of, link_key, web_url
from catalog.vocabulary import EntryState, LinkKind, utcnow
from catalog.webtext import clean_web_value, needs_cleaning

RELAID_CARDS = 3  # cards on a listing page that, all unknown at once, mean a new layout


@dataclass(frozen=True)
class Poll:
    """What one poll of a feed gave, as the feeds pipeline hands it over."""

    feed_id: int
    http_status: int | None
    final_url: str | None = None
    moved_permanently: bool = False
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None  # no usable answer (network error, 4xx/5xx, unparseable)
    problem: str | None = None  # parsed, but malformed: reported, not fatal
    kind: str | None = None  # what the URL turned out to be, when not what was stored


@dataclass
class PollResult:
    feed_id: int
    seen: int = 0
    new_articles: int = 0
    candidates: int = 0
    moved_to: str | None = None
    baseline: bool = False


def valid_feed_url(url: str) -> str:
    """``url`` through the URL gate (catalog.urls.web_url); ``InputError`` unless it is an
    http(s) URL with a host."""
    gated = web_url(url)
    if gated is None:
        raise InputError(f"{url.strip()}: a feed URL is an http:// or https:// URL with a host")
    return gated


def add_feed(
    session: Session,
    url: str,
    *,
    title: str | None = None,
    section: str | None = None,
    site_url: str | None = None,
    kind: str = "feed",
) -> tuple[Feed, bool]:
    """Follow a feed (``kind``: feed, sitemap or listing); returns it and whether it is new."""
    url = valid_feed_url(url)
    feed = session.scalar(select(Feed).where(Feed.url == url))
    if feed is not None:
        return feed, False
    site_url = web_url(site_url)
    feed = Feed(url=url, title=title, section_hint=section, site_url=site_url, kind=kind)
    session.add(feed)
    session.flush()
    return feed, True


def record_poll(
    session: Session,
    poll: Poll,
    entries: Sequence[FeedEntry],
    *,
    document_id: int | None,
    rules: Sequence[object] = (),
) -> PollResult:
    """Store one poll: the feed's state, the articles seen, and the new candidates.

    Everything here came from the web: each URL goes through the one gate
    (catalog.urls.web_url; an entry whose link is not http(s) is no article), each text
    through the one cleaner (catalog.webtext: no NUL, controls or bidi overrides).
    """
    now = utcnow()
    poll, entries = _clean_poll(poll), [_clean_entry(e) for e in entries]
    feed = session.get(Feed, poll.feed_id)
    if feed is None:
        return PollResult(poll.feed_id)
    result = PollResult(feed.id)
    feed.last_polled_at = now
    if poll.error is not None:
        feed.failures += 1
        feed.last_error = poll.error
        return result
    feed.failures = 0
    feed.last_error = poll.problem
    if poll.kind:
        feed.kind = poll.kind
    target = poll.final_url if poll.moved_permanently else None
    if (
        target
        and target != feed.url
        and not session.scalar(select(Feed.id).where(Feed.url == target))
    ):
        feed.url = result.moved_to = target
    if poll.http_status == 304:
        return result
    feed.etag, feed.last_modified = poll.etag, poll.last_modified
    known = set(session.scalars(select(FeedArticle.guid).where(FeedArticle.feed_id == feed.id)))
    result.baseline = not known  # no article ever seen from this feed: the baseline poll
    if feed.kind == "listing" and _relaid(known, entries):
        result.baseline = True  # new addresses for everything: a new baseline, not N articles
    fresh = [e for e in entries if e.guid not in known and e.url]
    result.seen = len(entries)
    result.new_articles = len(fresh)
    unique: dict[str, FeedEntry] = {}
    for e in fresh:
        unique.setdefault(e.guid, e)
    sections = _sections(session, document_id) if document_id is not None else {}
    for e in unique.values():
        article = FeedArticle(
            feed_id=feed.id,
            guid=e.guid[:2048],
            url=e.url,
            title=e.title,
            summary=e.summary,
            published=e.published,
            seen_at=now,
        )
        session.add(article)
        if result.baseline or document_id is None or _already_listed(session, document_id, e.url):
            continue
        article.entry_id = _candidate(session, document_id, feed, e, sections, rules).id
        result.candidates += 1
    session.flush()
    return result


def _clean_poll(poll: Poll) -> Poll:
    final_url = web_url(poll.final_url)
    texts = [poll.error, poll.problem, poll.etag, poll.last_modified]
    if final_url == poll.final_url and not needs_cleaning(texts):
        return poll
    error, problem, etag, last_modified = clean_web_value(texts)
    return replace(
        poll,
        final_url=final_url,
        error=error,
        problem=problem,
        etag=etag,
        last_modified=last_modified,
    )


def _clean_entry(e: FeedEntry) -> FeedEntry:
    url = web_url(e.url) or ""
    texts = [e.guid, e.title, e.summary]
    if url == e.url and not needs_cleaning([*texts, *e.authors]):
        return e
    guid, title, summary = clean_web_value(texts)
    return replace(
        e,
        url=url,
        guid=guid or url,
        title=title,
        summary=summary,
        authors=clean_web_value(e.authors),
    )


def _relaid(known: set[str], entries: Sequence[FeedEntry]) -> bool:
    """A listing page whose cards all point at addresses never seen, several of them: the
    page changed its layout or its addresses, it did not publish a page of articles at once."""
    return len(entries) >= RELAID_CARDS and not any(e.guid in known for e in entries)


def _already_listed(session: Session, document_id: int, url: str) -> bool:
    key = link_key(url)
    in_list = session.scalar(
        select(Entry.id).where(Entry.document_id == document_id, Entry.key == key).limit(1)
    )
    if in_list is not None:
        return True
    # A listed page may have been written under another URL whose canonical is this one.
    return (
        session.scalar(
            select(PageMetadata.link_id)
            .join(EntryLink, EntryLink.link_id == PageMetadata.link_id)
            .join(Entry, Entry.id == EntryLink.entry_id)
            .where(Entry.document_id == document_id, PageMetadata.canonical.in_((url, key)))
            .limit(1)
        )
        is not None
    )


def _sections(session: Session, document_id: int) -> dict[str, list[str]]:
    """Section heading → titles of its listed entries (what suggestions learn from), with
    the letter groups the list has no heading for yet (empty), so that a new company under
    E finds "E companies" even before the list has one."""
    out: dict[str, list[str]] = defaultdict(list)
    rows = session.execute(
        select(Section.heading, Entry.title)
        .join(Entry, Entry.section_id == Section.id)
        .where(Entry.document_id == document_id, Entry.state == EntryState.LISTED)
        .order_by(Section.position, Entry.position, Entry.id)  # suggestion ties: one order
    )
    for heading, title in rows:
        out[heading].append(title)
    return with_missing_letters(dict(out))


def section_id(session: Session, document_id: int, heading: str) -> int | None:
    """The section named ``heading`` (any case); for a letter group the list has no heading
    for yet ("E companies" beside "A companies"), a section made for it: the next render
    writes its heading in order, and the next import finds it by its anchor."""
    found = session.scalar(
        select(Section.id)
        .where(
            Section.document_id == document_id,
            func.lower(Section.heading) == heading.lower(),
            Section.present.is_(True),
        )
        .order_by(Section.position)
        .limit(1)
    )
    group = letter_group(heading)
    if found is not None or group is None:
        return found
    letter, family = group
    siblings = [
        s
        for s in session.scalars(
            select(Section).where(Section.document_id == document_id, Section.present.is_(True))
        )
        if (g := letter_group(s.heading)) is not None and g[1] == family
    ]
    if not siblings:
        return None  # no such family: a typo, not a new group
    name = f"{letter} {siblings[0].heading.strip().split(' ', 1)[1].strip()}"
    anchor = slugify(name)
    section = session.scalar(
        select(Section).where(Section.document_id == document_id, Section.anchor == anchor)
    )
    if section is None:
        model = max(siblings, key=lambda s: s.position)
        parent = model.path.rsplit(" > ", 1)[0] + " > " if " > " in model.path else ""
        section = Section(
            document_id=document_id,
            heading=name,
            path=parent + name,
            level=model.level,
            anchor=anchor,
            line=model.line,
            position=model.position,
            present=False,  # not in the README until the next render writes it
        )
        session.add(section)
        session.flush()
    return section.id


def _candidate(
    session: Session,
    document_id: int,
    feed: Feed,
    e: FeedEntry,
    sections: dict[str, list[str]],
    rules: Sequence[object],
) -> Entry:
    key = link_key(e.url)
    link = session.scalar(select(Link).where(Link.key == key))
    if link is None:
        link = Link(key=key, url=e.url, kind=LinkKind.EXTERNAL, host=host_of(e.url))
        session.add(link)
        session.flush()
    title = e.title or e.url
    suggestion = suggest_section(
        title,
        e.url,
        sections=sections,
        feed_hint=feed.section_hint,
        rules=rules,  # type: ignore[arg-type]
    )
    suggested = None
    if suggestion is not None and suggestion.section:
        suggested = section_id(session, document_id, suggestion.section)
    entry = Entry(
        document_id=document_id,
        section_id=suggested,
        key=key,
        title=title,
        description=None,
        state=EntryState.CANDIDATE,
        origin="feed",
        origin_ref=feed.url,
        line=None,
        position=0,
    )
    entry.links = [EntryLink(position=0, link_id=link.id, role="primary", text=title, url=e.url)]
    session.add(entry)
    session.flush()
    return entry


def decide(session: Session, entry_id: int, *, accept: bool, section: str | None = None) -> Entry:
    """Accept (optionally into ``section``) or reject a candidate."""
    entry = session.get(Entry, entry_id)
    if entry is None or entry.state not in (EntryState.CANDIDATE, EntryState.REJECTED):
        raise InputError(f"no candidate with id {entry_id} (see `listkeeper candidates`)")
    if section is not None:
        chosen = section_id(session, entry.document_id, section)
        if chosen is None:
            raise InputError(f"no section “{section}” in the list")
        entry.section_id = chosen
    if accept and entry.section_id is None:
        raise InputError(f"candidate {entry_id} has no section yet: pass --section")
    entry.state = EntryState.LISTED if accept else EntryState.REJECTED
    entry.updated_at = utcnow()
    return entry
