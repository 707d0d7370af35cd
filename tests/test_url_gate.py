"""The one gate where a URL from the web enters the catalog (catalog.urls.web_url), and
every path that goes through it: feeds of each kind, sitemaps, listing pages, advertised
feeds, redirects, the crawl's start requests."""

from __future__ import annotations

import pytest

from catalog.urls import web_url

BASE = "https://blog.example/posts/"

# Every scheme a feed, a sitemap or a page can hand over that is not the web's, in the
# spellings a browser would still take for it.
REFUSED = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "\x00javascript:alert(1)",
    "java\nscript:alert(1)",
    "java\tscript:alert(1)",
    "jav&#x09;ascript:alert(1)",  # an entity a parser did not decode: a relative path
    "javascript://example.com/%0Aalert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/plain,hi",
    "file:///etc/passwd",
    "file://localhost/etc/passwd",
    "FILE:///C:/Windows/win.ini",
    "ftp://ftp.example.com/pub/file",
    "sftp://example.com/x",
    "gopher://example.com:70/1",
    "ws://example.com/socket",
    "wss://example.com/socket",
    "mailto:someone@example.com",
    "tel:+1555",
    "s3://bucket/key",
    "about:blank",
    "blob:https://example.com/uuid",
    "chrome://settings",
    "view-source:https://example.com/",
    "urn:uuid:2f2c1b44-0000-0000-0000-000000000000",
    "tag:example.com,2024:post-1",
    "feed:https://example.com/rss",
    "http://",
    "https://",
    "http:///path-only",
    "http:example.com/no-slashes",
    "http://[::1",  # an unclosed IPv6 literal: Scrapy refuses it, the crawl stopped
    "http://example.com:99999/",  # port out of range
    "http://example.com:port/",
    "http://exa mple.com/",  # a space in the host
    "http://exa%20mple.com/",
    "http://ex<ample.com/",
    "",
    "   ",
]

ACCEPTED = [
    ("https://example.com/a", "https://example.com/a"),
    ("HTTPS://Example.com/A", "https://Example.com/A"),
    ("http://example.com", "http://example.com"),
    ("  https://example.com/padded\n", "https://example.com/padded"),
    ("https://exa\nmple.com/p", "https://example.com/p"),  # a browser drops the newline
    ("https://example.com/a b", "https://example.com/a%20b"),
    ("https://example.com/\x1b[2J", "https://example.com/%1B[2J"),
    ("https://example.com/x\x7fy\x85", "https://example.com/x%7Fy%C2%85"),
    ("https://example.com/\u202egnp.exe", "https://example.com/%E2%80%AEgnp.exe"),
    ("https://example.com/\u2066x\u2069", "https://example.com/%E2%81%A6x%E2%81%A9"),
    ("https://例え.jp/パス", "https://例え.jp/パス"),  # non-ASCII stays readable
    ("http://127.0.0.1:8080/x", "http://127.0.0.1:8080/x"),  # the guard decides, not the gate
    ("http://[::1]:8080/x", "http://[::1]:8080/x"),
    ("https://example.com/a)b", "https://example.com/a)b"),  # render encodes destinations
]

RELATIVE = [
    ("next-post/", "https://blog.example/posts/next-post/"),
    ("/about", "https://blog.example/about"),
    ("//cdn.example/x", "https://cdn.example/x"),
    ("?page=2", "https://blog.example/posts/?page=2"),
    ("../feed.xml", "https://blog.example/feed.xml"),
]


@pytest.mark.parametrize("url", REFUSED)
def test_the_gate_refuses_every_url_that_is_not_the_web(url: str) -> None:
    assert web_url(url) is None
    assert web_url(url, BASE) is None or web_url(url, BASE).startswith(BASE)  # type: ignore[union-attr]


@pytest.mark.parametrize(("url", "expected"), ACCEPTED)
def test_the_gate_passes_the_web_with_what_a_url_cannot_hold_encoded(
    url: str, expected: str
) -> None:
    assert web_url(url) == expected
    assert web_url(expected) == expected  # idempotent


@pytest.mark.parametrize(("url", "expected"), RELATIVE)
def test_relative_urls_resolve_against_the_page(url: str, expected: str) -> None:
    assert web_url(url, BASE) == expected
    assert web_url(url) is None  # no base: nothing to resolve against


def test_a_base_that_is_not_the_web_gives_nothing() -> None:
    for base in ("file:///etc/", "javascript:alert(1)", "data:text/html,x"):
        assert web_url("passwd", base) is None
