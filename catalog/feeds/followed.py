"""What a followed URL is, and what one poll of it publishes: a feed, a sitemap, or a listing.

A blog without a feed still has a page that lists its articles; ``feeds add`` reads the
page once to tell which it is (``identify``), and each ``discover`` reads it by its kind
(``read_followed``). Pure: bytes in, data out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from catalog.feeds.advertised import discover_feeds
from catalog.feeds.listing import parse_listing
from catalog.feeds.model import FeedEntry, FeedError, ParsedFeed
from catalog.feeds.parse import parse_feed
from catalog.metadata.decode import decode_html

Kind = Literal["feed", "sitemap", "listing"]

# A page is taken for a listing at `feeds add` only with this many cards: one linked
# heading is any article page's title.
MIN_CARDS = 2
NO_CARDS = (
    "no article cards on the listing page (its layout changed, or it is rendered by JavaScript)"
)


@dataclass(frozen=True)
class Identified:
    """What ``identify`` made of a page: a kind to follow it as, or why not."""

    kind: Kind | None  # None: neither a feed nor a listing page
    entries: list[FeedEntry] = field(default_factory=list)
    advertised: list[str] = field(default_factory=list)  # feeds the HTML page names
    reason: str = ""  # when kind is None: why, in one phrase


def _html(body: bytes, content_type: str | None) -> str | None:
    """The text of a body that is an HTML page, else None."""
    head = body[:2048].lstrip().lower()
    if not (
        (content_type or "").split(";")[0].strip().lower() in ("text/html", "application/xhtml+xml")
        or head.startswith((b"<!doctype html", b"<html"))
        or b"<body" in body[:65536].lower()
    ):
        return None
    return decode_html(body, content_type)


def identify(body: bytes, url: str, content_type: str | None = None) -> Identified:
    """A feed or sitemap as such; an HTML page by the feed it advertises, else by its cards."""
    try:
        parsed = parse_feed(body, url, content_type=content_type)
    except FeedError as exc:
        error = str(exc)
    else:
        return Identified("sitemap" if parsed.kind == "sitemap" else "feed", parsed.entries)
    html = _html(body, content_type)
    if html is None:
        return Identified(None, reason=f"not a feed ({error}) and not an HTML page")
    advertised = discover_feeds(html, url)
    if advertised:
        return Identified(None, advertised=advertised, reason="an HTML page with a feed")
    cards = parse_listing(html, url)
    if len(cards) < MIN_CARDS:
        return Identified(
            None,
            reason="an HTML page with no feed advertised and no article cards "
            "(a page rendered by JavaScript?)",
        )
    return Identified("listing", cards)


def read_followed(
    body: bytes, url: str, kind: str, content_type: str | None = None
) -> tuple[ParsedFeed, Kind | None]:
    """One poll's articles, and the kind the URL turned out to be when it is not ``kind``.

    A listing page is read for its cards (none at all is a ``FeedError``: the layout
    changed). A feed that answers with an HTML page of cards and no feed (followed before
    ``feeds add`` told them apart) is read as a listing from then on; one that advertises
    a feed says which to follow.
    """
    if kind == "listing":
        html = _html(body, content_type)
        cards = parse_listing(html, url) if html is not None else []
        if not cards:
            raise FeedError(NO_CARDS)
        return ParsedFeed(kind="listing", url=url, entries=cards), None
    try:
        return parse_feed(body, url, content_type=content_type), None
    except FeedError as exc:
        found = identify(body, url, content_type)
        if found.kind == "listing":
            return ParsedFeed(kind="listing", url=url, entries=found.entries), "listing"
        if found.advertised:
            raise FeedError(
                f"an HTML page that advertises the feed {found.advertised[0]}: "
                f"follow that one (`listkeeper feeds add {found.advertised[0]}`)"
            ) from exc
        raise
