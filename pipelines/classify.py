"""Classify one check: from the raw facts of a ``CheckItem`` to an ``Outcome``.

Pure decision logic (no network, no database), one verdict per check with a short reason
a maintainer can act on. The rules (the README's "How a link gets its verdict"), in this order:

1. excluded items; errors without a response (NXDOMAIN is permanent, the rest transient);
   304 to a conditional request is ok; a status the host's config accepts is ok;
2. bot walls (999, vendor challenge pages and headers, block pages on a 403) are blocked;
3. redirects that land on a consent wall or a regional edition are blocked; on a login
   wall, the site's home page or a parent page, suspect (and never rewritten);
4. by status: 2xx is ok unless it is a soft 404 (fingerprint close to the host's answer
   for a random path; without a probe, a strict "not found" title on a near-empty page)
   or a #fragment is missing; a permanent redirect chain is ``redirect`` with the URL to
   rewrite to; 401 suspect; 403 decided from the host's other answers; 404/410
   permanent; 429, 5xx and the rest transient. A HEAD failure counts only once a GET
   confirms it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urljoin, urlsplit

from catalog.urls import slot_host
from catalog.vocabulary import ErrorKind, OutcomeKind
from crawler.items import CheckItem
from pipelines.fingerprint import similarity
from pipelines.walls import (
    S3_ERROR,
    bot_wall,
    consent_wall,
    geo_edition,
    login_wall,
    path_segments,
    site_of,
    tiny_page,
)

SOFT_404_SIMILARITY = 0.9  # body vs probe fingerprint similarity that means "same page"
HOST_REFUSALS_FOR_BLOCKED = 2  # refusals, with no success, that make a host a bot wall
PERMANENT_REDIRECTS = frozenset({301, 308})


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    reason: str
    rewrite_to: str | None = None  # for ``redirect``: the URL the README may use instead


@dataclass(frozen=True)
class HostStats:
    """How this host answered our *other* requests (this run or recent history)."""

    ok: int = 0  # 2xx/3xx answers
    refused: int = 0  # 401, 403, 999, bot walls
    failed: int = 0  # everything else: 404, 5xx, errors

    @classmethod
    def from_counts(cls, counts: Iterable[tuple[int | None, int]]) -> HostStats:
        """From (status, how many links answered it) pairs, as the catalog counts them."""
        totals = [0, 0, 0]
        for status, n in counts:
            totals[cls.bucket(status)] += n
        return cls(*totals)

    @staticmethod
    def bucket(status: int | None) -> int:
        """0 ok (2xx/3xx), 1 refused (401, 403, 999), 2 failed (the rest, errors)."""
        if status is not None and 200 <= status < 400:
            return 0
        return 1 if status in (401, 403, 999) else 2

    def plus(self, status: int | None) -> HostStats:
        totals = [self.ok, self.refused, self.failed]
        totals[self.bucket(status)] += 1
        return HostStats(*totals)


# --- small helpers -------------------------------------------------------------------


def _phrase(status: int) -> str:
    if status == 999:
        return "999 (non-standard: request denied)"
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


_TITLE = re.compile(r"<title[^>]*>(.*?)</title", re.S | re.I)


def _title(item: CheckItem) -> str:
    title = item.title
    if title is None and item.body_sample:
        match = _TITLE.search(item.body_sample)
        title = match.group(1) if match else None
    return " ".join(html.unescape(title or "").split())


# A language root needs its trailing slash ("/en/"): "/ok" or "/go" are pages, not roots.
_ROOT_PATH = re.compile(
    r"^/*(?:[a-z]{2}(?:[-_][a-z]{2})?/)?(?:(?:index|home|default)\.\w+)?$", re.I
)


def _is_root(path: str) -> bool:
    """ "/", "", "/en/", "/index.html": a site's home page."""
    return bool(_ROOT_PATH.match(path))


# --- errors without a response --------------------------------------------------------

_DNS_TEMPORARY = ("timeout", "timed out", "temporary failure", "try again", "servfail")


def infer_error_kind(error: str) -> ErrorKind:
    """The kind of a failure from its short description (Scrapy/Twisted exception names)."""
    e = error.lower()
    if e.startswith("excluded"):
        return ErrorKind.EXCLUDED
    if any(k in e for k in ("dnslookuperror", "nxdomain", "no such host", "name or service")):
        return ErrorKind.DNS_TEMPORARY if any(t in e for t in _DNS_TEMPORARY) else ErrorKind.DNS
    if "certificate" in e or "cert_" in e:
        return ErrorKind.CERTIFICATE
    if "ssl" in e or "tls" in e:
        return ErrorKind.TLS
    if "timeout" in e or "timed out" in e:
        return ErrorKind.TIMEOUT
    if any(k in e for k in ("refused", "reset", "connectionlost", "connection lost", "never")):
        return ErrorKind.CONNECTION
    if "connectiondone" in e or "partial" in e:
        return ErrorKind.CONNECTION
    if "redirect" in e:
        return ErrorKind.REDIRECT
    return ErrorKind.OTHER


def _certificate_reason(error: str) -> str:
    e = error.lower()
    if "expired" in e:
        what = "TLS certificate has expired"
    elif any(k in e for k in ("hostname", "mismatch", "not valid for", "doesn't match")):
        what = "TLS certificate is for another host"
    elif any(k in e for k in ("self signed", "self-signed", "unknown ca", "local issuer")):
        what = "TLS certificate is not trusted"
    else:
        what = "TLS certificate verification failed"
    return f"{what} ({error})"


def _error_outcome(item: CheckItem) -> Outcome:
    error = item.error or "no response"
    try:
        kind = ErrorKind(item.error_kind or "")
    except ValueError:
        kind = infer_error_kind(error)
    if kind is ErrorKind.EXCLUDED:
        return Outcome(OutcomeKind.EXCLUDED, item.error or "excluded by rule")
    if kind is ErrorKind.DNS:
        return Outcome(OutcomeKind.PERMANENT, f"no such host (NXDOMAIN: {error})")
    if kind is ErrorKind.CERTIFICATE:
        return Outcome(OutcomeKind.TRANSIENT, _certificate_reason(error))
    label = {
        ErrorKind.DNS_TEMPORARY: "DNS lookup did not complete",
        ErrorKind.TIMEOUT: "timed out",
        ErrorKind.CONNECTION: "connection failed",
        ErrorKind.TLS: "TLS handshake failed",
        ErrorKind.REDIRECT: "redirect not followed",
    }.get(kind, "request failed")
    return Outcome(OutcomeKind.TRANSIENT, f"{label} ({error})")


# --- bot walls ------------------------------------------------------------------------


def _landing(item: CheckItem, target: str, status: int) -> Outcome | None:
    """The outcome when a redirect landed somewhere that is not the article, or None."""
    source = item.url
    if urlsplit(target)._replace(fragment="") == urlsplit(source)._replace(fragment=""):
        return None
    if login_wall(source) or consent_wall(source):
        return None  # the README links a login page itself
    if consent_wall(target):
        wall = urlsplit(target)
        return Outcome(
            OutcomeKind.BLOCKED, f"redirect to a consent wall ({wall.hostname}{wall.path})"
        )
    if geo := geo_edition(source, target):
        return Outcome(OutcomeKind.BLOCKED, f"redirect to a regional edition ({geo}): geo wall")
    if login_wall(target):
        return Outcome(OutcomeKind.SUSPECT, f"redirect to a login page ({target})")
    if status >= 400:
        return None
    src, dst = urlsplit(source), urlsplit(target)
    if _is_root(dst.path) and not _is_root(src.path):
        return Outcome(OutcomeKind.SUSPECT, f"redirected to the site's home page ({target})")
    src_segments, dst_segments = path_segments(src.path), path_segments(dst.path)
    if (
        site_of(src.hostname or "") == site_of(dst.hostname or "")
        and 0 < len(dst_segments) < len(src_segments)
        and src_segments[: len(dst_segments)] == dst_segments
    ):
        return Outcome(OutcomeKind.SUSPECT, f"redirected to a parent page ({dst.path})")
    return None


def _permanent_target(item: CheckItem) -> tuple[str | None, int | None]:
    """The URL reached by the leading permanent hops, and the first temporary hop's status."""
    target = None
    for status, url in item.redirects:
        if status not in PERMANENT_REDIRECTS:
            return target, status
        target = url
    return target, None


def _with_fragment(url: str, fragment: str | None) -> str:
    if fragment and "#" not in url:
        return f"{url}#{fragment}"
    return url


# --- the decision ---------------------------------------------------------------------


def _forbidden(item: CheckItem, host_history: HostStats | None) -> Outcome:
    code = S3_ERROR.search(item.body_sample or "")
    if code and code.group(1) == "AllAccessDisabled":
        return Outcome(OutcomeKind.PERMANENT, "403 AllAccessDisabled: S3 has disabled this bucket")
    if code:
        how = ""
        if host_history and host_history.ok:
            how = f", while {host_history.ok} other objects of this host answer 2xx"
        return Outcome(
            OutcomeKind.PERMANENT,
            f"403 {code.group(1)} from S3{how}: S3 answers 403 for a missing object "
            "when the bucket is not listable (gone or no longer public)",
        )
    stats = host_history or HostStats()
    if stats.ok and stats.refused <= stats.ok:
        return Outcome(
            OutcomeKind.PERMANENT,
            f"403 while {stats.ok} other pages of this host answer 2xx: looks deleted "
            "(S3/CloudFront answer 403 for a missing object)",
        )
    if not stats.ok and stats.refused >= HOST_REFUSALS_FOR_BLOCKED:
        return Outcome(
            OutcomeKind.BLOCKED,
            f"403, and this host refused all {stats.refused} other requests of ours: a bot wall",
        )
    if stats.ok:
        how = f"{stats.ok} other pages answer 2xx but {stats.refused} were refused"
        return Outcome(OutcomeKind.TRANSIENT, f"403 Forbidden: ambiguous ({how})")
    return Outcome(
        OutcomeKind.TRANSIENT, "403 Forbidden: ambiguous (no other answers of this host yet)"
    )


def _healthy(item: CheckItem, status: int, title: str) -> Outcome:
    if "error from cloudfront" in item.headers.get("x-cache", "").lower():
        return Outcome(
            OutcomeKind.SUSPECT,
            f"soft 404: {status} but CloudFront reports an origin error (x-cache)",
        )
    if item.body_fingerprint and item.probe_fingerprint:
        score = similarity(item.body_fingerprint, item.probe_fingerprint)
        if score >= SOFT_404_SIMILARITY:
            return Outcome(
                OutcomeKind.SUSPECT,
                "soft 404: page matches this host's answer for a random path "
                f"(similarity {score:.2f})",
            )
    elif _not_found_title(title, words_only=bool(item.probe_honest)) and tiny_page(
        item.body_sample
    ):
        # Without a fingerprint to compare: a "not found" title on a near-empty page. Where
        # the host answers unknown paths with a real 404, a bare "404" in a title ("Article
        # 404") is no evidence: only the words count.
        return Outcome(OutcomeKind.SUSPECT, f"soft 404: title '{title}' on a near-empty page")
    if item.fragment and item.fragment_found is False:
        return Outcome(OutcomeKind.SUSPECT, f"missing #{item.fragment}")
    target, temporary = _permanent_target(item)
    if target and urlsplit(target)._replace(fragment="") != urlsplit(item.url)._replace(
        fragment=""
    ):
        rewrite = _with_fragment(target, item.fragment)
        return Outcome(OutcomeKind.REDIRECT, f"moved permanently to {target}", rewrite)
    if temporary:
        return Outcome(
            OutcomeKind.OK, f"{_phrase(status)} after a temporary redirect ({temporary})"
        )
    return Outcome(OutcomeKind.OK, _phrase(status))


_NOT_FOUND_WORDS = (
    r"page not found|file not found|^not found\b|404 not found|error 404|404 error"
    r"|page (?:does not|doesn't|cannot be found|could not be found)"
)
_NOT_FOUND_TITLE = re.compile(r"(?:^|\W)404(?:\W|$)|" + _NOT_FOUND_WORDS, re.I)
_NOT_FOUND_TITLE_WORDS = re.compile(_NOT_FOUND_WORDS, re.I)


def _not_found_title(title: str, *, words_only: bool = False) -> bool:
    pattern = _NOT_FOUND_TITLE_WORDS if words_only else _NOT_FOUND_TITLE
    return bool(title) and bool(pattern.search(title))


def classify(
    item: CheckItem,
    *,
    accepted_statuses: Collection[int] = frozenset(),
    host_history: HostStats | None = None,
) -> Outcome:
    """The outcome of one check, with a reason a maintainer can act on."""
    if item.error_kind == ErrorKind.EXCLUDED:
        return Outcome(OutcomeKind.EXCLUDED, item.error or "excluded by rule")
    status = item.http_status
    if item.not_modified or status == 304:
        return Outcome(OutcomeKind.OK, "304 Not Modified: unchanged since the last check")
    if item.error is not None or item.error_kind is not None:
        return _error_outcome(item)
    if status is None:
        return Outcome(OutcomeKind.TRANSIENT, "no response recorded")
    if status in accepted_statuses and not 200 <= status < 400:
        return Outcome(OutcomeKind.OK, f"{_phrase(status)}: accepted for this host by config")

    title = _title(item)
    if wall := bot_wall(item, status, title):
        return Outcome(OutcomeKind.BLOCKED, wall)

    location = item.headers.get("location")
    landed = item.final_url
    if landed is None and location and 300 <= status < 400:
        landed = urljoin(item.url, location)
    if landed and (outcome := _landing(item, landed, status)):
        return outcome

    if 200 <= status < 300:
        return _healthy(item, status, title)
    if 300 <= status < 400:
        if status in PERMANENT_REDIRECTS and location:
            target = _with_fragment(urljoin(item.url, location), item.fragment)
            return Outcome(OutcomeKind.REDIRECT, f"{_phrase(status)} to {target}", target)
        return Outcome(OutcomeKind.OK, f"{_phrase(status)} (redirect not followed)")
    if item.method.upper() == "HEAD" and status not in (429, 401):
        return Outcome(
            OutcomeKind.TRANSIENT, f"HEAD answered {_phrase(status)}; not confirmed by a GET"
        )
    if status in (404, 410):
        return Outcome(OutcomeKind.PERMANENT, _phrase(status))
    if status == 401:
        return Outcome(OutcomeKind.SUSPECT, "401 Unauthorized: the page needs a login")
    if status == 403:
        return _forbidden(item, host_history)
    if status == 429:
        return Outcome(OutcomeKind.TRANSIENT, "429 Too Many Requests: rate limited")
    return Outcome(OutcomeKind.TRANSIENT, _phrase(status))


__all__ = [
    "SOFT_404_SIMILARITY",
    "HostStats",
    "Outcome",
    "classify",
    "infer_error_kind",
]


class ClassifyPipeline:
    """Item pipeline: sets ``outcome``/``reason`` on each CheckItem from ``classify``.

    CLASSIFY_HOST_STATUSES (host → [status, how many of its links last answered it] pairs,
    from the catalog: ``catalog.store.host_answers``) feeds the 403 rule; CLASSIFY_ACCEPT
    (host → statuses) is the per-host config.
    """

    def __init__(
        self, host_statuses: dict[str, list[list[int | None]]], accept: dict[str, list[int]]
    ) -> None:
        # Counts, not lists of statuses: a host with 10,000 links costs one addition an item.
        self.hosts: dict[str, HostStats] = {
            host: HostStats.from_counts((pair[0], int(pair[1] or 0)) for pair in pairs)
            for host, pairs in host_statuses.items()
        }
        self.accept = {h: frozenset(v) for h, v in accept.items()}

    @classmethod
    def from_crawler(cls, crawler: Any) -> ClassifyPipeline:
        s = crawler.settings
        return cls(s.getdict("CLASSIFY_HOST_STATUSES"), s.getdict("CLASSIFY_ACCEPT"))

    def process_item(self, item: CheckItem) -> CheckItem:
        if item.error_kind == ErrorKind.DEFERRED:
            return item  # not a check: the store skips it and the link stays due
        host = slot_host(item.url)  # "" for a URL that cannot be split (http://[::1)
        history = self.hosts.get(host)
        outcome = classify(
            item,
            accepted_statuses=self.accept.get(host, frozenset()),
            host_history=history,
        )
        # This answer informs the host's later 403s.
        self.hosts[host] = (history or HostStats()).plus(item.http_status)
        item.outcome, item.reason, item.rewrite_to = (
            outcome.kind.value,
            outcome.reason,
            (outcome.rewrite_to),
        )
        return item
