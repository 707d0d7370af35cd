"""parse_feed: RSS 0.9x/1.0/2.0 and Atom (feedparser), JSON Feed (json), sitemaps (lxml).

Pure: bytes in, ParsedFeed out. Never fetches anything: feedparser is handed a stream,
never a string that it could take for a URL, and the XML parsers neither resolve entities
nor touch the network.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser
import lxml.etree
import lxml.html

from catalog.datetimes import parse_datetime
from catalog.feeds.model import (
    FeedEntry,
    FeedError,
    ParsedFeed,
    collapse,
    read_xml,
    shorten,
)
from catalog.inflate import InflateError, inflate
from catalog.urls import web_url

MAX_DECOMPRESSED = 50 * 1024 * 1024  # a gzip body (sitemap.xml.gz) may not expand beyond this


def html_to_text(html: str | None) -> str:
    """Plain text of an HTML fragment (tags dropped, entities decoded, whitespace collapsed)."""
    if not html:
        return ""
    if "<" not in html and "&" not in html:
        return collapse(html)
    try:
        fragment = lxml.html.fragment_fromstring(html, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return collapse(html)
    for bad in fragment.xpath("//script|//style"):
        bad.drop_tree()
    return collapse(fragment.text_content())


def _absolute(link: str | None, base: str | None) -> str:
    """The entry's link through the one URL gate (catalog.urls.web_url): absolute http(s),
    else "" (a ``javascript:``, ``data:`` or ``file:`` link is no link)."""
    return web_url(link, base) or ""


def _is_web_url(value: str) -> bool:
    return urlsplit(value).scheme in ("http", "https")


def _digest(*parts: str | None) -> str:
    joined = "\x1f".join(part or "" for part in parts)
    return "sha1:" + hashlib.sha1(joined.encode("utf-8")).hexdigest()


def _gunzip(body: bytes) -> bytes:
    """Decompress a gzip body, refusing to expand it past MAX_DECOMPRESSED."""
    try:
        out, cut = inflate(body, "gzip", MAX_DECOMPRESSED)
    except InflateError as exc:
        raise FeedError(f"not a valid gzip body: {exc}") from exc
    if cut:
        raise FeedError(f"gzip body expands beyond {MAX_DECOMPRESSED} bytes")
    return out


def _sniff(body: bytes, content_type: str | None) -> str:
    """ "json", "sitemap" or "xml" (anything else goes to feedparser, which copes best)."""
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    ctype = (content_type or "").lower()
    if head.startswith((b"{", b"[")) or ("json" in ctype and not head.startswith(b"<")):
        return "json"
    lowered = head.lower()
    # the root element name, after the XML declaration, comments and doctype
    for root in (b"<urlset", b"<sitemapindex"):
        if root in lowered:
            index = lowered.find(root)
            before = lowered[:index]
            if b"<rss" not in before and b"<feed" not in before and b"<rdf" not in before:
                return "sitemap"
    return "xml"


def parse_feed(body: bytes, url: str, *, content_type: str | None = None) -> ParsedFeed:
    """Parse a feed body fetched from ``url``.

    RSS 0.9x/1.0/2.0 and Atom go through feedparser (which handles encodings, dates and
    much broken XML); JSON Feed 1.0/1.1 is read with ``json``; a sitemap (``urlset`` or
    ``sitemapindex``, gzip or not) yields one entry per ``<url><loc>`` with its lastmod,
    and a sitemap index lists its children in ``ParsedFeed.sitemaps``.

    Malformed feeds are parsed as far as they go: ``bozo`` is set and ``problem`` says what
    was wrong. ``FeedError`` is raised only when nothing usable came out (no title, no
    entries, not a sitemap).
    """
    if body[:2] == b"\x1f\x8b":
        body = _gunzip(body)
    kind = _sniff(body, content_type)
    if kind == "json":
        try:
            return _parse_json_feed(body, url)
        except FeedError:
            if body.lstrip()[:1] != b"<":
                raise
    if kind == "sitemap":
        return _parse_sitemap(body, url)
    return _parse_with_feedparser(body, url, content_type)


# -- RSS and Atom ------------------------------------------------------------------------


def _struct_to_datetime(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _entry_date(entry: dict[str, Any], key: str) -> datetime | None:
    """The entry's date as written, in its offset (the day the feed's readers see;
    feedparser's own reading is in UTC); else feedparser's reading (it knows more broken
    forms), else the other notations we read (``mer, 16 nov 2022 00:38:15 +0100``)."""
    written = dict.get(entry, key)
    return (
        parse_datetime(written, notations=False)
        or _struct_to_datetime(dict.get(entry, f"{key}_parsed"))
        or parse_datetime(written)
    )


def _authors(entry: Mapping[str, Any]) -> tuple[str, ...]:
    names: list[str] = []
    for author in entry.get("authors") or ():
        if not isinstance(author, Mapping):
            continue
        name = collapse(str(author.get("name") or author.get("email") or ""))
        if name and name not in names:
            names.append(name)
    if not names and entry.get("author"):
        names.append(collapse(str(entry["author"])))
    return tuple(names)


def _entry_link(entry: Mapping[str, Any], base: str) -> str:
    """The entry's web link, absolute; "" when it has none (a urn: or tag: id is no link)."""
    candidates: list[str] = []
    if entry.get("link"):
        candidates.append(str(entry["link"]))
    for link in entry.get("links") or ():
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            candidates.append(str(link["href"]))
    for candidate in candidates:
        absolute = _absolute(candidate, base)
        if absolute:
            return absolute
    return ""


def _entry_summary(entry: Mapping[str, Any]) -> str | None:
    text = html_to_text(entry.get("summary"))
    if not text:
        for content in entry.get("content") or ():
            text = html_to_text(content.get("value"))
            if text:
                break
    return shorten(text) if text else None


def _kind_of(version: str, body: bytes) -> str:
    if version.startswith("atom"):
        return "atom"
    if version.startswith("rss"):
        return "rss"
    head = body[:4096].lower()
    if b"<feed" in head and b"<rss" not in head:
        return "atom"
    return "rss"


_SOFT_PROBLEMS = (
    feedparser.NonXMLContentType,
    feedparser.CharacterEncodingOverride,
)


def _parse_with_feedparser(body: bytes, url: str, content_type: str | None) -> ParsedFeed:
    # without a content type feedparser flags every feed as NonXMLContentType
    headers = {"content-location": url, "content-type": content_type or "application/xml"}
    # a stream, never a str: feedparser fetches strings that look like URLs
    result = feedparser.parse(
        io.BytesIO(body), response_headers=headers, resolve_relative_uris=True
    )
    feed = result.get("feed", {})
    version = str(result.get("version") or "")
    title = collapse(html_to_text(feed.get("title"))) or None
    site_link = feed.get("link")
    site_url = _absolute(str(site_link), url) or None if site_link else None
    base = site_url or url
    entries: list[FeedEntry] = []
    for raw in result.get("entries", []):
        link = _entry_link(raw, url if _is_web_url(url) else base)
        entry_title = collapse(html_to_text(raw.get("title"))) or None
        # dict.get: FeedParserDict.get maps published_parsed to updated_parsed with a warning
        published = _entry_date(raw, "published")
        updated = _entry_date(raw, "updated")
        guid = str(raw.get("id") or "") or link or _digest(entry_title, raw.get("summary"))
        entries.append(
            FeedEntry(
                guid=guid,
                url=link,
                title=entry_title,
                summary=_entry_summary(raw),
                published=published or updated,
                authors=_authors(raw),
                updated=updated,
            )
        )
    bozo = bool(result.get("bozo"))
    problem = None
    if bozo:
        exc = result.get("bozo_exception")
        problem = collapse(f"{type(exc).__name__}: {exc}") if exc else "malformed feed"
        # a feed served as text/html or with a wrong charset header still parsed cleanly
        bozo = not isinstance(exc, _SOFT_PROBLEMS)
    if not entries and bozo:
        recovered = _recover_with_lxml(body, url)
        if recovered is not None:
            recovered.problem = problem
            return recovered
    if not entries and not title and (bozo or not version):
        raise FeedError(problem or "not a feed: no channel, no entries")
    return ParsedFeed(
        kind="atom" if _kind_of(version, body) == "atom" else "rss",
        url=url,
        title=title,
        site_url=site_url,
        entries=entries,
        bozo=bozo,
        problem=problem,
        version=version or None,
    )


_FEED_START = re.compile(rb"<(?:[a-z]+:)?(?:rss|feed|rdf|channel)\b", re.IGNORECASE)


_START_TAG = re.compile(rb"<[A-Za-z][^<>]*>")
_UNQUOTED = re.compile(rb"""=([^\s"'>]+)""")


def _quote_attributes(match: re.Match[bytes]) -> bytes:
    """``<rss version=2.0>`` -> ``<rss version="2.0">``: libxml2 drops the whole element."""
    return _UNQUOTED.sub(rb'="\1"', match.group(0))


def _local_name(tag: Any) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


def _recover_with_lxml(body: bytes, url: str) -> ParsedFeed | None:
    """Second chance for XML that feedparser gave up on (a broken prolog, undeclared
    prefixes such as ``<rss:item>``): lxml's recovering parser from the root element on,
    elements matched by local name. None when that finds no items either."""
    match = _FEED_START.search(body)
    if match is None:
        return None
    parser = lxml.etree.XMLParser(**_XML_PARSER_OPTIONS, encoding="utf-8")
    text = _START_TAG.sub(_quote_attributes, body[match.start() :])
    try:
        root = lxml.etree.fromstring(text, parser=parser)
    except lxml.etree.XMLSyntaxError:
        return None
    if root is None:
        return None

    def first(element: Any, *names: str) -> Any | None:
        for child in element:
            if _local_name(child.tag) in names:
                return child
        return None

    def text_of(element: Any, *names: str) -> str | None:
        child = first(element, *names)
        if child is None:
            return None
        return collapse(child.text or child.get("href") or "") or None

    items = [el for el in root.iter() if _local_name(el.tag) in ("item", "entry")]
    if not items:
        return None
    channel = first(root, "channel") if _local_name(root.tag) != "channel" else root
    head = channel if channel is not None else root
    site = text_of(head, "link")
    entries: list[FeedEntry] = []
    for item in items:
        link = _absolute(text_of(item, "link"), url)
        title = html_to_text(text_of(item, "title")) or None
        summary = html_to_text(text_of(item, "description", "summary", "content"))
        published = parse_datetime(text_of(item, "pubdate", "published", "date", "updated"))
        author = text_of(item, "author", "creator")
        entries.append(
            FeedEntry(
                guid=text_of(item, "guid", "id") or link or _digest(title, summary),
                url=link,
                title=title,
                summary=shorten(summary) if summary else None,
                published=published,
                authors=(author,) if author else (),
            )
        )
    is_atom = _local_name(root.tag) == "feed"
    return ParsedFeed(
        kind="atom" if is_atom else "rss",
        url=url,
        title=html_to_text(text_of(head, "title")) or None,
        site_url=_absolute(site, url) or None,
        entries=entries,
        bozo=True,
        version="recovered",
    )


# -- JSON Feed ---------------------------------------------------------------------------


def _json_authors(item: Mapping[str, Any], feed_authors: tuple[str, ...]) -> tuple[str, ...]:
    raw: list[Any] = []
    if isinstance(item.get("authors"), list):
        raw.extend(item["authors"])
    if isinstance(item.get("author"), Mapping):
        raw.append(item["author"])
    names: list[str] = []
    for author in raw:
        if isinstance(author, Mapping) and author.get("name"):
            name = collapse(str(author["name"]))
            if name not in names:
                names.append(name)
    return tuple(names) or feed_authors


def _text(value: Any) -> str | None:
    return collapse(value) or None if isinstance(value, str) else None


def _parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    try:
        data = json.loads(body.decode("utf-8-sig", errors="replace"))
    except ValueError as exc:
        raise FeedError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise FeedError("not a JSON Feed: the top level is not an object")
    version = str(data.get("version") or "")
    items = data.get("items")
    if not isinstance(items, list) or ("jsonfeed.org" not in version and "title" not in data):
        raise FeedError("not a JSON Feed: no version and no items")
    problems: list[str] = []
    if "jsonfeed.org" not in version:
        problems.append("no JSON Feed version")
    site_url = _text(data.get("home_page_url"))
    site_url = _absolute(site_url, url) or None
    feed_authors = _json_authors(data, ())
    entries: list[FeedEntry] = []
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(f"item {position} is not an object")
            continue
        link = _absolute(_text(item.get("url")), url) or _absolute(
            _text(item.get("external_url")), url
        )
        title = html_to_text(_text(item.get("title"))) or None
        summary_source = (
            _text(item.get("summary"))
            or _text(item.get("content_text"))
            or html_to_text(_text(item.get("content_html")))
        )
        published = parse_datetime(_text(item.get("date_published")))
        updated = parse_datetime(_text(item.get("date_modified")))
        item_id = item.get("id")
        guid = str(item_id) if item_id not in (None, "") else link or _digest(title)
        entries.append(
            FeedEntry(
                guid=guid,
                url=link,
                title=title,
                summary=shorten(summary_source) if summary_source else None,
                published=published or updated,
                authors=_json_authors(item, feed_authors),
                updated=updated,
            )
        )
    short = version.rstrip("/").rsplit("/", 1)[-1] if version else ""
    return ParsedFeed(
        kind="json",
        url=url,
        title=html_to_text(_text(data.get("title"))) or None,
        site_url=site_url,
        entries=entries,
        bozo=bool(problems),
        problem="; ".join(problems) or None,
        version="json" + short.replace("version", "").replace(".", "") if short else "json",
    )


# -- sitemaps ----------------------------------------------------------------------------

_XML_PARSER_OPTIONS: dict[str, Any] = {
    "recover": True,
    "resolve_entities": False,
    "no_network": True,
    "huge_tree": False,
    "remove_comments": True,
}


def _local(tag: Any) -> str:
    return lxml.etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def _child_text(element: Any, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name:
            return collapse(child.text or "") or None
    return None


def _parse_sitemap(body: bytes, url: str) -> ParsedFeed:
    root, errors = read_xml(body, "sitemap")
    root_name = _local(root.tag)
    entries: list[FeedEntry] = []
    children: list[str] = []
    seen: set[str] = set()
    for element in root.iter():
        name = _local(element.tag)
        if name not in ("url", "sitemap"):
            continue
        loc = _child_text(element, "loc")
        if not loc:
            continue
        loc = _absolute(loc, url)
        if not loc:
            continue  # not a web URL: neither a page nor a sitemap to read
        if name == "sitemap":
            children.append(loc)
            continue
        if loc in seen:
            continue
        seen.add(loc)
        lastmod = parse_datetime(_child_text(element, "lastmod"))
        entries.append(FeedEntry(guid=loc, url=loc, title=None, published=lastmod, updated=lastmod))
    if root_name not in ("urlset", "sitemapindex") and not entries and not children:
        raise FeedError(f"not a sitemap: root element <{root_name}>")
    return ParsedFeed(
        kind="sitemap",
        url=url,
        entries=entries,
        bozo=bool(errors),
        problem=collapse(errors[0]) if errors else None,
        version=root_name,
        sitemaps=children,
    )


def gunzip_if_needed(body: bytes) -> bytes:
    """A body as served: gunzipped when it starts with the gzip magic (sitemap.xml.gz)."""
    return _gunzip(body) if body[:2] == b"\x1f\x8b" else body


__all__ = ["gunzip_if_needed", "html_to_text", "parse_feed"]
