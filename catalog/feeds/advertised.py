"""discover_feeds: feed autodiscovery from a page's ``<link rel="alternate" type=...>``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from catalog.feeds.model import html_document
from catalog.urls import web_url

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
        "application/rdf+xml",  # RSS 1.0
        "application/x-rss+xml",
        "application/x-atom+xml",
        "application/json",  # JSON Feed before feed+json: only when the URL names a feed
    }
)


def _is_secondary(href: str, title: str) -> bool:
    """Comment feeds and the like: offered after the site's main feeds."""
    text = f"{href} {title}".lower()
    return "comment" in text


def discover_feeds(html: str, page_url: str) -> list[str]:
    """Absolute URLs of the feeds a page advertises, main feeds first, no duplicates.

    Reads ``<link>`` elements whose ``rel`` tokens include ``alternate`` and whose ``type``
    is RSS, Atom, RDF or JSON Feed (``application/feed+json``, or ``application/json`` whose
    file name says feed, as ``feed.json``: WordPress's ``wp-json`` links are not), resolved
    against ``<base href>`` then ``page_url``.
    Comment feeds come after the others; otherwise document order. Links with other rels
    (``alternate`` hreflang translations are text/html) are ignored.
    """
    if not html or not html.strip():
        return []
    root: Any = html_document(html)
    if root is None:
        return []
    base = page_url
    for base_el in root.iter("base"):
        href = (base_el.get("href") or "").strip()
        if href:
            base = urljoin(page_url, href)
            break
    found: list[tuple[bool, int, str]] = []
    seen: set[str] = set()
    for position, link in enumerate(root.iter("link")):
        rels = (link.get("rel") or "").lower().split()
        ctype = (link.get("type") or "").split(";")[0].strip().lower()
        href = (link.get("href") or "").strip()
        if "alternate" not in rels or ctype not in FEED_TYPES or not href:
            continue
        if ctype == "application/json" and "feed" not in href.lower().rsplit("/", 1)[-1]:
            continue  # WordPress's wp-json API links, Slack exports: not feeds
        absolute = web_url(href, base)  # the one URL gate: http(s) only
        if absolute is None or absolute in seen:
            continue
        seen.add(absolute)
        found.append((_is_secondary(absolute, link.get("title") or ""), position, absolute))
    return [url for _, _, url in sorted(found)]
