"""Files served from directories mounted at URL prefixes, with feed-aware content types."""

from __future__ import annotations

import html
import mimetypes
from pathlib import Path
from urllib.parse import quote, unquote

FEED_TYPES = {
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".opml": "text/x-opml",
    ".json": "application/json",
}
SNIFF_BYTES = 2048
LISTING_LIMIT = 5000  # entries shown in a directory listing


def content_type_for(path: Path, head: bytes = b"") -> str:
    """The content type to serve `path` with; XML files are sniffed for RSS/Atom/sitemaps."""
    suffix = path.suffix.lower()
    if suffix in FEED_TYPES:
        return FEED_TYPES[suffix]
    if suffix in (".xml", ".rdf", ".txt", "") and head:
        start = head[:SNIFF_BYTES].lower()
        if b"<rss" in start:
            return "application/rss+xml"
        if b"<feed" in start and b"2005/atom" in start:
            return "application/atom+xml"
        if b"<rdf:rdf" in start:
            return "application/rdf+xml"
        if b"<urlset" in start or b"<sitemapindex" in start:
            return "application/xml"
    guessed, _ = mimetypes.guess_type(path.name)
    if guessed is None:
        return "application/octet-stream"
    if guessed.startswith("text/") or guessed in ("application/xml", "application/json"):
        return f"{guessed}; charset=utf-8"
    return guessed


def find_mounted(mounts: dict[str, str], path: str) -> Path | None:
    """The file or directory that `path` names under the longest matching prefix, if any."""
    for prefix in sorted(mounts, key=len, reverse=True):
        if not path.startswith(prefix):
            continue
        root = Path(mounts[prefix]).resolve()
        rest = unquote(path[len(prefix) :].split("?", 1)[0]).lstrip("/")
        target = (root / rest).resolve()
        if target != root and root not in target.parents:
            return None  # escapes the mount
        if target.exists():
            return target
        return None
    return None


def listing(directory: Path, url_path: str) -> bytes:
    """A small HTML index of a mounted directory (links relative to `url_path`)."""
    base = url_path if url_path.endswith("/") else url_path + "/"
    items = []
    for i, entry in enumerate(sorted(directory.iterdir())):
        if i >= LISTING_LIMIT:
            break
        name = entry.name + ("/" if entry.is_dir() else "")
        items.append(
            f'<li><a href="{html.escape(base + quote(name))}">{html.escape(name)}</a></li>'
        )
    title = html.escape(url_path)
    return (
        f"<!doctype html><html><head><title>Index of {title}</title></head>"
        f"<body><h1>Index of {title}</h1><ul>{''.join(items)}</ul></body></html>"
    ).encode()
