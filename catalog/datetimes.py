"""Dates as the web writes them, in the writer's own offset: the one date parser of pages
(``parse_dated``) and feeds, sitemaps and listing pages (``parse_datetime``).

A date with a time and a zone becomes that instant in the zone's offset, so that its
``date()`` is the day the page shows (``2020-06-03T03:01+0400`` is June 3rd, though it is
June 2nd in UTC); a date without a zone, or without a time, becomes its calendar day at
midnight UTC (the day as written is kept, never shifted). Feeds say what they mean by a
time without a zone (W3C: UTC), so ``parse_datetime`` keeps that time, in UTC.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, date, datetime, timedelta, timezone

MIN_YEAR = 1993

_ISO = re.compile(
    r"(?P<y>(?:19|20)\d\d)-(?P<m>\d\d?)-(?P<d>\d\d?)"
    r"(?:[T ](?P<H>\d\d?):(?P<M>\d\d)(?::(?P<S>\d\d)(?:[.,]\d+)?)?\s*"
    r"(?P<tz>Z|z|UTC|GMT|[+-]\d\d:?\d\d|[+-]\d\d(?![\d:]))?)?"
)
_COMPACT = re.compile(r"^(?P<y>(?:19|20)\d\d)(?P<m>[01]\d)(?P<d>[0-3]\d)(?:T|\b|$)")
_YMD_SLASH = re.compile(r"(?P<y>(?:19|20)\d\d)[/.](?P<m>\d\d?)[/.](?P<d>\d\d?)")
_DMY = re.compile(r"\b(?P<d>\d\d?)[./-](?P<m>\d\d?)[./-](?P<y>(?:19|20)\d\d)\b")
MONTHS = {
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


def plausible_day(y: int, m: int, d: int) -> datetime | None:
    """That calendar day at midnight UTC, if it is a real and plausible one."""
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


def parse_datetime(text: str | None, *, notations: bool = True) -> datetime | None:
    """An aware datetime from a feed's, a sitemap's or a listing card's date: ISO 8601 / W3C
    (Atom, JSON Feed, sitemaps, ``<time datetime>``), RFC 2822 (RSS), else (unless
    ``notations`` is off) a notation ``parse_dated`` reads; in the offset written (a time
    without a zone is UTC, a day without a time midnight UTC); None if none."""
    if not text or not (text := text.strip()):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            found = parse_dated(text) if notations else None
            return found[1] if found else None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


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
        day = plausible_day(int(m["y"]), int(m["m"]), int(m["d"]))
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
            found = plausible_day(int(m["y"]), int(m["m"]), int(m["d"]))
            return (found, found) if found else None
    for pattern in (_TEXTUAL_DMY, _TEXTUAL_MDY):
        m = pattern.search(text)
        if m:
            month = MONTHS.get(m["mon"].lower().rstrip("."))
            if month:
                found = plausible_day(int(m["y"]), month, int(m["d"]))
                if found is None:
                    return None
                return found, _with_time(found, _TIME_TZ.match(text, m.end()))
    m = _CTIME.search(text)
    month = MONTHS.get(m["mon"].lower()) if m else None
    if m and month:
        # the zone is a name: the day as written
        found = plausible_day(int(m["y"]), month, int(m["d"]))
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
