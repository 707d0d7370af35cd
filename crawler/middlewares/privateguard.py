"""Refuse requests to loopback, private, link-local and multicast addresses.

Checked on the resolved address of every request, redirect hops included (each hop goes
through the downloader middlewares again), so a public name that resolves to 127.0.0.1,
or a page that redirects there, is refused too. The answer comes from the crawl's own
resolver and DNS cache, which the connection then uses.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from twisted.internet.defer import Deferred

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class PrivateAddressError(IgnoreRequest):
    """The request's host resolves to an address the guard refuses."""


def refused(address: str, allowed: list[Network]) -> bool:
    ip = ipaddress.ip_address(address)
    if any(ip in net for net in allowed):
        return False
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


class PrivateGuardMiddleware:
    def __init__(self, crawler: Crawler, allowed: list[Network]) -> None:
        self.crawler = crawler
        self.allowed = allowed

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateGuardMiddleware:
        if not crawler.settings.getbool("PRIVATEGUARD_ENABLED"):
            raise NotConfigured("PRIVATEGUARD_ENABLED is off (--allow-private)")
        nets = [
            ipaddress.ip_network(n, strict=False)
            for n in crawler.settings.getlist("PRIVATEGUARD_ALLOW_NETWORKS")
        ]
        return cls(crawler, nets)

    async def process_request(self, request: Request) -> None:
        host = _host(request.url)  # not download_slot: a redirect hop inherits the meta
        try:
            ipaddress.ip_address(host)
            address = host
        except ValueError:
            address = await self._resolve(host)
        if refused(address, self.allowed):
            raise PrivateAddressError(f"private address: {host} is {address}")

    async def _resolve(self, host: str) -> str:
        from twisted.internet import reactor

        resolver: Any = getattr(reactor, "resolver")  # noqa: B009 (not in the stubs)
        result: Deferred[Any] = resolver.getHostByName(host)
        from scrapy.utils.defer import maybe_deferred_to_future

        return str(await maybe_deferred_to_future(result))


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return (urlsplit(url).hostname or "").strip("[]")
