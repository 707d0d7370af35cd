"""The one HTTP request of listkeeper's clients on urllib: GitHub's REST and GraphQL APIs
(``jobs/github.py``, ``jobs/graphql.py``), the Wayback Machine's CDX server
(``jobs/wayback.py``) and ``extract``'s page fetch (``jobs/discover.py``). Crawls go
through Scrapy instead.

:func:`fetch` sends one request and reads its answer through the one capped decoder
(``catalog.inflate.read_capped``): at most ``limit`` bytes off the wire and at most
``limit`` once decoded, whatever the Content-Encoding. Every HTTP status is an answer
(an error's body is read too, to a smaller cap); :class:`FetchError` only when none came
(network, timeout, a body its coding cannot decode, a broken exchange).

One user agent (the crawl's, ``crawler.settings.USER_AGENT``), one cap (``MAX_BODY``) and
one timeout policy: a request ends by a deadline that bounds the whole exchange, connect,
headers and body together (a slow drip included, as the crawl's DOWNLOAD_TIMEOUT does),
``TIMEOUT`` seconds after it starts unless its caller gives one deadline for several
requests (the Wayback lookup, all its pages together).
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from catalog.inflate import ACCEPT_ENCODING, STEP, InflateError, read_capped
from crawler.settings import USER_AGENT

MAX_BODY = 8 * 1024 * 1024  # bytes of an answer read, and decoded, at most
ERROR_BODY = 64 * 1024  # bytes of an error answer's body read, for its message
TIMEOUT = 30.0  # seconds a request may take in all, when its caller gives no deadline


class FetchError(Exception):
    """No answer came; ``reason`` is urllib's reason (or the error itself), and the text is
    that of the error that stopped the exchange."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.reason: Any = getattr(error, "reason", error)


@dataclass(frozen=True)
class Response:
    """One answer: its status, headers (first value of each name), decoded body (cut at the
    cap: ``cut``), reason phrase and final URL (after redirects, when followed)."""

    status: int
    body: bytes
    cut: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)
    reason: str = ""
    url: str = ""

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_FOLLOWING = urllib.request.build_opener()
# A 3xx is the answer: a client that sends a token must not replay it to wherever it points.
_NOT_FOLLOWING = urllib.request.build_opener(_NoRedirect())


def fetch(
    url: str,
    *,
    headers: Mapping[str, str] = {},
    method: str = "GET",
    data: bytes | None = None,
    follow_redirects: bool = True,
    deadline: float | None = None,
) -> Response:
    """One request to *url*; its answer, whatever its status. *deadline* (``time.monotonic``)
    bounds the whole exchange, by default ``TIMEOUT`` from now. Raises :class:`FetchError`
    when no answer came (by the deadline)."""
    deadline = time.monotonic() + TIMEOUT if deadline is None else deadline
    request = urllib.request.Request(url, data=data, method=method)
    for name, value in headers.items():
        request.add_header(name, value)
    request.add_header("User-Agent", USER_AGENT)
    request.add_header("Accept-Encoding", ACCEPT_ENCODING)
    opener = _FOLLOWING if follow_redirects else _NOT_FOLLOWING
    try:
        with opener.open(request, timeout=_left(deadline)) as response:
            body, cut = read_capped(_Until(response, deadline), MAX_BODY)
            return Response(
                response.status,
                body,
                cut,
                dict(response.headers),
                response.reason,
                response.geturl(),
            )
    except urllib.error.HTTPError as exc:
        return Response(
            exc.code,
            _error_body(exc, deadline),
            False,
            dict(exc.headers or {}),
            str(exc.reason),
            url,
        )
    except (OSError, ValueError, http.client.HTTPException) as exc:
        # URLError and TimeoutError are OSErrors; InflateError (a body its coding cannot
        # decode) and urllib's unknown URL type are ValueErrors.
        raise FetchError(exc) from None


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("timed out")
    return left


class _Until:
    """A response read by a deadline: a read of at most ``STEP`` bytes at a time, each given
    the time left (urllib's timeout bounds one socket operation, not a slow drip)."""

    def __init__(self, response: Any, deadline: float) -> None:
        self.response = response
        self.headers = response.headers
        self.deadline = deadline

    def read(self, amt: int, /) -> bytes:
        parts: list[bytes] = []
        size = 0
        while size < amt:
            left = _left(self.deadline)
            sock = getattr(getattr(getattr(self.response, "fp", None), "raw", None), "_sock", None)
            if sock is not None:
                sock.settimeout(left)
            read = getattr(self.response, "read1", None) or self.response.read
            chunk = read(min(STEP, amt - size))
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
        return b"".join(parts)


def _error_body(exc: urllib.error.HTTPError, deadline: float) -> bytes:
    """An error answer's body, as far as it can be read: the status says the rest."""
    if exc.fp is None:
        return b""
    try:
        return read_capped(_Until(exc.fp, deadline), ERROR_BODY)[0]
    except (InflateError, OSError, http.client.HTTPException):
        return b""
