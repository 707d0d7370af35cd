"""Page bodies the webs are made of: an article with its metadata, an RSS feed, an Atom feed."""

from __future__ import annotations

import html
import json


def article_html(
    title: str, site: str, url: str, published: str, description: str, author: str = "A. Writer"
) -> str:
    """An article page with <title>, OpenGraph and JSON-LD metadata."""
    ld = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": title,
        "datePublished": published,
        "author": {"@type": "Person", "name": author},
        "publisher": {"@type": "Organization", "name": site},
        "url": url,
    }
    t, d, s = html.escape(title), html.escape(description), html.escape(site)
    paragraphs = "".join(
        f'<p id="p{i}">{d} Section {i} of the article goes into the details.</p>' for i in range(4)
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{t} | {s}</title>'
        f'<meta name="description" content="{d}">'
        f'<meta property="og:title" content="{t}"><meta property="og:type" content="article">'
        f'<meta property="og:url" content="{url}"><meta property="og:site_name" content="{s}">'
        f'<meta property="og:description" content="{d}">'
        f'<meta property="article:published_time" content="{published}">'
        f'<link rel="canonical" href="{url}">'
        f'<script type="application/ld+json">{json.dumps(ld)}</script></head>'
        f'<body><article><h1 id="title">{t}</h1><h2 id="intro">Introduction</h2>{paragraphs}'
        f"</article></body></html>"
    )


def rss_feed(title: str, site_url: str, items: list[tuple[str, str, str]]) -> str:
    """RSS 2.0 with (title, url, RFC 822 date) items."""
    entries = "".join(
        f"<item><title>{html.escape(t)}</title><link>{u}</link><guid>{u}</guid>"
        f"<pubDate>{d}</pubDate></item>"
        for t, u, d in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{html.escape(title)}</title><link>{site_url}</link>"
        f"<description>{html.escape(title)}</description>{entries}</channel></rss>"
    )


def atom_feed(title: str, site_url: str, items: list[tuple[str, str, str]]) -> str:
    """Atom 1.0 with (title, url, RFC 3339 date) entries."""
    entries = "".join(
        f'<entry><title>{html.escape(t)}</title><link href="{u}"/><id>{u}</id>'
        f"<updated>{d}</updated></entry>"
        for t, u, d in items
    )
    updated = items[0][2] if items else "2024-01-01T00:00:00Z"
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f'<title>{html.escape(title)}</title><link href="{site_url}"/><id>{site_url}</id>'
        f"<updated>{updated}</updated>{entries}</feed>"
    )
