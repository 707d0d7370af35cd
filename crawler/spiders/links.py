"""The link-check spider: one request per page, one CheckItem per link.

Links arrive from a source (the catalog's due list, through the job file; or a Redis
queue, crawler.spiders.queued), never from the database directly. ``page#a`` and ``page#b``
share one request and give two items, since Scrapy's dupefilter ignores fragments.
"""

from __future__ import annotations

import html
import re
import secrets
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import DNSLookupError
from twisted.python.failure import Failure

from catalog.urls import slot_host, web_url
from catalog.vocabulary import ErrorKind
from crawler.items import BODY_SAMPLE_CHARS, CheckItem, select_headers
from crawler.middlewares.privateguard import PrivateAddressError
from crawler.middlewares.redirectgate import REDIRECTS
from pipelines.fingerprint import content_fingerprint, visible_text

PROBE_PATH = "/.well-known/listkeeper-probe-"
# Every status reaches the callback except redirects, which RedirectMiddleware follows
# (``handle_httpstatus_all`` would switch redirects off).
STATUSES = [s for s in range(100, 1000) if s not in REDIRECTS]


@dataclass(frozen=True)
class Target:
    link_id: int
    url: str  # as the catalog has it, fragment included
    fragment: str | None
    reference: dict[str, Any] | None = None  # the page's first good identity


@dataclass
class Page:
    url: str
    targets: list[Target]
    etag: str | None = None
    last_modified: str | None = None
    want_body: bool = True
    compare: bool = False  # read the page to tell whether it is still what was listed


def pages_from(links: list[dict[str, Any]]) -> list[Page]:
    """Group links by their URL without fragment: one request per page."""
    pages: dict[str, Page] = {}
    for link in links:
        url, fragment = urldefrag(link["url"])
        page = pages.setdefault(url, Page(url, []))
        page.targets.append(
            Target(link["id"], link["url"], fragment or None, link.get("reference"))
        )
        page.compare = page.compare or bool(link.get("compare"))
        page.etag = page.etag or link.get("etag")
        page.last_modified = page.last_modified or link.get("last_modified")
        page.want_body = page.want_body and bool(link.get("want_body", True))
    for page in pages.values():
        if any(t.fragment for t in page.targets):
            page.want_body = True  # fragments are looked up in the body
    return list(pages.values())


def busiest_hosts_first(pages: list[Page]) -> list[Page]:
    """The pages round-robin across hosts, the hosts with the most pages first: the start
    order the scheduler's busiest-host-first rule (crawler.scheduling) takes over once
    requests queue up, so a big host starts at once and is never left for the end."""
    by_host: dict[str, list[Page]] = defaultdict(list)
    for page in pages:
        by_host[slot_host(page.url)].append(page)
    queues = sorted(by_host.values(), key=len, reverse=True)
    out: list[Page] = []
    rank = 0
    while queues:  # each pass drops the hosts it exhausts: O(pages) in all
        out += [queue[rank] for queue in queues]
        rank += 1
        queues = [queue for queue in queues if rank < len(queue)]
    return out


class LinksSpider(scrapy.Spider):
    name = "links"

    def __init__(self, links: list[dict[str, Any]] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pages = busiest_hosts_first(pages_from(links or []))
        # host → fingerprint of its answer to a random path; None when that was a real 404
        self.probes: dict[str, str | None] = {}
        # Items waiting for their host's probe, with the page text to fingerprint if needed.
        self.parked: dict[str, list[tuple[CheckItem, str | None]]] = defaultdict(list)
        self.probing: set[str] = set()

    async def start(self) -> AsyncIterator[scrapy.Request | CheckItem]:
        for page in self.pages:
            for request in self.requests_for(page):
                yield request

    def requests_for(self, page: Page) -> Iterator[scrapy.Request | CheckItem]:
        """A page's request, after its host's probe when that is still to be sent (a source
        other than the job file, e.g. crawler.spiders.queued, feeds pages through this).

        A page that cannot become a request (not an http(s) URL, or one Scrapy refuses,
        such as ``http://[::1``) gives its links an item saying so instead: one bad link
        never ends the start requests, which would leave every link after it unchecked.
        """
        try:
            if web_url(page.url) is None:
                raise ValueError("only http and https URLs with a host are checked")
            request = self._request(page)
            probe = None
            if page.want_body:
                parts = urlsplit(page.url)
                probe = self._probe(parts.scheme, parts.netloc)
        except ValueError as exc:
            yield from self._unrequestable(page, exc)
            return
        if probe is not None:
            # The probe goes first in the host's queue, so that its pages are not held
            # back waiting for it at the end.
            yield probe
        yield request

    def _unrequestable(self, page: Page, exc: ValueError) -> Iterator[CheckItem]:
        for target in page.targets:
            yield CheckItem(
                link_id=target.link_id,
                url=target.url,
                error=f"not a URL that can be requested: {exc}"[:500],
                error_kind=ErrorKind.OTHER.value,
                fragment=target.fragment,
            )

    def _probe(self, scheme: str, host: str) -> scrapy.Request | None:
        """Once per host: a random path, whose answer tells this host's soft 404s."""
        if host in self.probing:
            return None
        self.probing.add(host)
        return scrapy.Request(
            f"{scheme}://{host}{PROBE_PATH}{secrets.token_hex(8)}",
            callback=self.probed,
            errback=self.probe_failed,
            dont_filter=True,
            meta={"handle_httpstatus_list": STATUSES, "probe_host": host},
        )

    def _request(self, page: Page, method: str | None = None) -> scrapy.Request:
        host = slot_host(page.url)
        headers = dict(self.settings.getdict("LINKS_HOST_HEADERS").get(host, {}))
        if method is None:
            conditional = page.etag or page.last_modified
            method = "GET" if page.want_body or page.compare or conditional else "HEAD"
            if conditional and not page.want_body:
                if page.etag:
                    headers["If-None-Match"] = page.etag
                if page.last_modified:
                    headers["If-Modified-Since"] = page.last_modified
        return scrapy.Request(
            page.url,
            method=method,
            headers=headers,
            callback=self.parse,
            errback=self.failed,
            dont_filter=True,
            meta={"page": page, "handle_httpstatus_list": STATUSES},
        )

    # Callbacks return lists, not generators: Scrapy inspects a generator callback's source
    # on every response to warn about `return` values (its cache misses on bound methods),
    # which cost a sixth of the crawl's CPU.
    def parse(self, response: Response) -> list[Any]:
        return list(self._checked(response))

    def probed(self, response: Response) -> list[CheckItem]:
        return list(self._probed(response))

    def probe_failed(self, failure: Failure) -> list[CheckItem]:
        return list(self._probe_failed(failure))

    def failed(self, failure: Failure) -> list[CheckItem]:
        return list(self._failed(failure))

    def _checked(self, response: Response) -> Iterator[Any]:
        page: Page = response.meta["page"]
        method = response.request.method if response.request else "GET"
        if method == "HEAD" and (response.status >= 400 or response.status == 405):
            # A HEAD failure counts only once a GET confirms it.
            yield self._request(page, "GET")
            return
        items = [self._item(response, page, t, method) for t in page.targets]
        host = urlsplit(response.url).netloc
        text = _html_text(response) if method == "GET" and 200 <= response.status < 300 else None
        if text is None:
            yield from items
            return
        if host in self.probes:
            for item in items:
                yield _compared(item, text, self.probes[host])
            return
        self.parked[host].extend((item, text) for item in items)  # until the probe answers
        if probe := self._probe(urlsplit(response.url).scheme, host):
            yield probe  # a host reached only through a redirect or a HEAD fallback

    def _probed(self, response: Response) -> Iterator[CheckItem]:
        host = response.meta["probe_host"]
        honest = response.status in (404, 410) or not isinstance(response, TextResponse)
        fp = None if honest else content_fingerprint(visible_text(response.text))
        yield from self._release(host, fp)

    def _probe_failed(self, failure: Failure) -> Iterator[CheckItem]:
        request = getattr(failure, "request", None)
        host = request.meta["probe_host"] if request is not None else ""
        yield from self._release(host, None)

    def _release(self, host: str, fp: str | None) -> Iterator[CheckItem]:
        self.probes[host] = fp
        for item, text in self.parked.pop(host, []):
            yield _compared(item, text, fp)

    def _item(self, response: Response, page: Page, target: Target, method: str) -> CheckItem:
        meta = response.meta
        hops: list[tuple[int, str]] = []
        urls = [*meta.get("redirect_urls", []), response.url]
        for status, to in zip(meta.get("redirect_reasons", []), urls[1:], strict=False):
            hops.append((int(status) if isinstance(status, int) else 0, to))
        item = CheckItem(
            link_id=target.link_id,
            url=target.url,
            method=method,
            http_status=response.status,
            final_url=response.url if hops else None,
            redirects=hops,
            headers=select_headers(response.headers),
            elapsed_ms=int(meta.get("download_latency", 0) * 1000),
            fragment=target.fragment,
            reference=target.reference,
            not_modified=response.status == 304,
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
        )
        if "retry_after_exceeded" in response.flags:
            item.error_kind = ErrorKind.DEFERRED  # asked to wait longer than the cap: stays due
        if isinstance(response, TextResponse) and method == "GET":
            text = response.text
            item.body_sample = text[:BODY_SAMPLE_CHARS]
            if _html_text(response) is not None:
                if page.want_body and 200 <= response.status < 300:
                    item.html = text  # for pipelines.metadata
                if (page.want_body or page.compare) and 200 <= response.status < 300:
                    item.page = text  # for pipelines.changed
                # A regex, not a parse: most pages need no tree (fragments below do).
                found_title = _TITLE.search(text, 0, TITLE_SCAN_CHARS)
                if found_title:
                    item.title = " ".join(html.unescape(found_title.group(1)).split()) or None
                if target.fragment:
                    found = response.xpath(
                        "//*[@id=$f or @name=$f or @id=$g]",
                        f=target.fragment,
                        g=f"user-content-{target.fragment}",
                    )
                    item.fragment_found = bool(found)
        return item

    def _failed(self, failure: Failure) -> Iterator[CheckItem]:
        request = getattr(failure, "request", None)
        if request is None:
            return
        page: Page = request.meta["page"]
        error, kind = describe(failure)
        hops = [(0, u) for u in request.meta.get("redirect_urls", [])[1:]]
        for target in page.targets:
            yield CheckItem(
                link_id=target.link_id,
                url=target.url,
                method=request.method,
                error=error,
                error_kind=kind,
                redirects=hops,
                fragment=target.fragment,
            )


def describe(failure: Failure) -> tuple[str, str | None]:
    """A short error text and, where it is certain, its kind."""
    exc = failure.value
    name = type(exc).__name__
    text = f"{name}: {exc}".strip().rstrip(":")
    if isinstance(exc, PrivateAddressError):
        return f"excluded: {exc}", ErrorKind.EXCLUDED.value
    cause = (exc.__cause__ or exc.__context__) if exc is not None else None
    if isinstance(exc, DNSLookupError) or isinstance(cause, DNSLookupError):
        temporary = "timeout" in str(exc).lower()
        return f"DNSLookupError: {exc}", (
            ErrorKind.DNS_TEMPORARY.value if temporary else ErrorKind.DNS.value
        )
    if isinstance(exc, HttpError) and exc.response.status in REDIRECTS:
        return _unfollowed(exc.response), ErrorKind.REDIRECT.value
    if isinstance(exc, IgnoreRequest) and "redirect" in str(exc).lower():
        return f"redirect loop or chain longer than 10: {exc}", ErrorKind.REDIRECT.value
    if isinstance(exc, IgnoreRequest) and "max size" in str(exc).lower():
        return f"body too large (compressed bomb?): {exc}", ErrorKind.OTHER.value
    return text[:500], None


def _unfollowed(response: Response) -> str:
    """What a redirect that was not followed pointed at: Scrapy follows only http(s)
    targets (the one URL gate agrees), and hands back the 3xx for anything else."""
    status = response.status
    location = _header(response, b"Location")
    if not location:
        return f"redirect ({status}) without a Location header: nowhere to follow"
    try:
        target = urljoin(response.url, location.strip())
        scheme = urlsplit(target).scheme.lower()
    except ValueError:
        target, scheme = location, ""
    what = f"a {scheme}: URL" if scheme and scheme not in ("http", "https") else "an invalid URL"
    return f"redirect ({status}) to {what}, not followed (only http and https are): {target[:300]}"


_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.I | re.S)
TITLE_SCAN_CHARS = 64 * 1024


def _html_text(response: Response) -> str | None:
    """The decoded text of an HTML response, or None."""
    if not isinstance(response, TextResponse):
        return None
    if b"html" not in (response.headers.get(b"Content-Type") or b"html").lower():
        return None
    return response.text


def _compared(item: CheckItem, text: str | None, probe: str | None) -> CheckItem:
    """Fill in what the soft-404 rule needs; the page is fingerprinted only when its host
    answers unknown paths with a page (fingerprints are the costly part)."""
    item.probe_honest = probe is None
    if probe is not None and text is not None:
        item.probe_fingerprint = probe
        item.body_fingerprint = content_fingerprint(visible_text(text))
    return item


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
