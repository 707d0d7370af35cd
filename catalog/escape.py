"""Text and URLs from anywhere, made safe to write into Markdown."""

from __future__ import annotations

import re
from urllib.parse import quote

# Characters that could open markup inside a link label, a heading or a table cell.
# Escaping every ASCII punctuation mark would be as safe, but would litter the README.
_SPECIAL = frozenset("\\`*_[]<>|&~$")


def md_text(text: str) -> str:
    """Plain text → inline Markdown that renders, and re-parses, as the same text."""
    text = " ".join(text.split())  # a newline would end a list item or a table row
    out = []
    for i, ch in enumerate(text):
        if ch in _SPECIAL or (ch == "!" and text[i + 1 : i + 2] == "["):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def md_heading(text: str) -> str:
    """Like md_text, and a ``#`` never reads as the heading's own markup."""
    return md_text(text).replace("#", "\\#")


def _needs_encoding(ch: str) -> bool:
    """A character no link destination can hold: controls (C0, DEL, C1), and whitespace
    other than the space (line and paragraph separators, no-break spaces), which readers
    and tools split on."""
    code = ord(ch)
    return code < 0x20 or 0x7F <= code <= 0x9F or (ch != " " and ch.isspace())


def encode_destination(url: str) -> str:
    """``url`` with what a Markdown link destination cannot hold percent-encoded (as UTF-8).

    Idempotent, and a URL that needs none comes back unchanged, so a README written
    from it re-reads as the same URL and a second render changes nothing.
    """
    if not any(_needs_encoding(ch) for ch in url):
        return url
    return "".join(quote(ch, safe="") if _needs_encoding(ch) else ch for ch in url)


# An entity or numeric character reference: Markdown decodes it inside a destination.
_ENTITY = re.compile(r"&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")


def md_url(url: str) -> str:
    """A link destination (``[t](HERE)``, ``[ref]: HERE``) that re-parses to exactly
    ``encode_destination(url)``: a parenthesis, an angle bracket or an ``&amp;`` in a
    redirect target can neither end the link early nor smuggle markup after it."""
    url = _ENTITY.sub(r"\\&", encode_destination(url).replace("\\", "\\\\"))
    if not url or " " in url or not _balanced(url) or "<" in url:
        return "<" + url.replace("<", "%3C").replace(">", "%3E") + ">"
    return url


def angle_url(url: str, *, autolink: bool) -> str:
    """The inside of ``<HERE>``: a destination written in angle brackets (``[t](<HERE>)``,
    ``[ref]: <HERE>``), or an autolink. Nothing may end the brackets early; an autolink
    has no escapes, so there even the space and a would-be entity are percent-encoded."""
    url = encode_destination(url).replace("<", "%3C").replace(">", "%3E")
    if autolink:
        return _ENTITY.sub("%26", url.replace(" ", "%20"))
    return _ENTITY.sub(r"\\&", url.replace("\\", "\\\\"))


def attribute_url(url: str, quote_char: str = '"') -> str:
    """The inside of an HTML attribute value quoted with ``quote_char``."""
    url = encode_destination(url).replace("&", "&amp;")
    for ch in ("<", ">", quote_char):
        url = url.replace(ch, quote(ch, safe=""))
    return url


def _balanced(url: str) -> bool:
    depth = 0
    for ch in url:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0
