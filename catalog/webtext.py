"""Text from the web, made fit to store: the one cleaner for titles, summaries, authors,
headers and messages that pages and feeds hand the catalog.

- NUL is dropped: PostgreSQL's text refuses it (the whole batch of a feed's new articles
  or of a crawl's checks would fail) where SQLite keeps it and render would write it into
  the README.
- Other control characters but tab, newline and carriage return (C0, DEL, C1) are dropped:
  an ANSI or OSC sequence loses its ESC and BEL and is inert text.
- Bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) are dropped: a
  title cannot reverse the line it lands on in the README, a report or a pull request. The
  marks a translator writes (LRM U+200E, RLM U+200F, ALM U+061C) are kept, and text the
  maintainer wrote in the README never passes through here.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

__all__ = ["clean_web_text", "clean_web_value", "needs_cleaning"]

_DROPPED = re.compile("[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069]")

T = TypeVar("T")


def clean_web_text(text: str) -> str:
    """*text* without NUL, controls other than tab/newline/CR, and bidi overrides."""
    if _DROPPED.search(text) is None:  # the common case: nothing to copy
        return text
    return _DROPPED.sub("", text)


def clean_web_value(value: T) -> T:
    """:func:`clean_web_text` on every string in *value* (a string, list, tuple or dict)."""
    cleaned: Any
    if isinstance(value, str):
        cleaned = clean_web_text(value)
    elif isinstance(value, list):
        cleaned = [clean_web_value(v) for v in value]
    elif isinstance(value, tuple):
        cleaned = tuple(clean_web_value(v) for v in value)
    elif isinstance(value, dict):
        cleaned = {k: clean_web_value(v) for k, v in value.items()}
    else:
        cleaned = value
    return cleaned


def needs_cleaning(value: Any) -> bool:
    """Whether :func:`clean_web_value` would change *value* (cheap: no copies)."""
    if isinstance(value, str):
        return _DROPPED.search(value) is not None
    if isinstance(value, (list, tuple)):
        return any(needs_cleaning(v) for v in value)
    if isinstance(value, dict):
        return any(needs_cleaning(v) for v in value.values())
    return False
