"""Follow a redirect only to a URL the one gate passes (catalog.urls.web_url).

Scrapy's RedirectMiddleware already declines targets that are not http(s), but hands the
3xx on as a plain error ("Ignoring non-200 response"), and a target it cannot even make a
request of (``javascript:alert(1)``, ``http://[::1``) raises from inside it, so the check
reads "Missing scheme in request url". This middleware runs just before it on the way
back: a 3xx whose Location the gate refuses is marked not to be followed, and the spider
says what happened (crawler.spiders.links.describe: "redirect (301) to a file: URL, not
followed").
"""

from __future__ import annotations

from urllib.parse import urljoin

from scrapy import Request
from scrapy.http import Response

from catalog.urls import web_url

REDIRECTS = frozenset({301, 302, 303, 307, 308})


class RedirectGateMiddleware:
    def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in REDIRECTS:
            return response
        location = response.headers.get(b"Location")
        target = None
        if location:
            try:
                target = web_url(urljoin(request.url, location.decode("latin-1").strip()))
            except ValueError:
                target = None
        if target is None:
            request.meta["dont_redirect"] = True  # the spider reports it, see describe()
        return response
