"""The page's title: the most trusted metadata title, without its site-name part, checked
against the headings the reader sees (``<h1>``, ``<h2>``)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from .sources import Candidates
from .text import (
    GENERIC_TITLES,
    TITLE_SEP,
    clean,
    compact,
    is_site_name,
    norm,
    strip_site_suffix,
    title_parts,
)

ORDER = ("jsonld", "og", "dc", "meta", "microdata", "page-title")
_SECOND_LEVEL = {"co", "com", "org", "net", "ac", "gov", "edu", "or", "ne", "go"}
_TIGHT_SEP = re.compile(r"\s*[|｜]\s*")
_MAX_HEADINGS = 40


def site_names(found: Candidates, url: str) -> tuple[set[str], set[str]]:
    """(known site names, host labels), both in ``compact`` form."""
    names = {compact(v) for _, v in found.get("site_name", ())}
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    labels = host.split(".")[:-1] if "." in host else [host]
    if len(labels) > 1 and labels[-1] in _SECOND_LEVEL:
        labels.pop()
    return names - {""}, {compact(x) for x in labels if x} | {compact(host)}


def _ellipsis_prefix(text: str) -> str | None:
    for mark in ("...", "…"):
        if text.endswith(mark):
            return norm(text[: -len(mark)])
    return None


def _key(text: str) -> str:
    """Comparison form: separators as spaces, then ``norm``."""
    return norm(TITLE_SEP.sub(" ", text))


def _confirms(heading: str, candidate: str, others: set[str]) -> int:
    """How well a visible heading confirms a candidate title: 3 when it is the candidate or
    a run of its parts that is not its tail (the headline in ``Headline | Section | Site``),
    2 when it is the tail, 1 when it is the candidate without a trailing addition
    (``Headline (2021/5)``) or a large part of it, or the candidate before it was cut short
    (as another, less trusted, candidate says); 0 when it is something else."""
    h, c = _key(heading), _key(candidate)
    if not h:
        return 0
    if h == c:
        return 3
    parts = title_parts(candidate)
    for i in range(len(parts)):
        for j in range(i + 1, len(parts) + 1):
            if (i, j) != (0, len(parts)) and _key(" ".join(parts[i:j])) == h:
                return 2 if j == len(parts) and i > 0 else 3
    if len(h) >= 10 and h in c and len(h) >= 0.4 * len(c):
        return 1
    if len(c) >= 10 and h.startswith(c + " ") and h in others:
        return 1  # a title cut short (by a stray quote in the attribute, say)
    prefix = _ellipsis_prefix(candidate)
    return int(bool(prefix and len(prefix) >= 10 and h.startswith(prefix)))


def _single(title: str) -> bool:
    return len(title_parts(title)) == 1


def _names_site(text: str, sites: set[str], labels: set[str]) -> bool:
    """Whether a whole title is only the site's name (``National Rail Enquiries`` on
    nationalrail.co.uk)."""
    p = compact(text)
    if not p:
        return True
    if is_site_name(text, sites, set()):
        return True
    return any(len(x) >= 4 and p.startswith(x) and len(p) <= 2 * len(x) for x in labels)


def _without_tight_site(text: str, sites: set[str]) -> str:
    """``NEWS WEB EASY|Headline`` → ``Headline`` when the part is a known site name; a bar
    without spaces around it only separates where one side is the site."""
    parts = _TIGHT_SEP.split(text)
    if len(parts) < 2:
        return text
    if compact(parts[0]) in sites:
        parts = parts[1:]
    elif compact(parts[-1]) in sites:
        parts = parts[:-1]
    else:
        return text
    return " | ".join(parts)


def page_title(found: Candidates, url: str) -> str | None:
    """The most trusted title candidate without its site-name part; a visible heading that
    confirms a candidate (see ``_confirms``; the best confirmation, then the first heading)
    is preferred, since it is what the reader sees
    as the headline. Without a usable candidate: the first ``<h1>``, else ``<h2>``."""
    sites, labels = site_names(found, url)
    # a "site name" that is the page's own headline (a misfilled og:site_name) names nothing
    sites -= {compact(v) for _, v in found.get("h1", ())}
    h1s = [h for _, v in found.get("h1", ()) if (h := clean(v))]
    h2s = [h for _, v in found.get("h2", ()) if (h := clean(v))][:_MAX_HEADINGS]
    h1s = [h for h in h1s if not is_site_name(h, sites, labels)]
    h2s = [h for h in h2s if not is_site_name(h, sites, labels)]
    home = urlsplit(url).path in {"", "/"}  # where the site's name is the page's title
    candidates: list[tuple[str, str]] = []
    for source in ORDER:
        for src, value in found.get("title", ()):
            text = clean(value)
            if src != source or not text:
                continue
            text = _without_tight_site(text, sites)
            if not home and _names_site(text, sites, labels):
                continue
            text = strip_site_suffix(text, sites, labels)
            if compact(text) not in GENERIC_TITLES:
                candidates.append((source, text))
    for i, (_, candidate) in enumerate(candidates):
        # <h2> confirms only the most trusted candidate: pages list other articles in them
        headings = h1s[:3] + h2s if i == 0 else h1s[:3]
        others = {_key(c) for _, c in candidates[i + 1 :]}
        scored = [(_confirms(h, candidate, others), -n, h) for n, h in enumerate(headings)]
        best = max(scored, default=(0, 0, ""))
        if best[0]:
            return best[2]
        wider = [h for h in headings if _key(candidate) in _key(h)]
        if i == 0 and wider:
            # the heading is the title with a kicker or a subtitle: the title, unless a less
            # trusted source says the whole heading is the title
            whole = {_key(t) for src, t in candidates[1:] if src != "microdata" and _single(t)}
            return next((h for h in wider if _key(h) in whole), candidate)
    if candidates:
        return candidates[0][1]
    return next(iter(h1s + h2s), None)
