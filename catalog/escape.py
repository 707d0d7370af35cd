"""Text and URLs from anywhere, made safe to write into Markdown."""

from __future__ import annotations

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


def md_url(url: str) -> str:
    """A link destination that re-parses to exactly ``url``."""
    url = url.replace("\\", "\\\\")
    if not url or any(c.isspace() for c in url) or not _balanced(url) or "<" in url:
        url = url.replace("<", "%3C").replace(">", "%3E")
        return f"<{url}>"
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
