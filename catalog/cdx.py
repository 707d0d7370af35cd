"""The Wayback Machine's CDX answers, read and chosen from (pure: ``jobs/wayback.py`` asks).

The CDX server answers ``GET {api_url}/cdx/search/cdx`` in plain text, one capture a line::

    urlkey timestamp original mimetype statuscode digest length

and, with ``showResumeKey``, a blank line and the key of the next page at the end (an
empty body: nothing, or no more). A capture whose archived status was 200 is preferred,
then an archived redirect (the Wayback Machine follows it); captures of error pages and
revisit records without a status are never chosen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from catalog.urls import web_url

TIMESTAMP = "%Y%m%d%H%M%S"  # a capture's time in CDX answers and archive URLs


@dataclass(frozen=True)
class Capture:
    timestamp: datetime  # UTC, aware
    original: str  # the URL as the archive captured it
    archive_url: str  # ``{api_url}/web/{YYYYMMDDhhmmss}/{original}``
    status: str  # the archived HTTP status ("200", "301", ...)


def parse_cdx(body: str) -> tuple[list[list[str]], str | None]:
    """The capture lines of a CDX answer (fields split) and its resume key, if any."""
    text = body.strip("\n")
    resume: str | None = None
    head, sep, tail = text.rpartition("\n\n")
    if sep and tail.strip() and "\n" not in tail.strip():
        text, resume = head, tail.strip()
    rows = [line.split() for line in text.splitlines() if line.strip()]
    return rows, resume


def choose(
    rows: Iterable[list[str]], when: date | datetime, *, api_url: str, before: bool = False
) -> Capture | None:
    """The capture nearest *when*: an archived 200 if any, else an archived redirect; with
    *before*, only those taken before *when*.

    Malformed lines are skipped; between two equally near captures the earlier wins.
    """
    moment = as_utc(when)
    best: dict[int, tuple[tuple[float, datetime], Capture]] = {}
    for fields in rows:
        if len(fields) < 5:
            continue
        stamp, original, status = fields[1], fields[2], fields[4]
        rank = 0 if status == "200" else 1 if status[:1] == "3" and status.isdigit() else None
        if rank is None:
            continue
        try:
            taken = datetime.strptime(stamp, TIMESTAMP).replace(tzinfo=UTC)
        except ValueError:
            continue
        if before and taken >= moment:
            continue
        key = (abs((taken - moment).total_seconds()), taken)
        if rank not in best or key < best[rank][0]:
            # through the one URL gate: the CDX answer's "original" is the web's text
            archive = web_url(f"{api_url.rstrip('/')}/web/{stamp}/{original}")
            if archive is None:
                continue
            best[rank] = (key, Capture(taken, original, archive, status))
    for rank in (0, 1):
        if rank in best:
            return best[rank][1]
    return None


def as_utc(when: date | datetime) -> datetime:
    if isinstance(when, datetime):
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return datetime(when.year, when.month, when.day, tzinfo=UTC)
