"""The Wayback Machine's capture of a URL nearest a given day, from its CDX server.

One ``GET {api_url}/cdx/search/cdx`` with the parameters the archive's own clients send
(``url``, ``limit``, ``from``, ``to``, ``showResumeKey=true``, ``resolveRevisits=true``)
over a window around the day, widened while it holds no archived 200; further pages are
asked for with ``resumeKey``. The answer is plain text, one capture a line::

    urlkey timestamp original mimetype statuscode digest length

and, with ``showResumeKey``, a blank line and the key of the next page at the end (an
empty body: nothing, or no more). A capture whose archived status was 200 is preferred,
then an archived redirect (the Wayback Machine follows it); captures of error pages and
revisit records without a status are never chosen.

Every failure (network, timeout, an HTTP error such as the 403 of an excluded site or a
503, an unreadable answer) gives ``None``: the caller reports "no archived copy found".
Nothing here raises. No Scrapy: ``urllib`` only.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from catalog.inflate import ACCEPT_ENCODING, read_capped
from catalog.urls import web_url

DEFAULT_API_URL = "https://web.archive.org"
CDX_PATH = "/cdx/search/cdx"
USER_AGENT = "listkeeper/0.1 (+https://github.com/listkeeper/listkeeper; wayback lookup)"
# Windows either side of the day, asked for in turn until one holds an archived 200:
# a capture inside a window is nearer than any outside it.
WINDOWS = (timedelta(days=7), timedelta(days=366), timedelta(days=5 * 366))
LIMIT = 1000  # captures a page
MAX_PAGES = 3  # pages followed with resumeKey at most
MAX_BYTES = 8 * 1024 * 1024  # an answer larger than this (read or decoded) is cut
_TS = "%Y%m%d%H%M%S"


@dataclass(frozen=True)
class Capture:
    timestamp: datetime  # UTC, aware
    original: str  # the URL as the archive captured it
    archive_url: str  # ``{api_url}/web/{YYYYMMDDhhmmss}/{original}``
    status: str  # the archived HTTP status ("200", "301", ...)


def nearest_capture(
    url: str,
    when: date | datetime,
    *,
    api_url: str = DEFAULT_API_URL,
    timeout: float = 10.0,
    before: bool = False,
) -> Capture | None:
    """The capture of *url* nearest *when* (status 200 preferred), or None.

    *timeout* bounds the whole lookup (every page together), not only each request.
    With *before*, only captures taken before *when* count (the page as it was before it
    changed: a parked domain's later captures are of the lander).
    """
    moment = _utc(when)
    api = api_url.rstrip("/")
    deadline = time.monotonic() + timeout
    rows: list[list[str]] = []
    for window in WINDOWS:
        params = {
            "url": url,
            "limit": str(LIMIT),
            "from": (moment - window).strftime(_TS),
            "to": (moment if before else moment + window).strftime(_TS),
            "showResumeKey": "true",
            "resolveRevisits": "true",
        }
        resume: str | None = None
        for _ in range(MAX_PAGES):
            query = dict(params, resumeKey=resume) if resume else params
            body = _get(f"{api}{CDX_PATH}?{urllib.parse.urlencode(query)}", deadline)
            if body is None:  # refused or failed: what earlier answers held, if anything
                return choose(rows, moment, api_url=api, before=before)
            page, resume = parse_cdx(body)
            rows.extend(page)
            if not resume:
                break
        found = choose(rows, moment, api_url=api, before=before)
        if found is not None and found.status == "200":
            return found
    return choose(rows, moment, api_url=api, before=before)


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
    moment = _utc(when)
    best: dict[int, tuple[tuple[float, datetime], Capture]] = {}
    for fields in rows:
        if len(fields) < 5:
            continue
        stamp, original, status = fields[1], fields[2], fields[4]
        rank = 0 if status == "200" else 1 if status[:1] == "3" and status.isdigit() else None
        if rank is None:
            continue
        try:
            taken = datetime.strptime(stamp, _TS).replace(tzinfo=UTC)
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


def _utc(when: date | datetime) -> datetime:
    if isinstance(when, datetime):
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return datetime(when.year, when.month, when.day, tzinfo=UTC)


def _get(url: str, deadline: float) -> str | None:
    left = deadline - time.monotonic()
    if left <= 0:
        return None
    request = urllib.request.Request(
        url, headers={"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING}
    )
    try:
        with urllib.request.urlopen(request, timeout=left) as response:
            if response.status != 200:
                return None
            raw, _cut = read_capped(response, MAX_BYTES)
        return raw.decode("utf-8", "replace")
    except (OSError, ValueError, http.client.HTTPException):
        # URLError, HTTPError (4xx, 5xx) and TimeoutError are OSErrors; InflateError (a body
        # its coding cannot decode) is a ValueError.
        return None
