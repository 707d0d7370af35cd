"""JSON-LD blocks as real pages write them: ``@graph``, lists, ``@id`` references, and
broken JSON (JavaScript comments, raw control characters, trailing commas, CDATA and HTML
comment wrappers, several objects in one block)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "blogposting",
    "report",
    "scholarlyarticle",
    "techarticle",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "reviewnewsarticle",
    "backgroundnewsarticle",
    "livebloggposting",
    "liveblogposting",
    "socialmediaposting",
    "discussionforumposting",
    "posting",
    "creativework",
    "medicalwebpage",
    "recipe",
    "review",
    "videoobject",
    "podcastepisode",
    "howto",
    "qapage",
}
PAGE_TYPES = {"webpage", "itempage", "aboutpage", "profilepage", "collectionpage"}
SITE_TYPES = {"website", "organization", "newsmediaorganization", "corporation"}

_WRAPPER = re.compile(r"^\s*(?:<!--|<!\[CDATA\[|//\s*<!\[CDATA\[)|(?:-->|\]\]>|//\s*\]\]>)\s*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def _strip_comments(text: str) -> str:
    """Remove ``//`` and ``/* */`` comments outside JSON strings."""
    out: list[str] = []
    i, n = 0, len(text)
    in_str = False
    while i < n:
        ch = text[i]
        if in_str:
            out.append(ch)
            if ch == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if ch == '"':
                in_str = False
            i += 1
            continue
        if ch == '"':
            in_str = True
        elif ch == "/" and text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        elif ch == "/" and text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _decode_all(text: str) -> list[Any]:
    """Every JSON value in ``text`` (one or several concatenated)."""
    decoder = json.JSONDecoder(strict=False)
    values: list[Any] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t\r\n;,":
            i += 1
        if i >= n:
            break
        value, i = decoder.raw_decode(text, i)
        values.append(value)
    return values


def parse_block(raw: str) -> list[Any]:
    """The JSON values of one ``<script type="application/ld+json">``; [] when hopeless."""
    text = _WRAPPER.sub("", raw.strip()).strip()
    if not text:
        return []
    try:
        return _decode_all(text)
    except (ValueError, RecursionError):
        pass
    fixed = _TRAILING_COMMA.sub(r"\1", _strip_comments(_CONTROL.sub(" ", text)))
    try:
        return _decode_all(fixed)
    except (ValueError, RecursionError):
        return []


def iter_nodes(values: list[Any]) -> Iterator[dict[str, Any]]:
    """Every object in the values, ``@graph`` members and nested lists flattened (top level
    only: an article's ``author`` is reached through the article, not listed here)."""
    stack: list[Any] = list(reversed(values))
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(reversed(value))
        elif isinstance(value, dict):
            graph = value.get("@graph")
            if graph is not None:
                stack.extend(reversed(graph if isinstance(graph, list) else [graph]))
            if "@type" in value or graph is None:
                yield value


def types_of(node: dict[str, Any]) -> set[str]:
    t = node.get("@type")
    items = t if isinstance(t, list) else [t]
    return {
        str(x).rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower() for x in items if isinstance(x, str)
    }


def text_of(value: Any, index: dict[str, dict[str, Any]] | None = None) -> str | None:
    """A plain string from a JSON-LD value: a string, ``{"name": ...}``, ``{"@value": ...}``,
    an ``@id`` reference, or the first usable item of a list."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        for item in value:
            found = text_of(item, index)
            if found:
                return found
        return None
    if isinstance(value, dict):
        if index is not None and set(value) <= {"@id", "@type"} and value.get("@id") in index:
            value = index[value["@id"]]
        for key in ("name", "@value", "headline"):
            if key in value:
                return text_of(value[key], None)
    return None


def url_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, list):
        for item in value:
            found = url_of(item)
            if found:
                return found
        return None
    if isinstance(value, dict):
        for key in ("url", "contentUrl", "@id"):
            if key in value:
                return url_of(value[key])
    return None


def names_of(value: Any, index: dict[str, dict[str, Any]]) -> list[str]:
    """Author names: strings, Person/Organization objects, references, lists of these."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        if isinstance(item, dict) and set(item) <= {"@id", "@type"} and item.get("@id") in index:
            item = index[item["@id"]]
        if isinstance(item, dict):
            name = text_of(item.get("name"))
            if name is None and ("givenName" in item or "familyName" in item):
                parts = [text_of(item.get("givenName")), text_of(item.get("familyName"))]
                name = " ".join(p for p in parts if p) or None
            if name:
                names.append(name)
        elif isinstance(item, str) and item.strip():
            names.append(item.strip())
    return names
