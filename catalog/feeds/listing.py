"""parse_listing: articles from a blog's listing page, for a site that has no feed.

A listing page is a run of repeated sibling blocks ("cards"), each with a heading that links
to the article, often a reading time ("5 min read"), a summary and a "Read article" link.
HTML is read structurally; a text rendering of such a page (one card a line: title, reading
time, summary, "Read article") is read line by line.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any
from urllib.parse import urljoin

from catalog.datetimes import parse_datetime
from catalog.feeds.model import FeedEntry, collapse, html_document, shorten
from catalog.urls import web_url

_READING = re.compile(r"\b(\d{1,3})\s*(?:-\s*)?min(?:ute)?s?(?:\s+read)?\b", re.IGNORECASE)
_READ_LINK = re.compile(
    r"^(?:read|continue reading|read more|read article|read post"
    r"|read the (?:full )?(?:article|post)|more|keep reading)\b.*$",
    re.IGNORECASE,
)
_TRAILER = re.compile(
    r"\s*(?:\[(?:…|\.\.\.)\]|…|\.\.\.)?\s*(?:read article|read more|continue reading)?\s*$",
    re.IGNORECASE,
)
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"')\]]+")


def _looks_like_html(text: str) -> bool:
    return bool(re.search(r"<(?:html|body|div|article|section|li|a|h[1-6]|p)\b", text, re.I))


def _reading_minutes(text: str) -> int | None:
    match = _READING.search(text)
    return int(match.group(1)) if match else None


def _clean_summary(text: str) -> str:
    text = _READING.sub(" ", text, count=1)
    text = _TRAILER.sub("", collapse(text))
    return collapse(text)


# -- HTML --------------------------------------------------------------------------------


def _heading_link(heading: Any) -> Any | None:
    """The <a href> of a card heading: inside it, or wrapping it."""
    for anchor in heading.iter("a"):
        if anchor.get("href"):
            return anchor
    parent = heading.getparent()
    while parent is not None and parent.tag not in ("body", "html"):
        if parent.tag == "a" and parent.get("href"):
            return parent
        parent = parent.getparent()
    return None


def _card_of(heading: Any, headings: set[Any]) -> Any:
    """The largest ancestor of a heading that holds no other card heading."""
    card = heading
    parent = heading.getparent()
    while parent is not None and parent.tag not in ("body", "html"):
        others = [el for el in parent.iter(*_HEADINGS) if el in headings and el is not heading]
        if others:
            break
        card = parent
        parent = parent.getparent()
    return card


def _card_entry(card: Any, heading: Any, base: str) -> FeedEntry | None:
    anchor = _heading_link(heading)
    href = anchor.get("href") if anchor is not None else None
    if not href:
        # no link on the heading: the card's "Read article" link, else its first link
        links = [a for a in card.iter("a") if a.get("href")]
        reads = [a for a in links if _READ_LINK.match(collapse(a.text_content()))]
        chosen = reads[0] if reads else (links[0] if links else None)
        href = chosen.get("href") if chosen is not None else None
    if not href:
        return None
    url = web_url(href, base)  # the one URL gate: http(s) only
    if url is None:
        return None
    title = collapse(heading.text_content()) or None
    parts: list[str] = []
    reading: int | None = None
    published = None
    authors: list[str] = []
    for element in card.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag == "time" and published is None:
            published = parse_datetime(element.get("datetime") or element.text_content())
        marker = " ".join((element.get("class") or "", element.get("rel") or "")).lower()
        if "author" in marker and element.tag not in ("img",):
            name = collapse(element.text_content())
            if name and len(name) < 80 and name not in authors:
                authors.append(name)
    for block in card.iter("p", "span", "div"):
        if any(child.tag in ("p", "div") for child in block):
            continue
        if heading in block.iterancestors() or block is heading:
            continue
        text = collapse(block.text_content())
        if not text:
            continue
        minutes = _reading_minutes(text)
        if minutes is not None and len(text) < 30:
            reading = reading or minutes
            continue
        if _READ_LINK.match(text) or text == title or text in authors:
            continue
        if text not in parts and not any(text in part for part in parts):
            parts.append(text)
    if reading is None:
        reading = _reading_minutes(collapse(card.text_content()))
    summary = _clean_summary(" ".join(parts))
    return FeedEntry(
        guid=url,
        url=url,
        title=title,
        summary=shorten(summary) if summary else None,
        published=published,
        authors=tuple(authors),
        reading_minutes=reading,
    )


def _parse_html(html: str, page_url: str) -> list[FeedEntry]:
    root: Any = html_document(html)
    if root is None:
        return []
    base = page_url
    for base_el in root.iter("base"):
        if base_el.get("href"):
            base = urljoin(page_url, base_el.get("href").strip())
            break
    for junk in root.xpath("//script|//style|//nav|//header|//footer|//aside"):
        junk.drop_tree()
    headings = {h for h in root.iter(*_HEADINGS) if collapse(h.text_content())}
    # a heading is a card's title when it or its card links somewhere
    cards: list[tuple[Any, Any]] = []
    for heading in root.iter(*_HEADINGS):
        if heading not in headings:
            continue
        card = _card_of(heading, headings)
        if _heading_link(heading) is None and not any(a.get("href") for a in card.iter("a")):
            continue
        cards.append((card, heading))
    # keep the repeated blocks: cards whose parent holds at least two cards of one shape
    groups: dict[tuple[Any, str], list[tuple[Any, Any]]] = defaultdict(list)
    for card, heading in cards:
        parent = card.getparent()
        groups[(parent, f"{card.tag}.{heading.tag}")].append((card, heading))
    repeated = [pair for group in groups.values() if len(group) >= 2 for pair in group]
    chosen = repeated or cards
    order = {id(card): index for index, (card, _) in enumerate(cards)}
    chosen.sort(key=lambda pair: order[id(pair[0])])
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    for card, heading in chosen:
        entry = _card_entry(card, heading, base)
        if entry is None or entry.url in seen or entry.url.rstrip("/") == page_url.rstrip("/"):
            continue
        seen.add(entry.url)
        entries.append(entry)
    return entries


# -- text rendering ----------------------------------------------------------------------


def _parse_text(text: str, page_url: str) -> list[FeedEntry]:
    """One card a line; a short line without a reading time or "Read article" is a title
    for the card that follows it. Lines repeated verbatim (a featured card shown twice)
    count once. The text has no links, so entries point at the listing page itself with
    a fragment naming the card, unless a line carries a URL."""
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    pending_title: str | None = None
    for raw in text.splitlines():
        line = collapse(raw)
        if not line:
            continue
        is_card = (
            _reading_minutes(line) is not None
            or bool(re.search(r"read article\s*$", line, re.I))
            or len(line) > 90
        )
        if not is_card:
            pending_title = line
            continue
        if line in seen:
            continue
        seen.add(line)
        url_match = _URL_IN_TEXT.search(line)
        body = _URL_IN_TEXT.sub(" ", line) if url_match else line
        url = url_match.group(0) if url_match else page_url
        guid = url if url_match else f"{page_url}#card-{len(entries) + 1}"
        summary = _clean_summary(body)
        entries.append(
            FeedEntry(
                guid=guid,
                url=url,
                title=pending_title,
                summary=shorten(summary) if summary else None,
                reading_minutes=_reading_minutes(line),
            )
        )
        pending_title = None
    return entries


def parse_listing(html_or_text: str, page_url: str) -> list[FeedEntry]:
    """Articles of a listing page, in page order, one per distinct article URL.

    HTML: every non-empty heading (h1–h6) that links to something (a link inside it or
    around it, else its card's "Read article" link) marks a card: the largest ancestor that
    holds no other heading. Cards are kept when at least two of one shape share a parent
    (repeated sibling blocks); a page with no repetition keeps every linked heading.
    Navigation, header, footer and aside are ignored. From each card: title (heading
    text), URL (absolute), reading time, summary (paragraph text without the reading time
    and "Read article"), ``<time datetime>`` and author-classed elements.

    Text (no HTML tags): see ``_parse_text``.
    """
    if _looks_like_html(html_or_text):
        return _parse_html(html_or_text, page_url)
    return _parse_text(html_or_text, page_url)
