"""Ready-made webs: `hostile_web()` (one case per hostile behaviour, with the verdict the rules
expects), `sample_web()` (three small blogs) and `scale_web()` (benchmarks).

URLs are templates holding `{port}`, `{tls_port}` or `{refused_port}`; expand them with
`OfflineWeb.expand()` once the server runs. Names (`*.test`) need the stub resolver
(`STUBDNS_HOSTS = web.dns_map()`); address URLs work with any client.
"""

from __future__ import annotations

import random

from ..pages import article_html
from ..spec import Page, Web
from .hostile import Case, hostile_web, html_page
from .sample import sample_readme, sample_web

__all__ = ["Case", "expected_verdict", "hostile_web", "sample_readme", "sample_web", "scale_web"]


def expected_verdict(url: str) -> str:
    """The verdict of a `scale_web` URL, read off its path."""
    if "/gone/" in url:
        return "dead"
    if "/moved/" in url:
        return "redirected"
    return "ok"


def scale_address(i: int) -> str:
    return f"127.1.{i // 250}.{i % 250 + 1}"


def scale_web(
    n_links: int,
    n_hosts: int,
    latency: float,
    seed: int = 0,
    *,
    hot_share: float = 0.0,
    hot_max_in_flight: int | None = 2,
    dead_share: float = 0.02,
    redirect_share: float = 0.03,
) -> tuple[Web, list[str]]:
    """`n_links` links over `n_hosts` hosts (127.1.x.y) answering after `latency` seconds.
    With `hot_share`, that share of the links is on the first host, which answers
    429 + Retry-After: 1 beyond `hot_max_in_flight` requests in flight. Paths tell the
    verdict (`expected_verdict`): /a/ ok, /gone/ 404 or 410, /moved/ 301 to an /a/ page."""
    if n_hosts < 1 or n_links < 0:
        raise ValueError("need at least one host")
    rng = random.Random(seed)
    web = Web(latency=latency)
    hosts = [web.host(scale_address(i)) for i in range(n_hosts)]
    if hot_share > 0:
        hosts[0].max_in_flight = hot_max_in_flight
        hosts[0].retry_after = 1
    urls: list[str] = []
    for k in range(n_links):
        index = 0 if rng.random() < hot_share else rng.randrange(n_hosts)
        host, address = hosts[index], scale_address(index)
        roll = rng.random()
        body = article_html(f"Article {k}", f"Site {index}", f"/a/{k}", "2024-02-02", "Benchmark.")
        if roll < dead_share:
            path = f"/gone/{k}"
            host.pages[path] = Page(
                status=404 if k % 2 else 410, body=html_page("Not found", "gone")
            )
        elif roll < dead_share + redirect_share:
            path = f"/moved/{k}"
            host.pages[path] = Page(status=301, location=f"/a/{k}")
            host.pages[f"/a/{k}"] = Page(body=body)
        else:
            path = f"/a/{k}"
            host.pages[path] = Page(body=body)
        urls.append(f"http://{address}:{{port}}{path}")
    return web, urls
