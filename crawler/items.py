"""Items the spiders yield: the raw facts of one link check, before any verdict.

A spider records what happened (status, redirect hops, a few headers, the start of the
body, the error) and nothing else; ``pipelines.classify`` turns a ``CheckItem`` into an
outcome and the catalog turns the history of outcomes into a link's status.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from catalog.vocabulary import ErrorKind, utcnow

BODY_SAMPLE_CHARS = 4096  # how much of a body a check keeps for classification

# The response headers a verdict may depend on (lowercase). Others are dropped.
KEPT_HEADERS = frozenset(
    {
        "cf-mitigated",
        "content-type",
        "etag",
        "last-modified",
        "location",
        "retry-after",
        "server",
        "set-cookie",  # cookie names only
        "www-authenticate",
        "x-azure-ref",
        "x-cache",
        "x-cdn",
        "x-datadome",
        "x-iinfo",
        "x-sucuri-block",
    }
)
KEPT_HEADER_PREFIXES = ("x-amz-", "x-amzn-", "x-px")


@dataclass
class CheckItem:
    """One check of one link, as the spider saw it."""

    link_id: int | None
    url: str
    method: str = "GET"  # HEAD or GET: the request whose answer is recorded
    http_status: int | None = None  # the final response's status; None when none came
    final_url: str | None = None  # after redirects; None when not redirected
    # Hop by hop: (status of the redirecting response, absolute URL it pointed to).
    redirects: list[tuple[int, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # see ``select_headers``
    error: str | None = None  # "DNSLookupError", "SSLError: certificate has expired", ...
    error_kind: str | None = None  # an ``ErrorKind`` value; inferred from ``error`` if None
    body_sample: str | None = None  # the first BODY_SAMPLE_CHARS of the decoded body
    title: str | None = None  # the page's <title>
    body_fingerprint: str | None = None  # content_fingerprint of the visible text
    probe_fingerprint: str | None = None  # same, for this host's answer to a random path
    # The host answered its random-path probe with a real 404/410: no soft 404s there.
    # None: no probe was made (then a strict title check stands in for it).
    probe_honest: bool | None = None
    fragment: str | None = None  # the URL's #fragment, if any
    fragment_found: bool | None = None  # None: not checked
    elapsed_ms: int | None = None
    checked_at: datetime = field(default_factory=utcnow)
    not_modified: bool = False  # a 304 answer to a conditional request
    etag: str | None = None  # validators to send next time (conditional GET)
    last_modified: str | None = None
    html: str | None = None  # the page, when its metadata is wanted; dropped once read
    # Issue 16: the page, when whether it is still what was listed is checked (dropped once
    # read); the link's reference identity (``PageReference`` fields) to compare with; the
    # identity read on this check, set by pipelines.changed.
    page: str | None = None
    reference: dict[str, Any] | None = None
    identity: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None  # set by pipelines.metadata: PageMetadata columns
    # Set by pipelines.classify: the outcome of this one check and why.
    outcome: str | None = None
    reason: str | None = None
    rewrite_to: str | None = None

    @property
    def effective_url(self) -> str:
        """The URL whose answer is recorded: the final URL after redirects, or the URL."""
        return self.final_url or self.url


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


def select_headers(
    headers: Mapping[str, str | bytes | Iterable[str | bytes]]
    | Mapping[bytes, str | bytes | Iterable[str | bytes]],
) -> dict[str, str]:
    """Keep the headers a verdict may use, lowercased, several values joined by ", ".

    Accepts Scrapy's ``Headers`` (bytes keys, lists of bytes values) or a plain dict. Of
    ``Set-Cookie`` only the cookie names are kept (``"__cf_bm, datadome"``).
    """
    kept: dict[str, str] = {}
    for raw_name, raw_values in headers.items():
        name = _text(raw_name).lower()
        if name not in KEPT_HEADERS and not name.startswith(KEPT_HEADER_PREFIXES):
            continue
        if isinstance(raw_values, str | bytes):
            values = [_text(raw_values)]
        else:
            values = [_text(v) for v in raw_values]
        if name == "set-cookie":
            values = [v.split("=", 1)[0].strip() for v in values]
        kept[name] = ", ".join(values)
    return kept


__all__ = ["BODY_SAMPLE_CHARS", "CheckItem", "ErrorKind", "FeedItem", "select_headers"]


@dataclass
class FeedItem:
    """One poll of one feed, as the feeds spider saw it."""

    feed_id: int
    url: str
    http_status: int | None = None
    final_url: str | None = None
    moved_permanently: bool = False  # every redirect hop was 301/308: the feed moved
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    kind: str = "feed"  # as followed: feed, sitemap or listing
