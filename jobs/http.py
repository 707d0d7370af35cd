"""The one HTTP request of listkeeper's clients on urllib: GitHub's REST and GraphQL APIs
(``jobs/github.py``, ``jobs/graphql.py``), the Wayback Machine's CDX server
(``jobs/wayback.py``) and ``extract``'s page fetch (``jobs/discover.py``). Crawls go
through Scrapy instead.

:func:`fetch` sends one request and reads its answer through the one capped decoder
(``catalog.inflate.read_capped``): at most ``limit`` bytes off the wire and at most
``limit`` once decoded, whatever the Content-Encoding. Every HTTP status is an answer
(an error's body is read too, to a smaller cap); :class:`FetchError` only when none came
(network, timeout, a body its coding cannot decode, a broken exchange).
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from catalog.inflate import InflateError, read_capped

ERROR_BODY = 64 * 1024  # bytes of an error answer's body read, for its message


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
    limit: int,
    timeout: float,
    headers: Mapping[str, str] = {},
    method: str = "GET",
    data: bytes | None = None,
    follow_redirects: bool = True,
) -> Response:
    """One request to *url*; its answer, whatever its status. Raises :class:`FetchError`
    when no answer came."""
    request = urllib.request.Request(url, data=data, method=method)
    for name, value in headers.items():
        request.add_header(name, value)
    opener = _FOLLOWING if follow_redirects else _NOT_FOLLOWING
    try:
        with opener.open(request, timeout=timeout) as response:
            body, cut = read_capped(response, limit)
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
            exc.code, _error_body(exc), False, dict(exc.headers or {}), str(exc.reason), url
        )
    except (OSError, ValueError, http.client.HTTPException) as exc:
        # URLError and TimeoutError are OSErrors; InflateError (a body its coding cannot
        # decode) and urllib's unknown URL type are ValueErrors.
        raise FetchError(exc) from None


def _error_body(exc: urllib.error.HTTPError) -> bytes:
    """An error answer's body, as far as it can be read: the status says the rest."""
    if exc.fp is None:
        return b""
    try:
        return read_capped(exc, ERROR_BODY)[0]
    except (InflateError, OSError, http.client.HTTPException):
        return b""
