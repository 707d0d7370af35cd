"""The Wayback Machine's capture of a URL nearest a given day, asked of its CDX server
(``catalog.cdx`` reads the answers and chooses).

One ``GET {api_url}/cdx/search/cdx`` with the parameters the archive's own clients send
(``url``, ``limit``, ``from``, ``to``, ``showResumeKey=true``, ``resolveRevisits=true``)
over a window around the day, widened while it holds no archived 200; further pages are
asked for with ``resumeKey``.

Every failure (network, timeout, an HTTP error such as the 403 of an excluded site or a
503, an unreadable answer) gives ``None``: the caller reports "no archived copy found".
Nothing here raises.
"""

from __future__ import annotations

import time
import urllib.parse
from datetime import date, datetime, timedelta

from catalog.cdx import TIMESTAMP, Capture, as_utc, choose, parse_cdx
from jobs.http import FetchError, fetch

DEFAULT_API_URL = "https://web.archive.org"
CDX_PATH = "/cdx/search/cdx"
# Windows either side of the day, asked for in turn until one holds an archived 200:
# a capture inside a window is nearer than any outside it.
WINDOWS = (timedelta(days=7), timedelta(days=366), timedelta(days=5 * 366))
LIMIT = 1000  # captures a page
MAX_PAGES = 3  # pages followed with resumeKey at most


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
    moment = as_utc(when)
    api = api_url.rstrip("/")
    deadline = time.monotonic() + timeout
    rows: list[list[str]] = []
    for window in WINDOWS:
        params = {
            "url": url,
            "limit": str(LIMIT),
            "from": (moment - window).strftime(TIMESTAMP),
            "to": (moment if before else moment + window).strftime(TIMESTAMP),
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


def _get(url: str, deadline: float) -> str | None:
    try:
        answer = fetch(url, deadline=deadline)
    except FetchError:
        return None
    if answer.status != 200:  # the 403 of an excluded site, a 503, ...
        return None
    return answer.body.decode("utf-8", "replace")
