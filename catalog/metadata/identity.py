"""What a page is, in a few comparable fields: the reference a link's later checks compare
with, so that a page that still answers but is no longer what was listed can be told from
an edited one.

    ident = page_identity(html, "https://example.org/post")
    ident.title, ident.site_name, ident.lang, ident.host, ident.sketch

The main text is kept as a bottom-k sketch of its word shingles (the ``K`` smallest
shingle hashes): two sketches estimate how much of one text is contained in the other
(``containment``), which a trimmed page, a redesign or an added comment keep high and an
unrelated page brings to zero. A simhash (``pipelines.fingerprint``) cannot tell "shares
nothing" from "shares a third" at 64 bits; a sketch can.

Pure functions: no Scrapy, no database. The page is parsed once; its whole visible text
and the URLs it loads are returned too, for the lander rules (``pipelines.landers``).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml import html as lxml_html

from . import _first, _lang, _main_text, _parse
from .decode import decode_html
from .sources import collect
from .text import CJK_CHARS, clean
from .titles import page_title

K = 64  # hashes a sketch keeps: containment estimates within about ±0.1
# A main text shorter than this is too little to compare: the whole visible text is
# sketched instead (a page built by scripts, a gallery).
MIN_TEXT_WORDS = 30
SHINGLE = 3  # words per shingle
HASH_HEX = 8  # 32-bit shingle hashes, 8 hex digits each

_TOKEN = re.compile(f"[{CJK_CHARS}]|[^\\W_{CJK_CHARS}]+")
_INVISIBLE = ("script", "style", "noscript", "template", "svg")
# Elements whose URL says what a page loads: a parking provider's script, a frame.
_RESOURCES = (("script", "src"), ("iframe", "src"), ("frame", "src"), ("link", "href"))
MAX_WORDS = 20_000  # words sketched at most: a hostile page's megabyte of text is cut
MAX_RESOURCES = 400  # a hostile page's 100,000 links are not all read


TITLE_WORD_CHARS = 3  # shorter words ("a", "of", "de") say nothing about a title
# Words that appear in titles of every subject: sharing one of them is no resemblance.
_TITLE_FILLER = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "from",
        "your",
        "you",
        "how",
        "what",
        "why",
        "when",
        "this",
        "that",
        "are",
        "was",
        "not",
        "new",
        "our",
        "home",
        "page",
        "blog",
        "post",
        "posts",
        "news",
        "article",
        "articles",
        "index",
        "welcome",
        "part",
        "les",
        "des",
        "une",
        "pour",
        "und",
        "der",
        "die",
        "das",
        "ein",
        "eine",
        "mit",
        "von",
        "los",
        "las",
        "por",
        "con",
        "del",
    ]
)


@dataclass(frozen=True)
class PageIdentity:
    """A page's identity fields; ``sketch`` is hex, ``K`` hashes at most, ascending."""

    title: str | None = None
    site_name: str | None = None
    lang: str | None = None
    host: str | None = None  # the canonical link's host, else the page's own
    sketch: str = ""
    words: int = 0  # words sketched: the main text's, or the visible text's when it is short
    # Not stored: what the lander rules read on this one check.
    text: str = field(default="", compare=False, repr=False)  # the whole visible text
    headings: tuple[str, ...] = field(default=(), compare=False, repr=False)  # h1s
    resources: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)
    raw_title: str | None = field(default=None, compare=False, repr=False)  # <title> as is

    def fields(self) -> dict[str, str | int | None]:
        """The stored fields (``catalog.models.PageReference`` columns)."""
        return {
            "title": self.title,
            "site_name": self.site_name,
            "lang": self.lang,
            "host": self.host,
            "sketch": self.sketch,
            "words": self.words,
        }


def tokens(text: str) -> list[str]:
    """Casefolded words; each CJK character is a word (those scripts use no spaces)."""
    return _TOKEN.findall(text.casefold())


def title_words(title: str | None, *also_drop: str | None) -> set[str]:
    """The words of a title that can tell it apart: no site name, no host, no filler."""
    drop = set(_TITLE_FILLER)
    for text in also_drop:
        drop.update(tokens((text or "").replace(".", " ")))
    return {
        w
        for w in tokens(title or "")
        if (len(w) >= TITLE_WORD_CHARS or not w.isascii()) and w not in drop and not w.isdigit()
    }


def _hash(shingle: str) -> int:
    # CRC-32: stable across processes (unlike hash()), and a tenth of blake2b's cost; the
    # sketch needs spread, not resistance to an adversary.
    return zlib.crc32(shingle.encode())


def sketch(text: str) -> tuple[str, int]:
    """The bottom-``K`` sketch of ``text``'s word shingles (hex) and its word count."""
    words = tokens(text)[:MAX_WORDS]
    if len(words) >= SHINGLE:
        shingles = {" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}
    else:
        shingles = {" ".join(words)} if words else set()
    smallest = sorted({_hash(s) for s in shingles})[:K]
    return "".join(f"{h:0{HASH_HEX}x}" for h in smallest), len(words)


def _values(hexes: str) -> list[int]:
    return [int(hexes[i : i + HASH_HEX], 16) for i in range(0, len(hexes), HASH_HEX)]


def _contained(a: list[int], b: list[int]) -> tuple[int, int]:
    """Of ``a``'s hashes that ``b``'s sketch would hold if ``b`` had them, how many it has.

    ``b`` keeps every hash of its text up to its largest (all of them when it has fewer
    than ``K``), so for ``a``'s hashes in that range membership is exact."""
    if not a or not b:
        return 0, 0
    limit = b[-1] if len(b) >= K else 1 << 32
    comparable = [h for h in a if h <= limit]
    held = set(b)
    return sum(1 for h in comparable if h in held), len(comparable)


def containment(sketch_a: str, sketch_b: str) -> float:
    """How much of the smaller text is in the other (0 nothing, 1 all), from two sketches."""
    a, b = _values(sketch_a), _values(sketch_b)
    best = 0.0
    for x, y in ((a, b), (b, a)):
        hits, of = _contained(x, y)
        if of:
            best = max(best, hits / of)
    return best


def _visible(root: lxml_html.HtmlElement) -> str:
    body = root.find("body")
    node = body if body is not None else root
    return " ".join(" ".join(node.itertext()).split())  # itertext: words of two cells stay apart


def _resources(root: lxml_html.HtmlElement) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for tag, attr in _RESOURCES:
        for el in root.iter(tag):
            value = el.get(attr)
            if value:
                out.append((tag, value.strip()))  # as written: the rules read the path
                if len(out) >= MAX_RESOURCES:
                    return tuple(out)
    for meta in root.iter("meta"):
        if (meta.get("http-equiv") or "").lower() == "refresh":
            out.append(("refresh", meta.get("content") or ""))
    return tuple(out)


def _host(url: str | None) -> str | None:
    host = (urlsplit(url).hostname or "") if url else ""
    host = host.lower().rstrip(".")
    return host.removeprefix("www.") or None


def page_identity(body: bytes | str, url: str) -> PageIdentity:
    """The identity of one HTML page (an empty one for what is not HTML)."""
    text = decode_html(body)
    root = _parse(text) if text.strip() else None
    if root is None:
        return PageIdentity(host=_host(url))
    found = collect(root, authors=False)  # before scripts go: JSON-LD is a script
    canonical = next((c for _, c in found.get("canonical", ()) if c and c.strip()), None)
    host = _host(urljoin(url, canonical)) if canonical else None
    raw_title = next((clean(t) for s, t in found.get("title", ()) if s == "page-title"), None)
    headings = tuple(h for _, t in found.get("h1", ())[:5] if (h := clean(t)))
    resources = _resources(root)
    etree.strip_elements(root, *_INVISIBLE, etree.Comment, with_tail=False)
    visible = _visible(root)
    hexes, words = sketch(_main_text(root))
    if words < MIN_TEXT_WORDS:
        hexes, words = sketch(visible)
    return PageIdentity(
        title=page_title(found, url),
        site_name=_first(found, "site_name"),
        lang=_lang(found),
        host=host or _host(url),
        sketch=hexes,
        words=words,
        text=visible,
        headings=headings,
        resources=resources,
        raw_title=raw_title,
    )


__all__ = [
    "K",
    "PageIdentity",
    "containment",
    "page_identity",
    "sketch",
    "title_words",
    "tokens",
]
