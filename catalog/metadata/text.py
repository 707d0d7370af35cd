"""Small text helpers: whitespace, titles without site-name suffixes, author names, words."""

from __future__ import annotations

import html
import math
import re

_SPACE = re.compile(r"\s+")
_EDGE_PUNCT = re.compile(r"^[\W_]+|[\W_]+$")
TITLE_SEP = re.compile(r"\s+(?:[|–—·•»«:]|-{1,2}|::|\\|/)\s+")
_AUTHOR_PREFIX = re.compile(
    r"^(?:view all posts by|show all articles of|all posts by|erstellt von|beitrag\s*von|"
    r"un documentaire de|autor/in:?|"
    # "Posted on 3 May 2020 by Name": the date sits between the verb and the name
    r"(?:posted|published|written|submitted)\s+on\s+[^|]{4,40}?\s+by\s|"
    r"(?:(?:written|posted|published|text|story|reported|photos?|publié|publicado|"
    r"publicada|pubblicato|geschrieben|gespeichert|verfasst)\s+)?"
    r"(?:by|von|par|por|di|da|door|av|af|de|autor(?:in)?|author|auteur|text|texte)\s*[:\s])\s*",
    re.I,
)
_AUTHOR_SUFFIX = re.compile(r"\s*(?:says|schreibt|dit|»|:)\s*$", re.I)
NOT_AUTHORS = {
    "noauthor",
    "name",
    "follow",
    "by",
    "autoreninformation",
    "nom",
    "admin",
    "wordpressadmin",
    "administrator",
    "redaktion",
    "editor",
    "unknown",
    "anonymous",
    "guest",
}
_CREDIT = re.compile(r"(?:fotos?|photos?|bild(?:er)?|images?|illustrations?)\s*:", re.I)
_AUTHOR_JUNK = re.compile(r"https?://|www\.|@\w+\.\w|\{\{|<|>")
_NAME_LIST = re.compile(r"\s*(?:[,;&]|\band\b|\bund\b|\bet\b|\by\b)\s*")
_ROLE_TAIL = re.compile(
    r"\s+[-–—|]\s+[^-–—|]*\b(?:team|staff|editor|writer|correspondent|reporter|"
    r"contributor|columnist|redakteur(?:in)?|redaktion|journalist(?:in)?)s?\b[^-–—|]*$",
    re.I,
)
_EDITED_BY = re.compile(r"\b(?:edited by|herausgegeben von|hrsg\.? von|édité par)\s", re.I)
OTHER_CREDIT = re.compile(
    r"[\s,;|]+(?:illustrations?|fotos?|photos?|photography|bilder?|images?|grafik)"
    r"\s*(?:von|by|de|par|:)\s.*$",
    re.I,
)
# a capitalised word, then two lowercase words of 4+ letters (particles are shorter)
_PHRASE = re.compile(r"[A-ZÀ-Þ]\w*(?:\s+\S+)*?\s+[a-zß-ÿ]{4,}\b(?:\s+\S+)*?\s+[a-zß-ÿ]{4,}\b")
_HANDLE = re.compile(r"@[\w.]+")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_AUTHOR_TAIL = re.compile(
    r"\s*(?:[|,–—-]\s*)?(?:\d{1,2}[./]\d{1,2}[./]\d{2,4}|(?:19|20)\d\d-\d\d-\d\d|updated\b|"
    r"published\b|posted\b|veröffentlicht\b|am\s+\d).*$",
    re.I,
)
_NON_WORD = re.compile(r"[\W_]+")
_DATE_PART = re.compile(r"[\d\s.,:/-]*\d[\d\s.,:/-]*(?:uhr|h)?", re.I)
_BOILERPLATE = {"blogarchive", "archive", "blog"}
GENERIC_TITLES = {
    "home",
    "homepage",
    "startseite",
    "accueil",
    "inicio",
    "index",
    "untitled",
    "aboutus",
    "about",
    "untitleddocument",
}
# Kana and CJK ideographs: words that are not separated by spaces.
CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK = re.compile(f"[{CJK_CHARS}]")
_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")
WORDS_PER_MINUTE = 230
CJK_CHARS_PER_MINUTE = 500


def clean(value: str | None) -> str | None:
    """Entities unescaped, whitespace collapsed; None for empty strings."""
    if value is None:
        return None
    if "&" in value:
        value = html.unescape(value)
    value = _SPACE.sub(" ", value).strip()
    return value or None


def norm(value: str) -> str:
    """The comparison form of a short text: casefolded, whitespace collapsed, no punctuation
    at either end."""
    return _EDGE_PUNCT.sub("", _SPACE.sub(" ", value.casefold()).strip())


def compact(value: str) -> str:
    return _NON_WORD.sub("", value.casefold())


def is_site_name(
    part: str, sites: set[str], labels: set[str], *, boilerplate: bool = False
) -> bool:
    """Whether a title part names the site: equal to a known site name, or (compared
    without spaces and punctuation) containing a domain label of the host (``Harper's
    Magazine`` on harpers.org, ``Stack Overflow Blog`` on stackoverflow.com)."""
    p = compact(part)
    if not p:
        return False
    if p in sites or p in labels or (boilerplate and p in _BOILERPLATE):
        return True
    return any(
        len(label) >= 4
        and label in p
        and (p.startswith(label) or p.endswith(label) or len(p) <= 3 * len(label))
        for label in labels
    )


def _date_like(part: str) -> bool:
    return bool(_DATE_PART.fullmatch(part.strip()))


def title_parts(title: str) -> list[str]:
    return [p for p in TITLE_SEP.split(title) if p.strip()]


def strip_site_suffix(title: str, sites: set[str], labels: set[str]) -> str:
    """``Headline | Site`` → ``Headline``: parts at either end that name the site (see
    ``is_site_name``) or are a bare date are dropped; the headline keeps its own
    separators."""
    parts = title_parts(title)
    if len(parts) < 2:
        return title
    first, last = 0, len(parts)
    # a site name and everything after it (taglines) ...
    for i in range(1, len(parts)):
        if is_site_name(parts[i], sites, labels) or compact(" ".join(parts[i:])) in sites:
            last = i
            break
    while last - first > 1 and _date_like(parts[last - 1]):
        last -= 1
    # ... and a site name with everything before it (breadcrumbs)
    for i in range(last - 2, -1, -1):
        if is_site_name(parts[i], sites, labels, boilerplate=True):
            first = i + 1
            break
    while last - first > 1 and is_site_name(parts[first], sites, labels, boilerplate=True):
        first += 1
    if (first, last) == (0, len(parts)):
        return title
    start = title.find(parts[first])
    end = title.rfind(parts[last - 1]) + len(parts[last - 1])
    return title[start:end].strip() if 0 <= start < end else " ".join(parts[first:last])


def clean_author(value: str | None) -> str | None:
    value = clean(value)
    if not value or _AUTHOR_JUNK.search(value) or _CREDIT.match(value):
        return None
    if _HANDLE.fullmatch(value):  # a social-media handle (twitter:creator), not a name
        return None
    if _EDITED_BY.search(value):  # an editor's credit ("Edited by Ann Lee") names no author
        return None
    value = OTHER_CREDIT.sub("", value)  # "Text by Ann Lee, photos by Bo Ek": the writer
    value = _AUTHOR_PREFIX.sub("", value.lstrip(" ,;:|-–—·•"))  # ", par Name" runs on
    value = _glued_twice(value)
    value = _ROLE_TAIL.sub("", value)  # "Name - Security team": the role is no name
    value = _AUTHOR_SUFFIX.sub("", _AUTHOR_TAIL.sub("", value)).strip(" ,;:|-–—*")
    if compact(value) in NOT_AUTHORS or _YEAR.search(value):  # a date left in: no name
        return None
    names = _NAME_LIST.split(value)
    if (
        not value
        or len(value) > 80
        # a list of names ("Ann Lee, Bo Ek and Cy Li") may be long, each name is short
        or len(value.split()) > (8 if len(names) == 1 else 4 * len(names))
        or any(len(name.split()) > 8 for name in names)
        or not any(c.isalpha() for c in value)
        or _PHRASE.match(value)  # "View my complete profile": a sentence-case phrase
        or _interface_words(value)  # "Read More", "Share This": buttons in title case
    ):
        return None
    return value


# Words of links and buttons; two in one "name" make it one (one may be a surname: More).
_INTERFACE = re.compile(
    r"\b(?:read|more|share|this|article|thanks?|you|click|here|next|previous|subscribe|"
    r"follow|us|contact|comments?|reply|home|back|top|menu|search|login|sign|up|all|rights|"
    r"reserved|posts|about|related|continue|download|print|email|like|view|weiterlesen|"
    r"mehr|teilen|lire|plus|suite)\b",
    re.I,
)


def _interface_words(value: str) -> bool:
    return len(_INTERFACE.findall(value)) >= 2


def _glued_twice(value: str) -> str:
    """``Ada LovelaceAda Lovelace`` (a name written twice, e.g. a visible and a screen-reader
    copy without a space between them) → ``Ada Lovelace``."""
    half, odd = divmod(len(value), 2)
    if half >= 3 and not odd and value[:half] == value[half:]:
        return value[:half].strip()
    spaced = value.split(" ")
    n = len(spaced)
    if n % 2 == 0 and n >= 2 and spaced[: n // 2] == spaced[n // 2 :]:
        return " ".join(spaced[: n // 2])
    return value


def word_stats(text: str) -> tuple[int, int]:
    """(word count, reading minutes); CJK characters count as words read at 500 a minute."""
    cjk = len(_CJK.findall(text))
    if cjk:
        text = _CJK.sub(" ", text)
    words = len(_WORD.findall(text))
    if not words and not cjk:
        return 0, 0
    minutes = math.ceil(words / WORDS_PER_MINUTE + cjk / CJK_CHARS_PER_MINUTE)
    return words + cjk, max(1, minutes)
