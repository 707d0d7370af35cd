"""The one line model of a README: what CommonMark (and markdown-it) calls a line ending.

A line ends at ``\\r\\n``, ``\\r`` or ``\\n`` and nowhere else. ``str.splitlines()`` also
splits at form feeds, vertical tabs, ``\\x1c``-``\\x1e``, ``\\x85``, U+2028 and U+2029,
which Markdown reads as ordinary characters: line numbers from the parser and lines cut
by ``splitlines`` then disagree, and a writer deletes the wrong lines. Every piece of code
that maps a parser's line number to text uses these functions instead.
"""

from __future__ import annotations

import re

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_ENDING = re.compile(r"(?:\r\n|\r|\n)\Z")
ENDINGS = ("\r\n", "\r", "\n")


def split_lines(text: str) -> list[str]:
    """The lines of *text*, each with its own ending (the last one may have none)."""
    return _LINE.findall(text)


def ending(line: str) -> str:
    """The line's ending: ``"\\r\\n"``, ``"\\r"``, ``"\\n"`` or ``""`` (the last line)."""
    m = _ENDING.search(line)
    return m.group() if m else ""


def dominant_ending(text: str) -> str:
    """The ending most lines of *text* use (``"\\n"`` for a file without any)."""
    counts = {e: 0 for e in ENDINGS}
    for line in split_lines(text):
        e = ending(line)
        if e:
            counts[e] += 1
    best = max(ENDINGS, key=lambda e: (counts[e], e == "\n"))
    return best if counts[best] else "\n"
