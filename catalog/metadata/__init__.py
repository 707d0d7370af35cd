"""Page metadata from an HTML document: a pure function, no Scrapy, no database.

    from catalog.metadata import extract
    meta = extract(body, "https://example.org/post", content_type="text/html; charset=utf-8")
    meta.title, meta.published, meta.to_json()

Sources in order of trust: JSON-LD, OpenGraph, Dublin Core, other ``<meta>`` conventions,
microdata and the visible page. Each field takes the value of the most trusted source
that has a usable one; dates are cross-checked between sources (and the date in the URL
path) by vote, see ``_published``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml import html as lxml_html

from catalog.datetimes import parse_dated

from .decode import decode_html
from .published import published as _published
from .sources import Candidates, collect
from .text import clean, clean_author, compact, is_site_name, norm, word_stats
from .titles import page_title, site_names

__all__ = ["PageMeta", "decode_html", "extract"]

JSON_KEYS = (
    "title",
    "description",
    "site_name",
    "authors",
    "published",
    "modified",
    "lang",
    "canonical",
    "image",
    "feeds",
    "word_count",
    "reading_minutes",
    "evidence",
)


@dataclass(frozen=True)
class PageMeta:
    title: str | None = None
    description: str | None = None
    site_name: str | None = None
    authors: list[str] = field(default_factory=list)
    published: datetime | None = None
    modified: datetime | None = None
    lang: str | None = None
    canonical: str | None = None
    image: str | None = None
    feeds: list[str] = field(default_factory=list)
    word_count: int = 0
    reading_minutes: int = 0
    # Why a field took its value where a rule overrode a library's answer (``published``).
    evidence: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict with exactly the keys of ``JSON_KEYS`` (dates in ISO 8601)."""
        out: dict[str, Any] = {}
        for key in JSON_KEYS:
            value = getattr(self, key)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, list | dict):
                value = value.copy()
            out[key] = value
        return out


# Trust order per field; a source missing from a field's order is not used for it.
ORDER: dict[str, tuple[str, ...]] = {
    "description": ("og", "jsonld", "dc", "meta", "microdata", "jsonld-page"),
    "site_name": ("og", "jsonld-publisher", "jsonld-site", "jsonld-page-publisher", "meta", "dc"),
    "authors": (
        *("jsonld", "microdata", "og", "dc", "meta", "jsonld-page"),
        *("page", "page-byline", "page-text", "page-sign", "page-submitted", "page-copyright"),
    ),
    "lang": ("page", "og", "jsonld", "dc", "meta", "jsonld-page"),
    "image": ("og", "jsonld", "meta", "jsonld-page", "page"),
}


def _pick(values: Iterable[tuple[str, str]], order: tuple[str, ...]) -> list[str]:
    """The values of the most trusted source present, in page order."""
    by_source: dict[str, list[str]] = {}
    for source, value in values:
        by_source.setdefault(source, []).append(value)
    for source in order:
        if source in by_source:
            return by_source[source]
    return []


def _first(found: Candidates, name: str) -> str | None:
    for value in _pick(found.get(name, ()), ORDER[name]):
        cleaned = clean(value)
        if cleaned:
            return cleaned
    return None


def _absolute(base: str, href: str | None) -> str | None:
    href = clean(href)
    if not href or href.startswith(("javascript:", "data:", "mailto:")):
        return None
    try:
        joined = urljoin(base, href) if base else href
    except ValueError:
        return None
    return joined if urlsplit(joined).scheme in {"http", "https"} or not base else None


# a rel=author link is the page's own credit: kept even when it names the site itself
_CREDITS = {"page"}
_CREDIT_LIST = re.compile(r"\w\s*[/,]\s*\w")
_PAGE_AUTHOR_SOURCES = {
    *("page", "page-byline", "page-text", "page-sign", "page-submitted", "page-copyright"),
    "microdata",
}


def _is_site_author(name: str, sites: set[str], labels: set[str], owned: list[str]) -> bool:
    """Whether an author name is the site itself (see ``is_site_name``). Two exceptions:
    the owner of a site named after them (``Jane Roe`` on ``Jane Roe's notes``, janeroe.net;
    ``owned`` holds the site names in their written form), and a credit list naming the
    site besides others (``Agency/The Daily Planet``), kept as written."""
    if not is_site_name(name, sites, labels):
        return False
    key = compact(name)
    if key in sites or key in labels:
        return True
    # a site named after a person ("Jane Roe's Notes"): the possessive says who owns it;
    # without one, "Daily Planet" in "The Daily Planet Group" is the publisher again
    written = " ".join(name.split()).casefold()
    if any(re.match(rf"{re.escape(written)}(?:'s|’s|s')\b", site) for site in owned):
        return False
    # an agency credit shared with the site ("Agency/The Daily Planet"): the whole credit is meant
    return not _CREDIT_LIST.search(name)


def _authors(found: Candidates, url: str) -> list[str]:
    """Names from the most trusted source that has one. A name that is the site itself
    (``The Daily Planet`` on dailyplanet.example, og:site_name) is a publisher, not an
    author, and is passed over. Visible bylines give one name (the first), since later
    ones are mostly comment authors and related articles."""
    sites, labels = site_names(found, url)
    owned = [" ".join(v.split()).casefold() for _, v in found.get("site_name", ())]
    # a site name that JSON-LD declares a Person is a personal site's owner, not a publisher
    persons = {compact(value) for _, value in found.get("persons", ())}
    by_source: dict[str, list[str]] = {}
    for source, value in found.get("authors", ()):
        name = clean_author(value)
        if source == "page-copyright":
            # a copyright holder is the author only on a site named after them (janeroe.net)
            if name and compact(name) in labels:
                by_source.setdefault(source, []).append(name)
        elif name and (
            compact(name) in persons
            or source in _CREDITS
            or not _is_site_author(name, sites, labels, owned)
        ):
            by_source.setdefault(source, []).append(name)
    for source in ORDER["authors"]:
        names = by_source.get(source)
        if names:
            if source in _PAGE_AUTHOR_SOURCES:
                names = names[:1]
            seen: set[str] = set()
            unique = []
            for name in names:
                key = norm(name)
                if key not in seen:
                    seen.add(key)
                    unique.append(name)
            return unique
    return []


def _modified(found: Candidates) -> datetime | None:
    for source in ("jsonld", "og", "dc", "meta", "microdata", "jsonld-page"):
        for src, text in found.get("modified", ()):
            if src == source:
                parsed = parse_dated(text)
                if parsed is not None:
                    return parsed[1]
    return None


def _lang(found: Candidates) -> str | None:
    value = _first(found, "lang")
    if not value:
        return None
    value = value.split(",")[0].strip().replace("_", "-")
    return value if 2 <= len(value) <= 20 else None


_JUNK: tuple[str, ...] = (
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "nav",
    "header",
    "footer",
    "aside",
)
_JUNK += ("form", "button", "select", "iframe", "figcaption")


def _main_text(root: lxml_html.HtmlElement) -> str:
    """The article's text: the ``articleBody``, the longest ``<article>``, ``<main>``, or the
    body, without navigation, headers, footers, asides, scripts and forms. Mutates ``root``."""
    candidates = root.xpath("//*[@itemprop='articleBody']") or root.xpath("//article")
    candidates = candidates or root.xpath("//main | //*[@role='main']")
    if candidates:
        node = max(candidates, key=lambda el: len(el.text_content()))
    else:
        body = root.find("body")
        node = body if body is not None else root
    etree.strip_elements(node, *_JUNK, etree.Comment, with_tail=False)
    return str(node.text_content())


def _parse(text: str) -> lxml_html.HtmlElement | None:
    parser = lxml_html.HTMLParser(encoding="utf-8", remove_comments=False, huge_tree=True)
    try:
        root = lxml_html.document_fromstring(text.encode("utf-8", "replace"), parser=parser)
    except (etree.ParserError, ValueError, etree.XMLSyntaxError):
        return None
    return root if isinstance(root, lxml_html.HtmlElement) else None


def extract(body: bytes | str, url: str, *, content_type: str | None = None) -> PageMeta:
    """The metadata of one HTML page; empty ``PageMeta`` for anything that is not HTML."""
    text = decode_html(body, content_type)
    if not text.strip():
        return PageMeta()
    root = _parse(text)
    if root is None:
        return PageMeta()
    found = collect(root)
    base = url
    for _, href in found.get("base", ())[:1]:
        base = _absolute(url, href) or url
    site_name = _first(found, "site_name")
    feeds: list[str] = []
    for _, href in found.get("feeds", ()):
        absolute = _absolute(base, href)
        if absolute and absolute not in feeds:
            feeds.append(absolute)
    canonical = next(
        (c for _, href in found.get("canonical", ()) if (c := _absolute(base, href))), None
    )
    dated = _published(found, url, root)  # before _main_text, which prunes the tree
    words, minutes = word_stats(_main_text(root))
    return PageMeta(
        title=page_title(found, url),
        description=_first(found, "description"),
        site_name=site_name,
        authors=_authors(found, url),
        published=dated.value,
        modified=_modified(found),
        lang=_lang(found),
        canonical=canonical,
        image=_absolute(base, _first(found, "image")),
        feeds=feeds,
        word_count=words,
        reading_minutes=minutes,
        evidence={"published": dated.evidence},
    )
