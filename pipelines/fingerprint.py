"""Content fingerprints: a 64-bit simhash over word shingles, for soft-404 comparison.

Two pages whose visible text differs by a few words (an error template that echoes the
requested path, a date in the footer) get fingerprints a few bits apart; unrelated pages
differ in about half of the 64 bits. ``similarity`` turns the Hamming distance into a
number between 0 and 1.
"""

from __future__ import annotations

import hashlib
import html
import re

BITS = 64
SHINGLE = 3  # words per shingle

_WORD = re.compile(r"\w+", re.UNICODE)
_INVISIBLE = re.compile(
    r"<(script|style|noscript|template|svg)\b[^>]*>.*?</\1\s*>|<!--.*?-->", re.S | re.I
)
_TAG = re.compile(r"<[^>]+>")


def visible_text(markup: str) -> str:
    """The text a reader sees in an HTML document (scripts, styles and tags removed)."""
    text = _INVISIBLE.sub(" ", markup)
    text = _TAG.sub(" ", text)
    return " ".join(html.unescape(text).split())


def _hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "big")


def content_fingerprint(text: str) -> str:
    """The simhash of ``text`` (lowercased words, shingles of three) as 16 hex digits."""
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) >= SHINGLE:
        shingles = {" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}
    else:
        shingles = {" ".join(words)} if words else set()
    weights = [0] * BITS
    for shingle in shingles:
        h = _hash(shingle)
        for bit in range(BITS):
            weights[bit] += 1 if (h >> bit) & 1 else -1
    value = sum(1 << bit for bit, w in enumerate(weights) if w > 0)
    return f"{value:016x}"


def similarity(fp_a: str, fp_b: str) -> float:
    """1.0 for identical fingerprints, about 0.5 for unrelated texts."""
    distance = (int(fp_a, 16) ^ int(fp_b, 16)).bit_count()
    return 1.0 - distance / BITS
