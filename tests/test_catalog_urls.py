"""Link kinds and catalog keys: catalog/urls.py."""

from __future__ import annotations

import pytest

from catalog.urls import classify, host_of, link_key, resolve_relative, slot_host
from catalog.vocabulary import LinkKind


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://example.com/a", LinkKind.EXTERNAL),
        ("HTTP://Example.com", LinkKind.EXTERNAL),
        ("//cdn.example.com/x.js", LinkKind.EXTERNAL),
        ("newsletter.systemdesign.one/p/how-api-gateway-works", LinkKind.NO_SCHEME),
        ("example.com", LinkKind.NO_SCHEME),
        ("www.example.org/page", LinkKind.NO_SCHEME),
        ("docs.python.org/3/library", LinkKind.NO_SCHEME),
        ("blog.example.engineering/post", LinkKind.NO_SCHEME),  # a public suffix
        ("wiki.corp.internal/page", LinkKind.RELATIVE),  # no public suffix: a path
        ("docs/setup.md", LinkKind.RELATIVE),
        ("./learning-paths/beginner.md", LinkKind.RELATIVE),
        ("fundamentals/caching.md", LinkKind.RELATIVE),
        ("README.md", LinkKind.RELATIVE),  # .md is Moldova, but here a file
        ("setup.py", LinkKind.RELATIVE),
        ("docs/img/logo.png", LinkKind.RELATIVE),
        ("../other/README.md#usage", LinkKind.RELATIVE),
        ("/CONTRIBUTING.md", LinkKind.RELATIVE),
        ("case-studies/", LinkKind.RELATIVE),
        ("#a-companies", LinkKind.ANCHOR),
        ("#", LinkKind.ANCHOR),
        ("", LinkKind.ANCHOR),
        ("mailto:someone@example.com", LinkKind.MAILTO),
        ("MAILTO:someone@example.com", LinkKind.MAILTO),
        ("tel:+123", LinkKind.OTHER),
        ("ftp://ftp.example.com/file", LinkKind.OTHER),
        ("javascript:alert(1)", LinkKind.OTHER),
        ("data:text/plain,hi", LinkKind.OTHER),
        ("  https://example.com/padded  ", LinkKind.EXTERNAL),
    ],
)
def test_classify(url: str, kind: LinkKind) -> None:
    assert classify(url) is kind


@pytest.mark.parametrize(
    ("url", "key"),
    [
        # scheme and host lowercased, default port dropped, empty path is "/"
        ("HTTPS://Example.COM:443", "https://example.com/"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        # query order kept (canonicalize_url would sort it), fragment kept
        ("https://example.com/p?z=1&a=2#Part", "https://example.com/p?z=1&a=2#Part"),
        # path case is significant
        ("https://example.com/Path", "https://example.com/Path"),
        # unsafe and non-ASCII characters percent-encoded, IDNA host
        ("https://example.com/a b", "https://example.com/a%20b"),
        ("https://bücher.de/ä", "https://xn--bcher-kva.de/%C3%A4"),
        ("//cdn.example.com/x.js", "https://cdn.example.com/x.js"),
        # no scheme: checked as https
        (
            "newsletter.systemdesign.one/p/how-api-gateway-works",
            "https://newsletter.systemdesign.one/p/how-api-gateway-works",
        ),
        ("mailto:someone@example.com ", "mailto:someone@example.com"),
        ("tel:+123", "tel:+123"),
        ("http://example.com:bad/", "http://example.com:bad/"),  # unparsable: as written
    ],
)
def test_link_key_external_and_others(url: str, key: str) -> None:
    assert link_key(url) == key


def test_http_and_https_are_distinct_keys() -> None:
    assert link_key("http://example.com/a") != link_key("https://example.com/a")


def test_fragments_make_distinct_keys() -> None:
    assert link_key("https://example.com/p#a") != link_key("https://example.com/p#b")


@pytest.mark.parametrize(
    ("url", "document", "key"),
    [
        ("./learning-paths/beginner.md", None, "file:learning-paths/beginner.md"),
        ("./learning-paths/beginner.md", "README.md", "file:learning-paths/beginner.md"),
        ("fundamentals/caching.md", "docs/README.md", "file:docs/fundamentals/caching.md"),
        ("../LICENSE", "docs/README.md", "file:LICENSE"),
        ("/CONTRIBUTING.md", "docs/README.md", "file:CONTRIBUTING.md"),
        ("./case-studies/", "README.md", "file:case-studies"),
        ("a%20b.md?plain=1#part", "README.md", "file:a b.md#part"),
        ("#a-companies", "README.md", "README.md#a-companies"),
        ("#a-companies", None, "#a-companies"),
    ],
)
def test_link_key_relative_and_anchor(url: str, document: str | None, key: str) -> None:
    assert link_key(url, document) == key


def test_resolve_relative_drops_query_and_fragment() -> None:
    assert resolve_relative("./x/../y/z.md?raw=1#top", "a/README.md") == "a/y/z.md"


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://Blog.Example.com:8443/x", "blog.example.com"),
        ("newsletter.systemdesign.one/p/x", "newsletter.systemdesign.one"),
        ("./README.md", None),
        ("#top", None),
        ("mailto:a@example.com", None),
    ],
)
def test_host_of(url: str, host: str | None) -> None:
    assert host_of(url) == host


def test_slot_host_is_scrapys_download_slot() -> None:
    """Crawl processes and queue workers split hosts by it: the hostname, no port."""
    assert slot_host("https://Example.COM:8443/a?b") == "example.com"
    assert slot_host("http://127.1.0.2:40000/x") == "127.1.0.2"
    assert slot_host("http://[::1/") == ""  # unparseable
    assert slot_host("mailto:someone@example.com") == ""
