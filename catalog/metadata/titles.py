"""The page's title: the most trusted metadata title, without its site-name part, checked
against the headings the reader sees (``<h1>``, ``<h2>``)."""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from urllib.parse import unquote, urlsplit

from .sources import Candidates
from .text import (
    CJK_CHARS,
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
_CJK = f"\u3000-\u303f{CJK_CHARS}\uff01-\uff60"  # with CJK and full-width punctuation
_CJK_TAIL = re.compile(rf"(?<=[{_CJK}])\s*[-_|｜]\s*([^-_|｜]{{1,12}})$")
_META_SOURCES = {"jsonld", "og", "dc", "meta"}
_SEP_CHARS = set("|:–—·•»«-/\\")
_WORD = re.compile(r"[^\W_]+")


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


def _without_cjk_site(text: str) -> str:
    """``标题-新华网`` → ``标题``: CJK text has no spaces, so Chinese and Japanese sites append
    their name behind a bare ``-``, ``_`` or ``|``; only a short tail after CJK text goes."""
    m = _CJK_TAIL.search(text)
    if m and len(m.group(1)) * 2 <= m.start() and not m.group(1).strip().isdigit():
        return text[: m.start()].strip()
    return text


def _banners(found: Candidates, sites: set[str], labels: set[str]) -> set[str]:
    """Headings that repeat the end of the ``<title>`` from a part naming the site on
    (``Salsa Moves - Dance Club Berlin`` in ``Cross Body Lead - Salsa Moves - Dance Club
    Berlin``): the site's banner, its name and tagline, in ``compact`` form."""
    headings = {compact(v) for _, v in found.get("h1", ())}
    names: set[str] = set()
    for _, value in found.get("title", ()):
        parts = title_parts(clean(value) or "")
        for i in range(1, len(parts)):
            tail = compact(" ".join(parts[i:]))
            if tail in headings and any(is_site_name(p, sites, labels) for p in parts[i:]):
                names.add(tail)
    return names


def _part_described(title: str, described: set[str]) -> str:
    """``Site - Headline - Topic - Section`` → ``Headline`` when the page's description is
    that one part: the description repeats the page's own part of the title."""
    parts = title_parts(title)
    if len(parts) > 1:
        for part in parts:
            if _key(part) in described:
                return part
    return title


def _host_spelled(found: Candidates, labels: set[str]) -> set[str]:
    """``<title>`` parts of two or more words that the host name spells out, each word
    (``Fire Brigade Lisbon`` on firebrigade-divers-lisbon.org): the site's name, written
    out; in ``compact`` form."""
    names: set[str] = set()
    for _, value in found.get("title", ()):
        for part in title_parts(clean(value) or ""):
            words = _words(_fold(part))
            if len(words) >= 2 and all(
                len(w) >= 3 and any(w in label for label in labels) for w in words
            ):
                names.add(compact(part))
    return names


def _title_remainders(found: Candidates, sites: set[str], labels: set[str]) -> set[str]:
    """Site names the ``<title>`` gives away: what it adds, behind a separator, to a
    metadata title (``Blog Name: Headline`` or ``Headline | Blog Name`` where og:title is
    ``Headline``), in ``compact`` form. A metadata title that names the site (a dc.title
    set to it) gives nothing away."""
    titles = found.get("title", ())
    metas = {t for src, v in titles if src in _META_SOURCES and (t := clean(v))}
    metas = {t for t in metas if compact(t) not in sites | labels}
    names: set[str] = set()
    for src, value in titles:
        page = clean(value)
        if src != "page-title" or not page:
            continue
        for meta in metas:
            if len(meta) >= 8 and page != meta:
                if page.startswith(meta):
                    rest, joint = page[len(meta) :], page[len(meta) : len(meta) + 3]
                elif page.endswith(meta):
                    rest, joint = page[: -len(meta)], page[-len(meta) - 3 : -len(meta)]
                else:
                    continue
                # a word run on ("Headline Extra") is no site name: only behind a separator
                if _SEP_CHARS.intersection(joint) and compact(rest) and rest.strip() not in metas:
                    names.add(compact(rest))
    return names


def page_title(found: Candidates, url: str) -> str | None:
    """The most trusted title candidate without its site-name part; a visible heading that
    confirms a candidate (see ``_confirms``; the best confirmation, then the first heading)
    is preferred, since it is what the reader sees
    as the headline. Without a usable candidate: the first ``<h1>``, else ``<h2>``."""
    sites, labels = site_names(found, url)
    # a "site name" that is the page's own headline (a misfilled og:site_name) names nothing
    sites -= {compact(v) for _, v in found.get("h1", ())}
    # what <title> adds to og:title, a banner heading repeating the title's end, and a part
    # the host name spells out word by word all name the site, like og:site_name does
    sites |= _title_remainders(found, sites, labels) | _banners(found, sites, labels)
    sites |= _host_spelled(found, labels)
    h1s = [h for _, v in found.get("h1", ()) if (h := clean(v))]
    h2s = [h for _, v in found.get("h2", ()) if (h := clean(v))][:_MAX_HEADINGS]
    h1s = [h for h in h1s if not is_site_name(h, sites, labels)]
    h2s = [h for h in h2s if not is_site_name(h, sites, labels)]
    home = urlsplit(url).path in {"", "/"}  # where the site's name is the page's title
    described = {_key(d) for _, v in found.get("description", ()) if (d := clean(v))}
    candidates: list[tuple[str, str]] = []
    for source in ORDER:
        for src, value in found.get("title", ()):
            text = clean(value)
            if src != source or not text:
                continue
            # CJK titles carry the site name behind an unspaced separator (no spaces in CJK)
            text = _without_cjk_site(_without_tight_site(text, sites))
            if not home and _names_site(text, sites, labels):
                continue
            # a description repeating one part of a many-part title marks the headline part
            text = _part_described(strip_site_suffix(text, sites, labels), described)
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
            # ... or the URL path names the page by the whole heading
            whole |= {_key(h) for h in wider if _path_spells_extra(h, candidate, url)}
            return next((h for h in wider if _key(h) in whole), candidate)
    if candidates:
        # sources with different kickers ("Kicker: Headline") agree only on the headline
        title = _shared_headline(candidates) or candidates[0][1]
        # the only <h1>, a reworded title or the one the URL slug names, is what readers see
        if len(h1s) == 1 and _headline_over_title(h1s[0], title, url):
            return h1s[0]
        return title
    return next(iter(h1s + h2s), None)


def _path_spells_extra(heading: str, title: str, url: str) -> bool:
    """Whether the URL path spells out the words a heading adds to the title (``Boat
    Training`` for ``Training`` at ``/boat/training.html``): the title is the short form
    of the heading. Words that repeat part of the title (``Patch Notes`` before
    ``Patchnotes 1.2``) are a label, not a fuller name."""
    path = compact(_fold(unquote(urlsplit(url).path)))
    inside = compact(_fold(title))
    extra = [w for w in _words(_fold(heading)) if w not in _words(_fold(title))]
    return bool(extra) and all(len(w) >= 3 and w in path and w not in inside for w in extra)


def _shared_headline(candidates: list[tuple[str, str]]) -> str | None:
    """``Headline`` when the most trusted title is ``Kicker: Headline`` and another source
    puts a different kicker before the same headline: they agree only on the headline."""
    kicker, colon, headline = candidates[0][1].rpartition(": ")
    if not colon or len(_words(headline)) < 2:
        return None
    for _, other in candidates[1:]:
        other_kicker, other_colon, other_headline = other.rpartition(": ")
        if (
            other_colon
            and _key(other_headline) == _key(headline)
            and _key(other_kicker) != _key(kicker)
        ):
            return headline
    return None


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _spelled_by(text: str, slug: str) -> float:
    """The share of a text's words (3 letters or more) that the URL slug spells out."""
    words = [w for w in _words(_fold(text)) if len(w) >= 3]
    return sum(w in slug for w in words) / len(words) if words else 0.0


def _fold(text: str) -> str:
    """Accents dropped (``Brasília`` → ``Brasilia``), as in URL slugs."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _url_slug(url: str) -> str:
    """The last path segment without its extension, in ``compact`` form."""
    segment = urlsplit(url).path.rstrip("/").rpartition("/")[2]
    return compact(_fold(unquote(segment.rpartition(".")[0] or segment)))


def _headline_over_title(h1: str, title: str, url: str) -> bool:
    """Whether the page's only ``<h1>``, which does not confirm the title, is the headline
    rather than the title: when it is the same headline reworded (the metadata title is
    often rewritten for search engines), or when the URL slug spells it out but not the
    title (a site-wide ``<title>``, or one written for search engines)."""
    a, b = _words(h1), _words(title)
    # the same headline reworded: most of its words, in the same order
    if a and b and SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.7:
        return True
    # the URL names the page: the heading that it spells out is the page's own
    slug = _url_slug(url)
    return len(slug) >= 8 and _spelled_by(h1, slug) >= 0.8 and _spelled_by(title, slug) < 0.5
