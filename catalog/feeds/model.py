"""What the feed functions return: plain data, no I/O, no database, no Scrapy."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

FeedKind = Literal["rss", "atom", "json", "sitemap", "listing"]

SUMMARY_CHARS = 300  # a summary is plain text cut at a word boundary to about this length


class FeedError(ValueError):
    """Nothing at all could be read from a body: not a feed, or an empty document.

    A feed that is malformed but yields a title or entries never raises; its problem is
    reported in ``ParsedFeed.problem`` instead.
    """


@dataclass(frozen=True)
class FeedEntry:
    """One article announced by a feed, a sitemap or an article listing page."""

    guid: str  # the entry's id as given, else its URL, else a digest of what it has
    url: str  # absolute; "" only when the source gives no link at all
    title: str | None
    summary: str | None = None  # plain text, at most about SUMMARY_CHARS characters
    published: datetime | None = None  # aware, in the offset written (UTC if none is)
    authors: tuple[str, ...] = ()
    updated: datetime | None = None  # last modification (sitemaps' lastmod lands in both)
    reading_minutes: int | None = None  # "5 min read" on listing cards


@dataclass
class ParsedFeed:
    kind: FeedKind
    url: str  # the URL the body was fetched from (the base for relative links)
    title: str | None = None
    site_url: str | None = None  # the site's home page, absolute, when the feed names it
    entries: list[FeedEntry] = field(default_factory=list)
    bozo: bool = False  # malformed: parsed as far as it goes
    problem: str | None = None  # what was wrong, one line, when bozo
    version: str | None = None  # "rss20", "atom10", "json11", "urlset", ... as detected
    sitemaps: list[str] = field(default_factory=list)  # a sitemap index's child sitemaps


@dataclass(frozen=True)
class OpmlFeed:
    title: str | None
    xml_url: str
    html_url: str | None = None
    category: str | None = None  # the enclosing outline's title, when feeds are grouped


_SPACE = re.compile(r"\s+")


def collapse(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def shorten(text: str, limit: int = SUMMARY_CHARS) -> str:
    """Collapse whitespace and cut at a word boundary, marking a cut with an ellipsis."""
    text = collapse(text)
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"


def html_document(html: str) -> object | None:
    """lxml's tree of an HTML page given as text (None when it has no elements at all).

    lxml refuses str input that carries an XML encoding declaration (XHTML pages); such
    text is parsed as UTF-8 bytes instead.
    """
    import lxml.etree
    import lxml.html

    try:
        return lxml.html.document_fromstring(html)
    except ValueError:
        parser = lxml.html.HTMLParser(encoding="utf-8")
        try:
            return lxml.html.document_fromstring(html.encode("utf-8"), parser=parser)
        except (lxml.etree.ParserError, ValueError):
            return None
    except lxml.etree.ParserError:
        return None


def read_xml(body: bytes, what: str) -> tuple[Any, list[str]]:
    """A recovering, safe parse (no entities, no network): the root and lxml's complaints.

    ``FeedError`` when nothing at all could be read as XML.
    """
    import lxml.etree

    parser = lxml.etree.XMLParser(
        recover=True,
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
    )
    try:
        root = lxml.etree.fromstring(body, parser=parser)
    except lxml.etree.XMLSyntaxError as exc:
        raise FeedError(f"{what} is not XML: {exc}") from exc
    if root is None:
        raise FeedError(f"{what} is empty")
    return root, [str(error) for error in parser.error_log]
