"""Dates as pages write them, in the page's own offset.

A date with a time and a zone becomes that instant in the zone's offset, so that its
``date()`` is the day the page shows (``2020-06-03T03:01+0400`` is June 3rd, though it is
June 2nd in UTC); a date without a zone, or without a time, becomes its calendar day at
midnight UTC (the day as written is kept, never shifted).
"""

from __future__ import annotations

import functools
import itertools
import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from lxml import etree

MIN_YEAR = 1993

_ISO = re.compile(
    r"(?P<y>(?:19|20)\d\d)-(?P<m>\d\d?)-(?P<d>\d\d?)"
    r"(?:[T ](?P<H>\d\d?):(?P<M>\d\d)(?::(?P<S>\d\d)(?:[.,]\d+)?)?\s*"
    r"(?P<tz>Z|z|UTC|GMT|[+-]\d\d:?\d\d|[+-]\d\d(?![\d:]))?)?"
)
_COMPACT = re.compile(r"^(?P<y>(?:19|20)\d\d)(?P<m>[01]\d)(?P<d>[0-3]\d)(?:T|\b|$)")
_YMD_SLASH = re.compile(r"(?P<y>(?:19|20)\d\d)[/.](?P<m>\d\d?)[/.](?P<d>\d\d?)")
_DMY = re.compile(r"\b(?P<d>\d\d?)[./-](?P<m>\d\d?)[./-](?P<y>(?:19|20)\d\d)\b")
_MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [
            "jan january janvier januar enero gennaio",
            "feb february fevrier février februar febrero febbraio",
            "mar march mars märz maerz marzo",
            "apr april avril abril aprile",
            "may mai mayo maggio",
            "jun june juin juni junio giugno",
            "jul july juillet juli julio luglio",
            "aug august aout août agosto",
            "sep sept september septembre septiembre settembre",
            "oct october octobre oktober octubre ottobre",
            "nov november novembre noviembre",
            "dec december décembre decembre dezember diciembre dicembre",
        ]
    )
    for name in names.split()
}
_TEXTUAL_DMY = re.compile(
    r"\b(?P<d>\d\d?)\.?\s+(?P<mon>[^\W\d_]{3,10})\.?,?\s+(?P<y>(?:19|20)\d\d)\b"
)
_TEXTUAL_MDY = re.compile(
    r"\b(?P<mon>[^\W\d_]{3,10})\.?\s+(?P<d>\d\d?)(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d\d)\b"
)
# C asctime and Java Date.toString: ``Tue Jan 28 15:28:56 CET 2020`` (year after the time).
_CTIME = re.compile(
    r"\b(?P<mon>[^\W\d_]{3})\s+(?P<d>\d\d?)\s+\d\d?:\d\d(?::\d\d)?\s+(?:[A-Z]{1,5}\s+)?"
    r"(?P<y>(?:19|20)\d\d)\b"
)
# A time of day with a zone right after a written date (RFC 2822 ``04 May 2022 02:41:00 GMT``).
_TIME_TZ = re.compile(
    r",?\s+(?:at\s+)?(?P<H>\d\d?):(?P<M>\d\d)(?::(?P<S>\d\d))?\s*"
    r"(?P<tz>Z|UTC|GMT|[+-]\d\d:?\d\d)(?![\d:])"
)
_URL_DATE = re.compile(
    r"/(?P<y>(?:19|20)\d\d)(?:(?P<sep>[/-])(?P<m>[01]?\d)(?P=sep)(?P<d>[0-3]?\d)|"
    r"(?P<mc>[01]\d)(?P<dc>[0-3]\d))(?=[/_.-]|$)"
    r"|/(?P<y2>(?:19|20)\d\d)/(?P<m2>[01]?\d)/"
)


def _day(y: int, m: int, d: int) -> datetime | None:
    try:
        value = datetime(y, m, d, tzinfo=UTC)
    except ValueError:
        return None
    return value if plausible(value) else None


def plausible(value: datetime) -> bool:
    return value.year >= MIN_YEAR and value <= datetime.now(UTC) + timedelta(days=2)


def _offset(tz: str) -> timedelta:
    if tz.upper() in {"Z", "UTC", "GMT"}:
        return timedelta(0)
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    return sign * timedelta(hours=hours, minutes=minutes)


def parse_date(text: str | None) -> datetime | None:
    """An aware datetime from the common machine and human date notations (in the offset
    written, else UTC); None if none."""
    found = parse_dated(text)
    return found[1] if found else None


def parse_dated(text: str | None) -> tuple[date, datetime] | None:
    """(the calendar day as written, the datetime in the offset written) or None."""
    found = _parse(text)
    if found is None:
        return None
    day, value = found
    return day.date(), value


def _parse(text: str | None) -> tuple[datetime, datetime] | None:
    if not text:
        return None
    text = text.strip()[:200]
    m = _ISO.search(text)
    if m:
        day = _day(int(m["y"]), int(m["m"]), int(m["d"]))
        if day is None:
            return None
        if m["H"] is not None and m["tz"]:
            hour, minute, second = int(m["H"]), int(m["M"]), int(m["S"] or 0)
            if hour > 23 or minute > 59 or second > 59:
                return day, day
            return day, _at(day, hour, minute, second, m["tz"])
        return day, day
    for pattern in (_COMPACT, _YMD_SLASH, _DMY):
        m = pattern.search(text)
        if m:
            found = _day(int(m["y"]), int(m["m"]), int(m["d"]))
            return (found, found) if found else None
    for pattern in (_TEXTUAL_DMY, _TEXTUAL_MDY):
        m = pattern.search(text)
        if m:
            month = _MONTHS.get(m["mon"].lower().rstrip("."))
            if month:
                found = _day(int(m["y"]), month, int(m["d"]))
                if found is None:
                    return None
                return found, _with_time(found, _TIME_TZ.match(text, m.end()))
    m = _CTIME.search(text)
    month = _MONTHS.get(m["mon"].lower()) if m else None
    if m and month:
        found = _day(int(m["y"]), month, int(m["d"]))  # the zone is a name: the day as written
        return (found, found) if found else None
    return None


def _with_time(day: datetime, m: re.Match[str] | None) -> datetime:
    """The instant when a time with a zone follows the day, else the day itself."""
    if m is None:
        return day
    hour, minute, second = int(m["H"]), int(m["M"]), int(m["S"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        return day
    return _at(day, hour, minute, second, m["tz"])


def _at(day: datetime, hour: int, minute: int, second: int, tz: str) -> datetime:
    """``day`` at that time of day in the offset ``tz`` (kept: the day stays the page's)."""
    offset = _offset(tz)
    if abs(offset) >= timedelta(days=1):
        return day  # not an offset: the day as written
    zone = UTC if not offset else timezone(offset)
    return day.replace(hour=hour, minute=minute, second=second, tzinfo=zone)


def url_date(url: str) -> tuple[datetime | None, bool]:
    """The date in a URL path (``/2017/07/12/``, ``/20170712``): (date, has_day); a
    ``/2017/07/`` path gives the first of the month with has_day False."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    m = _URL_DATE.search(path)
    if not m:
        return None, False
    if m["y"] is not None:
        month, day = (m["m"], m["d"]) if m["m"] is not None else (m["mc"], m["dc"])
        return _day(int(m["y"]), int(month), int(day)), True
    return _day(int(m["y2"]), int(m["m2"]), 1), False


_NOT_TEXT = {"script", "style", "noscript", "template", "head"}


def body_text(root: Any) -> str:
    """The text a reader sees in the body: no scripts, styles, comments or attributes
    (image and link URLs carry dates that are not the page's)."""
    body = root.find("body")
    if body is None:
        return ""
    parts: list[str] = []
    for el in body.iter():
        if isinstance(el.tag, str) and el.tag not in _NOT_TEXT and el.text:
            parts.append(el.text)
        if el.tail and el is not body:
            parts.append(el.tail)
    return " ".join(parts)


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
        sorted((re.escape(n) for n, i in _MONTHS.items() if i == day.month), key=len)[::-1]
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
