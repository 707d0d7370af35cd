"""parse_opml: the feeds of an OPML subscription list (outline elements with xmlUrl)."""

from __future__ import annotations

from typing import Any

from catalog.feeds.model import FeedError, OpmlFeed, collapse, read_xml


def _attr(element: Any, name: str) -> str | None:
    """An attribute by case-insensitive name (xmlUrl, xmlurl, XMLURL all occur)."""
    lowered = name.lower()
    for key, value in element.attrib.items():
        if str(key).lower() == lowered:
            return collapse(str(value)) or None
    return None


def parse_opml(body: bytes) -> list[OpmlFeed]:
    """Every ``<outline>`` that carries an ``xmlUrl``, in document order.

    Title is the outline's ``title``, else its ``text``; ``category`` is the nearest
    enclosing outline without an ``xmlUrl`` (a folder). Duplicates are kept (the caller
    decides; the same feed listed twice is still one subscription). Broken XML is read as
    far as lxml's recovering parser gets; ``FeedError`` when no ``<opml>``/``<outline>`` at all.
    """
    root, _ = read_xml(body, "OPML")
    feeds: list[OpmlFeed] = []
    outlines = [el for el in root.iter() if isinstance(el.tag, str) and el.tag.lower() == "outline"]
    if not outlines and str(root.tag).lower() != "opml":
        raise FeedError(f"not OPML: root element <{root.tag}>")
    for outline in outlines:
        xml_url = _attr(outline, "xmlUrl")
        if not xml_url:
            continue
        category = None
        parent = outline.getparent()
        while parent is not None and str(parent.tag).lower() == "outline":
            if not _attr(parent, "xmlUrl"):
                category = _attr(parent, "title") or _attr(parent, "text")
                break
            parent = parent.getparent()
        feeds.append(
            OpmlFeed(
                title=_attr(outline, "title") or _attr(outline, "text"),
                xml_url=xml_url,
                html_url=_attr(outline, "htmlUrl"),
                category=category,
            )
        )
    return feeds
