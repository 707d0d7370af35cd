"""Where a page writes a day: its body text, the page's own text, a URL path (the
dates themselves are read by ``catalog.datetimes``)."""

from __future__ import annotations

import functools
import itertools
import re
from datetime import date, datetime
from typing import Any

from lxml import etree

from catalog.datetimes import MONTHS, plausible_day

_URL_DATE = re.compile(
    r"/(?P<y>(?:19|20)\d\d)(?:(?P<sep>[/-])(?P<m>[01]?\d)(?P=sep)(?P<d>[0-3]?\d)|"
    r"(?P<mc>[01]\d)(?P<dc>[0-3]\d))(?=[/_.-]|$)"
    r"|/(?P<y2>(?:19|20)\d\d)/(?P<m2>[01]?\d)/"
)


def url_date(url: str) -> tuple[datetime | None, bool]:
    """The date in a URL path (``/2017/07/12/``, ``/20170712``): (date, has_day); a
    ``/2017/07/`` path gives the first of the month with has_day False."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    m = _URL_DATE.search(path)
    if not m:
        return None, False
    if m["y"] is not None:
        month, day = (m["m"], m["d"]) if m["m"] is not None else (m["mc"], m["dc"])
        return plausible_day(int(m["y"]), int(month), int(day)), True
    return plausible_day(int(m["y2"]), int(m["m2"]), 1), False


_NOT_TEXT = {"script", "style", "noscript", "template", "head"}


def body_text(root: Any) -> str:
    """The text a reader sees in the body: no scripts, styles, comments or attributes
    (image and link URLs carry dates that are not the page's)."""
    body = root.find("body")
    if body is None:
        return ""
    return _text_of(body)


def _text_of(top: Any, skip: tuple[Any, ...] = ()) -> str:
    """The visible text under ``top`` (see ``body_text``), without the elements in ``skip``
    (their tails are kept: the text after an element is its parent's)."""
    # The elements themselves, not their ids: the set keeps lxml's proxies alive, so a
    # node met again is the same object (an id of a freed proxy can be reused).
    inside = {el for root in skip for el in root.iter()}
    parts: list[str] = []
    for el in top.iter():
        if el in inside:
            if el.tail and any(el is root for root in skip):
                parts.append(el.tail)
            continue
        if isinstance(el.tag, str) and el.tag not in _NOT_TEXT and el.text:
            parts.append(el.text)
        if el.tail and el is not top:
            parts.append(el.tail)
    return " ".join(parts)


# The site's header: a <header> (or a banner landmark) outside the article and the main
# content, without the page's <h1> (an article's own header holds its headline and date).
_MASTHEAD = (
    "//body//*[self::header or @role='banner']"
    "[not(ancestor::article or ancestor::main or ancestor::header or ancestor::*[@role='banner'])]"
    "[not(.//h1)]"
)


def mastheads(root: Any) -> list[Any]:
    """The elements of the site's header (see ``_MASTHEAD``)."""
    return list(root.xpath(_MASTHEAD))


# Comment sections by class or id (``comments``, ``comment-list``, ``respond``, ``reply``).
_COMMENT_SECTION = re.compile(r"comment|respond|reply", re.I)


def own_text(root: Any) -> str:
    """The body text in document order without scripts, styles and the comment section:
    the text the page states itself, where dates are not commenters' own."""
    body = root.find("body")
    if body is None:
        return ""
    parts: list[str] = []
    skipped = 0  # depth inside a skipped element
    for event, el in etree.iterwalk(body, events=("start", "end", "comment", "pi")):
        if event == "start":
            names = f"{el.get('class') or ''} {el.get('id') or ''}"
            if (
                skipped
                or el.tag in _NOT_TEXT
                or (el is not body and _COMMENT_SECTION.search(names))
            ):
                skipped += 1
            elif el.text:
                parts.append(el.text)
            continue
        if event == "end" and skipped:
            skipped -= 1
            if skipped:
                continue
        elif skipped:
            continue
        if el.tail and el is not body:
            parts.append(el.tail)
    return " ".join(parts)


class PageText:
    """A page's body text in both forms, each read from the tree once, when first needed
    (the date rules ask for them from several places, and a walk of a large page costs)."""

    def __init__(self, root: Any) -> None:
        self.root = root

    @functools.cached_property
    def visible(self) -> str:
        """See ``body_text``."""
        return body_text(self.root)

    @functools.cached_property
    def masthead(self) -> str:
        """The visible text of the site's header (see ``mastheads``)."""
        return " ".join(_text_of(el) for el in mastheads(self.root))

    @functools.cached_property
    def outside_masthead(self) -> str:
        """The visible body text without the site's header."""
        body = self.root.find("body")
        if body is None:
            return ""
        return _text_of(body, tuple(mastheads(self.root)))

    @functools.cached_property
    def own(self) -> str:
        """See ``own_text``."""
        return own_text(self.root)


# A modification label ("Last updated:", "Aktualisiert am"): the date after it is an edit's.
UPDATED = re.compile(
    r"updated|modified|aktualisiert|geändert|mis à jour|modifié|actualizado|aggiornato", re.I
)
_AFTER_UPDATED = re.compile(rf"(?:{UPDATED.pattern})\D{{0,25}}$", re.I)


def stated_at(text: str, day: date) -> list[int]:
    """Where ``day`` is written in ``text`` (see ``written_in``) other than right after a
    modification label (``Last updated: 13 July 2020``)."""
    return [s for s in written_at(text, day) if not _AFTER_UPDATED.search(text, max(0, s - 40), s)]


def written_in(text: str, day: date) -> bool:
    """Whether ``day`` is written in ``text`` in a common notation: ``26.01.2022``,
    ``26 | 01 | 2022``, ``2022-01-26``, ``1/26/2022``, ``26. Januar 2022``, ``Jan 26th, 2022``,
    ``26 de enero de 2022``, ``2022年1月26日``."""
    return bool(written_at(text, day, first=True))


_MAX_YEARS = 200


def written_at(text: str, day: date, *, first: bool = False) -> list[int]:
    """The offsets in ``text`` where ``day`` is written (see ``written_in``); with ``first``,
    at most one."""
    d, m, y = rf"0?{day.day}", rf"0?{day.month}", str(day.year)
    yy = rf"(?:{day.year}|{day.year % 100:02d})"
    sep = r"\s*[./|-]\s*"
    names = "|".join(
        sorted((re.escape(n) for n, i in MONTHS.items() if i == day.month), key=len)[::-1]
    )
    month = rf"(?:{names})[^\W\d_]*\.?"
    pattern = (
        rf"(?<!\d)(?:{d}{sep}{m}{sep}{yy}|{m}{sep}{d}{sep}{y}|{y}{sep}{m}{sep}{d})(?!\d)"
        rf"|(?<!\d){d}(?:st|nd|rd|th)?\.?\s*(?:de\s+)?{month},?\s*(?:de\s+)?{y}(?!\d)"
        rf"|\b{month}\s*{d}(?:st|nd|rd|th)?,?\s*{y}(?!\d)"
        rf"|{y}\s*年\s*{m}\s*月\s*{d}\s*日"
    )
    full = re.compile(pattern, re.I)
    spots: set[int] = set()
    # The full pattern only around the year's occurrences: one scan of a large page is slow.
    # The first _MAX_YEARS of them: a page that writes a year thousands of times (an
    # archive, or a hostile page) would otherwise cost seconds per day looked up.
    years = re.finditer(rf"{y}|[./|-]\s*{day.year % 100:02d}(?!\d)", text)
    for hit in itertools.islice(years, _MAX_YEARS):
        for match in full.finditer(text, max(0, hit.start() - 40), hit.end() + 30):
            spots.add(match.start())
            if first:
                return [match.start()]
    return sorted(spots)
