"""Landers: pages that answer 200 but hold no content of their own.

A parked or for-sale domain, a registrar's placeholder, an "account suspended" page, a web
server's default page, an automatic directory listing. They are recognised by what they
say and by their shape, never by naming a provider or a host:

- phrases such pages use (in the title or a heading, or anywhere on a short page): a
  domain for sale, parked, registered but not yet built, an account suspended, a server
  that "works" and waits for content, "Index of /";
- shape: little text, with a parking script or frame, or with both a sale term and the
  "sponsored listings" that parking pages show.

A long page is never a lander because its text mentions parking or a sale: an article
about domain parking is an article. Pure functions over a ``PageIdentity``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from catalog.metadata.identity import PageIdentity

SHORT_PAGE_WORDS = 800  # landers are short; a phrase on a longer page is not enough
TINY_PAGE_WORDS = 300  # what "little text" means for the shape rules
DEFAULT_PAGE_WORDS = 1500  # server default pages explain themselves at some length


@dataclass(frozen=True)
class Lander:
    what: str  # "parked or for-sale domain", "server default page", ...
    evidence: str  # what was seen, quoted

    @property
    def reason(self) -> str:
        return f"{self.what}: {self.evidence}"


PARKED = "parked or for-sale domain"
PLACEHOLDER = "registrar or hosting placeholder"
SUSPENDED = "hosting account suspended"
DEFAULT_PAGE = "web server default page"
LISTING = "directory listing"

_DOMAIN = r"(?:domain|dom[aä]ine?|dominio|domein|domän)(?:\s*name|\s*nome?)?"
_THIS = r"(?:this|the|that|este|esta|ce|cette|diese[rs]?|questo|deze)"
_SALE = (
    rf"{_THIS}\s+{_DOMAIN}(?:\s+\S+)?\s+(?:is|may\s+be|might\s+be|could\s+be)\s+"
    r"(?:now\s+)?(?:for\s+sale|available\s+for\s+(?:sale|purchase))"
    rf"|\b(?:buy|purchase|acquire|lease|rent)(?:\s+or\s+\w+)?\s+{_THIS}\s+{_DOMAIN}\b"
    rf"|\bmake\s+(?:an?\s+)?offer\s+(?:on|for)\s+{_THIS}\s+{_DOMAIN}"
    rf"|\b(?:interested\s+in|inquire\s+about|enquire\s+about)\s+(?:buying\s+)?{_THIS}\s+{_DOMAIN}"
    rf"|\b{_DOMAIN}\s+(?:is\s+)?for\s+sale\b"
    rf"|\b{_THIS}\s+{_DOMAIN}(?:\s+\S+)?\s+(?:está\s+en\s+venta|est\s+à\s+vendre|"
    r"steht\s+zum\s+verkauf|ist\s+zu\s+verkaufen|is\s+te\s+koop|è\s+in\s+vendita)"
)
_PARKED = (
    rf"\b(?:{_DOMAIN}|web\s*page|web\s*site|site|page)\s+(?:is\s+|has\s+been\s+)?"
    r"(?:currently\s+|temporarily\s+)?(?:registered\s+and\s+)?parked\b"
    rf"|\bparked\s+(?:{_DOMAIN}|free|for\s+free|by|at|with|courtesy)\b"
    r"|\bregistered\s+and\s+parked\b"
    rf"|\b{_DOMAIN}\s+(?:parking|geparkt|aparcado|parqué|parcheggiato)\b"
    rf"|\b(?:parking|aparcamiento|stationnement)\s+(?:del?|du|of\s+the|für\s+die)\s+{_DOMAIN}"
    r"|\bp[áa]gina\s+de\s+parking\b|\bpark(?:ing|ed)\s+page\b|\bis\s+parked\b"
    r"|\bsponsored\s+listings\s+displayed\s+above\b"
    r"|\bdomain\s+owner\s+and\s+\S+\s+maintain\s+no\s+relationship\b"
    r"|\bcontact\s+(?:with\s+)?(?:the\s+)?domain\s+owner\b"
)
_PLACEHOLDER = (
    r"\b(?:you\s+have|has\s+been|ha|has|hat|avez)\s+(?:successfully\s+)?"
    rf"(?:registered|registrado|registriert|enregistré)\s+(?:your|su|tu|ihre|votre)\s+{_DOMAIN}"
    r"|\bowner\s+(?:currently\s+)?(?:does\s+not|doesn't)\s+have\s+an\s+active\s+web\s*site"
    r"|\b(?:has\s+not|hasn't|have\s+not)\s+(?:yet\s+)?put\s+(?:up\s+a\s+site|any\s+content)"
    r"|\bfuture\s+home\s+of\b"
    r"|\bnewly\s+created\s+(?:customer\s+)?web\s*site\b"
    r"|\bdoes\s+not\s+(?:yet\s+)?have\s+a\s+web\s*site\b"
    r"|\bregistered\s+(?:&(?:amp;)?|and)\s+protected\s+by\b"
)
_SUSPENDED = (
    r"\baccount\s+(?:has\s+been\s+|is\s+|was\s+)?(?:temporarily\s+)?suspended\b"
    r"|\b(?:web\s*site|site|domain|hosting)\s+(?:has\s+been\s+|is\s+)(?:temporarily\s+)?"
    r"suspended\b"
    r"|\bcuenta\s+suspendida\b|\bcompte\s+suspendu\b|\bkonto\s+(?:wurde\s+)?gesperrt\b"
)
_SERVERS = (
    r"(?:web\s*server|http\s*server|httpd|nginx|apache\d?|iis|lighttpd|openresty|caddy|tomcat)"
)
_DEFAULT = (
    rf"\b{_SERVERS}\b[^.!?]{{0,60}}\b(?:is\s+)?(?:successfully\s+installed|"
    r"(?:is\s+)?working\s+properly|default\s+(?:welcome\s+)?page|test\s+page)"
    r"|\bdefault\s+(?:welcome\s+)?page\b[^.!?]{0,40}\bafter\s+installation"
    rf"|\byour\s+new\s+{_SERVERS}\s+is\s+ready\b"
    r"|\bif\s+you\s+(?:can\s+)?(?:see|read)\s+this\s+page,?\s+(?:it\s+means\s+that\s+)?the\s+\w+"
    r"\s+(?:web\s+|http\s+)?server\b"
    r"|\byou\s+should\s+replace\s+this\s+file\b"
)
_DEFAULT_TITLE = (
    r"^\s*it\s+works!?(?:\s+\w+\s+\w+)?\s*$"
    rf"|\bwelcome\s+to\s+(?:{_SERVERS}|xampp)\b"
    rf"|\b{_SERVERS}\b.{{0,40}}\b(?:default|test)\s+page\b|\b(?:default|test)\s+page\b.{{0,40}}{_SERVERS}"
    r"|^\s*(?:default\s+web\s*(?:site\s+)?page|under\s+construction)\s*$"
    r"|\bdefault\s+page\s*$|^\s*iis\s+windows(?:\s+server)?\s*$"
)
_LISTING_TITLE = re.compile(r"^\s*(?:index\s+of|directory\s+listing\s+(?:of|for))\s+/", re.I)
_LISTING_BODY = re.compile(
    r"\bparent\s+directory\b|\blast\s+modified\b|(?:^|\s)\.\./"
    r"|\d\d-[a-z]{3}-\d{4}\s+\d\d:\d\d",
    re.I,
)

# On a tiny page: a sale or parking term, and the sponsored listings parking pages show.
_WEAK_SALE = re.compile(
    rf"\bparked\W+(?:\w+\W+){{0,3}}{_DOMAIN}|\b{_DOMAIN}\W+(?:\w+\W+){{0,3}}(?:parking|sale)\b"
    rf"|\b(?:buy|purchase)\W+(?:\w+\W+){{0,3}}{_DOMAIN}",
    re.I,
)
_WEAK_LISTINGS = re.compile(
    r"\b(?:sponsored|related)\s+(?:\w+\s+)?(?:results|ads|listings|links|searches)\b", re.I
)
# A parking or sale service's script, frame or stylesheet, by what its URL says it is.
_PARKING_URL = re.compile(
    r"park(?:ing|ed)?(?:[-_/.]|$)|[-_/.]lander\b|domain[-_]?(?:ads|park|sale|forsale)"
    r"|for[-_]?sale\b|(?:^|[/_.-])caf\.js|afd[-_]?ads",
    re.I,
)
_LOADED = frozenset({"script", "iframe", "frame", "link", "refresh"})

_RULES = (
    (SUSPENDED, re.compile(_SUSPENDED, re.I)),
    (PARKED, re.compile(_SALE, re.I)),
    (PARKED, re.compile(_PARKED, re.I)),
    (PLACEHOLDER, re.compile(_PLACEHOLDER, re.I)),
    (DEFAULT_PAGE, re.compile(_DEFAULT, re.I)),
)
_DEFAULT_TITLE_RE = re.compile(_DEFAULT_TITLE, re.I)


def _quote(match: re.Match[str]) -> str:
    return "'" + " ".join(match.group(0).split())[:80] + "'"


def _directory_url(url: str) -> bool:
    return urlsplit(url).path.endswith("/") or not urlsplit(url).path


def lander(page: PageIdentity, url: str, *, reference: PageIdentity | None = None) -> Lander | None:
    """The kind of lander ``page`` (fetched for ``url``) is, with what gave it away; None
    for a page with content of its own. A directory listing is a lander only where the
    link is not a directory's URL, or where the page it replaced was not a listing."""
    words = len(page.text.split())
    titles = [t for t in (page.raw_title, page.title, *page.headings) if t]
    for title in titles:
        if _LISTING_TITLE.search(title) and _LISTING_BODY.search(page.text):
            was_listing = reference is not None and bool(
                reference.title and _LISTING_TITLE.search(reference.title)
            )
            if was_listing or (reference is None and _directory_url(url)):
                return None  # the list links a directory, and it still is one
            return Lander(LISTING, f"'{title[:80]}'")
    for title in titles:
        if words <= DEFAULT_PAGE_WORDS and (m := _DEFAULT_TITLE_RE.search(title)):
            return Lander(DEFAULT_PAGE, f"title {_quote(m)}")
        for what, rule in _RULES:
            if words > SHORT_PAGE_WORDS and what != DEFAULT_PAGE:
                continue  # a long page titled so is an article about it
            if m := rule.search(title):
                return Lander(what, f"title {_quote(m)}")
    if words <= DEFAULT_PAGE_WORDS:
        for what, rule in _RULES:
            if words > SHORT_PAGE_WORDS and what != DEFAULT_PAGE:
                continue
            if m := rule.search(page.text):
                return Lander(what, _quote(m))
    if words <= TINY_PAGE_WORDS:
        for tag, value in page.resources:
            parts = urlsplit(value)
            if tag in _LOADED and _PARKING_URL.search(f"{parts.path}?{parts.query}"):
                return Lander(PARKED, f"{words} words and a parking {tag} ({value[:100]})")
        sale, listings = _WEAK_SALE.search(page.text), _WEAK_LISTINGS.search(page.text)
        if sale and listings:
            return Lander(PARKED, f"{words} words, {_quote(sale)} and {_quote(listings)}")
    return None


__all__ = ["DEFAULT_PAGE", "LISTING", "PARKED", "PLACEHOLDER", "SUSPENDED", "Lander", "lander"]
