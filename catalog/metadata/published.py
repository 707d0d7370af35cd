"""The publication date: htmldate's answer, overridden by a rule only with evidence.

htmldate's ``find_date(original_date=True)`` with its defaults is the default answer: it
generalises to pages nobody tuned for better than rules fitted to an annotated corpus.
Rules are of two kinds, and each says so in the returned evidence line:
overrides (markup, url-day, headline, modified, url-month, dateline) give another day from
what the page's markup, URL or headline states and htmldate did not read or weighed
otherwise; drops (modified, unwritten, html-comment, masthead, webpage-node, comments) refuse
htmldate's day where the page states it nowhere a reader sees it, or only as an edit's or a
commenter's date. Last, local-day gives a UTC instant of the markup the offset at which the
page shows it (the day a reader sees).

Each rule has a name in ``RULES``; the ablation bench (bench/metadata.py) switches them off
one at a time (``DISABLED``) and counts the pages each one fixes and breaks. Which half of
the annotated corpus a rule was written against: html-comment and modified, half A;
local-day and masthead, half B; the others predate the split and were written against the whole
corpus, so only their paired counts on each half, and their changes on the pages nobody
annotated, speak for them.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from catalog.datetimes import parse_dated

from .dates import PageText, stated_at, url_date, written_in
from .sources import Candidates, header_date

# Votes of each source for a publication day.
DATE_WEIGHT = {
    "jsonld": 4.0,
    "og": 4.0,
    "dc": 3.0,
    "meta": 3.0,
    "microdata": 3.0,
    "jsonld-page": 2.0,
    "page-time": 2.0,
    "page-anytime": 0.5,
}

RULES: dict[str, str] = {
    "markup": "a markup date (JSON-LD, meta, <time>) htmldate did not read beats its guess",
    "url-day": "a full date in the URL path, or the markup day within a day of it",
    "headline": "without markup dates, the date written with the headline",
    "modified": "htmldate's day the markup gives as an edit's: its publication day, else none",
    "unwritten": "htmldate's day in neither the markup nor the text: its fast search's",
    "html-comment": "htmldate's day written only in an HTML comment (a $Id$ stamp): dropped",
    "masthead": "htmldate's day written only in the site's header (today's date): dropped",
    "webpage-node": "htmldate's day that only a JSON-LD WebPage node gives, not shown: dropped",
    "comments": "htmldate's day written only in comments or after 'Updated': dropped",
    "local-day": "a UTC instant the page shows at its local time: the page's offset and day",
    "url-month": "a /2010/05/ path: the first day of that month the page states",
    "dateline": "with no other date, one ending the title or description",
}
# Rules switched off (the ablation bench sets this; extraction never does).
DISABLED: set[str] = set()


def _on(rule: str) -> bool:
    return rule not in DISABLED


@dataclass(frozen=True)
class Dated:
    """A publication instant (in the page's own offset) and why it was chosen."""

    value: datetime | None
    evidence: str


def _htmldate(root: Any, url: str, *, extensive: bool = True) -> tuple[date, datetime] | None:
    """htmldate's guess, with its defaults unless ``extensive`` is off (it copies the tree)."""
    try:
        from htmldate import find_date
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    try:
        found = find_date(root, url=url or None, original_date=True, extensive_search=extensive)
    except Exception:  # a third-party heuristic must never break extraction
        return None
    return parse_dated(found) if found else None


def _markup_vote(
    found: Candidates,
) -> tuple[dict[date, float], dict[date, tuple[float, datetime]], dict[date, set[str]]]:
    votes: dict[date, float] = {}
    best: dict[date, tuple[float, datetime]] = {}
    sources: dict[date, set[str]] = {}
    for source, value in found.get("published", ()):
        weight = DATE_WEIGHT.get(source, 0.0)
        parsed = parse_dated(value)
        if parsed is None or weight == 0.0:
            continue
        day, instant = parsed
        if source in sources.get(day, set()):
            continue
        sources.setdefault(day, set()).add(source)
        votes[day] = votes.get(day, 0.0) + weight
        if day not in best or weight > best[day][0]:
            best[day] = (weight, instant)
    return votes, best, sources


def published(found: Candidates, url: str, root: Any) -> Dated:
    """The page's publication date and the evidence for it (see the module's docstring)."""
    text = PageText(root)
    dated = _decided(found, url, root, text)
    if dated.value is not None and _on("local-day"):
        local = _local(dated.value, text)
        if local is not None:
            offset = local.strftime("%z")
            return Dated(
                local,
                f"{dated.evidence} (local-day: the page shows {local:%Y-%m-%d %H:%M}, "
                f"the markup's UTC instant at {offset[:3]}:{offset[3:]})",
            )
    return dated


def _decided(found: Candidates, url: str, root: Any, text: PageText) -> Dated:
    """The publication date before the page's own offset is restored (see ``_local``)."""
    guess = _htmldate(root, url)
    said = f"htmldate: {guess[0].isoformat()}" if guess else "htmldate: none"
    votes, best, sources = _markup_vote(found)
    from_url, has_day = url_date(url)

    if from_url is not None and has_day and _on("url-day"):
        # The URL's day is fixed when the article is created; a markup day within a day of
        # it is the same day in the page's own zone, and carries the time.
        day = from_url.date()
        close = [d for d in votes if abs((d - day).days) <= 1]
        if close:
            top = max(close, key=lambda d: votes[d])
            if guess is None or guess[0] != top:
                return Dated(best[top][1], f"url-day: URL {day}, markup {top} ({said})")
        elif guess is None or guess[0] != day:
            return Dated(from_url, f"url-day: URL {day} ({said})")
        if guess is not None:
            return Dated(
                best[guess[0]][1] if guess[0] in best else guess[1], "htmldate (URL agrees)"
            )

    if votes and _on("markup"):
        top = max(votes.items(), key=lambda kv: (kv[1], best[kv[0]][0]))[0]
        # A WebPage node's datePublished alone is the CMS record's (SEO plugins write one
        # on every page, posts or not): it counts only when the page shows that day.
        shown = not sources[top] <= {"jsonld-page", "page-anytime"} or written_in(text.visible, top)
        # htmldate weighs the markup too: a day it chose that some markup gives stands; a
        # markup date it did not read (a notation it does not know) overrides its guess.
        chosen = guess is not None and guess[0] in sources
        if votes[top] >= 2.0 and shown and not chosen:
            names = ", ".join(sorted(sources[top]))
            return Dated(best[top][1], f"markup: {top} from {names} ({said})")

    if not votes and _on("headline"):
        parsed = parse_dated(header_date(root))
        if parsed is not None and (guess is None or guess[0] != parsed[0]):
            return Dated(parsed[1], f"headline: {parsed[0]} ({said})")

    if (
        guess is not None
        and _on("modified")
        and guess[0] in _edited(found)
        and not written_in(text.visible, guess[0])
    ):
        # htmldate (asked for the original date) sometimes answers with the markup's
        # modification day; where the page does not show that day, a publication day the
        # markup gives with more votes (shown, where only a WebPage node gives it) is the
        # page's; else there is none to give.
        day = guess[0]
        rivals = [
            d
            for d in votes
            if d != day
            and votes[d] > votes.get(day, 0.0)
            and (not sources[d] <= {"jsonld-page", "page-anytime"} or written_in(text.visible, d))
        ]
        if rivals:
            top = max(rivals, key=lambda d: votes[d])
            names = ", ".join(sorted(sources[top]))
            return Dated(best[top][1], f"modified: {day} is an edit's; {top} from {names} ({said})")
        if day not in votes:
            guess = None
            said += " (modified: the markup gives it as an edit's day only: dropped)"
    if (
        guess is not None
        and _on("unwritten")
        and guess[0] not in sources
        and not written_in(text.visible, guess[0])
        and not _in_source(root, guess[0])
    ):
        # The extensive search also reads image and link URLs (upload folders, file names):
        # a day neither the markup nor the text gives is taken from the fast search.
        fast = _htmldate(root, url, extensive=False)
        if fast is None or fast[0] != guess[0]:
            instead = fast[0] if fast else "none"
            said += f" (unwritten: in neither markup nor text; its fast search: {instead})"
            guess = fast
    if (
        guess is not None
        and _on("html-comment")
        and guess[0] not in sources
        and not written_in(text.visible, guess[0])
        and _in_comments(root, guess[0])
        and not _in_source(root, guess[0])
    ):
        # A version-control stamp (``<!-- $Id: x 21 2014-06-01 13:09:34Z -->``) or a build
        # note: a date the page keeps in an HTML comment only is not its publication date.
        guess = None
        said += " (html-comment: written only in an HTML comment: dropped)"
    if (
        guess is not None
        and _on("masthead")
        and guess[0] not in sources
        and written_in(text.masthead, guess[0])
        and not written_in(text.outside_masthead, guess[0])
        and not _in_source(root, guess[0])
    ):
        # A site's header often shows the day it is read on (a "today" widget): a day the
        # page writes there and nowhere else, nor in its markup, is not the publication's.
        guess = None
        said += " (masthead: written only in the site's header, not the article: dropped)"
    if guess is not None:
        day = guess[0]
        if (
            _on("webpage-node")
            and sources.get(day, set()) == {"jsonld-page"}
            and not written_in(text.visible, day)
        ):
            # SEO plugins write a WebPage node with a datePublished on every page, posts or
            # not: the CMS record's date, kept only when the page shows it.
            guess = None
            said += " (webpage-node: only a JSON-LD WebPage node gives it, not shown: dropped)"
        elif (
            _on("comments")
            and not _in_markup(day, sources)  # first: the text walks cost on large pages
            and written_in(text.visible, day)
            and not stated_at(text.own, day)
        ):
            guess = None
            said += " (comments: written only in comments or after 'Updated': dropped)"

    if (
        from_url is not None
        and _on("url-month")
        and (guess is None or (guess[0].year, guess[0].month) != (from_url.year, from_url.month))
    ):
        found_day = _month_day(text, from_url)
        if found_day is not None:
            return Dated(found_day, f"url-month: {found_day.date()} ({said})")
    if guess is not None:
        # htmldate gives a day; a markup date of that day also carries its time and offset
        return Dated(best[guess[0]][1] if guess[0] in best else guess[1], "htmldate")
    if _on("dateline"):
        line = _dateline(found)
        if line is not None:
            return Dated(line, f"dateline: {line.date()} ({said})")
    return Dated(None, said)


# A time of day (``22:41``, ``22h41``, ``10:41 pm``) at a given minute; the date it follows
# is looked for in the characters before it (up to _BEFORE_CLOCK), for the first _MAX_CLOCKS.
_CLOCK = r"(?<![\d.:])(\d\d?)[:h]({:02d})(?::\d\d)?(?!\d)\s*([ap]\.?m\b)?"
_BEFORE_CLOCK = 60
_MAX_CLOCKS = 200
_MAX_OFFSET = timedelta(hours=14)  # the widest zone offset in use (UTC+14)


def _local(value: datetime, text: PageText) -> datetime | None:
    """``value`` in the page's own offset where the markup gave a UTC instant and the page
    shows the same instant at its local time on another day (``Wed, 04 May 2022 02:41 GMT``
    in the markup, ``3/5/2022 22:41`` on the page: May 3rd at UTC-04:00), else None."""
    if value.utcoffset() != timedelta(0) or (value.hour, value.minute) == (0, 0):
        return None
    instant = value.replace(second=0, microsecond=0)
    clocks = re.finditer(_CLOCK.format(value.minute), text.visible, re.I)
    for m in itertools.islice(clocks, _MAX_CLOCKS):
        hour = int(m[1])
        if m[3]:
            hour = hour % 12 + (12 if m[3][0] in "pP" else 0)
        if hour > 23:
            continue
        before = text.visible[max(0, m.start() - _BEFORE_CLOCK) : m.start()]
        for shift in (-1, 1):
            day = value.date() + timedelta(days=shift)
            if not written_in(before, day):
                continue
            shown = datetime(day.year, day.month, day.day, hour, value.minute, tzinfo=UTC)
            offset = shown - instant
            if abs(offset) <= _MAX_OFFSET and not offset % timedelta(minutes=15):
                return value.astimezone(timezone(offset))
    return None


def _edited(found: Candidates) -> set[date]:
    """The days the markup gives as modification dates."""
    days = set()
    for _, value in found.get("modified", ()):
        parsed = parse_dated(value)
        if parsed is not None:
            days.add(parsed[0])
    return days


def _in_source(root: Any, day: date) -> bool:
    """Whether the markup writes ``day`` in ISO form (scripts, ``content`` and ``datetime``
    attributes): a date htmldate read there (a JSON-LD our parser refuses) is evidence;
    upload folders and file names in URLs write it otherwise (``/2019/03/14/``)."""
    iso = day.isoformat()
    return any(iso in str(v) for v in root.xpath("//script/text() | //@content | //@datetime"))


def _in_comments(root: Any, day: date) -> bool:
    """Whether an HTML comment writes ``day`` in ISO form."""
    iso = day.isoformat()
    return any(iso in str(v) for v in root.xpath("//comment()"))


def _in_markup(day: date, sources: dict[date, set[str]]) -> bool:
    """Whether a source other than an unmarked ``<time>`` gives ``day``."""
    return bool(sources.get(day, set()) - {"page-anytime"})


_DATELINE_SOURCES = {"og", "meta", "dc", "page-title"}


def _dateline(found: Candidates) -> datetime | None:
    """A date ending the title or description (``Berlin news | 19.01.2020``, ``Bears (news
    of 14 January 2020)``): sites that show no date elsewhere often put it there."""
    tail = re.compile(r"[(\[|–—·•]([^(\[|–—·•]{4,60}?)[\s)\].]*$")
    for name in ("title", "description"):
        for source, value in found.get(name, ()):
            m = tail.search(value) if source in _DATELINE_SOURCES else None
            parsed = parse_dated(m.group(1)) if m else None
            if parsed is not None:
                return parsed[1]
    return None


def _month_day(text: PageText, month: datetime) -> datetime | None:
    """The day of ``month`` written first in the page's own text (comments and "Updated"
    dates left out), or None."""
    first: tuple[int, datetime] | None = None
    for number in range(1, 32):
        try:
            day = datetime(month.year, month.month, number, tzinfo=UTC)
        except ValueError:
            break
        spots = stated_at(text.own, day.date())
        if spots and (first is None or spots[0] < first[0]):
            first = (spots[0], day)
    return first[1] if first else None
